/**
 * 32-byte intent-addressed ids. A string of exactly 64 hex characters is
 * decoded verbatim; anything else is blake3-hashed, so nodes naming the same thing converge
 * on the same id without coordination.
 */
import { concatBytes, fromHex, isHex, randomBytes, toHex, utf8 } from './bytes.js';
import { Bytes32 } from './bytes32.js';
import { DecodeError, InvalidArgumentError } from './errors.js';
import { blake3 } from './hash.js';

/** What {@link Digest.derive} and {@link Digest.fromParts} accept: strings are taken as UTF-8. */
export type DigestPart = string | Uint8Array | Digest;

function partBytes(part: DigestPart): Uint8Array {
  if (typeof part === 'string') return utf8(part);
  if (part instanceof Digest) return part.bytes;
  return part;
}

const inspect = Symbol.for('nodejs.util.inspect.custom');

/**
 * Exactly 32 bytes. Equality is byte equality; ordering is lexicographic byte order. Display is
 * the full lowercase hex; {@link Digest.short} is the first 5 bytes (used in logs and metric labels).
 *
 * `bytes` exposes the internal array without copying: never mutate it. A `Digest` put into a CBOR
 * message as is does not encode as bytes; put `digest.bytes` on the wire.
 */
export class Digest extends Bytes32<Digest> {
  /** Keeps `Digest` and `PeerId` distinct types. */
  declare private readonly digestBrand: never;

  private constructor(bytes: Uint8Array) {
    super(bytes);
  }

  /** The 32 bytes verbatim (copied). Throws `InvalidArgumentError` if the length is not 32. */
  static fromBytes(bytes: Uint8Array): Digest {
    if (bytes.length !== 32) throw new InvalidArgumentError(`a digest is 32 bytes, got ${bytes.length}`);
    return new Digest(Uint8Array.from(bytes));
  }

  /** Exactly 64 hex characters (either case), verbatim. Throws {@link DecodeError} otherwise. */
  static fromHex(hex: string): Digest {
    if (hex.length !== 64 || !isHex(hex))
      throw new DecodeError('invalid_digest', 'a digest is 64 hex characters');
    return new Digest(fromHex(hex));
  }

  /** The id rule: 64 hex characters are decoded; any other string or byte array is blake3-hashed. */
  static from(input: string | Uint8Array): Digest {
    if (typeof input === 'string') {
      return input.length === 64 && isHex(input)
        ? new Digest(fromHex(input))
        : new Digest(blake3(utf8(input)));
    }
    if (input.length === 64) {
      let hex = true;
      for (let i = 0; i < 64 && hex; i++) {
        const c = input[i]!;
        hex = (c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
      }
      if (hex) return new Digest(fromHex(String.fromCharCode(...input)));
    }
    return new Digest(blake3(input));
  }

  /** `blake3(bytes)`, unconditionally (no hex sniffing). */
  static hash(bytes: Uint8Array | string): Digest {
    return new Digest(blake3(typeof bytes === 'string' ? utf8(bytes) : bytes));
  }

  /** `blake3(p0 ‖ p1 ‖ …)`: plain concatenation, no length prefixes. */
  static fromParts(parts: Iterable<DigestPart>): Digest {
    return new Digest(blake3(concatBytes(...Array.from(parts, partBytes))));
  }

  /** Zero bytes with byte 31 = `n` (not hashed). */
  static fromU8(n: number): Digest {
    return Digest.#fromUint(n, 1);
  }

  /** Zero bytes with the little-endian `n` in the last 2 bytes (not hashed). */
  static fromU16(n: number): Digest {
    return Digest.#fromUint(n, 2);
  }

  /** Zero bytes with the little-endian `n` in the last 4 bytes (not hashed). */
  static fromU32(n: number): Digest {
    return Digest.#fromUint(n, 4);
  }

  /** Zero bytes with the little-endian `n` in the last 8 bytes (not hashed). */
  static fromU64(n: number | bigint): Digest {
    return Digest.#fromUint(n, 8);
  }

  static #fromUint(n: number | bigint, width: number): Digest {
    if (typeof n === 'number' && !Number.isSafeInteger(n)) {
      throw new InvalidArgumentError(`expected an integer, got ${n}`);
    }
    let v = BigInt(n);
    if (v < 0n || v >= 1n << BigInt(8 * width)) {
      throw new InvalidArgumentError(`${n} does not fit in ${8 * width} unsigned bits`);
    }
    const out = new Uint8Array(32);
    for (let i = 32 - width; i < 32; i++) {
      out[i] = Number(v & 0xffn);
      v >>= 8n;
    }
    return new Digest(out);
  }

  /** 32 random bytes. */
  static random(): Digest {
    return new Digest(randomBytes(32));
  }

  /** 32 zero bytes. */
  static zero(): Digest {
    return new Digest(new Uint8Array(32));
  }

  /** Byte order, for `Array.prototype.sort`. */
  static compare(a: Digest, b: Digest): number {
    return a.compare(b);
  }

  /** True if `value` is a `Digest`. */
  static isDigest(value: unknown): value is Digest {
    return value instanceof Digest;
  }

  /** The child id `blake3(this ‖ info)`: the primitive every derived id uses. */
  derive(info: DigestPart): Digest {
    return new Digest(blake3(concatBytes(this.bytes, partBytes(info))));
  }

  /** `blake3(this)`. */
  hashed(): Digest {
    return new Digest(blake3(this.bytes));
  }

  /** `hex(first n/2 bytes)..hex(last n/2 bytes)` (n = 8 by default). */
  abbreviated(n = 8): string {
    const half = Math.max(1, Math.floor(n / 2));
    const bytes = this.bytes;
    return `${toHex(bytes.subarray(0, half))}..${toHex(bytes.subarray(32 - half))}`;
  }

  [inspect](): string {
    return `Digest(${this.toString()})`;
  }
}

/**
 * The id rule (the same as the Rust implementation's, so both derive equal ids): a string of exactly 64 hex characters (either case) is
 * decoded; anything else is blake3-hashed. Byte input behaves the same (its ASCII is sniffed).
 *
 * ```ts
 * id('mosaik').toString(); // 'b1950ece…15bbe8fb'
 * ```
 */
export function id(input: string | Uint8Array): Digest {
  return Digest.from(input);
}

/** A network's id: `id(networkName)`. Same type as {@link Digest}. */
export type NetworkId = Digest;
/** A role tag, `id("matcher")`. Same type as {@link Digest}. */
export type Tag = Digest;
/** A stream's id, `id(streamName)`. Same type as {@link Digest}. */
export type StreamId = Digest;
/** A consensus group's id. Same type as {@link Digest}. */
export type GroupId = Digest;
/** A collection store's id, `id(collectionName)`. Same type as {@link Digest}. */
export type StoreId = Digest;
/** Any 32-byte unique id. Same type as {@link Digest}. */
export type UniqueId = Digest;
/** A ticket class, e.g. `id("mosaik.tickets.jwt.v1")`. Same type as {@link Digest}. */
export type TicketClass = Digest;
