/**
 * The catalog: the node's view of all peers. Pure: the clock, the RTT source and the
 * purge timer's scheduler are injected. Every change publishes a new immutable
 * {@link CatalogSnapshot} through a `Watch`; per-peer transitions go to {@link Catalog.events}.
 */
import { type Clock, type PeerId, type SecretKey, Watch } from '@mosaik/id';
import type { GracefulDeparture } from '../entry/departure.js';
import type { PeerEntry } from '../entry/entry.js';
import { SignedPeerEntry } from '../entry/signed.js';
import { compareVersions } from '../entry/version.js';
import { CatalogError } from '../errors.js';
import { type DiscoveryEvent, EventBroadcast } from './events.js';
import { CatalogSnapshot, type SnapshotContext } from './snapshot.js';

/** Outcome of {@link Catalog.upsertSigned}: only a strictly newer version of a remote peer's entry is stored. */
export type UpsertResult = 'new' | 'updated' | 'rejected' | 'outdated' | 'differentNetwork' | 'local';

/** Outcome of {@link Catalog.receiveGossip}: an upsert result, or `drift` (timestamp too far off). */
export type GossipResult = UpsertResult | 'drift';

/**
 * Arms one-shot timers; returns a cancel function: the timer half of `@mosaik/id`'s `Clock`
 * (any `Clock` is a scheduler). The network layer passes its timer set.
 */
export type Scheduler = Pick<Clock, 'schedule'>;

/** Source of smoothed RTTs (an `RttTracker`). */
export interface RttSource {
  get(peer: PeerId): number | undefined;
  remove?(peer: PeerId): boolean;
}

/** Options of a {@link Catalog}. Durations in ms; defaults match the Rust implementation, so mixed networks age peers alike. */
export interface CatalogOptions {
  /** The local node's signed entry. */
  readonly local: SignedPeerEntry;
  /** Staleness horizon. Default 300 000. */
  readonly purgeAfterMs?: number;
  /** Gossip entry/departure timestamp tolerance, both directions. Default 50 000. */
  readonly maxTimeDriftMs?: number;
  /** Peers with a larger smoothed RTT are hidden from `peers()`/`get()`. Default none. */
  readonly maxRttMs?: number;
  /** Event backlog per subscriber. Default 100. */
  readonly eventsBacklog?: number;
  /** Clock, ms since the epoch. Default `Date.now`. */
  readonly now?: () => number;
  /** RTT estimates; purge and departure forget the peer's state in it. */
  readonly rtt?: RttSource;
  /** When given, the catalog keeps its own purge timer armed to the earliest expiry. */
  readonly scheduler?: Scheduler;
  /**
   * Extra time before an entry counts as stale, read at every judgement (discovery passes the
   * slack its own lateness earns peers: see `local-lag.ts`). Default none.
   */
  readonly purgeGraceMs?: () => number;
}

/** The local catalog of peers. */
export class Catalog {
  /** Latest snapshot plus change notification (intermediate values may be skipped). */
  readonly watch: Watch<CatalogSnapshot>;
  /** `peerDiscovered` / `peerUpdated` / `peerDeparted`; never for the local node, insert, remove or feed. */
  readonly events: EventBroadcast<DiscoveryEvent>;
  readonly purgeAfterMs: number;
  readonly maxTimeDriftMs: number;
  readonly #ctx: SnapshotContext;
  readonly #now: () => number;
  readonly #rtt: RttSource | undefined;
  readonly #scheduler: Scheduler | undefined;
  readonly #purgeGrace: () => number;
  #cancelPurge: (() => void) | undefined;
  /** When the armed purge timer fires, ms since the epoch. */
  #purgeDue: number | undefined;
  #closed = false;
  /**
   * Peers that departed gracefully: the signed departure, kept for `purgeAfterMs`. Copies of
   * their entries still travelling (a sync answer, a relayed heartbeat) are refused up to its
   * version, so a departure is not undone by the peer's own last announcements; a restart of the
   * peer carries a newer version and is accepted. The departures themselves travel with catalog
   * sync, so a node that missed the broadcast learns of them from any peer it syncs with.
   */
  readonly #departed = new Map<string, { readonly departure: GracefulDeparture; readonly until: number }>();

