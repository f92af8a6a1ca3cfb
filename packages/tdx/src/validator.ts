import type { Digest, NetworkId, PeerId, UniqueId } from '@mosaik/id';
import { blake3, toHex } from '@mosaik/id';
import { type Expiration, InvalidTicketError, type TicketValidator } from '@mosaik/tickets';
import { TdxConfigError, TdxTicketError } from './errors.js';
import { type MeasurementInput, Measurements, MeasurementsCriteria } from './measurement.js';
import { ConfigfsTsmProvider, type QuoteProvider } from './provider.js';
import { parseQuote } from './quote.js';
import { TdxTicket } from './ticket.js';
import type { VerificationMode } from './verify.js';
import { Crl, TrustAnchor } from './x509.js';

/** Configuration of a {@link Tdx} validator; every field is optional. */
export interface TdxOptions {
  /** `'verified'` (default) or `'self-consistent'`; see {@link VerificationMode}. */
  readonly mode?: VerificationMode;
  /** Root CA for `verified` mode; default the Intel SGX Root CA. */
  readonly trustAnchor?: TrustAnchor | string | Uint8Array;
  /** CRLs applied to PCK chains (not part of the signature: they change over time). */
  readonly crls?: readonly (Crl | string | Uint8Array)[];
  /** Registers every quote must match. */
  readonly baseline?: MeasurementsCriteria;
  /** Alternatives: if any are given, at least one must match in addition to the baseline. */
  readonly variants?: readonly MeasurementsCriteria[];
  /** Require tickets bound to this network. Unset: the network is not checked. */
  readonly network?: NetworkId;
  /** Reject quotes older than this many ms (and quotes dated in the future). */
  readonly maxAge?: number;
  /** Reject quotes generated before this instant (e.g. a firmware fix). */
  readonly notBefore?: number | Date;
  /** Reject non-expiring tickets and tickets valid for longer than this many ms after quoting. */
  readonly maxLifetime?: number;
  /** Clock (ms since the epoch); default `Date.now`. Not part of the signature. */
  readonly clock?: () => number;
}

/** Verified tickets kept per validator, so re-validation on every catalog change is cheap. */
const CACHE_SIZE = 64;

/**
 * Validates TDX tickets ({@link TdxTicket}). Immutable: each builder method returns a new
 * validator. By default (`verified` mode) a ticket passes only if its quote chains up to the
 * Intel SGX Root CA; measurements, network binding and time limits are opt-in.
 *
 * Order of checks: decode and verify the ticket (quote, chain, report-data binding); baseline;
 * variants; peer; network; `maxAge`; `notBefore`; `maxLifetime`; expiry. Returns the ticket's
 * expiration.
 */
export class Tdx implements TicketValidator {
  /** The ticket class validated: {@link TdxTicket.CLASS}. */
  static readonly CLASS: UniqueId = TdxTicket.CLASS;

  readonly class: UniqueId = TdxTicket.CLASS;
  readonly mode: VerificationMode;
  readonly trustAnchor: TrustAnchor;
  readonly crls: readonly Crl[];
  readonly baselineCriteria: MeasurementsCriteria;
  readonly variants: readonly MeasurementsCriteria[];
  readonly network: NetworkId | undefined;
  readonly maxAgeMs: number | undefined;
  readonly notBeforeMs: number | undefined;
  readonly maxLifetimeMs: number | undefined;
  private readonly clock: () => number;
  private readonly cache = new Map<string, { ticket: TdxTicket; from: number; until: number }>();
  private sig: UniqueId | undefined;

  constructor(options: TdxOptions = {}) {
    const mode = options.mode ?? 'verified';
    if (mode !== 'verified' && mode !== 'self-consistent')
      throw new TdxConfigError(`unknown mode ${String(mode)}`);
    this.mode = mode;
    const anchor = options.trustAnchor ?? TrustAnchor.intel();
    this.trustAnchor = anchor instanceof TrustAnchor ? anchor : TrustAnchor.from(anchor);
    this.crls = (options.crls ?? []).map((c) => (c instanceof Crl ? c : Crl.from(c)));
    this.baselineCriteria = options.baseline ?? MeasurementsCriteria.empty();
    this.variants = [...(options.variants ?? [])];
    this.network = options.network;
    this.maxAgeMs = duration(options.maxAge, 'maxAge');
    this.maxLifetimeMs = duration(options.maxLifetime, 'maxLifetime');
    const nb = options.notBefore instanceof Date ? options.notBefore.getTime() : options.notBefore;
    if (nb !== undefined && !Number.isFinite(nb)) throw new TdxConfigError('notBefore must be a finite time');
    this.notBeforeMs = nb;
    this.clock = options.clock ?? Date.now;
  }

