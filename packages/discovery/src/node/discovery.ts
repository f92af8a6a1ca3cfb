/**
 * The discovery worker of one node: gossip of signed entries over the announce
 * adapter, catalog sync, ping/RTT probes, re-announce heartbeat, purge, graceful departure,
 * address sources, metrics, and the public API that `network.discovery` exposes.
 */
import {
  type Clock,
  type Digest,
  linkSignals,
  PeerId,
  systemClock,
  type UniqueId,
  type Watch,
} from '@mosaik/id';
import type { Logger } from '@mosaik/metrics';
import type { Ticket } from '@mosaik/tickets';
import { CloseCode, type EndpointAddr, type Link, type LocalNode } from '@mosaik/transport';
import { Catalog } from '../catalog/catalog.js';
import type { DiscoveryEvent, Lagged } from '../catalog/events.js';
import type { CatalogSnapshot } from '../catalog/snapshot.js';
import { CoordinateTracker } from '../coordinates/tracker.js';
import { initialCoordinate, type NetworkCoordinate } from '../coordinates/vivaldi.js';
import { GracefulDeparture } from '../entry/departure.js';
import { type PeerAddress, PeerEntry } from '../entry/entry.js';
import { SignedPeerEntry } from '../entry/signed.js';
import { compareVersions, type PeerEntryVersion } from '../entry/version.js';
import {
  type Announcement,
  AnnouncementType,
  decodeAnnouncement,
  encodeAnnouncement,
  entryAnnouncement,
} from '../protocol/announce.js';
import { RttTracker } from '../rtt/rtt.js';
import { AnnounceAdapter, silentNeighborMs } from './announce.js';
import {
  ANTI_ENTROPY_MS,
  ANTI_ENTROPY_SETTLING_MS,
  antiEntropyMeanMs,
  bringForward,
} from './anti-entropy.js';
import { type DiscoveryConfig, jittered, resolveConfig, tagDigests } from './config.js';
import {
  acceptPing,
  acceptSnapshotSync,
  acceptSync,
  type ExchangeContext,
  PING_ALPN,
  type PingResult,
  ping,
  SYNC_ALPN,
  SYNC_DELTA_ALPN,
  syncWith,
} from './exchange.js';
import { IsolationPolicy } from './isolation.js';
import { DiscoveryMetrics, rejectReasonOf, syncFailureOf } from './metrics.js';
import { probeRound } from './probe.js';
import { entriesToRelay } from './relay.js';
import { Timers } from './timers.js';

const SYNC_RETRIES = 3;
/** Catalog syncs a node serves at once; more are refused with `Busy` (see `#serveSync`). @internal */
export const MAX_SERVED_SYNCS = 16;
/**
 * A node that learns of a new peer passes it on with one sync right away (at most one such sync
 * per this gap): a newcomer, or a peer restarted after a failure, reaches the nodes its gossip
 * missed epidemically, in a few sync rounds instead of waiting for the periodic anti-entropy.
 * Peers learned during the gap are passed on by one more sync at its end, so a burst of
 * discoveries (a quarter of the swarm restarting together) is not cut to its first one.
 */
const SPREAD_GAP_MS = 500;
/** Anti-entropy and spread syncs start only while fewer syncs than this run (see `#syncWithRandomPeer`). */
const BACKGROUND_SYNC_SLOTS = 2;
/** Window over which neighbour-ups share one re-announce. */
const NEIGHBOR_BUMP_DELAY_MS = 100;
/**
 * Re-announces for a first neighbour (see `#queueBump`) are spaced by a gap that starts here and
 * doubles with each one, up to {@link NEIGHBOR_BUMP_MAX_GAP_MS}: a node whose only link keeps
 * failing would otherwise sign a version, which every node of the swarm receives and checks, each
 * time it comes back.
 */
const NEIGHBOR_BUMP_MIN_GAP_MS = 1_000;
const NEIGHBOR_BUMP_MAX_GAP_MS = 16_000;
/** A quiet spell this long (no re-announce) brings the gap back to its minimum. */
const NEIGHBOR_BUMP_RESET_MS = 2 * NEIGHBOR_BUMP_MAX_GAP_MS;
const SYNC_RETRY_BASE_MS = 200;
/** Backoff of re-joining while we have no neighbour: from 500 ms, doubling, capped. */
const REJOIN_MIN_MS = 500;
/** How often the node's own address is compared with its entry (changes must spread in well under a second). */
const ADDRESS_POLL_MS = 250;
/**
 * An isolated node is useless, and a Join costs its targets one message each, so the backoff
 * stays short: a node whose first attempts were lost to an overloaded seed recovers within
 * seconds instead of waiting out a long backoff.
 */
const REJOIN_MAX_MS = 4_000;
/** Contacts of one rejoin: two, so that one dead or overloaded contact does not cost a round. */
const REJOIN_CONTACTS = 2;
/** Most peers one RTT probe round pings: a bounded number of handshakes per node per round. */
const RTT_PROBES_PER_ROUND = 16;
/**
 * Liveness pings before a purge started per freshness tick, and at most running at once. Not the
 * sync slots: after a crash the dead peers all turn due together, and each of their pings waits
 * until it times out (up to a third of `purgeAfter`), so with a few slots a live peer whose
 * heartbeats were lost while the overlay repaired waited behind them and was purged. What costs is
 * starting a ping (a handshake; a starved node finds every peer near stale), not waiting on one
 * to a dead peer, so the starts are bounded per tick and the running ones only loosely.
 */
const CONFIRM_STARTS_PER_TICK = 8;
const CONFIRM_MAX_RUNNING = 64;
/** Most entries of new runs one sync's merge broadcasts on their peers' behalf (see `relay.ts`). */
const MAX_RELAYS_PER_SYNC = 16;
/** Shortest wait for a liveness ping before a purge (a ping needs a connection handshake). */
const CONFIRM_MIN_MS = 500;

/**
 * How long before its purge a silent peer is pinged: a third of `purgeAfter`, at most a minute.
 * With the default 300 s horizon, a peer unheard of for 240 s is asked directly; with a 10 s
 * horizon and 1.5 s heartbeats, one unheard of for about 6.7 s (four lost heartbeats).
 */
export function confirmLeadMs(purgeAfterMs: number): number {
  return Math.max(CONFIRM_MIN_MS, Math.min(60_000, purgeAfterMs / 3));
}

/** Context handed to an {@link AddressSource}. */
export interface AddressSourceContext {
  /** Current number of gossip neighbours (a DHT poller polls faster at 0). */
  neighbours(): number;
  /** Aborted when discovery closes; the source must stop then. */
  readonly signal: AbortSignal;
}

/**
 * A source of peer addresses (DHT, mDNS, …). Addresses given to `sink` are dialled and synced
 * like bootstrap peers.
 */
export interface AddressSource {
  start(sink: (addrs: readonly EndpointAddr[]) => void, ctx: AddressSourceContext): void | Promise<void>;
}

