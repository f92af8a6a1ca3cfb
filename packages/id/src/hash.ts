/** blake3 helpers on `@noble/hashes`. */
import { blake3 as nobleBlake3 } from '@noble/hashes/blake3';
import { InvalidArgumentError } from './errors.js';

/** An incremental blake3 hasher (`update(bytes)` any number of times, then `digest()`). */
export interface Blake3Hasher {
  update(data: Uint8Array): Blake3Hasher;
  digest(): Uint8Array;
}

/** blake3 of `data`: 32 bytes (or `outputLength` bytes of extended output). */
export function blake3(data: Uint8Array, outputLength = 32): Uint8Array {
  return outputLength === 32 ? nobleBlake3(data) : nobleBlake3(data, { dkLen: outputLength });
}

/**
 * Keyed blake3 (a MAC): `key` must be exactly 32 bytes. Compare MACs with `constantTimeEqual`.
 */
export function blake3Keyed(key: Uint8Array, data: Uint8Array): Uint8Array {
  if (key.length !== 32) throw new InvalidArgumentError(`blake3 key must be 32 bytes, got ${key.length}`);
  return nobleBlake3(data, { key });
}

/** blake3 key derivation: a 32-byte key from a context string (fixed per purpose) and key material. */
export function blake3DeriveKey(context: string, material: Uint8Array): Uint8Array {
  return nobleBlake3(material, { context });
}

/** A new incremental hasher; `key` (32 bytes) makes it keyed. */
export function blake3Hasher(options: { key?: Uint8Array } = {}): Blake3Hasher {
  if (options.key !== undefined && options.key.length !== 32) {
    throw new InvalidArgumentError(`blake3 key must be 32 bytes, got ${options.key.length}`);
  }
  const h = nobleBlake3.create(options.key === undefined ? {} : { key: options.key });
  const wrapper: Blake3Hasher = {
    update(data) {
      h.update(data);
      return wrapper;
    },
    digest: () => h.digest(),
  };
  return wrapper;
}
