import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { QuoteGenerationError, TdxUnavailableError } from './errors.js';
import { CONFIGFS_TSM_REPORT, ConfigfsTsmProvider } from './provider.js';
import { parseQuote } from './quote.js';
import { verifyQuote } from './verify.js';

describe('ConfigfsTsmProvider', () => {
  it('reports a clear TdxUnavailableError when configfs-tsm is missing', async () => {
    const provider = new ConfigfsTsmProvider({ root: '/nonexistent/tsm/report' });
    expect(await provider.available()).toBe(false);
    const err = await provider.getQuote(new Uint8Array(64)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TdxUnavailableError);
    expect((err as TdxUnavailableError).code).toBe('tdx_unavailable');
    expect((err as Error).message).toMatch(/not running inside a TDX guest/);
  });

  it('rejects report data that is not 64 bytes', async () => {
    const err = await new ConfigfsTsmProvider().getQuote(new Uint8Array(32)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(QuoteGenerationError);
  });

  it('fails cleanly, and cleans up, when the directory is not configfs', async () => {
    // A plain directory lacks the files configfs creates; the request must fail typed and
    // leave no report directory behind.
    const root = await mkdtemp(join(tmpdir(), 'tsm-'));
    try {
      const err = await new ConfigfsTsmProvider({ root })
        .getQuote(new Uint8Array(64))
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(QuoteGenerationError);
      const { readdir } = await import('node:fs/promises');
      expect(await readdir(root)).toEqual([]);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it.skipIf(!existsSync(CONFIGFS_TSM_REPORT))('produces a verifiable quote on TDX hardware', async () => {
    const reportData = Uint8Array.from({ length: 64 }, (_, i) => i);
    const quote = parseQuote(await new ConfigfsTsmProvider().getQuote(reportData));
    expect(quote.report.reportData).toEqual(reportData);
    expect(verifyQuote(quote).mode).toBe('verified');
  });
});
