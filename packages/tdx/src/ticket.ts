import { brotliCompressSync, brotliDecompressSync, constants as zlib } from 'node:zlib';
import {
  constantTimeEqual as bytesEqual,
  concatBytes as concat,
  Digest,
  id,
  type NetworkId,
  PeerId,
  toHex,
  type UniqueId,
} from '@mosaik/id';
import { Expiration, Ticket } from '@mosaik/tickets';
import { le64 } from './bytes.js';
import { QuoteParseError, QuoteVerificationError, TdxTicketError } from './errors.js';
import { Measurements } from './measurement.js';
import { type QuoteProvider, REPORT_DATA_LENGTH } from './provider.js';
import { parseQuote, type TdxQuote } from './quote.js';
import { type QuoteVerification, type VerifyOptions, verifyQuote } from './verify.js';

/** Largest ticket payload accepted, compressed or decompressed (decompression-bomb guard). */
export const MAX_TICKET_LENGTH = 64 * 1024;

const FORMAT_VERSION = 1;
const FLAG_NEVER_EXPIRES = 0x01;
const FIXED_LENGTH = 1 + 1 + 32 + 32 + 8 + 8 + 8 + 4;
/** Largest unix-seconds value whose milliseconds are still a safe integer. */
const MAX_SECONDS = Math.floor(Number.MAX_SAFE_INTEGER / 1000);

/** The facts a TDX ticket binds into its quote's report data. */
export interface TdxTicketFields {
  /** The peer the ticket is for. */
  readonly peer: PeerId;
  /** The network the ticket is for. */
  readonly network: NetworkId;
  /** When the peer's process started (ms since the epoch; whole seconds are bound). */
  readonly startedAt: number | Date;
  /** When the quote was generated (ms since the epoch; whole seconds are bound). */
  readonly quotedAt: number | Date;
  /** When the ticket stops being valid (whole seconds are bound; sub-seconds dropped). */
  readonly expiration: Expiration;
}

/** Options of {@link TdxTicket.generate}. */
export interface GenerateOptions {
  /** The current time (ms since the epoch); default `Date.now()`. Becomes `quotedAt`. */
  readonly now?: number;
  /**
   * How to check the fresh quote; default `self-consistent`, since the generating node may
   * well be a mock and cannot vouch for itself anyway. Verifiers apply their own policy.
   */
  readonly verify?: VerifyOptions;
}

interface Normalized {
  peer: PeerId;
  network: NetworkId;
  startedAt: number;
  quotedAt: number;
  /** Unix seconds, or `undefined` for never. */
  expiresAt: number | undefined;
}

/**
 * An Intel TDX attestation ticket: a quote whose report data binds a peer id, a network id,
 * the process start time, the quote time and the ticket's expiration. An instance always
 * holds a quote that passed verification (in the mode it was read with) and whose report
 * data matches the fields, so a ticket copied from gossip is useless to any other peer.
 *
 * Encoding (the generic ticket's `data`): brotli of a fixed binary layout — format version
 * `u8` = 1, flags `u8` (bit 0: never expires), peer (32), network (32), `startedAt`,
 * `quotedAt`, `expiresAt` as unix seconds `u64` LE (`expiresAt` 0 when never), quote length
 * `u32` LE, quote. A fixed layout makes every decoded bit meaningful (no alternative
 * encodings of the same ticket); decoding caps both sizes at {@link MAX_TICKET_LENGTH}.
 */
export class TdxTicket {
  /** The ticket class: `id("mosaik.tee.tdx.ticket.v1")`. */
  static readonly CLASS: UniqueId = id('mosaik.tee.tdx.ticket.v1');
  /** Domain of the report-data binding. */
  static readonly BINDING_DOMAIN = 'mosaik.tdx.ticket.extra';

  /** The parsed, verified quote. */
  readonly quote: TdxQuote;
  /** What verification established about the quote. */
  readonly verification: QuoteVerification;
  readonly peer: PeerId;
  readonly network: NetworkId;
  /** When the peer's process started (whole seconds). */
  readonly startedAt: Date;
  /** When the quote was generated (whole seconds). */
  readonly quotedAt: Date;
  readonly expiration: Expiration;
  private readonly fields: Normalized;

  private constructor(quote: TdxQuote, verification: QuoteVerification, fields: Normalized) {
    this.quote = quote;
    this.verification = verification;
    this.fields = fields;
    this.peer = fields.peer;
    this.network = fields.network;
    this.startedAt = new Date(fields.startedAt * 1000);
    this.quotedAt = new Date(fields.quotedAt * 1000);
    this.expiration =
      fields.expiresAt === undefined ? Expiration.never() : Expiration.at(fields.expiresAt * 1000);
    Object.freeze(this);
  }

  /**
   * The 64 bytes of report data binding `fields`: `extra ‖ 32 zero bytes` where `extra` is
   * `id("mosaik.tdx.ticket.extra")` derived in turn with the peer id, the network id,
   * LE64(startedAt secs), LE64(quotedAt secs) and LE64(expiration secs), 8 zero bytes when
   * the ticket never expires.
   */
  static reportData(fields: TdxTicketFields): Uint8Array {
    return bindingOf(normalize(fields));
  }