  /** A validator with the given options (all defaults: `verified` against Intel, no pins). */
  static new(options: TdxOptions = {}): Tdx {
    return new Tdx(options);
  }

  /** A validator whose baseline is `criteria`. */
  static baseline(criteria: MeasurementsCriteria, options: TdxOptions = {}): Tdx {
    return new Tdx({ ...options, baseline: criteria });
  }

  /**
   * A validator requiring this machine's own MRTD and RTMR0–3 (one quote is generated).
   *
   * @throws TdxUnavailableError when not inside a TD.
   */
  static async fromLocal(
    provider: QuoteProvider = new ConfigfsTsmProvider(),
    options: TdxOptions = {},
  ): Promise<Tdx> {
    return Tdx.baseline(MeasurementsCriteria.exactly(await localMeasurements(provider)), options);
  }

  private with(changes: TdxOptions): Tdx {
    return new Tdx({ ...this.options(), ...changes });
  }

  /** The options this validator was built from. */
  options(): TdxOptions {
    return {
      mode: this.mode,
      trustAnchor: this.trustAnchor,
      crls: this.crls,
      baseline: this.baselineCriteria,
      variants: this.variants,
      network: this.network,
      maxAge: this.maxAgeMs,
      notBefore: this.notBeforeMs,
      maxLifetime: this.maxLifetimeMs,
      clock: this.clock,
    };
  }

  /** Requires MRTD = `m` (48 bytes, 96 hex chars or a {@link Measurement}). */
  requireMrtd(m: MeasurementInput): Tdx {
    return this.with({ baseline: this.baselineCriteria.withMrtd(m) });
  }

  /** Requires RTMR`index` = `m`. */
  requireRtmr(index: 0 | 1 | 2 | 3, m: MeasurementInput): Tdx {
    return this.with({ baseline: this.baselineCriteria.withRtmr(index, m) });
  }

  requireRtmr0(m: MeasurementInput): Tdx {
    return this.requireRtmr(0, m);
  }
  requireRtmr1(m: MeasurementInput): Tdx {
    return this.requireRtmr(1, m);
  }
  requireRtmr2(m: MeasurementInput): Tdx {
    return this.requireRtmr(2, m);
  }
  requireRtmr3(m: MeasurementInput): Tdx {
    return this.requireRtmr(3, m);
  }

  /** Requires this machine's own MRTD (one quote is generated). */
  async requireOwnMrtd(provider: QuoteProvider = new ConfigfsTsmProvider()): Promise<Tdx> {
    return this.requireMrtd((await localMeasurements(provider)).mrtd);
  }

  /** Requires this machine's own RTMR`index` (one quote is generated). */
  async requireOwnRtmr(
    index: 0 | 1 | 2 | 3,
    provider: QuoteProvider = new ConfigfsTsmProvider(),
  ): Promise<Tdx> {
    return this.requireRtmr(index, (await localMeasurements(provider)).rtmr[index]);
  }

  /** Adds an allowed variant: with variants, at least one must match besides the baseline. */
  allowVariant(criteria: MeasurementsCriteria): Tdx {
    return this.with({ variants: [...this.variants, criteria] });
  }

  /** Binds tickets to `network`. */
  forNetwork(network: NetworkId): Tdx {
    return this.with({ network });
  }

  /** Rejects quotes older than `ms` (and quotes dated in the future). */
  maxAge(ms: number): Tdx {
    return this.with({ maxAge: ms });
  }

  /** Rejects quotes generated before `at`. */
  notBefore(at: number | Date): Tdx {
    return this.with({ notBefore: at });
  }

  /** Rejects non-expiring tickets and tickets valid for more than `ms` after quoting. */
  maxLifetime(ms: number): Tdx {
    return this.with({ maxLifetime: ms });
  }

  /** Switches to `self-consistent` mode (experiments only: accepts forged quotes). */
  selfConsistent(): Tdx {
    return this.with({ mode: 'self-consistent' });
  }

  /** Verifies PCK chains up to `anchor` instead of the Intel root. */
  withTrustAnchor(anchor: TrustAnchor | string | Uint8Array): Tdx {
    return this.with({ trustAnchor: anchor });
  }

  /** Applies `crls` to PCK chains. */
  withCrls(crls: readonly (Crl | string | Uint8Array)[]): Tdx {
    return this.with({ crls });
  }

