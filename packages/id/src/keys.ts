/**
 * Peer identity: a {@link PeerId} is an ed25519 public key (iroh's EndpointId), a
 * {@link SecretKey} is the 32-byte ed25519 seed it derives from. Verification is strict
 * (RFC 8032 / no ZIP-215 leniency).
 */
import { ed25519 } from '@noble/curves/ed25519';
import { fromBase32, toBase32 } from './base32.js';
import { equalBytes, fromHex, randomBytes } from './bytes.js';
import { Bytes32 } from './bytes32.js';
import { type Digest, id } from './digest.js';
import {
  type NativePublicKey,
  type NativeSecretKey,
  nativePublicKey,
  nativeSecretKey,
  signEd25519,
  verifyEd25519,
} from './ed25519.js';
import { DecodeError, InvalidArgumentError } from './errors.js';

const inspect = Symbol.for('nodejs.util.inspect.custom');

/**
 * Peer ids already checked to be curve points, by hex. The check decompresses the point (about
 * half a millisecond in JS) and the same few keys arrive again and again (every address the
 * transport reports, every gossip frame); a `PeerId` is immutable, so sharing one is safe.
 */
const VALID_KEYS_CAPACITY = 8192;
const validKeys = new Map<string, PeerId>();

function rememberValid(hex: string, peer: PeerId): void {
  if (validKeys.size >= VALID_KEYS_CAPACITY) {
    // Insertion order: drop the oldest eighth at once, O(1) amortised.
    let drop = VALID_KEYS_CAPACITY / 8;
    for (const k of validKeys.keys()) {
      validKeys.delete(k);
      if (--drop === 0) break;
    }
  }
  validKeys.set(hex, peer);
}
const LOWER_HEX_64 = /^[0-9a-f]{64}$/;

/**
 * A peer's identity: its ed25519 public key (32 bytes, always a valid curve point). Displayed
 * as 64 lowercase hex characters (the canonical form in logs and JWT subjects); {@link PeerId.parse}
 * also accepts the base32 form iroh prints.
 */
export class PeerId extends Bytes32<PeerId> {
  /** Keeps `PeerId` and `Digest` distinct types. */
  declare private readonly peerIdBrand: never;
  /** The key wrapped for native verification, built on first use. */
  #native: NativePublicKey | null = null;

  private constructor(bytes: Uint8Array) {
    super(bytes);
  }

  /**
   * The public key from its 32 bytes (copied). Throws {@link DecodeError} (code
   * `'invalid_peer_id'`) if the length is wrong or the bytes are not a valid ed25519 point.
   */
  static fromBytes(bytes: Uint8Array): PeerId {
    if (bytes.length !== 32)
      throw new DecodeError('invalid_peer_id', `a peer id is 32 bytes, got ${bytes.length}`);
    const hex = Buffer.from(bytes.buffer, bytes.byteOffset, 32).toString('hex');
    const known = validKeys.get(hex);
    if (known !== undefined) return known;
    const copy = Uint8Array.from(bytes);
    try {
      ed25519.Point.fromBytes(copy, false);
    } catch (cause) {
      throw new DecodeError('invalid_peer_id', 'not a valid ed25519 public key', { cause });
    }
    const peer = new PeerId(copy);
    rememberValid(hex, peer);
    return peer;
  }

  /**
   * Parses 64 lowercase hex characters, or unpadded RFC 4648 base32 (case-insensitive, as iroh
   * prints an EndpointId). Uppercase hex is rejected. Throws {@link DecodeError} (`'invalid_peer_id'`).
   */
  static parse(s: string): PeerId {
    if (LOWER_HEX_64.test(s)) return PeerId.fromBytes(fromHex(s));
    if (s.length === 52) {
      let bytes: Uint8Array;
      try {
        bytes = fromBase32(s);
      } catch (cause) {
        throw new DecodeError('invalid_peer_id', `not a peer id: ${JSON.stringify(s)}`, { cause });
      }
      return PeerId.fromBytes(bytes);
    }
    throw new DecodeError(
      'invalid_peer_id',
      'a peer id is 64 lowercase hex characters or 52 base32 characters',
    );
  }

