import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rmdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { QuoteGenerationError, TdxUnavailableError } from './errors.js';

/** Bytes of report data a TD binds into a quote. */
export const REPORT_DATA_LENGTH = 64;

/** Something that produces TDX quotes binding 64 bytes of report data. */
export interface QuoteProvider {
  /**
   * Returns a raw quote whose TD report carries `reportData` (exactly 64 bytes).
   *
   * @throws TdxUnavailableError when this machine cannot produce TDX quotes.
   * @throws QuoteGenerationError when generation fails.
   */
  getQuote(reportData: Uint8Array): Promise<Uint8Array>;
}

/** Default configfs-tsm report directory (Linux ≥ 6.7). */
export const CONFIGFS_TSM_REPORT = '/sys/kernel/config/tsm/report';

/** Options of {@link ConfigfsTsmProvider}. */
export interface ConfigfsTsmOptions {
  /** The report directory; default {@link CONFIGFS_TSM_REPORT}. */
  readonly root?: string;
}

/**
 * Generates quotes through the Linux configfs-tsm ABI, inside a TDX guest: it creates a
 * fresh report directory (unique per request so concurrent requests never share one), checks
 * that `provider` is `tdx_guest`, writes the report data to `inblob`, reads the quote from
 * `outblob`, checks `generation` advanced by exactly one (otherwise another writer raced us
 * and the quote may not carry our data), and removes the directory.
 */
export class ConfigfsTsmProvider implements QuoteProvider {
  /** The report directory used. */
  readonly root: string;

  constructor(options: ConfigfsTsmOptions = {}) {
    this.root = options.root ?? CONFIGFS_TSM_REPORT;
  }

  /** Whether the configfs-tsm report directory exists (a cheap pre-check; no quote made). */
  async available(): Promise<boolean> {
    try {
      return (await stat(this.root)).isDirectory();
    } catch {
      return false;
    }
  }

  async getQuote(reportData: Uint8Array): Promise<Uint8Array> {
    if (!(reportData instanceof Uint8Array) || reportData.length !== REPORT_DATA_LENGTH) {
      throw new QuoteGenerationError(`report data must be ${REPORT_DATA_LENGTH} bytes`);
    }
    if (!(await this.available())) {
      throw new TdxUnavailableError(
        `${this.root} does not exist: not running inside a TDX guest, or the kernel lacks configfs-tsm (Linux >= 6.7) or configfs is not mounted`,
      );
    }
    const dir = join(this.root, `mosaik-${process.pid}-${randomBytes(8).toString('hex')}`);
    try {
      await mkdir(dir);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new QuoteGenerationError(
        code === 'EACCES' || code === 'EPERM'
          ? `cannot create ${dir}: permission denied (configfs-tsm needs root or write access to ${this.root})`
          : `cannot create ${dir}: ${(err as Error).message}`,
        { cause: err },
      );
    }
    try {
      const provider = (await readFile(join(dir, 'provider'), 'utf8')).trim();
      if (provider !== 'tdx_guest') {
        throw new TdxUnavailableError(
          `configfs-tsm provider is "${provider}", not tdx_guest: not a TDX guest`,
        );
      }
      const before = await readGeneration(dir);
      await writeFile(join(dir, 'inblob'), reportData);
      const quote = new Uint8Array(await readFile(join(dir, 'outblob')));
      const after = await readGeneration(dir);
      if (after !== before + 1) {
        throw new QuoteGenerationError(
          `configfs-tsm generation moved from ${before} to ${after}: concurrent writer`,
        );
      }
      if (quote.length === 0) throw new QuoteGenerationError('configfs-tsm returned an empty quote');
      return quote;
    } catch (err) {
      if (err instanceof TdxUnavailableError || err instanceof QuoteGenerationError) throw err;
      throw new QuoteGenerationError(`configfs-tsm quote generation failed: ${(err as Error).message}`, {
        cause: err,
      });
    } finally {
      await rmdir(dir).catch(() => undefined);
    }
  }
}

async function readGeneration(dir: string): Promise<number> {
  const text = (await readFile(join(dir, 'generation'), 'utf8')).trim();
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw new QuoteGenerationError(`bad configfs-tsm generation "${text}"`);
  return n;
}
