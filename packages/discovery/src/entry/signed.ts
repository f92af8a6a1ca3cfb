/**
 * `SignedPeerEntry`: the entry's canonical CBOR bytes plus an ed25519
 * signature over blake3(bytes). The signature is checked over the received bytes before they
 * are decoded, so an invalid signed entry never exists in memory.
 */
import { blake3, cborCodec, type PeerId, type SecretKey } from '@mosaik/id';
import { array, bytes, fixedBytes, peerId as readPeerId } from '../check.js';
import { EntryDecodeError, InvalidSecretKeyError, InvalidSignatureError } from '../errors.js';
import { decodeCbor, decodePeerEntry } from './codec.js';
import type { PeerEntry } from './entry.js';

/** Largest entry accepted in bytes (a sanity cap; the gossip cap is smaller). */
export const MAX_ENTRY_BYTES = 256 * 1024;

const cbor = cborCodec<unknown>();

/**
 * The last few entries verified of each signer. ed25519 verification, the blake3 digest and the
 * CBOR decoding all cost more than a lookup, and the same entry arrives again and again (gossip
 * duplicates, catalog syncs, one copy per node when many nodes share a process), so a hit returns
 * the entry decoded the first time. A hit needs the exact same signature and bytes, so a cached
 * verdict cannot vouch for anything else. A few versions per signer: while a new version spreads,
 * the previous one still travels in syncs from nodes that have not heard of the new one yet, and
 * with one entry per signer the two evicted each other (every node of a process checked both
 * again and again). Not every version: keyed by signature, every re-announcement of every peer
 * stayed cached until the cap, thousands of stale versions.
 */
const VERIFIED_CAPACITY = 8192;
const VERSIONS_PER_SIGNER = 4;
const verified = new Map<string, SignedPeerEntry[]>();

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);
}

function cachedVerified(
  signer: string,
  signature: Uint8Array,
  body: Uint8Array,
): SignedPeerEntry | undefined {
  const versions = verified.get(signer);
  if (versions === undefined) return undefined;
  for (let i = versions.length - 1; i >= 0; i--) {
    const known = versions[i] as SignedPeerEntry;
    if (sameBytes(known.signature, signature) && sameBytes(known.bytes, body)) return known;
  }
  return undefined;
}

function rememberVerified(signer: string, entry: SignedPeerEntry): void {
  const versions = verified.get(signer) ?? [];
  // Re-inserted at the end: eviction drops the signers heard from least recently.
  verified.delete(signer);
  if (verified.size >= VERIFIED_CAPACITY) {
    // Insertion order: drop the oldest eighth at once to keep this O(1) amortised.
    let drop = VERIFIED_CAPACITY / 8;
    for (const k of verified.keys()) {
      verified.delete(k);
      if (--drop === 0) break;
    }
  }
  versions.push(entry);
  if (versions.length > VERSIONS_PER_SIGNER) versions.shift();
  verified.set(signer, versions);
}

/** How many signers have verified entries cached (for tests). */
export function verifiedCacheSize(): number {
  return verified.size;
}

/** A peer entry with its owner's signature. */
export class SignedPeerEntry {
  private constructor(
    /** The decoded entry. */
    readonly entry: PeerEntry,
    /** The exact bytes that were signed (canonical CBOR of the entry). */
    readonly bytes: Uint8Array,
    /** ed25519 signature (64 bytes) over blake3(bytes). */
    readonly signature: Uint8Array,
  ) {}

  /**
   * Signs an entry. Only the entry's own peer can sign it.
   * @throws {InvalidSecretKeyError} when the key is not the entry's peer key.
   */
  static sign(entry: PeerEntry, secret: SecretKey): SignedPeerEntry {
    if (!secret.peerId.equals(entry.peerId)) {
      throw new InvalidSecretKeyError(
        `key of ${secret.peerId.short()} cannot sign the entry of ${entry.peerId.short()}`,
      );
    }
    const bytes = entry.encode();
    return new SignedPeerEntry(entry, bytes, secret.sign(blake3(bytes)));
  }

  /**
   * Verifies `signature` by `signer` over `bytes`, then decodes them and checks the entry is
   * `signer`'s own.
   * @throws {InvalidSignatureError} or `EntryDecodeError` (`@mosaik/discovery`).
   */
  static verify(signer: PeerId, entryBytes: Uint8Array, signature: Uint8Array): SignedPeerEntry {
    const body = bytes(entryBytes, 'signed entry bytes', MAX_ENTRY_BYTES);
    const sig = fixedBytes(signature, 64, 'signed entry signature');
    const cacheKey = signer.toString();
    const known = cachedVerified(cacheKey, sig, body);
    if (known !== undefined) return known;
    let ok: boolean;
    try {
      ok = signer.verify(blake3(body), sig);
    } catch {
      ok = false;
    }
    if (!ok) throw new InvalidSignatureError(`entry signature of ${signer.short()} does not verify`);
    const entry = decodePeerEntry(body);
    if (!entry.peerId.equals(signer)) {
      throw new EntryDecodeError(`entry of ${entry.peerId.short()} signed by ${signer.short()}`);
    }
    const signed = new SignedPeerEntry(entry, body, sig);
    rememberVerified(cacheKey, signed);
    return signed;
  }

  /** Validates the wire form `[signer, bytes, signature]` (as found inside other messages). */
  static fromWire(value: unknown): SignedPeerEntry {
    const [signer, body, signature] = array(value, 'signed entry', 3);
    return SignedPeerEntry.verify(
      readPeerId(signer, 'signed entry signer'),
      bytes(body, 'signed entry bytes', MAX_ENTRY_BYTES),
      fixedBytes(signature, 64, 'signed entry signature'),
    );
  }

  /** Decodes standalone CBOR of the wire form. */
  static decode(input: Uint8Array): SignedPeerEntry {
    return SignedPeerEntry.fromWire(decodeCbor(input, 'signed entry'));
  }

  /**
   * Wire form: the signer travels beside the bytes so the signature can be checked before the
   * bytes are decoded; after decoding, the entry must name the same peer.
   */
  toWire(): [Uint8Array, Uint8Array, Uint8Array] {
    return [this.entry.peerId.bytes, this.bytes, this.signature];
  }

  /** CBOR of {@link toWire}. */
  encode(): Uint8Array {
    return cbor.encode(this.toWire());
  }

  get peerId(): PeerId {
    return this.entry.peerId;
  }

  /** Same signed bytes and signature. */
  equals(other: SignedPeerEntry): boolean {
    return Buffer.from(this.bytes).equals(other.bytes) && Buffer.from(this.signature).equals(other.signature);
  }
}