  /** Byte order, for `Array.prototype.sort`. */
  static compare(a: PeerId, b: PeerId): number {
    return a.compare(b);
  }

  /** True if `value` is a `PeerId`. */
  static isPeerId(value: unknown): value is PeerId {
    return value instanceof PeerId;
  }

  /**
   * True if `signature` (64 bytes) is this key's ed25519 signature of `message`. Strict: rejects
   * non-canonical encodings and small-order keys the way RFC 8032 verification does. Never throws.
   */
  verify(message: Uint8Array, signature: Uint8Array): boolean {
    if (this.#native === null) this.#native = nativePublicKey(this.bytes);
    return verifyEd25519(this.bytes, this.#native, message, signature);
  }

  /** Lowercase unpadded base32 (52 characters), the form iroh prints. */
  toBase32(): string {
    return toBase32(this.bytes);
  }

  [inspect](): string {
    return `PeerId(${this.toString()})`;
  }
}

/**
 * An ed25519 secret key, held as its 32-byte seed (the same 32 bytes iroh's `SecretKey.fromBytes`
 * takes, so both derive the same PeerId). It never prints its secret.
 */
export class SecretKey {
  readonly #seed: Uint8Array;
  /** The seed wrapped for native signing, built on first use. */
  #native: NativeSecretKey | null = null;
  #peerId: PeerId | undefined;

  private constructor(seed: Uint8Array) {
    this.#seed = seed;
  }

  /** A fresh random key. */
  static generate(): SecretKey {
    return new SecretKey(randomBytes(32));
  }

  /** The key whose seed is `seed` (exactly 32 bytes, copied). */
  static fromSeed(seed: Uint8Array): SecretKey {
    if (seed.length !== 32)
      throw new InvalidArgumentError(`a secret key seed is 32 bytes, got ${seed.length}`);
    return new SecretKey(Uint8Array.from(seed));
  }

  /** The key whose seed is the digest's bytes (e.g. a DHT slot id). */
  static fromDigest(digest: Digest): SecretKey {
    return new SecretKey(Uint8Array.from(digest.bytes));
  }

  /**
   * The key whose seed is `id(s)`: 64 hex characters are the seed itself, any other string is
   * hashed (the CLI's `--secret` rule). Anyone who knows the string has the key.
   */
  static fromString(s: string): SecretKey {
    return SecretKey.fromDigest(id(s));
  }

  /** A copy of the 32-byte seed. Handle with care. */
  get seed(): Uint8Array {
    return Uint8Array.from(this.#seed);
  }

  /** The public key of this secret key. */
  get peerId(): PeerId {
    this.#peerId ??= PeerId.fromBytes(ed25519.getPublicKey(this.#seed));
    return this.#peerId;
  }

  /** The 64-byte ed25519 signature of `message`. */
  sign(message: Uint8Array): Uint8Array {
    if (this.#native === null) this.#native = nativeSecretKey(this.#seed);
    return signEd25519(this.#seed, this.#native, message);
  }

  /** True if both keys have the same seed. */
  equals(other: SecretKey | null | undefined): boolean {
    return other instanceof SecretKey && equalBytes(this.#seed, other.#seed);
  }

  /** Never the secret: `SecretKey(<peer id>)`. */
  toString(): string {
    return `SecretKey(${this.peerId.short()}…)`;
  }

  /** Never the secret. */
  toJSON(): string {
    return '<redacted>';
  }

  [inspect](): string {
    return this.toString();
  }
}

/** Free-function form of {@link PeerId.verify}. */
export function verifySignature(peer: PeerId, message: Uint8Array, signature: Uint8Array): boolean {
  return peer.verify(message, signature);
}
