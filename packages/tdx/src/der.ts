/**
 * A minimal DER reader and writer: just what the PCK chain checks (extensions, names, CRLs)
 * and the mock CA (certificates, CRLs) need. Node's `X509Certificate` verifies signatures
 * but neither exposes key usage or path length nor parses CRLs, and cannot create
 * certificates; this covers the gap without a dependency.
 */
import { MosaikError } from '@mosaik/id';

/** One decoded TLV. `body` is a view of the content octets; `raw` of the whole element. */
export interface Der {
  readonly tag: number;
  readonly body: Uint8Array;
  readonly raw: Uint8Array;
}

/** Malformed DER. Internal: callers turn it into their own typed error. Code `'malformed_der'`. */
export class DerError extends MosaikError<'malformed_der'> {
  constructor(message: string) {
    super('malformed_der', message);
  }
}

/** Reads the element at `offset` of `bytes`; strict DER lengths (minimal, definite). */
export function readDer(bytes: Uint8Array, offset = 0): Der {
  if (offset + 2 > bytes.length) throw new DerError('truncated DER header');
  const tag = bytes[offset]!;
  if ((tag & 0x1f) === 0x1f) throw new DerError('high tag numbers are not supported');
  let length = bytes[offset + 1]!;
  let header = 2;
  if (length & 0x80) {
    const n = length & 0x7f;
    if (n === 0 || n > 3) throw new DerError('unsupported DER length');
    if (offset + 2 + n > bytes.length) throw new DerError('truncated DER length');
    length = 0;
    for (let i = 0; i < n; i++) length = (length << 8) | bytes[offset + 2 + i]!;
    if (length < 0x80 || length < 1 << (8 * (n - 1))) throw new DerError('non-minimal DER length');
    header += n;
  }
  const end = offset + header + length;
  if (end > bytes.length) throw new DerError('truncated DER content');
  return { tag, body: bytes.subarray(offset + header, end), raw: bytes.subarray(offset, end) };
}

/** Reads `bytes` as exactly one element (no trailing bytes). */
export function readDerExact(bytes: Uint8Array): Der {
  const der = readDer(bytes);
  if (der.raw.length !== bytes.length) throw new DerError('trailing bytes after DER element');
  return der;
}

/** The children of a constructed element. */
export function children(der: Der): Der[] {
  const out: Der[] = [];
  let at = 0;
  while (at < der.body.length) {
    const child = readDer(der.body, at);
    out.push(child);
    at += child.raw.length;
  }
  return out;
}

/** Child `i` of `der`, which must have tag `tag`. */
export function child(der: Der, i: number, tag?: number): Der {
  const c = children(der)[i];
  if (c === undefined) throw new DerError(`missing element ${i}`);
  if (tag !== undefined && c.tag !== tag) throw new DerError(`element ${i}: tag 0x${c.tag.toString(16)}`);
  return c;
}

export const TAG = {
  boolean: 0x01,
  integer: 0x02,
  bitString: 0x03,
  octetString: 0x04,
  null: 0x05,
  oid: 0x06,
  utf8String: 0x0c,
  printableString: 0x13,
  utcTime: 0x17,
  generalizedTime: 0x18,
  sequence: 0x30,
  set: 0x31,
} as const;

/** Reads a UTCTime or GeneralizedTime (the `Z` forms DER requires) as ms since the epoch. */
export function readTime(der: Der): number {
  const text = Buffer.from(der.body).toString('latin1');
  // UTCTime has a two-digit year (50..99 → 19xx); GeneralizedTime a four-digit one.
  const pattern = der.tag === TAG.utcTime ? /^(\d\d)(\d{10})Z$/ : /^(\d{4})(\d{10})Z$/;
  const m = der.tag === TAG.utcTime || der.tag === TAG.generalizedTime ? pattern.exec(text) : null;
  if (!m) throw new DerError('bad time');
  let year = Number(m[1]);
  if (der.tag === TAG.utcTime) year += year < 50 ? 2000 : 1900;
  const [mo, d, h, mi, s] = m[2]!.match(/\d\d/g)!.map(Number) as [number, number, number, number, number];
  return Date.UTC(year, mo - 1, d, h, mi, s);
}

// ---- writer ----

function encodeLength(n: number): Uint8Array {
  if (n < 0x80) return Uint8Array.of(n);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Uint8Array.of(0x80 | bytes.length, ...bytes);
}

/** Encodes one element from its tag and content octets. */
export function der(tag: number, ...content: Uint8Array[]): Uint8Array {
  const body = Buffer.concat(content);
  return new Uint8Array(Buffer.concat([Uint8Array.of(tag), encodeLength(body.length), body]));
}

export const seq = (...items: Uint8Array[]): Uint8Array => der(TAG.sequence, ...items);

/** A non-negative INTEGER from big-endian magnitude bytes. */
export function uint(magnitude: Uint8Array): Uint8Array {
  let start = 0;
  while (start < magnitude.length - 1 && magnitude[start] === 0) start++;
  const trimmed = magnitude.subarray(start);
  const pad = trimmed[0]! & 0x80 ? Uint8Array.of(0) : new Uint8Array(0);
  return der(TAG.integer, pad, trimmed.length === 0 ? Uint8Array.of(0) : trimmed);
}

/** A small non-negative INTEGER. */
export const int = (n: number): Uint8Array =>
  uint(Uint8Array.of((n >> 24) & 255, (n >> 16) & 255, (n >> 8) & 255, n & 255));

/** An OBJECT IDENTIFIER from dotted text. */
export function oid(dotted: string): Uint8Array {
  const parts = dotted.split('.').map(Number);
  const out: number[] = [40 * parts[0]! + parts[1]!];
  for (const p of parts.slice(2)) {
    const chunk: number[] = [p & 0x7f];
    for (let v = Math.floor(p / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift(0x80 | (v & 0x7f));
    out.push(...chunk);
  }
  return der(TAG.oid, Uint8Array.from(out));
}

/** UTCTime before 2050, GeneralizedTime from then on (RFC 5280 §4.1.2.5). */
export function time(ms: number): Uint8Array {
  const iso = new Date(ms).toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ
  const digits = iso.slice(0, 19).replace(/[-T:]/g, '');
  const year = Number(digits.slice(0, 4));
  return year < 2050
    ? der(TAG.utcTime, Buffer.from(`${digits.slice(2)}Z`, 'latin1'))
    : der(TAG.generalizedTime, Buffer.from(`${digits}Z`, 'latin1'));
}

/** A Name with a single common name (and an organization), as the mock CA issues. */
export function name(commonName: string, organization: string): Uint8Array {
  const attr = (id: string, value: string) =>
    der(TAG.set, seq(oid(id), der(TAG.utf8String, Buffer.from(value, 'utf8'))));
  return seq(attr('2.5.4.3', commonName), attr('2.5.4.10', organization));
}

/** A BIT STRING with no unused bits. */
export const bitString = (bytes: Uint8Array): Uint8Array => der(TAG.bitString, Uint8Array.of(0), bytes);
export const octetString = (bytes: Uint8Array): Uint8Array => der(TAG.octetString, bytes);
/** A context-specific constructed (EXPLICIT) tag. */
export const explicit = (n: number, ...content: Uint8Array[]): Uint8Array => der(0xa0 | n, ...content);
export const TRUE = der(TAG.boolean, Uint8Array.of(0xff));
