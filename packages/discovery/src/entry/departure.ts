/**
 * Graceful departure: a signed, time-stamped "I am leaving" that removes the peer
 * from other catalogs at once instead of after `purgeAfter`. Signed as bytes like entries.
 */
import { blake3, encodeCanonical, type NetworkId, type PeerId, type SecretKey } from '@mosaik/id';
import { array, bytes, digest, fixedBytes, int, peerId as readPeerId, string } from '../check.js';
import { EntryDecodeError, InvalidSignatureError } from '../errors.js';
import { decodeCbor } from './codec.js';
import type { PeerEntryVersion } from './version.js';

/** Domain separator: a departure signature can never pass as an entry signature. */
const DOMAIN = 'mosaik/discovery/departure/1';

/** A verified graceful departure. */
export class GracefulDeparture {
  private constructor(
    readonly network: NetworkId,
    readonly peerId: PeerId,
    /** Version of the last entry the peer published; older departures lose to newer entries. */
    readonly lastVersion: PeerEntryVersion,
    /** When the peer left, ms since the epoch (checked against `maxTimeDrift`). */
    readonly timestampMs: number,
    readonly bytes: Uint8Array,
    readonly signature: Uint8Array,
  ) {}

  /** Creates and signs a departure for `secret`'s own peer. */
  static create(
    secret: SecretKey,
    network: NetworkId,
    lastVersion: PeerEntryVersion,
    nowMs = Date.now(),
  ): GracefulDeparture {
    const body = encodeCanonical([
      DOMAIN,
      network.bytes,
      secret.peerId.bytes,
      [lastVersion.startMs, lastVersion.updateMs],
      Math.floor(nowMs),
    ]);
    return new GracefulDeparture(
      network,
      secret.peerId,
      lastVersion,
      Math.floor(nowMs),
      body,
      secret.sign(blake3(body)),
    );
  }

  /** Verifies the signature over `body` first, then decodes it. */
  static verify(signer: PeerId, body: Uint8Array, signature: Uint8Array): GracefulDeparture {
    const b = bytes(body, 'departure bytes', 1024);
    const sig = fixedBytes(signature, 64, 'departure signature');
    let ok = false;
    try {
      ok = signer.verify(blake3(b), sig);
    } catch {
      ok = false;
    }
    if (!ok) throw new InvalidSignatureError(`departure signature of ${signer.short()} does not verify`);
    const [domain, network, id, version, ts] = array(decodeCbor(b, 'departure'), 'departure', 5);
    if (string(domain, 'departure.domain', 64) !== DOMAIN)
      throw new EntryDecodeError('departure: wrong domain');
    const peer = readPeerId(id, 'departure.peer');
    if (!peer.equals(signer))
      throw new EntryDecodeError(`departure of ${peer.short()} signed by ${signer.short()}`);
    const [start, update] = array(version, 'departure.version', 2);
    return new GracefulDeparture(
      digest(network, 'departure.network'),
      peer,
      { startMs: int(start, 'departure.version.start'), updateMs: int(update, 'departure.version.update') },
      int(ts, 'departure.timestamp'),
      b,
      sig,
    );
  }

  /** Validates the wire form `[signer, bytes, signature]`. */
  static fromWire(value: unknown): GracefulDeparture {
    const [signer, body, signature] = array(value, 'departure', 3);
    return GracefulDeparture.verify(
      readPeerId(signer, 'departure signer'),
      bytes(body, 'departure bytes', 1024),
      fixedBytes(signature, 64, 'departure signature'),
    );
  }

  toWire(): [Uint8Array, Uint8Array, Uint8Array] {
    return [this.peerId.bytes, this.bytes, this.signature];
  }
}
