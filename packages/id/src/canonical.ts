/**
 * Deterministic CBOR for data that is hashed or signed: equal values always give equal bytes.
 *
 * Rules (a fixed subset of RFC 8949 §4.2 "core deterministic encoding", adapted so the output
 * decodes with {@link cborCodec} to the same JS values):
 * - lengths and integer arguments use the shortest form; no indefinite lengths;
 * - a `number` that is an integer in [-2^32, 2^32) is a CBOR integer, every other number
 *   (fractions, larger integers, NaN, ±Infinity) is a float64; `-0` encodes as `0`;
 * - a `bigint` in [-2^64, 2^64) is a CBOR integer with an 8-byte argument (so it decodes as a
 *   bigint again), larger ones are bignums (tags 2/3) with minimal magnitude bytes;
 * - map keys (of plain objects and of `Map`s) are sorted by their encoded bytes; two keys with
 *   the same encoding are an error; a `Map` carries tag 259 so it decodes as a `Map`;
 * - `Uint8Array` (and `Buffer`) is a byte string, `Date` is tag 1 + epoch seconds;
 * - strings, arrays, booleans, `null` and `undefined` as usual.
 * Anything else (class instances, `Set`, other typed arrays, functions, symbols) is refused with
 * an {@link EncodeError}, since its canonical form would be ambiguous.
 */
import { compareBytes } from './bytes.js';
import { EncodeError } from './errors.js';

const textEncoder = new TextEncoder();

class Writer {
  buf: Uint8Array;
  pos = 0;
  #view: DataView | undefined;

  constructor(size = 256) {
    this.buf = new Uint8Array(size);
  }

  view(): DataView {
    this.#view ??= new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
    return this.#view;
  }

  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.#view = undefined;
  }

  byte(b: number): void {
    this.ensure(1);
    this.buf[this.pos++] = b;
  }

  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  /** Header with the shortest argument encoding (arg < 2^32 here, or a bigint below 2^64). */
  head(major: number, arg: number | bigint): void {
    const m = major << 5;
    if (typeof arg === 'bigint') {
      this.byte(m | 27);
      this.ensure(8);
      this.view().setBigUint64(this.pos, arg);
      this.pos += 8;
    } else if (arg < 24) this.byte(m | arg);
    else if (arg < 0x100) {
      this.byte(m | 24);
      this.byte(arg);
    } else if (arg < 0x10000) {
      this.byte(m | 25);
      this.byte(arg >> 8);
      this.byte(arg & 0xff);
    } else if (arg < 0x100000000) {
      this.byte(m | 26);
      this.ensure(4);
      this.view().setUint32(this.pos, arg);
      this.pos += 4;
    } else {
      this.byte(m | 27);
      this.ensure(8);
      this.view().setBigUint64(this.pos, BigInt(arg));
      this.pos += 8;
    }
  }

  /** Writes `s` as a text string if it is pure ASCII (no allocation); false otherwise, writing nothing. */
  ascii(s: string): boolean {
    const n = s.length;
    const headLen = n < 24 ? 1 : 2;
    this.ensure(n + headLen);
    const at = this.pos + headLen;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) return false;
      this.buf[at + i] = c;
    }
    this.head(3, n);
    this.pos += n;
    return true;
  }

  float64(n: number): void {
    this.byte(0xfb);
    this.ensure(8);
    this.view().setFloat64(this.pos, Number.isNaN(n) ? Number.NaN : n);
    this.pos += 8;
  }

  result(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }
}

const U64 = 1n << 64n;

