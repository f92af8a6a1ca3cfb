/** Typed errors of the discovery package; each has a stable `code`. */
import { DecodeError, MosaikError } from '@mosaik/id';

/** Every code the main entry of `@mosaik/discovery` raises (the DHT subpath has `DhtErrorCode`). */
export type DiscoveryErrorCode =
  | 'discovery_decode'
  | 'discovery_invalid_signature'
  | 'discovery_invalid_secret_key'
  | 'discovery_peer_id_changed'
  | 'discovery_catalog'
  | 'discovery_gossip_payload_too_large'
  | 'discovery_invalid_coordinate'
  | 'exchange_rejected';

/** Bytes that are not a valid discovery structure (CBOR, shape, canonical form or signature). */
export class EntryDecodeError extends DecodeError<'discovery_decode'> {
  constructor(message: string, options?: { cause?: unknown }) {
    super('discovery_decode', message, options);
  }
}

/** A signature that does not verify over the received bytes. */
export class InvalidSignatureError extends DecodeError<'discovery_invalid_signature'> {
  constructor(message: string) {
    super('discovery_invalid_signature', message);
  }
}

/** Signing an entry with a key that is not the entry's own peer key. */
export class InvalidSecretKeyError extends MosaikError<'discovery_invalid_secret_key'> {
  constructor(message: string) {
    super('discovery_invalid_secret_key', message);
  }
}

/** `updateAddress` with an address of another peer. */
export class PeerIdChangedError extends MosaikError<'discovery_peer_id_changed'> {
  constructor(message: string) {
    super('discovery_peer_id_changed', message);
  }
}

/** Misuse of the catalog API (e.g. replacing the local entry with another peer's). */
export class CatalogError extends MosaikError<'discovery_catalog'> {
  constructor(message: string) {
    super('discovery_catalog', message);
  }
}

/** `broadcast` of a payload above the gossip cap (the caller should announce a header instead). */
export class GossipPayloadTooLargeError extends MosaikError<'discovery_gossip_payload_too_large'> {
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

/**
 * A network coordinate, RTT sample, region or location out of range: NaN, an infinity, a
 * negative RTT, a latitude beyond ±90°, a region name that is too long.
 */
export class InvalidCoordinateError extends MosaikError<'discovery_invalid_coordinate'> {
  constructor(message: string) {
    super('discovery_invalid_coordinate', message);
  }
}
