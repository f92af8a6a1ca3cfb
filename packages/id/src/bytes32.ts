/**
 * The value part that `Digest` and `PeerId` share: exactly 32 bytes with byte
 * equality, byte order and a cached lowercase hex display. Internal to `@mosaik/id` (not exported
 * from the package index): `Self` is the concrete class, so a `Digest` compares only with a
 * `Digest` and a `PeerId` only with a `PeerId`.
 */
import { compareBytes, equalBytes, toHex } from './bytes.js';

/** Exactly 32 bytes, compared by value. Subclasses check the length and keep the constructor private. */
export abstract class Bytes32<Self extends Bytes32<Self>> {
  readonly #bytes: Uint8Array;
  #hex: string | undefined;

  protected constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
  }

  /** The 32 bytes (the internal array: do not mutate). */
  get bytes(): Uint8Array {
    return this.#bytes;
  }

  /** Byte equality; always false for a value of another class. */
  equals(other: Self | null | undefined): boolean {
    if (!(other instanceof this.constructor)) return false;
    const that: Bytes32<Self> = other;
    return that === this || equalBytes(this.#bytes, that.#bytes);
  }

  /** Byte order: negative, zero or positive. */
  compare(other: Self): number {
    return compareBytes(this.#bytes, other.#bytes);
  }

  /** Full lowercase hex (64 characters): the canonical display form. */
  toString(): string {
    this.#hex ??= toHex(this.#bytes);
    return this.#hex;
  }

  /** Hex of the first 5 bytes (10 characters): logs and metric labels (e.g. `network`). */
  short(): string {
    return this.toString().slice(0, 10);
  }

  /** JSON form: the full hex string. */
  toJSON(): string {
    return this.toString();
  }
}