function encodeValue(w: Writer, value: unknown, seen: Set<object>): void {
  switch (typeof value) {
    case 'number':
      if (Number.isInteger(value) && value >= -(2 ** 32) && value < 2 ** 32) {
        if (value >= 0) w.head(0, value === 0 ? 0 : value);
        else w.head(1, -1 - value);
      } else w.float64(value);
      return;
    case 'bigint':
      if (value >= 0n && value < U64) w.head(0, value);
      else if (value < 0n && value >= -U64) w.head(1, -1n - value);
      else {
        let mag = value >= 0n ? value : -1n - value;
        const out: number[] = [];
        while (mag > 0n) {
          out.unshift(Number(mag & 0xffn));
          mag >>= 8n;
        }
        w.head(6, value >= 0n ? 2 : 3);
        w.head(2, out.length);
        w.bytes(Uint8Array.from(out));
      }
      return;
    case 'string': {
      if (value.length < 256 && w.ascii(value)) return;
      const b = textEncoder.encode(value);
      w.head(3, b.length);
      w.bytes(b);
      return;
    }
    case 'boolean':
      w.byte(value ? 0xf5 : 0xf4);
      return;
    case 'undefined':
      w.byte(0xf7);
      return;
    case 'object':
      break;
    default:
      throw new EncodeError(`cannot encode a ${typeof value} canonically`);
  }
  if (value === null) {
    w.byte(0xf6);
    return;
  }
  if (value instanceof Uint8Array) {
    w.head(2, value.length);
    w.bytes(value);
    return;
  }
  if (value instanceof Date) {
    const ms = value.getTime();
    if (Number.isNaN(ms)) throw new EncodeError('cannot encode an invalid Date');
    w.head(6, 1);
    encodeValue(w, ms / 1000, seen);
    return;
  }
  if (seen.has(value)) throw new EncodeError('cannot encode a cyclic structure');
  seen.add(value);
  try {
    if (Array.isArray(value)) {
      w.head(4, value.length);
      for (let i = 0; i < value.length; i++) encodeValue(w, value[i], seen);
      return;
    }
    if (value instanceof Map) {
      w.head(6, 259);
      encodeMap(w, value.entries(), value.size, seen);
      return;
    }
    const proto = Object.getPrototypeOf(value);
    if (proto === Object.prototype || proto === null) {
      const keys = Object.keys(value);
      const obj = value as Record<string, unknown>;
      encodeMap(
        w,
        keys.map((k) => [k, obj[k]] as const),
        keys.length,
        seen,
      );
      return;
    }
    const name = (proto as { constructor?: { name?: string } })?.constructor?.name ?? 'object';
    throw new EncodeError(
      `cannot encode a ${name} canonically (use plain objects, arrays, Map and Uint8Array)`,
    );
  } finally {
    seen.delete(value);
  }
}

function encodeMap(
  w: Writer,
  entries: Iterable<readonly [unknown, unknown]>,
  size: number,
  seen: Set<object>,
): void {
  // All keys go into one scratch writer; each entry keeps its key's offsets.
  const kw = new Writer(64);
  const spans: { start: number; end: number; value: unknown }[] = [];
  for (const [k, v] of entries) {
    const start = kw.pos;
    encodeValue(kw, k, seen);
    spans.push({ start, end: kw.pos, value: v });
  }
  const encoded = spans.map((s) => ({ key: kw.buf.subarray(s.start, s.end), value: s.value }));
  encoded.sort((a, b) => compareBytes(a.key, b.key));
  for (let i = 1; i < encoded.length; i++) {
    if (compareBytes(encoded[i - 1]!.key, encoded[i]!.key) === 0) {
      throw new EncodeError('two map keys have the same canonical encoding');
    }
  }
  w.head(5, size);
  for (const e of encoded) {
    w.bytes(e.key);
    encodeValue(w, e.value, seen);
  }
}

/**
 * Deterministic CBOR of `value` (see the module notes for the exact rules): use it for
 * anything that is hashed, signed or compared as bytes. Decodes with `cborCodec().decode`.
 * Throws {@link EncodeError} for values without a canonical form.
 */
export function encodeCanonical(value: unknown): Uint8Array {
  const w = new Writer();
  encodeValue(w, value, new Set());
  return w.result();
}
