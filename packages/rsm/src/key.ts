/**
 * The group key: a 32-byte secret shared by the members of a group. It never travels; bonds
 * prove knowledge of it with a MAC over fresh nonces (see `proof.ts`).
 */
import { Digest, type DigestPart } from '@mosaik/id';
import type { TicketValidator } from '@mosaik/tickets';

/** The secret of a group. Two nodes with equal keys (and equal configuration) join the same group. */
export class GroupKey {
  readonly #secret: Digest;

  private constructor(secret: Digest) {
    this.#secret = secret;
  }

  /** A key from a secret: 64 hex characters are decoded, any other string or bytes are blake3-hashed. */
  static fromSecret(secret: string | Uint8Array): GroupKey {
    return new GroupKey(Digest.from(secret));
  }

  /** A key from an existing 32-byte digest, used as is. */
  static fromDigest(secret: Digest): GroupKey {
    return new GroupKey(secret);
  }

  /** A fresh random key (share it out of band). */
  static random(): GroupKey {
    return new GroupKey(Digest.random());
  }

  /** Alias of {@link GroupKey.random} (the reference book's name). */
  static generate(): GroupKey {
    return GroupKey.random();
  }

  /**
   * A key derived from a ticket validator's signature: every node configured with the same
   * validator derives the same key, so authorization alone defines the group.
   */
  static fromValidator(validator: TicketValidator): GroupKey {
    return new GroupKey(validator.signature);
  }

  /** Anything accepted by `withKey`: a key, a digest (the secret), a validator, or a secret string. */
  static from(input: GroupKey | Digest | TicketValidator | string | Uint8Array): GroupKey {
    if (input instanceof GroupKey) return input;
    if (input instanceof Digest) return GroupKey.fromDigest(input);
    if (typeof input === 'string' || input instanceof Uint8Array) return GroupKey.fromSecret(input);
    return GroupKey.fromValidator(input);
  }

  /** The secret itself. Keep it out of logs. */
  secret(): Digest {
    return this.#secret;
  }

  /** Byte equality of the secrets. */
  equals(other: GroupKey): boolean {
    return this.#secret.equals(other.#secret);
  }

  /** `blake3(secret)`: the root of the group id. */
  hashed(): Digest {
    return this.#secret.hashed();
  }

  /** Masked display: first byte, `****`, last byte. */
  toString(): string {
    const hex = this.#secret.toString();
    return `${hex.slice(0, 2)}****${hex.slice(-2)}`;
  }

  toJSON(): string {
    return this.toString();
  }

  /** @internal derive helper for the id computation. */
  derive(part: DigestPart): Digest {
    return this.hashed().derive(part);
  }
}
