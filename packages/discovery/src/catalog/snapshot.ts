/**
 * An immutable view of the catalog. Entries never change inside a snapshot;
 * staleness (`purgeAfter`) and the `maxRtt` filter are evaluated when read, against the
 * current clock and RTT estimates.
 */
import type { NetworkId, PeerId } from '@mosaik/id';
import type { PeerEntry } from '../entry/entry.js';
import type { SignedPeerEntry } from '../entry/signed.js';
import { rttAdmitted } from '../rtt/rtt.js';
import { PeerInfo } from './peer-info.js';

/** What a snapshot needs from its catalog to evaluate filters at read time. */
export interface SnapshotContext {
  now(): number;
  /** How old an entry may be before it is stale, ms: `purgeAfter` plus any grace at this moment. */
  horizonMs(): number;
  readonly maxRttMs: number | undefined;
  rtt(peer: PeerId): number | undefined;
}

/** Immutable catalog contents; iteration is by PeerId bytes, signed entries before unsigned ones. */
export class CatalogSnapshot {
  #signedOrder: SignedPeerEntry[] | undefined;
  #unsignedOrder: PeerEntry[] | undefined;

  /** @internal Built by `Catalog`. */
  constructor(
    private readonly ctx: SnapshotContext,
    /** The local node's signed entry (always present). */
    readonly local: SignedPeerEntry,
    private readonly signedMap: ReadonlyMap<string, SignedPeerEntry>,
    private readonly unsignedMap: ReadonlyMap<string, PeerEntry>,
  ) {}

  get localId(): PeerId {
    return this.local.peerId;
  }

  get networkId(): NetworkId {
    return this.local.entry.network;
  }

  /** Whether an entry is older than the staleness horizon (`purgeAfter`, plus any grace) at `now`. */
  isStale(entry: PeerEntry, now = this.ctx.now(), horizonMs = this.ctx.horizonMs()): boolean {
    return entry.updatedAt < now - horizonMs;
  }

  /** Remote signed (non-stale) and unsigned entries, minus peers whose RTT exceeds `maxRtt`. */
  peers(): PeerEntry[] {
    return [...this.signedPeers().map((s) => s.entry), ...this.unsignedPeers()].filter((e) =>
      this.#rttOk(e.peerId),
    );
  }

  /** Remote non-stale signed entries (no RTT filter). */
  signedPeers(): SignedPeerEntry[] {
    const now = this.ctx.now();
    const horizon = this.ctx.horizonMs();
    return this.#signed().filter((s) => !this.isStale(s.entry, now, horizon));
  }

  /** Unsigned entries (never stale, no RTT filter). */
  unsignedPeers(): PeerEntry[] {
    this.#unsignedOrder ??= sortByKey(this.unsignedMap);
    return this.#unsignedOrder;
  }

  /** Local entry, then remote non-stale signed entries, then unsigned ones. */
  all(): PeerEntry[] {
    return [this.local.entry, ...this.signedPeers().map((s) => s.entry), ...this.unsignedPeers()];
  }

  /** Local and remote non-stale signed entries: what catalog sync sends. */
  allSigned(): SignedPeerEntry[] {
    return [this.local, ...this.signedPeers()];
  }

  /** Signed entry first, then unsigned; `undefined` when stale or above `maxRtt`. */
  get(peer: PeerId): PeerEntry | undefined {
    if (!this.#rttOk(peer)) return undefined;
    return this.getSigned(peer)?.entry ?? this.unsignedMap.get(peer.toString());
  }

  /** Non-stale signed entry of a peer (the local one included), without the RTT filter. */
  getSigned(peer: PeerId): SignedPeerEntry | undefined {
    if (peer.equals(this.local.peerId)) return this.local;
    const s = this.signedMap.get(peer.toString());
    return s === undefined || this.isStale(s.entry) ? undefined : s;
  }

  /** Entry plus RTT, for `require` predicates; same filters as {@link get}. */
  peerInfo(peer: PeerId): PeerInfo | undefined {
    const entry = this.get(peer);
    return entry === undefined ? undefined : new PeerInfo(entry, this.ctx.rtt(peer));
  }

  /** `signedPeers().length`, counted without sorting (metrics read it on every catalog change). */
  signedPeersCount(): number {
    const now = this.ctx.now();
    const horizon = this.ctx.horizonMs();
    let count = 0;
    for (const s of this.signedMap.values()) if (!this.isStale(s.entry, now, horizon)) count++;
    return count;
  }

  /** `all().length - 1`: unsigned entries count, the RTT filter does not apply. */
  peersCount(): number {
    return this.signedPeersCount() + this.unsignedMap.size;
  }

  /** @internal Raw maps, stale entries included (for the catalog's copy-on-write). */
  raw(): { signed: ReadonlyMap<string, SignedPeerEntry>; unsigned: ReadonlyMap<string, PeerEntry> } {
    return { signed: this.signedMap, unsigned: this.unsignedMap };
  }

  #signed(): SignedPeerEntry[] {
    this.#signedOrder ??= sortByKey(this.signedMap);
    return this.#signedOrder;
  }

  #rttOk(peer: PeerId): boolean {
    return rttAdmitted(this.ctx.rtt(peer), this.ctx.maxRttMs);
  }
}

/** Keys are lowercase hex of the PeerId, so string order is byte order. */
function sortByKey<T>(map: ReadonlyMap<string, T>): T[] {
  return [...map.keys()].sort().map((k) => map.get(k) as T);
}