  /**
   * Generates a fresh ticket: computes the report data, asks `provider` for a quote, and
   * reads the result back (so a broken provider cannot produce a broken ticket).
   *
   * @throws TdxTicketError `expiration_in_the_past` when `fields.expiration` already passed.
   */
  static async generate(
    provider: QuoteProvider,
    fields: Omit<TdxTicketFields, 'quotedAt'>,
    options: GenerateOptions = {},
  ): Promise<TdxTicket> {
    const now = options.now ?? Date.now();
    if (fields.expiration.isExpired(now)) {
      throw new TdxTicketError(
        'expiration_in_the_past',
        `expiration ${fields.expiration.toString()} has passed`,
      );
    }
    const full = { ...fields, quotedAt: now };
    const quote = await provider.getQuote(TdxTicket.reportData(full));
    return TdxTicket.fromQuote(quote, full, { mode: 'self-consistent', now, ...options.verify });
  }

  /**
   * Wraps a raw quote and its fields, verifying the quote and the report-data binding.
   *
   * @throws TdxTicketError (`quote` with the parse/verification error as `cause`, or
   * `invalid_report_data`).
   */
  static fromQuote(quoteBytes: Uint8Array, fields: TdxTicketFields, verify: VerifyOptions = {}): TdxTicket {
    return TdxTicket.build(quoteBytes, normalize(fields), verify);
  }

  /**
   * Reads a ticket from its encoded form (a generic ticket's `data`).
   *
   * @throws TdxTicketError on any malformed, oversized, unverifiable or unbound input.
   */
  static decode(data: Uint8Array, verify: VerifyOptions = {}): TdxTicket {
    if (!(data instanceof Uint8Array))
      throw new TdxTicketError('invalid_format', 'ticket data must be bytes');
    if (data.length > MAX_TICKET_LENGTH) {
      throw new TdxTicketError(
        'invalid_format',
        `ticket is ${data.length} bytes, more than ${MAX_TICKET_LENGTH}`,
      );
    }
    let raw: Uint8Array;
    try {
      raw = brotliDecompressSync(data, { maxOutputLength: MAX_TICKET_LENGTH });
    } catch (err) {
      const tooBig = (err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE';
      throw new TdxTicketError(
        'invalid_format',
        tooBig ? `ticket decompresses to more than ${MAX_TICKET_LENGTH} bytes` : 'ticket is not valid brotli',
        { cause: err },
      );
    }
    const { fields, quote } = decodeLayout(raw);
    return TdxTicket.build(quote, fields, verify);
  }

  /**
   * Reads a generic {@link Ticket} of class {@link TdxTicket.CLASS}.
   *
   * @throws TdxTicketError `invalid_ticket_type` for another class, else as {@link TdxTicket.decode}.
   */
  static fromTicket(ticket: Ticket, verify: VerifyOptions = {}): TdxTicket {
    if (!ticket.class.equals(TdxTicket.CLASS)) {
      throw new TdxTicketError(
        'invalid_ticket_type',
        `ticket class ${ticket.class.short()} is not the TDX class`,
      );
    }
    return TdxTicket.decode(ticket.data, verify);
  }

  private static build(quoteBytes: Uint8Array, fields: Normalized, verify: VerifyOptions): TdxTicket {
    let quote: TdxQuote;
    let verification: QuoteVerification;
    try {
      quote = parseQuote(quoteBytes);
      verification = verifyQuote(quote, verify);
    } catch (err) {
      if (err instanceof QuoteParseError || err instanceof QuoteVerificationError) {
        throw new TdxTicketError('quote', err.message, { cause: err });
      }
      throw err;
    }
    if (!bytesEqual(quote.report.reportData, bindingOf(fields))) {
      throw new TdxTicketError(
        'invalid_report_data',
        "the quote's report data does not bind the ticket's fields",
      );
    }
    return new TdxTicket(quote, verification, fields);
  }

  /** The raw quote. */
  get quoteBytes(): Uint8Array {
    return this.quote.bytes;
  }

  /** MRTD and RTMR0–3 of the quoted TD. */
  get measurements(): Measurements {
    return Measurements.fromReport(this.quote.report);
  }

  /** How long the peer's process had been running at `now` (ms). */
  uptime(now: number = Date.now()): number {
    return now - this.startedAt.getTime();
  }

  /** The encoded ticket (brotli-compressed). */
  encode(): Uint8Array {
    const f = this.fields;
    const raw = new Uint8Array(FIXED_LENGTH + this.quote.bytes.length);
    const view = new DataView(raw.buffer);
    raw[0] = FORMAT_VERSION;
    raw[1] = f.expiresAt === undefined ? FLAG_NEVER_EXPIRES : 0;
    raw.set(f.peer.bytes, 2);
    raw.set(f.network.bytes, 34);
    view.setBigUint64(66, BigInt(f.startedAt), true);
    view.setBigUint64(74, BigInt(f.quotedAt), true);
    view.setBigUint64(82, BigInt(f.expiresAt ?? 0), true);
    view.setUint32(90, this.quote.bytes.length, true);
    raw.set(this.quote.bytes, FIXED_LENGTH);
    return new Uint8Array(
      brotliCompressSync(raw, {
        params: { [zlib.BROTLI_PARAM_QUALITY]: 9, [zlib.BROTLI_PARAM_SIZE_HINT]: raw.length },
      }),
    );
  }

  /** This ticket as a generic {@link Ticket}, ready to publish in a peer entry. */
  toTicket(): Ticket {
    return new Ticket(TdxTicket.CLASS, this.encode());
  }

  /** A multi-line human description (ids, registers, times, quote format). */
  toString(): string {
    const r = this.quote.report;
    const lines = [
      `TdxTicket (quote v${this.quote.header.version}, TDX ${r.tdxVersion}, ${this.verification.mode})`,
      `  peer:       ${this.peer.toString()}`,
      `  network:    ${this.network.toString()}`,
      `  mrtd:       ${toHex(r.mrTd)}`,
      ...r.rtmr.map((m, i) => `  rtmr${i}:      ${toHex(m)}`),
      `  report:     ${toHex(r.reportData.subarray(0, 32))}`,
      `  started:    ${this.startedAt.toISOString()}`,
      `  quoted:     ${this.quotedAt.toISOString()}`,
      `  expiration: ${this.expiration.toString()}`,
    ];
    if (r.mrOwner.some((b) => b !== 0)) lines.push(`  mrowner:    ${toHex(r.mrOwner)}`);
    return lines.join('\n');
  }
}

function toMs(t: number | Date): number {
  return t instanceof Date ? t.getTime() : t;
}

function toSeconds(ms: number, what: string): number {
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) {
    throw new TdxTicketError('invalid_format', `${what} must be a time at or after 1970, got ${String(ms)}`);
  }
  const s = Math.floor(ms / 1000);
  if (s > MAX_SECONDS) throw new TdxTicketError('invalid_format', `${what} is too far in the future`);
  return s;
}

