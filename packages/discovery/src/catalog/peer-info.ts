/** `PeerInfo`: an entry plus its smoothed RTT, as seen by `require` predicates. */
import type { Digest, NetworkId, PeerId } from '@mosaik/id';
import type { PeerEntry } from '../entry/entry.js';
import { rttBelow } from '../rtt/rtt.js';

/** A peer entry with the local node's RTT estimate for it. */
export class PeerInfo {
  constructor(
    readonly entry: PeerEntry,
    /** Smoothed RTT in ms, or `undefined` when never measured. */
    readonly rtt: number | undefined,
  ) {}

  get peerId(): PeerId {
    return this.entry.peerId;
  }

  get network(): NetworkId {
    return this.entry.network;
  }

  get tags(): readonly Digest[] {
    return this.entry.tags;
  }

  get streams(): readonly Digest[] {
    return this.entry.streams;
  }

  get groups(): readonly Digest[] {
    return this.entry.groups;
  }

  /** `true` when the RTT is unknown or strictly below `limitMs`. */
  rttBelow(limitMs: number): boolean {
    return rttBelow(this.rtt, limitMs);
  }
}