  constructor(options: CatalogOptions) {
    this.purgeAfterMs = options.purgeAfterMs ?? 300_000;
    this.maxTimeDriftMs = options.maxTimeDriftMs ?? 50_000;
    this.#now = options.now ?? Date.now;
    this.#rtt = options.rtt;
    this.#scheduler = options.scheduler;
    this.#purgeGrace = options.purgeGraceMs ?? (() => 0);
    const rtt = options.rtt;
    this.#ctx = {
      now: this.#now,
      horizonMs: () => this.horizonMs(),
      maxRttMs: options.maxRttMs,
      rtt: (peer) => rtt?.get(peer),
    };
    this.events = new EventBroadcast(options.eventsBacklog ?? 100);
    this.watch = new Watch(new CatalogSnapshot(this.#ctx, options.local, new Map(), new Map()));
    this.#armPurge();
  }

  /** The current snapshot. */
  snapshot(): CatalogSnapshot {
    return this.watch.get();
  }

  /** The local signed entry. */
  get local(): SignedPeerEntry {
    return this.snapshot().local;
  }

  // ---- signed entries ----

  /**
   * Stores `signed` when it is new or strictly newer than the stored version and never replaces the
   * local entry; no event. Future timestamps are accepted here (drift is a gossip check).
   */
  upsertSigned(signed: SignedPeerEntry): UpsertResult {
    const { result, snapshot } = this.#upsert(this.snapshot(), signed);
    if (snapshot !== this.snapshot()) this.#publish(snapshot);
    return result;
  }

  /** `feed` of the public API: upsert, `true` when new or updated. No event, no sync. */
  feed(signed: SignedPeerEntry): boolean {
    const r = this.upsertSigned(signed);
    return r === 'new' || r === 'updated';
  }

  /**
   * An entry received by gossip: checks the network and the time drift (both directions),
   * upserts, and publishes `peerDiscovered`/`peerUpdated`.
   */
  receiveGossip(signed: SignedPeerEntry): { readonly result: GossipResult; readonly event?: DiscoveryEvent } {
    if (!signed.entry.network.equals(this.local.entry.network)) return { result: 'differentNetwork' };
    if (!this.withinDrift(signed.entry.updatedAt)) return { result: 'drift' };
    const result = this.upsertSigned(signed);
    const event = eventFor(result, signed);
    if (event !== undefined) this.events.publish(event);
    if (event !== undefined) this.#armPurgeFor(signed.entry.updatedAt);
    return event === undefined ? { result } : { result, event };
  }

  /**
   * Merges a catalog-sync snapshot: upserts every non-local entry
   * and publishes an event per new or updated peer. One snapshot publish for the whole batch.
   */
  mergeSnapshot(entries: Iterable<SignedPeerEntry>): DiscoveryEvent[] {
    const snap = this.snapshot();
    const { signed, unsigned } = snap.raw();
    // One copy of each map for the whole batch (a copy per entry made a merge O(entries × catalog)).
    let nextSigned: Map<string, SignedPeerEntry> | undefined;
    let nextUnsigned: Map<string, PeerEntry> | undefined;
    const events: DiscoveryEvent[] = [];
    for (const incoming of entries) {
      const key = incoming.peerId.toString();
      const result = this.#judge(snap, nextSigned ?? signed, incoming);
      if (result !== 'local' && result !== 'differentNetwork' && result !== 'outdated') {
        if ((nextUnsigned ?? unsigned).has(key)) {
          nextUnsigned ??= new Map(unsigned);
          nextUnsigned.delete(key);
        }
      }
      if (result !== 'new' && result !== 'updated') continue;
      nextSigned ??= new Map(signed);
      nextSigned.set(key, incoming);
      const event = eventFor(result, incoming);
      if (event !== undefined) events.push(event);
    }
    if (nextSigned !== undefined || nextUnsigned !== undefined) {
      this.#publish(
        new CatalogSnapshot(this.#ctx, snap.local, nextSigned ?? signed, nextUnsigned ?? unsigned),
      );
    }
    for (const e of events) this.events.publish(e);
    this.#armPurge();
    return events;
  }

  /**
   * A verified graceful departure: ignored when outside the drift window, of another network,
   * or older than the entry we hold; otherwise the peer is removed at once (`peerDeparted`).
   */
  applyDeparture(departure: GracefulDeparture): DiscoveryEvent | undefined {
    const snap = this.snapshot();
    if (!departure.network.equals(snap.networkId) || departure.peerId.equals(snap.localId)) return undefined;
    if (!this.withinDrift(departure.timestampMs)) return undefined;
    const { signed, unsigned } = snap.raw();
    const key = departure.peerId.toString();
    const known = signed.get(key);
    if (known === undefined || compareVersions(departure.lastVersion, known.entry.version) < 0)
      return undefined;
    this.#forgetDepartures();
    this.#departed.delete(key); // re-inserted last: the map stays oldest first
    this.#departed.set(key, { departure, until: this.#now() + this.purgeAfterMs });
    const next = new Map(signed);
    next.delete(key);
    this.#publish(new CatalogSnapshot(this.#ctx, snap.local, next, unsigned));
    this.#rtt?.remove?.(departure.peerId);
    const event: DiscoveryEvent = { type: 'peerDeparted', peerId: departure.peerId };
    this.events.publish(event);
    this.#armPurge();
    return event;
  }

  /** Removes every stale remote signed entry; publishes and returns a `peerDeparted` per peer. */
  purgeStale(): DiscoveryEvent[] {
    const snap = this.snapshot();
    const now = this.#now();
    const { signed, unsigned } = snap.raw();
    const horizon = this.horizonMs();
    const gone = [...signed.values()].filter((s) => snap.isStale(s.entry, now, horizon));
    const events: DiscoveryEvent[] = [];
    if (gone.length > 0) {
      const next = new Map(signed);
      for (const s of gone) {
        next.delete(s.peerId.toString());
        this.#rtt?.remove?.(s.peerId);
        events.push({ type: 'peerDeparted', peerId: s.peerId });
      }
      this.#publish(new CatalogSnapshot(this.#ctx, snap.local, next, unsigned));
      for (const e of events) this.events.publish(e);
    }
    this.#armPurge();
    return events;
  }

  /** How old an entry may be now before it is stale: `purgeAfter` plus the current grace. */
  horizonMs(): number {
    return this.purgeAfterMs + Math.max(0, this.#purgeGrace());
  }

  /** Delay until the earliest remote signed entry turns stale, capped at `purgeAfter`, ≥ 0. */
  nextPurgeDelay(): number {
    const now = this.#now();
    const horizon = this.horizonMs();
    let delay = this.purgeAfterMs;
    for (const s of this.snapshot().raw().signed.values()) {
      delay = Math.min(delay, s.entry.updatedAt + horizon - now);
    }
    // +1: staleness is strict (`updatedAt < now - purgeAfter`), so fire just past the edge.
    return Math.max(0, delay + 1);
  }

  /** `|now − timestampMs| ≤ maxTimeDrift`. */
  withinDrift(timestampMs: number): boolean {
    return Math.abs(this.#now() - timestampMs) <= this.maxTimeDriftMs;
  }

  // ---- unsigned entries (local-only, no events) ----

  /**
   * Inserts or replaces an unsigned entry. Refused for the local peer, another network, or a
   * peer with a signed entry. A signed entry is accepted and stored unsigned.
   */
  insertUnsigned(input: PeerEntry | SignedPeerEntry): boolean {
    const entry = input instanceof SignedPeerEntry ? input.entry : input;
    const snap = this.snapshot();
    if (entry.peerId.equals(snap.localId) || !entry.network.equals(snap.networkId)) return false;
    const { signed, unsigned } = snap.raw();
    const key = entry.peerId.toString();
    if (signed.has(key)) return false;
    const next = new Map(unsigned);
    next.set(key, entry);
    this.#publish(new CatalogSnapshot(this.#ctx, snap.local, signed, next));
    return true;
  }

  /** Removes an unsigned entry only. */
  removeUnsigned(peer: PeerId): boolean {
    const snap = this.snapshot();
    const { signed, unsigned } = snap.raw();
    if (!unsigned.has(peer.toString())) return false;
    const next = new Map(unsigned);
    next.delete(peer.toString());
    this.#publish(new CatalogSnapshot(this.#ctx, snap.local, signed, next));
    return true;
  }

  /** Removes all unsigned entries; `true` if there were any. */
  clearUnsigned(): boolean {
    const snap = this.snapshot();
    const { signed, unsigned } = snap.raw();
    if (unsigned.size === 0) return false;
    this.#publish(new CatalogSnapshot(this.#ctx, snap.local, signed, new Map()));
    return true;
  }

  // ---- the local entry ----

  /**
   * Applies `change` to the local entry, **always** bumps the version, re-signs and stores it
   * (behind the public tag and ticket API: peers must see every change as a newer version). Returns the new signed entry.
   */
  updateLocal(change: (entry: PeerEntry) => PeerEntry, secret: SecretKey): SignedPeerEntry {
    const now = this.#now();
    const next = change(this.local.entry).incrementVersion(now);
    return this.#setLocal(SignedPeerEntry.sign(next, secret));
  }

  /**
   * Applies `change` and re-signs only if it grew the version (the worker's internal updater:
   * stream/group registration, address changes). Returns the (possibly unchanged) entry.
   */
  updateLocalIfChanged(change: (entry: PeerEntry) => PeerEntry, secret: SecretKey): SignedPeerEntry {
    const current = this.local.entry;
    const next = change(current);
    if (!next.isNewerThan(current)) return this.local;
    return this.#setLocal(SignedPeerEntry.sign(next, secret));
  }

  /**
   * The ping reply: the local entry re-signed one version up, **not** stored, so the asker gets a
   * fresh entry without this node's own version racing ahead. `refresh` lets the reply carry
   * state that changes too often to re-announce on every change (the network coordinate).
   */
  pingReply(secret: SecretKey, refresh: (entry: PeerEntry) => PeerEntry = (e) => e): SignedPeerEntry {
    return SignedPeerEntry.sign(refresh(this.local.entry).incrementVersion(this.#now()), secret);
  }

  /** Stops the purge timer and ends event subscriptions. */
  close(): void {
    this.#closed = true;
    this.#cancelPurge?.();
    this.#cancelPurge = undefined;
    this.#purgeDue = undefined;
    this.events.close();
  }

  #setLocal(signed: SignedPeerEntry): SignedPeerEntry {
    const snap = this.snapshot();
    if (!signed.peerId.equals(snap.localId))
      throw new CatalogError('the local entry must stay the local peer’s');
    const { signed: s, unsigned } = snap.raw();
    this.#publish(new CatalogSnapshot(this.#ctx, signed, s, unsigned));
    return signed;
  }

  #upsert(
    snap: CatalogSnapshot,
    incoming: SignedPeerEntry,
  ): { result: UpsertResult; snapshot: CatalogSnapshot } {
    const { signed, unsigned } = snap.raw();
    const result = this.#judge(snap, signed, incoming);
    if (result === 'local' || result === 'differentNetwork' || result === 'outdated') {
      return { result, snapshot: snap };
    }
    const key = incoming.peerId.toString();
    const nextUnsigned = unsigned.has(key) ? withoutKey(unsigned, key) : unsigned;
    if (result === 'rejected') {
      return {
        result,
        snapshot:
          nextUnsigned === unsigned ? snap : new CatalogSnapshot(this.#ctx, snap.local, signed, nextUnsigned),
      };
    }
    const nextSigned = new Map(signed);
    nextSigned.set(key, incoming);
    return { result, snapshot: new CatalogSnapshot(this.#ctx, snap.local, nextSigned, nextUnsigned) };
  }

  /** What storing `incoming` over `signed` would be; changes nothing. */
  #judge(
    snap: CatalogSnapshot,
    signed: ReadonlyMap<string, SignedPeerEntry>,
    incoming: SignedPeerEntry,
  ): UpsertResult {
    const entry = incoming.entry;
    if (entry.peerId.equals(snap.localId)) return 'local';
    if (!entry.network.equals(snap.networkId)) return 'differentNetwork';
    if (snap.isStale(entry)) return 'outdated';
    const key = entry.peerId.toString();
    if (this.#departedAt(key, entry)) return 'outdated';
    const existing = signed.get(key);
    // A stale entry that was not purged yet is invisible: its return counts as a discovery.
    if (existing === undefined || snap.isStale(existing.entry)) return 'new';
    if (entry.isNewerThan(existing.entry)) return 'updated';
    return 'rejected';
  }

  /** Whether `entry` is a copy from before its peer's graceful departure. */
  #departedAt(key: string, entry: PeerEntry): boolean {
    const departed = this.#departed.get(key);
    if (departed === undefined) return false;
    if (departed.until <= this.#now()) {
      this.#departed.delete(key);
      return false;
    }
    return compareVersions(entry.version, departed.departure.lastVersion) <= 0;
  }

  /**
   * The graceful departures applied within the last `purgeAfterMs` whose peers have not come
   * back since (a restart carries a newer version), newest first, at most `limit`.
   */
  departures(limit = Number.POSITIVE_INFINITY): GracefulDeparture[] {
    this.#forgetDepartures();
    const signed = this.snapshot().raw().signed;
    const out: GracefulDeparture[] = [];
    for (const { departure } of [...this.#departed.values()].reverse()) {
      if (out.length >= limit) break;
      if (!signed.has(departure.peerId.toString())) out.push(departure);
    }
    return out;
  }

  /** Whether `peer` departed gracefully within `purgeAfterMs` and has not come back since. */
  hasDeparted(peer: PeerId): boolean {
    const key = peer.toString();
    const departed = this.#departed.get(key);
    return departed !== undefined && departed.until > this.#now() && !this.snapshot().raw().signed.has(key);
  }

  #forgetDepartures(): void {
    const now = this.#now();
    for (const [key, d] of this.#departed) if (d.until <= now) this.#departed.delete(key);
  }

  #publish(snapshot: CatalogSnapshot): void {
    this.watch.set(snapshot);
  }

  #armPurge(): void {
    if (this.#scheduler === undefined || this.#closed) return;
    this.#cancelPurge?.();
    const delay = this.nextPurgeDelay();
    this.#purgeDue = this.#now() + delay;
    this.#cancelPurge = this.#scheduler.schedule(delay, () => {
      this.#cancelPurge = undefined;
      this.#purgeDue = undefined;
      this.purgeStale();
    });
  }

  /**
   * Re-arms the purge timer after one entry of `updatedAt` was stored, unless the armed timer
   * fires before that entry can turn stale. A stored entry only moves its peer's expiry later, so
   * an armed timer is at worst early (the purge then finds nothing and re-arms): the scan of the
   * whole catalog is skipped for the heartbeat of every peer.
   */
  #armPurgeFor(updatedAt: number): void {
    if (this.#purgeDue !== undefined && this.#purgeDue <= updatedAt + this.horizonMs() + 1) return;
    this.#armPurge();
  }
}

function eventFor(result: UpsertResult, signed: SignedPeerEntry): DiscoveryEvent | undefined {
  if (result === 'new') return { type: 'peerDiscovered', entry: signed.entry };
  if (result === 'updated') return { type: 'peerUpdated', entry: signed.entry };
  return undefined;
}

function withoutKey<T>(map: ReadonlyMap<string, T>, key: string): Map<string, T> {
  const next = new Map(map);
  next.delete(key);
  return next;
}