  /**
   * Deterministic id of the configuration: the class derived in turn with the mode, the trust
   * anchor fingerprint (`verified` only), the baseline and each variant's criteria signature,
   * the network, `maxAge`, `notBefore` and `maxLifetime`. CRLs and the clock are excluded.
   */
  get signature(): UniqueId {
    if (this.sig === undefined) {
      const opt = (v: number | undefined) => (v === undefined ? 'none' : String(v));
      let s: Digest = Tdx.CLASS.derive(`mode:${this.mode}`);
      s = s.derive(`anchor:${this.mode === 'verified' ? this.trustAnchor.fingerprint : 'none'}`);
      s = s.derive(this.baselineCriteria.signature());
      s = s.derive(`variants:${this.variants.length}`);
      for (const v of this.variants) s = s.derive(v.signature());
      s = s.derive(`network:${this.network === undefined ? 'any' : this.network.toString()}`);
      s = s.derive(`maxAge:${opt(this.maxAgeMs)}`);
      s = s.derive(`notBefore:${opt(this.notBeforeMs)}`);
      s = s.derive(`maxLifetime:${opt(this.maxLifetimeMs)}`);
      this.sig = s;
    }
    return this.sig;
  }

  /**
   * Validates `data` (a TDX ticket's bytes) as presented by `peer`.
   *
   * @throws {@link @mosaik/tickets!InvalidTicketError | InvalidTicketError} with a specific reason;
   *   `cause` carries the underlying typed error.
   */
  validate(data: Uint8Array, peer: PeerId): Expiration {
    const now = this.clock();
    const ticket = this.decode(data, now);
    const m = ticket.measurements;
    const mismatch = this.baselineCriteria.mismatch(m);
    if (mismatch !== undefined) throw new InvalidTicketError(`${mismatch} does not match the required value`);
    if (this.variants.length > 0 && !this.variants.some((v) => v.matches(m))) {
      throw new InvalidTicketError('measurements match none of the allowed variants');
    }
    if (!ticket.peer.equals(peer)) throw new InvalidTicketError('ticket is bound to another peer');
    if (this.network !== undefined && !ticket.network.equals(this.network)) {
      throw new InvalidTicketError('ticket is bound to another network');
    }
    const quotedAt = ticket.quotedAt.getTime();
    if (this.maxAgeMs !== undefined) {
      // Whole seconds are bound, so a quote from this very second may look up to 1 s "early".
      if (quotedAt > now) throw new InvalidTicketError('quote is dated in the future');
      if (now - quotedAt > this.maxAgeMs)
        throw new InvalidTicketError(`quote is older than ${this.maxAgeMs} ms`);
    }
    if (this.notBeforeMs !== undefined && quotedAt < this.notBeforeMs) {
      throw new InvalidTicketError(`quote predates ${new Date(this.notBeforeMs).toISOString()}`);
    }
    if (this.maxLifetimeMs !== undefined) {
      const at = ticket.expiration.at;
      if (at === undefined)
        throw new InvalidTicketError('non-expiring tickets are not accepted (maxLifetime)');
      if (at - quotedAt > this.maxLifetimeMs)
        throw new InvalidTicketError(`lifetime exceeds ${this.maxLifetimeMs} ms`);
    }
    if (ticket.expiration.isExpired(now))
      throw new InvalidTicketError(`expired at ${ticket.expiration.toString()}`);
    return ticket.expiration;
  }

  /** Decodes and verifies, reusing a previous result while its certificates stay valid. */
  private decode(data: Uint8Array, now: number): TdxTicket {
    const key = toHex(blake3(data));
    const hit = this.cache.get(key);
    if (hit && now >= hit.from && now <= hit.until) return hit.ticket;
    let ticket: TdxTicket;
    try {
      ticket = TdxTicket.decode(data, {
        mode: this.mode,
        trustAnchor: this.trustAnchor,
        crls: this.crls,
        now,
      });
    } catch (err) {
      if (err instanceof TdxTicketError) throw new InvalidTicketError(err.message, { cause: err });
      throw new InvalidTicketError(`unreadable TDX ticket: ${(err as Error).message}`, { cause: err });
    }
    const { validFrom: from, validUntil: until } = ticket.verification;
    if (this.cache.size >= CACHE_SIZE) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(key, { ticket, from, until });
    return ticket;
  }
}

function duration(v: number | undefined, what: string): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
    throw new TdxConfigError(`${what} must be a non-negative number of ms`);
  }
  return v;
}

/**
 * This machine's MRTD and RTMR0–3, read from a fresh quote with all-zero report data.
 *
 * @throws TdxUnavailableError when not inside a TD.
 */
export async function localMeasurements(
  provider: QuoteProvider = new ConfigfsTsmProvider(),
): Promise<Measurements> {
  return Measurements.fromReport(parseQuote(await provider.getQuote(new Uint8Array(64))).report);
}
