/**
 * Configuration of a {@link Discovery} instance. The defaults match the Rust implementation, so a
 * mixed network announces, syncs and purges on the same schedule.
 */
import { type Digest, id, type PeerId } from '@mosaik/id';
import type { EndpointAddr } from '@mosaik/transport';
import type { GeoLocation } from '../coordinates/geo.js';
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
  /**
   * Learn a Vivaldi network coordinate from RTT samples and publish it in the local entry, so
   * that peers can estimate their RTT to this node without measuring it. Default true.
   */
  readonly networkCoordinates: boolean;
  /**
   * Region label published in the local entry (1 to 64 characters, compared for equality only:
   * `'eu-west'`, `'fra1'`, a rack name). Streams' `prefer: 'same-region'` reads it. Default none.
   */
  readonly region: string | undefined;
  /** Location on the globe published in the local entry; `prefer: {nearest: n}` reads it. Default none. */
  readonly location: GeoLocation | undefined;
  /**
   * Maps every RTT sample (pings, probes, stream links) before it is recorded. For tests and
   * network emulation: on one machine every RTT is about zero, so a test injects the latencies
   * of the network it pretends to be. Default none (samples are recorded as measured).
   */
  readonly rttOverride: ((peer: PeerId, measuredMs: number) => number) | undefined;
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
  networkCoordinates: true,
  region: undefined,
  location: undefined,
  rttOverride: undefined,
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
