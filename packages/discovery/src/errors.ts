/** Typed errors of the discovery package; each has a stable `code`. */
import { DecodeError, MosaikError } from '@mosaik/id';

/** Bytes that are not a valid discovery structure (CBOR, shape, canonical form or signature). */
export class EntryDecodeError extends DecodeError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('discovery_decode', message, options);
  }
}

/** A signature that does not verify over the received bytes. */
export class InvalidSignatureError extends DecodeError {
  constructor(message: string) {
    super('discovery_invalid_signature', message);
  }
}

/** Signing an entry with a key that is not the entry's own peer key. */
export class InvalidSecretKeyError extends MosaikError {
  constructor(message: string) {
    super('discovery_invalid_secret_key', message);
  }
}

/** `updateAddress` with an address of another peer. */
export class PeerIdChangedError extends MosaikError {
  constructor(message: string) {
    super('discovery_peer_id_changed', message);
  }
}

/** Misuse of the catalog API (e.g. replacing the local entry with another peer's). */
export class CatalogError extends MosaikError {
  constructor(message: string) {
    super('discovery_catalog', message);
  }
}

/** `broadcast` of a payload above the gossip cap (the caller should announce a header instead). */
export class GossipPayloadTooLargeError extends MosaikError {
  constructor(
    readonly size: number,
    readonly max: number,
  ) {
    super(
      'discovery_gossip_payload_too_large',
      `gossip payload of ${size} bytes exceeds the ${max}-byte cap`,
    );
  }
}