/** A catalog sync waiting for a slot. */
interface QueuedSync {
  readonly peer: PeerId;
  /** Aborted when the peer is purged while its sync waits or runs. */
  readonly abort: AbortController;
}

/**
 * Discovery of one node. Create it with {@link Discovery.start}; `Network.create` does this and
 * exposes it as `network.discovery`.
 *
 * @example
 * ```ts
 * const discovery = await Discovery.start(node, { bootstrap: [seedAddr], tags: ['matcher'] });
 * await discovery.catalogWatch.until((c) => c.signedPeersCount() >= 1);
 * for await (const ev of discovery.events()) console.log(ev.type);
 * ```
 */
export class Discovery implements AsyncDisposable {
  /** The effective configuration. */
  readonly config: DiscoveryConfig;
  /** Smoothed RTT per peer (RFC 6298). */
  readonly rtt = new RttTracker<PeerId>();
  /** This node's Vivaldi coordinate, moved by every RTT sample to a peer that publishes one. */
  readonly #coordinates = new CoordinateTracker();
  readonly #node: LocalNode;
  readonly #catalog: Catalog;
  /** Every time read and timer of this instance goes through one clock. */
  readonly #clock: Clock = systemClock;
  readonly #timers: Timers;
  readonly #metrics: DiscoveryMetrics;
  readonly #log: Logger;
  readonly #gossip: AnnounceAdapter;
  readonly #abort = new AbortController();
  readonly #exchange: ExchangeContext;
  /** Peers a sync was started with (once per observed peer; cleared on departure or failure). */
  readonly #observed = new Set<string>();
  readonly #syncQueue: QueuedSync[] = [];
  /** Peers with a sync queued or running → its abort (a purged peer's sync is given up). */
  readonly #syncing = new Map<string, AbortController>();
  readonly #tasks = new Set<Promise<unknown>>();
  /**
   * Peers pinged because their entry is about to turn stale → the `updatedAt` of the entry that
   * was about to expire: each entry gets one ping, so a dead peer costs one dial per survivor.
   */
  readonly #confirming = new Map<string, number>();
  #confirmsRunning = 0;
  /** When each catalog peer was last pinged by an RTT probe round (ms since the epoch). */
  readonly #lastProbed = new Map<string, number>();
  #syncsRunning = 0;
  /** Catalog syncs other peers started that this node is serving. */
  #servingSyncs = 0;
  #rejoinDelay = REJOIN_MIN_MS;
  #rejoinArmed = false;
  readonly #isolation = new IsolationPolicy(REJOIN_MIN_MS, REJOIN_MAX_MS);
  #lastBroadcast: PeerEntryVersion | undefined;
  /**
   * When a peer last appeared in or left the catalog, or a gossip neighbour failed (the node's
   * start counts): the anti-entropy runs at its settling pace for a while after.
   */
  #membershipChangedAt = 0;
  #lastSpreadAt = Number.NEGATIVE_INFINITY;
  #spreadArmed = false;
  /** Cancels the armed anti-entropy tick (one is armed at any time). */
  #cancelAntiEntropy: (() => void) | undefined;
  /** When the armed anti-entropy tick is due (ms since the epoch). */
  #antiEntropyDueAt = 0;
  /** When a catalog sync last brought entries (ms since the epoch). */
  #syncNewsAt = 0;
  #bumpQueued = false;
  #lastNeighborBump = Number.NEGATIVE_INFINITY;
  #neighborBumpGap = NEIGHBOR_BUMP_MIN_GAP_MS;
  #closing: Promise<void> | undefined;

