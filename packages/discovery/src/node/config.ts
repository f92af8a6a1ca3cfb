/**
 * Configuration of a {@link Discovery} instance. The defaults match the Rust implementation, so a
 * mixed network announces, syncs and purges on the same schedule.
 */
import { type Digest, id } from '@mosaik/id';
import type { EndpointAddr } from '@mosaik/transport';
import type { GossipConfig } from '../gossip/config.js';

/** Every knob of discovery. Durations are milliseconds. */
export interface DiscoveryConfig {
  /** Capacity of the event broadcast; slower subscribers are told how many events they missed. Default 100. */
  readonly eventsBacklog: number;
  /** Peers dialled and synced at start. Default none. */
  readonly bootstrap: readonly EndpointAddr[];
  /** Tags of the local entry; strings go through the id rule. Default none. */
  readonly tags: readonly (Digest | string)[];
  /** Staleness horizon. Default 300 000. */
  readonly purgeAfterMs: number;
  /** Tolerance on gossiped entry and departure timestamps, both directions. Default 50 000. */
  readonly maxTimeDriftMs: number;
  /** Base period of the re-announce heartbeat. Default 45 000. */
  readonly announceIntervalMs: number;
  /** ± fraction of the announce interval, uniform. Default 0.5. */
  readonly announceJitter: number;
  /** Base period of RTT probes (±50 %). Default 30 000. */
  readonly rttProbeIntervalMs: number;
  /** Peers with a larger smoothed RTT are hidden from `peers()`/`get()`. Default none. */
  readonly maxRttMs: number | undefined;
  /** How long `close()` waits for the departure to go out. Default 500. */
  readonly gracefulDepartureWindowMs: number;
  /** Turns the DHT address source off (read by the DHT source). Default false. */
  readonly noDhtBootstrap: boolean;
  /** Largest gossip payload; bigger entries are announced as a header and fetched by sync. Default 4096. */
  readonly gossipMaxPayload: number;
  /** Overrides of the HyParView/Plumtree parameters (view sizes, random-walk lengths, timers). */
  readonly gossip: Partial<GossipConfig>;
  /**
   * Timeout of one sync or ping exchange and of a gossip dial, connect included. Default 10 000
   * (the transport's connect timeout): under CPU load a handshake can wait seconds in the
   * acceptor's queue, and giving up earlier only wastes the acceptor's work and retries at the
   * back of the same queue.
   */
  readonly exchangeTimeoutMs: number;
  /** Catalog syncs one node runs at once; more wait their turn. Default 4. */
  readonly syncConcurrency: number;
  /**
   * Pings a peer whose entry is about to turn stale (a third of `purgeAfterMs` before, at most a
   * minute) and keeps it when it answers. Default true. Heartbeats travel over the gossip
   * overlay, and while that overlay repairs after many nodes died at once, or while a node is
   * starved of CPU, heartbeats of live peers can miss some nodes for longer than `purgeAfterMs`:
   * without the ping those live peers would be purged. A dead peer does not answer and is purged
   * on time. `false` purges on the entry's age alone, as the reference does.
   */
  readonly pingBeforePurge: boolean;
}

/** The reference defaults. */
export const DEFAULT_DISCOVERY_CONFIG: DiscoveryConfig = Object.freeze({
  eventsBacklog: 100,
  bootstrap: [],
  tags: [],
  purgeAfterMs: 300_000,
  maxTimeDriftMs: 50_000,
  announceIntervalMs: 45_000,
  announceJitter: 0.5,
  rttProbeIntervalMs: 30_000,
  maxRttMs: undefined,
  gracefulDepartureWindowMs: 500,
  noDhtBootstrap: false,
  gossipMaxPayload: 4096,
  gossip: {},
  exchangeTimeoutMs: 10_000,
  syncConcurrency: 4,
  pingBeforePurge: true,
});

/** Fills in defaults. */
export function resolveConfig(partial: Partial<DiscoveryConfig> = {}): DiscoveryConfig {
  const defined = Object.fromEntries(Object.entries(partial).filter(([, v]) => v !== undefined));
  return { ...DEFAULT_DISCOVERY_CONFIG, ...defined } as DiscoveryConfig;
}

/** Tags as digests (strings go through the id rule). */
export function tagDigests(tags: Iterable<Digest | string>): Digest[] {
  return [...tags].map((t) => (typeof t === 'string' ? id(t) : t));
}

/** `base ± base·jitter`, uniform, never negative. */
export function jittered(baseMs: number, jitter: number, random: () => number = Math.random): number {
  return Math.max(0, baseMs + (random() * 2 - 1) * baseMs * jitter);
}