function normalize(fields: TdxTicketFields): Normalized {
  const exp = fields.expiration;
  return {
    peer: fields.peer,
    network: fields.network,
    startedAt: toSeconds(toMs(fields.startedAt), 'startedAt'),
    quotedAt: toSeconds(toMs(fields.quotedAt), 'quotedAt'),
    expiresAt: exp.at === undefined ? undefined : toSeconds(exp.at, 'expiration'),
  };
}

function bindingOf(f: Normalized): Uint8Array {
  const extra = id(TdxTicket.BINDING_DOMAIN)
    .derive(f.peer.bytes)
    .derive(f.network.bytes)
    .derive(le64(f.startedAt))
    .derive(le64(f.quotedAt))
    .derive(f.expiresAt === undefined ? new Uint8Array(8) : le64(f.expiresAt));
  return concat(extra.bytes, new Uint8Array(REPORT_DATA_LENGTH - 32));
}

function decodeLayout(raw: Uint8Array): { fields: Normalized; quote: Uint8Array } {
  const bad = (message: string) => new TdxTicketError('invalid_format', message);
  if (raw.length < FIXED_LENGTH)
    throw bad(`ticket payload is ${raw.length} bytes, shorter than ${FIXED_LENGTH}`);
  if (raw[0] !== FORMAT_VERSION) throw bad(`unknown ticket format version ${raw[0]}`);
  const flags = raw[1]!;
  if ((flags & ~FLAG_NEVER_EXPIRES) !== 0) throw bad(`unknown ticket flags 0x${flags.toString(16)}`);
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const seconds = (at: number, what: string) => {
    const v = view.getBigUint64(at, true);
    if (v > BigInt(MAX_SECONDS)) throw bad(`${what} is out of range`);
    return Number(v);
  };
  const startedAt = seconds(66, 'startedAt');
  const quotedAt = seconds(74, 'quotedAt');
  const expiresAt = seconds(82, 'expiration');
  const never = (flags & FLAG_NEVER_EXPIRES) !== 0;
  if (never && expiresAt !== 0) throw bad('a never-expiring ticket must carry expiration 0');
  const quoteLength = view.getUint32(90, true);
  if (quoteLength !== raw.length - FIXED_LENGTH) {
    throw bad(`quote length is ${quoteLength} but ${raw.length - FIXED_LENGTH} bytes follow`);
  }
  let peer: PeerId;
  let network: NetworkId;
  try {
    peer = PeerId.fromBytes(raw.slice(2, 34));
    network = Digest.fromBytes(raw.slice(34, 66));
  } catch (err) {
    throw new TdxTicketError('invalid_format', 'bad peer or network id', { cause: err });
  }
  return {
    fields: {
      peer,
      network,
      startedAt,
      quotedAt,
      expiresAt: never ? undefined : expiresAt,
    },
    quote: raw.subarray(FIXED_LENGTH),
  };
}