  private constructor(node: LocalNode, config: DiscoveryConfig) {
    this.#node = node;
    this.config = config;
    // Lateness counts for one purge horizon: long enough to cover the heartbeats it delayed.
    this.#timers = new Timers(this.#clock, Math.min(60_000, config.purgeAfterMs));
    this.#log = node.logger.child({ subsystem: 'discovery' });
    this.#metrics = new DiscoveryMetrics(node.metrics);
    const local = PeerEntry.create({
      network: node.networkId,
      address: toPeerAddress(node.addr()),
      tags: tagDigests(config.tags),
      region: config.region,
      location: config.location,
      coordinate: config.networkCoordinates ? initialCoordinate() : undefined,
    });
    this.#catalog = new Catalog({
      local: SignedPeerEntry.sign(local, node.secretKey),
      purgeAfterMs: config.purgeAfterMs,
      maxTimeDriftMs: config.maxTimeDriftMs,
      eventsBacklog: config.eventsBacklog,
      rtt: this.rtt,
      scheduler: this.#timers,
      purgeGraceMs: () => this.#timers.lag.graceMs(this.#clock.now(), config.purgeAfterMs),
      now: () => this.#clock.now(),
      ...(config.maxRttMs === undefined ? {} : { maxRttMs: config.maxRttMs }),
    });
    this.#exchange = {
      node,
      catalog: this.#catalog,
      metrics: this.#metrics,
      timeoutMs: config.exchangeTimeoutMs,
      signal: this.#abort.signal,
      learned: (entries, from, discovered) => this.#learned(entries, from, discovered),
      departed: (departures) => {
        for (const d of departures) this.#onDeparture(d);
      },
      pingRefresh: (e) => this.#withCoordinate(e),
    };
    this.#gossip = new AnnounceAdapter({
      node,
      timers: this.#timers,
      metrics: this.#metrics,
      logger: this.#log,
      maxPayloadSize: config.gossipMaxPayload,
      gossip: config.gossip,
      dialTimeoutMs: config.exchangeTimeoutMs,
      silentNeighborMs: silentNeighborMs(config.announceIntervalMs, config.announceJitter),
      probe: (peer, timeoutMs) => this.#probeNeighbour(peer, timeoutMs),
      hooks: {
        deliver: (content) => this.#onDelivered(content),
        neighborUp: (peer) => {
          this.#rejoinDelay = REJOIN_MIN_MS;
          // Only the first neighbour (after none) gets a new version: see `#queueBump`.
          if (this.#gossip.neighborCount === 1) this.#queueBump();
          this.#catchUpWith(peer);
        },
        neighborFailed: () => this.#neighbourFailed(),
        neighborDown: (_peer, remaining) => {
          if (remaining > 0) return;
          // The gossip layer asks its backups first (requests that cannot be refused, one link
          // each); a Join, which also sends random walks that each take a neighbour from
          // someone, follows only if that did not work by the time the check comes.
          this.#armRejoin();
          // Every neighbour gone: sync again until someone answers (the catalog ages meanwhile).
          if (this.#isolation.neighbours(0)) this.#isolationTick();
        },
      },
    });
    node.handle(SYNC_DELTA_ALPN, (link) => this.#serveSync(acceptSync, link));
    node.handle(SYNC_ALPN, (link) => this.#serveSync(acceptSnapshotSync, link));
    node.handle(PING_ALPN, (link) => this.#serve(acceptPing, link));
    // Without a graceful close (the node itself is closed), still release everything.
    node.onClose(() => this.#shutdown(false));
  }

  /**
   * Starts discovery on a node: registers the three ALPNs, arms the announce heartbeat, RTT
   * probes and purge timer, and dials the bootstrap peers.
   */
  static async start(node: LocalNode, config: Partial<DiscoveryConfig> = {}): Promise<Discovery> {
    const discovery = new Discovery(node, resolveConfig(config));
    discovery.#run();
    if (discovery.config.bootstrap.length > 0) await discovery.dial(discovery.config.bootstrap);
    return discovery;
  }

  // ---- reads ----

  /** The current local signed entry. */
  me(): SignedPeerEntry {
    return this.#catalog.local;
  }

  /** The current catalog snapshot (immutable; staleness and `maxRtt` evaluated on read). */
  catalog(): CatalogSnapshot {
    return this.#catalog.snapshot();
  }

  /** Latest snapshot plus change notifications (intermediate values may be skipped). */
  get catalogWatch(): Watch<CatalogSnapshot> {
    return this.#catalog.watch;
  }

  /**
   * A new subscriber to `peerDiscovered | peerUpdated | peerDeparted`, positioned at "now". A
   * subscriber that falls more than `eventsBacklog` behind gets `{ type: 'lagged', missed }`.
   */
  events(signal?: AbortSignal): AsyncIterableIterator<DiscoveryEvent | Lagged> {
    return this.#catalog.events.subscribe(signal);
  }

  /** Current gossip neighbours. */
  neighbors(): PeerId[] {
    return this.#gossip.engine.neighbors();
  }

  /** Backup peers of the gossip overlay (its passive view), to show the overlay's shape. */
  passivePeers(): PeerId[] {
    return this.#gossip.engine.passivePeers();
  }

  // ---- network actions ----

  /**
   * Makes addresses dialable, starts a catalog sync with each peer never synced before, and
   * asks gossip to join them. Resolves once that is under way.
   */
  async dial(addrs: EndpointAddr | PeerId | readonly (EndpointAddr | PeerId)[]): Promise<void> {
    const list = (Array.isArray(addrs) ? addrs : [addrs]) as readonly (EndpointAddr | PeerId)[];
    const resolved = list
      .map((a): EndpointAddr => (a instanceof PeerId ? { id: a, directAddresses: [] } : a))
      .filter((a) => !a.id.equals(this.#node.peerId));
    for (const a of resolved) {
      this.#node.addressBook.observe(a);
      this.#observe(a.id);
    }
    this.#gossip.join(resolved.map((a) => this.#node.addressBook.resolve(a)));
    if (this.#gossip.neighborCount === 0 && resolved.length > 0) this.#armRejoin();
  }

  /** A full catalog sync with one peer; resolves when both sides have merged. */
  async syncWith(addr: EndpointAddr | PeerId): Promise<void> {
    if (!(addr instanceof PeerId)) this.#node.addressBook.observe(addr);
    await syncWith(this.#exchange, addr);
  }

  /**
   * Pings a peer: its RTT goes to the tracker (and moves the local network coordinate), its
   * address to the address book.
   */
  async ping(addr: EndpointAddr | PeerId): Promise<PingResult> {
    const result = await ping(this.#exchange, addr);
    this.#sampleRtt(result.entry.peerId, result.rttMs, result.entry.entry.coordinate);
    this.#observeAddress(result.entry);
    return result;
  }

  /** An RTT sample from another subsystem's live link. */
  recordRtt(peer: PeerId, ms: number): void {
    this.#sampleRtt(peer, ms);
  }

  /**
   * This node's current network coordinate (`undefined` when `networkCoordinates` is off). Until
   * RTT samples to peers with coordinates come in it sits at the origin with the largest error.
   * The local entry carries it as of the last announce.
   */
  coordinate(): NetworkCoordinate | undefined {
    return this.config.networkCoordinates ? this.#coordinates.coordinate : undefined;
  }

  /**
   * Estimated RTT to `peer` in ms, from this node's coordinate and the one in the peer's latest
   * entry: works for peers never measured. `undefined` when either coordinate is unknown or
   * untrained (no RTT sample moved it yet).
   * Prefer a measurement ({@link rtt}) where there is one.
   */
  estimateRtt(peer: PeerId): number | undefined {
    if (!this.config.networkCoordinates) return undefined;
    const entry = this.#catalog.snapshot().get(peer);
    return this.#coordinates.estimate(entry?.coordinate);
  }

  /** Measured RTT to `peer` (smoothed) where there is one, else the coordinate estimate. */
  rttOrEstimate(peer: PeerId): number | undefined {
    return this.rtt.get(peer) ?? this.estimateRtt(peer);
  }

  /** Adds an address source (DHT, mDNS); its addresses are dialled and synced. */
  addAddressSource(source: AddressSource): void {
    if (this.#abort.signal.aborted) return;
    const sink = (addrs: readonly EndpointAddr[]) => {
      if (this.#abort.signal.aborted) return;
      this.dial(addrs).catch((error: unknown) =>
        this.#log.debug({ err: String(error) }, 'address source dial failed'),
      );
    };
    const ctx: AddressSourceContext = {
      neighbours: () => this.#gossip.neighborCount,
      signal: this.#abort.signal,
    };
    this.#track(
      (async () => {
        await source.start(sink, ctx);
      })().catch((error: unknown) => this.#log.warn({ err: String(error) }, 'address source failed')),
    );
  }

  // ---- catalog mutations (no events) ----

  /** Upserts a signed entry; `true` when new or updated. No event, no sync. */
  feed(entry: SignedPeerEntry): boolean {
    return this.#catalog.feed(entry);
  }

  /** Inserts an unsigned entry (a signed one is stored unsigned). No event. */
  insert(entry: PeerEntry | SignedPeerEntry): boolean {
    return this.#catalog.insertUnsigned(entry);
  }

  /** Removes an unsigned entry. No event. */
  remove(peer: PeerId): boolean {
    return this.#catalog.removeUnsigned(peer);
  }

  /** Removes every unsigned entry. No event. */
  clearUnsigned(): boolean {
    return this.#catalog.clearUnsigned();
  }

  // ---- the local entry (always re-versioned and re-announced) ----

  /** Adds tags (strings go through the id rule). */
  addTags(...tags: (Digest | string | readonly (Digest | string)[])[]): SignedPeerEntry {
    return this.#update((e) => e.addTags(tagDigests(tags.flat())));
  }

  /** Removes tags. */
  removeTags(...tags: (Digest | string | readonly (Digest | string)[])[]): SignedPeerEntry {
    return this.#update((e) => e.removeTags(tagDigests(tags.flat())));
  }

  /** Adds a ticket (public: never put secrets in tickets). */
  addTicket(ticket: Ticket): SignedPeerEntry {
    return this.#update((e) => e.addTicket(ticket));
  }

  /** Removes a ticket by id. */
  removeTicket(id: UniqueId): SignedPeerEntry {
    return this.#update((e) => e.removeTicket(id));
  }

  /** Removes every ticket of a class. */
  removeTicketsOf(klass: UniqueId): SignedPeerEntry {
    return this.#update((e) => e.removeTicketsOf(klass));
  }

  /** Removes every ticket of the same class, then adds this one. */
  replaceTicket(ticket: Ticket): SignedPeerEntry {
    return this.#update((e) => e.replaceTicket(ticket));
  }

  /** Streams this node produces (used by the streams layer). */
  addStreams(...streams: Digest[]): SignedPeerEntry {
    return this.#update((e) => e.addStreams(streams), false);
  }

  /** Streams this node no longer produces. */
  removeStreams(...streams: Digest[]): SignedPeerEntry {
    return this.#update((e) => e.removeStreams(streams), false);
  }

  /** Groups this node is a member of (used by the groups layer). */
  addGroups(...groups: Digest[]): SignedPeerEntry {
    return this.#update((e) => e.addGroups(groups), false);
  }

  /** Groups this node left. */
  removeGroups(...groups: Digest[]): SignedPeerEntry {
    return this.#update((e) => e.removeGroups(groups), false);
  }

  // ---- lifecycle ----

  /**
   * Leaves gracefully: broadcasts a signed departure, tells the gossip neighbours, and gives that
   * up to `gracefulDepartureWindowMs`; then releases every timer and link. Call it before closing
   * the node (closing the node alone releases everything without a departure).
   */
  close(): Promise<void> {
    return this.#shutdown(true);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** @internal Armed timers, for leak tests. */
  get timerCount(): number {
    return this.#timers.size;
  }

  // ---- internals ----

  #run(): void {
    this.#membershipChangedAt = this.#clock.now();
    // Internal subscriber: metrics follow every catalog transition, purges included.
    const events = this.#catalog.events.subscribe(this.#abort.signal);
    this.#track(
      (async () => {
        for await (const ev of events) {
          if (ev.type !== 'peerUpdated') {
            this.#membershipChangedAt = this.#clock.now();
            this.#antiEntropySoon();
          }
          if (ev.type === 'peerDiscovered') this.#spreadSoon();
          if (ev.type === 'peerDeparted') {
            this.#metrics.departed.inc();
            this.#gone(ev.peerId);
          }
          this.#metrics.catalogSize.set(this.#catalog.snapshot().peersCount());
        }
      })().catch((error: unknown) => this.#log.warn({ err: String(error) }, 'metrics loop failed')),
    );
    this.#announceTick(true);
    this.#probeTick(true);
    this.#isolationTick();
    this.#addressTick();
    this.#freshnessTick();
    this.#scheduleAntiEntropy();
  }

  /**
   * A liveness probe of a quiet gossip neighbour: a ping with its own connection. The answer is a
   * fresh signed entry, which also keeps the neighbour in the catalog.
   */
  async #probeNeighbour(peer: PeerId, timeoutMs: number): Promise<boolean> {
    if (this.#abort.signal.aborted || !dialable(this.#node, peer)) return false;
    try {
      const result = await ping({ ...this.#exchange, timeoutMs }, peer);
      this.#sampleRtt(peer, result.rttMs, result.entry.entry.coordinate);
      this.#onEntry(result.entry);
      return true;
    } catch (error) {
      this.#log.debug({ peer: peer.short(), err: String(error) }, 'gossip neighbour probe failed');
      return false;
    }
  }

  /**
   * A gossip neighbour failed (a crash, most likely). Broadcasts get lost while the overlay
   * repairs around it, so the catalog is kept fresh by syncs meanwhile: one right away, and the
   * settling pace of the anti-entropy for a while. Without this, a node whose broadcast path
   * broke waited up to an anti-entropy period (up to 40 s in a quiet swarm) for any news, and live
   * peers whose heartbeats went the broken way drifted toward their purge.
   */
  #neighbourFailed(): void {
    if (this.#abort.signal.aborted) return;
    this.#membershipChangedAt = this.#clock.now();
    this.#spreadSoon();
    this.#antiEntropySoon();
  }

  /**
   * A peer left the catalog (purged or departed). A peer that comes back (a restart with the
   * same key, a partition that healed) must be synced with again, so it leaves the observed set;
   * and unless it is a live neighbour, the gossip layer stops counting on it as a backup.
   */
  #gone(peer: PeerId): void {
    const key = peer.toString();
    this.#observed.delete(key);
    this.#confirming.delete(key);
    // A sync still retrying a purged peer holds a sync slot for up to four exchange timeouts,
    // and blocks a sync with the peer's next run (same id) if it comes back meanwhile.
    this.#syncing.get(key)?.abort();
    this.#syncing.delete(key);
    if (!this.#gossip.engine.neighbors().some((n) => n.equals(peer))) {
      this.#gossip.input({ type: 'forget', peer });
    }
  }

  /**
   * Purge is by the age of a peer's own signed timestamp, so a live peer whose heartbeats do not
   * reach us (a broken broadcast path while the overlay repairs, a starved relay) would be
   * purged like a dead one. Before that happens, the peer is pinged: its reply is a fresh
   * signed entry, which keeps it. A dead peer does not answer and is purged on time: the ping
   * gives up before the purge is due.
   */
  #freshnessTick(): void {
    if (this.#abort.signal.aborted || !this.config.pingBeforePurge) return;
    const lead = confirmLeadMs(this.config.purgeAfterMs);
    // The horizon includes the grace our own lateness earns peers (see `local-lag.ts`).
    const horizon = this.#catalog.horizonMs();
    const now = this.#clock.now();
    // Soonest purge first; a bounded number of new pings per tick (each is a handshake), the
    // rest wait for the next tick.
    const due = [...this.#catalog.snapshot().raw().signed.values()]
      .map((s) => ({ s, left: s.entry.updatedAt + horizon - now }))
      .filter(({ left }) => left <= lead && left > 0)
      .sort((a, b) => a.left - b.left);
    let started = 0;
    for (const { s, left } of due) {
      if (started >= CONFIRM_STARTS_PER_TICK || this.#confirmsRunning >= CONFIRM_MAX_RUNNING) break;
      if (this.#confirm(s.peerId, s.entry.updatedAt, Math.max(CONFIRM_MIN_MS, left))) started++;
    }
    this.#timers.schedule(lead / 4, () => this.#freshnessTick());
  }

  /** Pings `peer` unless its entry of `updatedAt` was pinged already; `true` when a ping started. */
  #confirm(peer: PeerId, updatedAt: number, timeoutMs: number): boolean {
    const key = peer.toString();
    if ((this.#confirming.get(key) ?? -1) >= updatedAt || !dialable(this.#node, peer)) return false;
    this.#confirming.set(key, updatedAt);
    this.#confirmsRunning++;
    this.#track(
      ping({ ...this.#exchange, timeoutMs }, peer)
        .then((result) => {
          this.#sampleRtt(peer, result.rttMs, result.entry.entry.coordinate);
          this.#onEntry(result.entry);
        })
        .catch((error: unknown) =>
          this.#log.debug({ peer: peer.short(), err: String(error) }, 'liveness ping before purge failed'),
        )
        .finally(() => {
          this.#confirmsRunning--;
        }),
    );
    return true;
  }

  /**
   * Syncs with one random catalog peer now and then. Gossip misses an entry that was broadcast
   * while we were joining and that our syncs did not carry yet; without the old sync with every
   * peer, this repairs such a gap within seconds while the membership changes (and within tens
   * of seconds in a swarm that stayed quiet, see `anti-entropy.ts`) instead of at that peer's next
   * announce. A sync between peers that agree costs one summary (24 bytes a peer).
   */
  #antiEntropyTick(): void {
    if (this.#abort.signal.aborted) return;
    this.#syncWithRandomPeer();
    this.#scheduleAntiEntropy();
  }

  #spreadSoon(): void {
    if (this.#spreadArmed || this.#abort.signal.aborted) return;
    const wait = this.#lastSpreadAt + this.#backgroundGapMs(SPREAD_GAP_MS) - this.#clock.now();
    if (wait <= 0) {
      this.#spread();
      return;
    }
    this.#spreadArmed = true;
    this.#timers.schedule(wait, () => {
      this.#spreadArmed = false;
      if (!this.#abort.signal.aborted) this.#spread();
    });
  }

  #spread(): void {
    this.#lastSpreadAt = this.#clock.now();
    this.#syncWithRandomPeer();
  }

  /**
   * One sync with a random live-looking catalog peer, unless a sync is queued or
   * {@link BACKGROUND_SYNC_SLOTS} run: those in flight already carry news both ways, and on a host
   * short of CPU syncs take longer, so the background syncs slow down with them instead of piling
   * up (each one a catalog summary, and a delta while the catalogs differ, on both sides) until
   * they time out. Not one slot: a sync with a peer that just died holds its slot until the
   * exchange times out, and anti-entropy must go on meanwhile. Peers
   * not heard from for long enough to be due for a liveness ping are left out: right after a
   * mass failure a quarter of the catalog is dead, and a sync with a dead peer holds a sync slot
   * until its exchange times out. A node that heard from nobody for that long (its gossip path
   * broke) picks from every peer: a sync is how it catches up.
   */
  #syncWithRandomPeer(): void {
    if (this.#syncsBusy()) return;
    const freshFor = this.#catalog.horizonMs() - confirmLeadMs(this.config.purgeAfterMs);
    const now = this.#clock.now();
    const all = this.#catalog.snapshot().signedPeers();
    const fresh = all.filter((s) => now - s.entry.updatedAt < freshFor);
    const peers = fresh.length > 0 ? fresh : all;
    const pick = peers[Math.floor(Math.random() * peers.length)];
    if (pick !== undefined) this.#startSync(pick.peerId);
  }

  /**
   * The gap between background syncs of one kind, `baseMs` on a healthy host. On a host short of
   * CPU (our timers run late) it stretches with the lateness, up to the quiet anti-entropy
   * period: those syncs are the work that can wait, and in a join storm of 300 nodes on two
   * cores, syncing every second kept the processes so busy that every connection took seconds
   * and most syncs timed out.
   */
  #backgroundGapMs(baseMs: number): number {
    return Math.max(baseMs, this.#timers.lag.graceMs(this.#clock.now(), ANTI_ENTROPY_MS));
  }

  /** Whether a sync is queued or the background slots are taken (see `#syncWithRandomPeer`). */
  #syncsBusy(): boolean {
    return this.#syncQueue.length > 0 || this.#syncsRunning >= BACKGROUND_SYNC_SLOTS;
  }

  /**
   * A new gossip neighbour: catch up with it once, when a background slot is free. While the
   * overlay forms, a node gets a new neighbour every few seconds; a sync with each (a connection
   * and a catalog-sized summary both ways) was most of the work of a join storm, and on a busy
   * host those syncs outlived their timeouts and were retried. The syncs already running carry
   * the same news, and anti-entropy repairs what they miss. Until its first sync completes, the
   * isolation rounds sync with the neighbours anyway.
   */
  #catchUpWith(peer: PeerId): void {
    if (this.#syncsBusy()) return;
    this.#observe(peer);
  }

  /** The mean anti-entropy period now (see `anti-entropy.ts`). */
  #antiEntropyMeanMs(): number {
    return antiEntropyMeanMs({
      now: this.#clock.now(),
      membershipChangedAt: this.#membershipChangedAt,
      syncNewsAt: this.#syncNewsAt,
      settlingMs: this.#backgroundGapMs(ANTI_ENTROPY_SETTLING_MS),
    });
  }

  /**
   * News that anti-entropy may have to repair (the membership changed, a sync brought entries):
   * a tick armed at a quiet pace is brought forward.
   */
  #antiEntropySoon(): void {
    if (this.#abort.signal.aborted) return;
    if (bringForward(this.#antiEntropyDueAt, this.#clock.now(), this.#antiEntropyMeanMs())) {
      this.#scheduleAntiEntropy();
    }
  }

  #scheduleAntiEntropy(): void {
    const delay = jittered(this.#antiEntropyMeanMs(), 0.5);
    this.#antiEntropyDueAt = this.#clock.now() + delay;
    this.#cancelAntiEntropy?.();
    this.#cancelAntiEntropy = this.#timers.schedule(delay, () => {
      this.#cancelAntiEntropy = undefined;
      this.#antiEntropyTick();
    });
  }

  /**
   * One RTT sample: recorded (after `rttOverride`), and folded into the local coordinate when
   * the peer publishes one. `remote` is a fresher coordinate than the catalog's, if at hand.
   */
  #sampleRtt(peer: PeerId, measuredMs: number, remote?: NetworkCoordinate): void {
    let ms = measuredMs;
    const override = this.config.rttOverride;
    if (override !== undefined) {
      try {
        ms = override(peer, measuredMs);
      } catch (error) {
        this.#log.warn({ err: String(error) }, 'rttOverride threw; sample dropped');
        return;
      }
    }
    this.rtt.sample(peer, ms);
    if (!this.config.networkCoordinates) return;
    // Signed entries only (an unsigned one is whatever someone inserted), and regardless of
    // `maxRtt`: a slow peer's coordinate places us as well as a fast one's.
    const coordinate = remote ?? this.#catalog.snapshot().getSigned(peer)?.entry.coordinate;
    this.#coordinates.observe(coordinate, ms);
  }

  /**
   * The entry with the current coordinate. Applied to re-announcements only (heartbeat,
   * neighbour bumps, user changes) and to ping replies: the coordinate moves with every sample,
   * and re-signing and gossiping the entry that often would cost every node a signature check
   * per sample.
   */
  #withCoordinate(entry: PeerEntry): PeerEntry {
    const published = this.coordinate();
    return published === undefined ? entry : entry.setCoordinate(published, this.#clock.now());
  }

  #update(change: (e: PeerEntry) => PeerEntry, always = true): SignedPeerEntry {
    const secret = this.#node.secretKey;
    const signed = always
      ? this.#catalog.updateLocal((e) => this.#withCoordinate(change(e)), secret)
      : this.#catalog.updateLocalIfChanged((e) => change(e), secret);
    this.#announceLocal();
    return signed;
  }

  /** Broadcasts the local entry when its version grew since the last broadcast. */
  #announceLocal(): void {
    if (this.#abort.signal.aborted) return;
    const me = this.#catalog.local;
    if (this.#lastBroadcast !== undefined && compareVersions(me.entry.version, this.#lastBroadcast) <= 0)
      return;
    // With no neighbour the entry waits: every neighbour-up re-announces the latest version.
    if (this.#gossip.neighborCount === 0) return;
    this.#lastBroadcast = me.entry.version;
    this.#gossip.broadcast(entryAnnouncement(me, this.config.gossipMaxPayload));
  }

  /**
   * The first neighbour after none came up: announce through it. Identical payloads are
   * deduplicated by the broadcast layer, so the entry is re-versioned; while the node had no
   * neighbour, other nodes may have purged it, or it may have changed unheard. Later neighbours
   * get no new version: each one either knew our entry already or gets it from the catalog sync
   * that every first contact runs, and every version costs each node of the swarm a signature
   * check. While a swarm forms, a node gains and loses neighbours every few seconds, and
   * re-versioning on each was most of the gossip traffic of a join (100 nodes: 5 versions per
   * node, 26.6 s to converge over 4 processes; 1 to 2 versions and 18.4 s without). Bursts share
   * one bump.
   */
  #queueBump(): void {
    if (this.#bumpQueued) return;
    this.#bumpQueued = true;
    const now = this.#clock.now();
    if (now - this.#lastNeighborBump >= NEIGHBOR_BUMP_RESET_MS)
      this.#neighborBumpGap = NEIGHBOR_BUMP_MIN_GAP_MS;
    const wait = Math.max(NEIGHBOR_BUMP_DELAY_MS, this.#lastNeighborBump + this.#neighborBumpGap - now);
    this.#timers.schedule(wait, () => {
      this.#bumpQueued = false;
      if (this.#abort.signal.aborted) return;
      const at = this.#clock.now();
      // The first bump after a quiet spell keeps the minimum gap; each one after it doubles it.
      if (at - this.#lastNeighborBump < NEIGHBOR_BUMP_RESET_MS) {
        this.#neighborBumpGap = Math.min(NEIGHBOR_BUMP_MAX_GAP_MS, this.#neighborBumpGap * 2);
      }
      this.#lastNeighborBump = at;
      this.#update((e) => e);
    });
  }

  #announceTick(first: boolean): void {
    if (this.#abort.signal.aborted) return;
    if (!first) {
      this.#update((e) => e);
      if (this.#gossip.neighborCount === 0) this.#rejoin();
    }
    const delay = jittered(this.config.announceIntervalMs, this.config.announceJitter);
    this.#timers.schedule(delay, () => this.#announceTick(false));
  }

  /**
   * Re-signs and announces the local entry when the node's address changed (interfaces
   * came or went, a new relay). iroh-js 1.1.0 offers no usable change callback (its
   * `watchAddr` aborts the process), so the address is compared on a short poll.
   */
  #addressTick(): void {
    if (this.#abort.signal.aborted) return;
    const now = toPeerAddress(this.#node.addr());
    if (!sameAddress(now, this.#catalog.local.entry.address)) {
      this.#update((e) => e.updateAddress(now));
    }
    this.#timers.schedule(ADDRESS_POLL_MS, () => this.#addressTick());
  }

  #probeTick(first: boolean): void {
    if (this.#abort.signal.aborted) return;
    if (!first) {
      for (const peer of this.#probeTargets()) {
        this.#lastProbed.set(peer.toString(), this.#clock.now());
        this.#track(
          this.ping(peer).catch((error: unknown) =>
            this.#log.debug({ peer: peer.short(), err: String(error) }, 'rtt probe failed'),
          ),
        );
      }
    }
    const base = this.config.rttProbeIntervalMs;
    const delay = first ? 0 : base / 2 + Math.random() * base;
    this.#timers.schedule(delay, () => this.#probeTick(false));
  }

  /** The peers of one RTT probe round (bounded: see {@link probeRound}). */
  #probeTargets(): PeerId[] {
    const peers = this.#catalog.snapshot().signedPeers();
    const byKey = new Map(peers.map((s) => [s.peerId.toString(), s.peerId]));
    for (const key of this.#lastProbed.keys()) if (!byKey.has(key)) this.#lastProbed.delete(key);
    return probeRound([...byKey.keys()], this.#lastProbed, RTT_PROBES_PER_ROUND).map(
      (key) => byKey.get(key) as PeerId,
    );
  }

  /**
   * No neighbour left: join through {@link REJOIN_CONTACTS} random known peers. Each Join makes
   * its contact and the ends of its random walks take us in, each evicting one of their own
   * neighbours, so a Join to many contacts at once left others with none, and they joined in
   * turn: in a 300-node join storm every node sent six or more Joins.
   */
  #rejoin(): void {
    if (this.#abort.signal.aborted) return;
    const candidates = this.#catalog
      .snapshot()
      .signedPeers()
      .map((s) => this.#node.addressBook.resolve(toEndpointAddr(s.entry.address)));
    // A bootstrap peer that left gracefully is gone: dialing it only keeps a dead connection
    // attempt pending (which also delays this node's own close).
    const bootstrap = this.config.bootstrap.filter((b) => !this.#catalog.hasDeparted(b.id));
    const known = [...candidates, ...bootstrap];
    const sample = shuffle(known).slice(0, REJOIN_CONTACTS);
    this.#gossip.join(sample);
    // Still alone: the bootstrap syncs failed (peer not up yet, overloaded); try them again.
    if (this.#catalog.snapshot().signedPeersCount() === 0) {
      for (const b of bootstrap) this.#observe(b.id);
    }
    this.#armRejoin();
  }

  /**
   * Until a first catalog sync completes, the node knows at most what gossip happened to bring
   * (often just its seed's entry), and every first sync may have been lost: a seed too slow to
   * answer, a join that left a neighbour but no sync. The rejoin path only fires with no
   * neighbour at all, so this check keeps syncing with the bootstrap peers and the current
   * neighbours, with the same short backoff, until one sync succeeds.
   */
  #isolationTick(): void {
    if (this.#abort.signal.aborted || !this.#isolation.round()) return;
    // Known peers were synced with once already; an isolated node needs them again. Neighbours
    // first, then the bootstrap peers, then two random ones, as many as the background slots
    // have room for: a round that synced with all of them at once, while the last round's syncs
    // were still running, made a join storm's seed the target of every node's every round.
    const targets = [
      ...shuffle(this.#gossip.engine.neighbors()),
      ...this.config.bootstrap.map((b) => b.id).filter((p) => !this.#catalog.hasDeparted(p)),
      ...shuffle(
        this.#catalog
          .snapshot()
          .signedPeers()
          .map((s) => s.peerId),
      ).slice(0, 2),
    ];
    for (const p of targets) {
      if (this.#syncsBusy()) break;
      this.#resync(p);
    }
    this.#timers.schedule(this.#isolation.nextDelay(Math.random()), () => this.#isolationTick());
  }

  /** Syncs with a peer again even if it was synced with before (unless one is already queued). */
  #resync(peer: PeerId): void {
    if (peer.equals(this.#node.peerId)) return;
    this.#observed.add(peer.toString());
    this.#startSync(peer);
  }

  /** Checks again after a backoff whether the join worked; joins are fire-and-forget. */
  #armRejoin(): void {
    if (this.#rejoinArmed || this.#abort.signal.aborted) return;
    this.#rejoinArmed = true;
    const delay = this.#rejoinDelay * (0.5 + Math.random());
    this.#rejoinDelay = Math.min(REJOIN_MAX_MS, this.#rejoinDelay * 2);
    this.#timers.schedule(delay, () => {
      this.#rejoinArmed = false;
      if (this.#gossip.neighborCount === 0) this.#rejoin();
    });
  }

  #onDelivered(content: Uint8Array): void {
    let msg: Announcement;
    try {
      msg = decodeAnnouncement(content);
    } catch (error) {
      // Relayed payloads: the forwarder may be innocent, so no link is closed.
      this.#metrics.reject(rejectReasonOf(error));
      this.#log.debug({ err: String(error) }, 'undecodable announcement');
      return;
    }
    switch (msg.t) {
      case AnnouncementType.EntryUpdate:
        this.#onEntry(msg.entry);
        return;
      case AnnouncementType.Departure:
        if (this.#onDeparture(msg.departure)) {
          // Relayed to every neighbour at once, as its sender flooded it: the departed node is gone
          // and cannot answer the grafts that lazy neighbours would send it.
          this.#gossip.broadcast(content, { flood: true });
        }
        return;
      case AnnouncementType.EntryChanged: {
        if (msg.peerId.equals(this.#node.peerId)) return;
        const known = this.#catalog.snapshot().getSigned(msg.peerId);
        if (known === undefined || compareVersions(msg.version, known.entry.version) > 0) {
          this.#startSync(msg.peerId);
        }
        return;
      }
    }
  }

  #onEntry(signed: SignedPeerEntry): void {
    const { result } = this.#catalog.receiveGossip(signed);
    switch (result) {
      case 'new':
        // No catch-up sync with a peer first seen by gossip: with every node syncing with
        // every peer, a swarm of n ran n² syncs (each a connection and a catalog-sized
        // summary). Neighbours, bootstrap peers and the anti-entropy tick cover catch-up.
        this.#metrics.discovered.inc();
        this.#observeAddress(signed);
        break;
      case 'updated':
        this.#metrics.updated.inc();
        this.#observeAddress(signed);
        break;
      case 'differentNetwork':
        this.#metrics.reject('network');
        break;
      case 'drift':
        this.#metrics.reject('drift');
        break;
      default:
        break;
    }
  }

  /** Applies a peer's signed departure; `true` when it removed the peer (the first copy). */
  #onDeparture(departure: GracefulDeparture): boolean {
    if (!departure.network.equals(this.#node.networkId)) {
      this.#metrics.reject('network');
      return false;
    }
    if (!this.#catalog.withinDrift(departure.timestampMs)) {
      this.#metrics.reject('drift');
      return false;
    }
    const key = departure.peerId.toString();
    const event = this.#catalog.applyDeparture(departure);
    if (event === undefined) return false;
    this.#observed.delete(key);
    this.#gossip.input({ type: 'forget', peer: departure.peerId });
    return true;
  }

  /** Entries a sync brought: make them dialable and offer them to gossip as backups. */
  #learned(entries: readonly SignedPeerEntry[], from: PeerId, discovered: readonly SignedPeerEntry[]): void {
    this.#isolation.synced();
    if (entries.length > 0) {
      this.#syncNewsAt = this.#clock.now();
      this.#antiEntropySoon();
    }
    this.#relayNewRuns(discovered);
    const backups: EndpointAddr[] = [];
    for (const s of entries) {
      if (!s.entry.network.equals(this.#node.networkId) || s.peerId.equals(this.#node.peerId)) continue;
      // Made dialable, not synced with: see `#onEntry`.
      this.#observeAddress(s);
      if (dialable(this.#node, s.peerId)) backups.push(toEndpointAddr(s.entry.address));
    }
    // Catalog peers are the gossip layer's backups: an under-full active view repairs from them.
    this.#gossip.suggest(backups);
    // Recovery from isolation: with no neighbour, join the peers we just learned about.
    // Not every one of them: each Join is a high-priority request its target must accept (it
    // evicts a neighbour and sends four random walks that evict more), so joining a whole
    // snapshot made the overlay churn for seconds. A sample of the catalog, once per backoff
    // period, is enough; while a join is in flight (the rejoin check is armed), we wait.
    if (this.#gossip.neighborCount === 0 && !this.#rejoinArmed) this.#rejoin();
    // Both sides of a sync exchange full snapshots, so `from` counts as synced on the accepting
    // side too: syncing back would carry nothing new, and under CPU load those redundant
    // connections (half of the cascade) are what kept the accept queues long.
    this.#observed.add(from.toString());
    this.#metrics.catalogSize.set(this.#catalog.snapshot().peersCount());
  }

  /**
   * Broadcasts the entries of new runs that a sync brought us before gossip did, on their peers'
   * behalf (see `relay.ts`): a restarted batch of nodes reaches the whole swarm in a few hops
   * instead of sync by sync.
   */
  #relayNewRuns(discovered: readonly SignedPeerEntry[]): void {
    if (this.#abort.signal.aborted || this.#gossip.neighborCount === 0) return;
    const relayed = entriesToRelay(
      discovered.filter(
        (s) => s.entry.network.equals(this.#node.networkId) && !s.peerId.equals(this.#node.peerId),
      ),
      this.#catalog.snapshot().signedPeersCount(),
      (s) => s.entry.version.startMs,
      this.#clock.now(),
      this.#catalog.local.entry.version.startMs,
      { newRunMs: this.config.purgeAfterMs, maxPerSync: MAX_RELAYS_PER_SYNC },
    );
    for (const s of relayed) this.#gossip.broadcast(entryAnnouncement(s, this.config.gossipMaxPayload));
  }

  #observeAddress(signed: SignedPeerEntry): void {
    this.#node.addressBook.observe(toEndpointAddr(signed.entry.address));
  }

  /** First sighting of a peer: sync with it once. */
  #observe(peer: PeerId): void {
    if (peer.equals(this.#node.peerId) || this.#observed.has(peer.toString())) return;
    this.#observed.add(peer.toString());
    this.#startSync(peer);
  }

  /** Queues a sync with `peer` unless one is queued or running. */
  #startSync(peer: PeerId): void {
    if (this.#abort.signal.aborted) return;
    if (!dialable(this.#node, peer)) {
      // Dialing a bare id with no address (and no lookup service) wedges iroh's per-peer state
      // (n0-computer/iroh#4265); wait until an address is observed.
      this.#observed.delete(peer.toString());
      return;
    }
    // One sync per peer at a time: retry rounds must not pile up behind a slow peer.
    const key = peer.toString();
    if (this.#syncing.has(key)) return;
    const abort = new AbortController();
    this.#syncing.set(key, abort);
    this.#syncQueue.push({ peer, abort });
    this.#pumpSyncs();
  }

  #pumpSyncs(): void {
    while (this.#syncsRunning < this.config.syncConcurrency && this.#syncQueue.length > 0) {
      const { peer, abort } = this.#syncQueue.shift() as QueuedSync;
      // Given up while queued (the peer was purged).
      if (abort.signal.aborted) continue;
      const key = peer.toString();
      this.#syncsRunning++;
      this.#track(
        this.#syncWithRetry(peer, abort.signal)
          .catch((error: unknown) => {
            // Let a later sighting retry.
            this.#observed.delete(key);
            this.#log.debug({ peer: peer.short(), err: String(error) }, 'catalog sync failed');
          })
          .finally(() => {
            // A sync given up on purge may end after a new one with the same peer started.
            if (this.#syncing.get(key) === abort) this.#syncing.delete(key);
            this.#syncsRunning--;
            this.#pumpSyncs();
          }),
      );
    }
  }

  /**
   * Background syncs retry a few times: a fresh connection to a peer that is busy closing our
   * previous one can be dropped by the endpoint (seen with iroh under load), and a peer that is
   * still starting may not answer yet. Refused input is not retried, nor is a sync the peer
   * refused as busy or an exchange that ran out of time: the peer or this host is overloaded,
   * another try adds to the load that made the first one fail, and the next background sync (or
   * isolation round) picks a peer afresh.
   */
  async #syncWithRetry(peer: PeerId, givenUp: AbortSignal): Promise<void> {
    // Released when the sync ends: AbortSignal.any would leave an entry per sync on #abort.
    const stop = linkSignals([this.#abort.signal, givenUp]);
    try {
      await this.#syncAttempts(peer, stop.signal);
    } finally {
      stop.dispose();
    }
  }

  async #syncAttempts(peer: PeerId, signal: AbortSignal): Promise<void> {
    const ctx: ExchangeContext = { ...this.#exchange, signal };
    for (let attempt = 0; ; attempt++) {
      try {
        await syncWith(ctx, peer);
        return;
      } catch (error) {
        const failure = syncFailureOf(error);
        if (!signal.aborted) this.#metrics.syncFailed(failure);
        const final =
          failure === 'rejected' || failure === 'busy' || failure === 'timeout' || failure === 'dial_timeout';
        if (final || attempt >= SYNC_RETRIES || signal.aborted) throw error;
      }
      // Closing (or giving up) settles the wait at once, so the task does not hang.
      await this.#timers.wait(SYNC_RETRY_BASE_MS * 2 ** attempt * (0.5 + Math.random()), signal);
    }
  }

  /**
   * Serves a catalog sync, or refuses it with `Busy` when {@link MAX_SERVED_SYNCS} are being
   * served. A node that many peers sync with at once (the seed of a join storm) otherwise took
   * them all, answered each more slowly than the last, and most ran out of time after it had
   * sent them a catalog: its work was lost and the peers tried again. A refusal costs one
   * handshake, and the peer tries later or elsewhere.
   */
  async #serveSync(
    exchange: (ctx: ExchangeContext, link: Link<unknown>) => Promise<void>,
    link: Link<unknown>,
  ): Promise<void> {
    if (this.#servingSyncs >= MAX_SERVED_SYNCS) {
      this.#metrics.syncsRefusedBusy.inc();
      await link.close(CloseCode.Busy);
      return;
    }
    this.#metrics.syncsServing.set(++this.#servingSyncs);
    // A peer that stalls mid-exchange must not keep the slot: the exchange gets the same time a
    // sync we start gets.
    const stalled = this.#timers.schedule(this.config.exchangeTimeoutMs, () => {
      void link.close(CloseCode.Cancelled);
    });
    try {
      await this.#serve(exchange, link);
    } finally {
      stalled();
      this.#metrics.syncsServing.set(--this.#servingSyncs);
    }
  }

  async #serve(
    exchange: (ctx: ExchangeContext, link: Link<unknown>) => Promise<void>,
    link: Link<unknown>,
  ): Promise<void> {
    if (this.#abort.signal.aborted) {
      await link.close(CloseCode.Cancelled);
      return;
    }
    const task = exchange(this.#exchange, link);
    this.#track(task.catch(() => {}));
    await task;
  }

  #track(task: Promise<unknown>): void {
    this.#tasks.add(task);
    void task.finally(() => this.#tasks.delete(task));
  }

  #shutdown(graceful: boolean): Promise<void> {
    this.#closing ??= (async () => {
      if (graceful && !this.#node.isClosed && this.#gossip.neighborCount > 0) {
        // One version above every version handed out: a ping reply carries our entry one version
        // up without storing it, and a peer holding such a reply ignored a departure that named
        // our stored version as the last (it kept us until the purge).
        const last = this.#catalog.local.entry.incrementVersion(this.#clock.now()).version;
        const departure = GracefulDeparture.create(this.#node.secretKey, this.#node.networkId, last);
        // Flooded: lazy neighbours would graft it from us only after we are gone.
        this.#gossip.broadcast(encodeAnnouncement({ t: AnnouncementType.Departure, departure }), {
          flood: true,
        });
      }
      this.#abort.abort();
      this.#syncQueue.length = 0;
      for (const abort of this.#syncing.values()) abort.abort();
      this.#syncing.clear();
      if (graceful && !this.#node.isClosed) await this.#gossip.leave(this.config.gracefulDepartureWindowMs);
      else await this.#gossip.close();
      this.#timers.close();
      this.#catalog.close();
      await Promise.allSettled([...this.#tasks]);
    })();
    return this.#closing;
  }
}

/** Whether we know any address of `peer` (dialing a bare id is left to nodes with address lookup). */
export function dialable(node: LocalNode, peer: PeerId): boolean {
  const a = node.addressBook.get(peer);
  return a !== undefined && (a.directAddresses.length > 0 || a.relayUrl !== undefined);
}

function sameAddress(a: PeerAddress, b: PeerAddress): boolean {
  return (
    a.relayUrl === b.relayUrl &&
    a.directAddresses.length === b.directAddresses.length &&
    a.directAddresses.every((d, i) => d === b.directAddresses[i])
  );
}

function toPeerAddress(addr: EndpointAddr): PeerAddress {
  return {
    peerId: addr.id,
    directAddresses: addr.directAddresses,
    ...(addr.relayUrl === undefined ? {} : { relayUrl: addr.relayUrl }),
  };
}

function toEndpointAddr(address: PeerAddress): EndpointAddr {
  return {
    id: address.peerId,
    directAddresses: address.directAddresses,
    ...(address.relayUrl === undefined ? {} : { relayUrl: address.relayUrl }),
  };
}

function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
  return items;
}
