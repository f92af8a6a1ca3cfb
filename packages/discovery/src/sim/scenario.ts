/**
 * The broadcast scenario of issues 4 and 20: n nodes join one by one; broadcasts come from a
 * set of origins (or any node); an optional warm-up lets every origin's tree form; then a
 * fraction crashes, the overlay repairs, and broadcasts run again.
 */
import type { GossipConfig } from '../gossip/config.js';
import { MessageType } from '../gossip/types.js';
import { GossipSimulator } from './simulator.js';

/** Options of {@link runBroadcastScenario}. */
export interface ScenarioOptions {
  readonly nodes: number;
  readonly broadcasts: number;
  /**
   * Broadcasts come from this many fixed origins (drawn at random once; crashed ones drop out).
   * Default: every broadcast from a random alive node.
   */
  readonly sources?: number;
  /** Broadcasts before the measured healthy phase, reported as `warmup`. Default 0. */
  readonly warmupBroadcasts?: number;
  /** Fraction of nodes crashed between the two phases (0 skips the second phase). */
  readonly crashFraction: number;
  readonly seed: number;
  /** Virtual time between joins, ms. Default 10. */
  readonly joinIntervalMs?: number;
  /** Virtual time the overlay gets to settle after joining (and after the crash), ms. Default 20 000. */
  readonly settleMs?: number;
  /** Virtual time between broadcasts, ms. Default 50. */
  readonly broadcastIntervalMs?: number;
  readonly latencyMs?: readonly [number, number];
  readonly config?: Partial<GossipConfig>;
}

/** Results of one broadcast phase. */
export interface PhaseReport {
  /** Alive nodes during the phase. */
  readonly nodes: number;
  readonly broadcasts: number;
  /** Deliveries / (broadcasts × (alive nodes − 1)). */
  readonly deliveryRatio: number;
  /** Largest hop count of any delivery. */
  readonly maxHops: number;
  /** Mean hop count over all deliveries. */
  readonly meanHops: number;
  /** Median hop count of the deliveries. */
  readonly p50Hops: number;
  /** 99th percentile hop count of the deliveries. */
  readonly p99Hops: number;
  /** Broadcast-layer messages (Gossip, IHave, Graft, Prune) per alive node per broadcast. */
  readonly messagesPerNodePerBroadcast: number;
  /** Broadcast-layer messages sent by the busiest alive node, per broadcast. */
  readonly maxMessagesPerNodePerBroadcast: number;
  /** Broadcast-layer messages received by the busiest alive node, per broadcast. */
  readonly maxReceivedPerNodePerBroadcast: number;
  /**
   * Largest hop count of the broadcasts that were their origin's first in the phase (after a
   * crash: the ones that heal the trees).
   */
  readonly maxHopsFirstOfOrigin: number;
  /** Largest hop count of the broadcasts that were not their origin's first (0 without any). */
  readonly maxHopsLaterOfOrigin: number;
  /** Gossip (payload-carrying) messages per alive node per broadcast. */
  readonly payloadMessagesPerNodePerBroadcast: number;
  /** Messages of any kind (membership too) sent by the busiest alive node during the phase. */
  readonly maxMessagesOneNode: number;
  /** Slowest delivery after its broadcast started, ms of virtual time. */
  readonly maxLatencyMs: number;
  /** Whether the overlay of alive nodes was connected when the phase started. */
  readonly connected: boolean;
}

/** Results of the scenario. */
export interface ScenarioReport {
  /** The warm-up broadcasts, when there were any. */
  readonly warmup?: PhaseReport;
  readonly healthy: PhaseReport;
  readonly afterCrash?: PhaseReport;
  readonly crashed: number;
}

const BROADCAST_TYPES = [MessageType.Gossip, MessageType.IHave, MessageType.Graft, MessageType.Prune];

/** Runs the broadcast scenario and reports delivery, message counts and hops per phase. */
export function runBroadcastScenario(options: ScenarioOptions): ScenarioReport {
  const sim = new GossipSimulator(options.nodes, {
    seed: options.seed,
    ...(options.latencyMs ? { latencyMs: options.latencyMs } : {}),
    ...(options.config ? { config: options.config } : {}),
  });
  const joinInterval = options.joinIntervalMs ?? 10;
  const settle = options.settleMs ?? 20_000;
  for (let i = 1; i < options.nodes; i++) {
    const contact = Math.floor(sim.random() * i);
    sim.schedule(i, { type: 'join', peers: [{ id: contact }] }, i * joinInterval);
  }
  sim.runFor(options.nodes * joinInterval + settle);
  const sources =
    options.sources === undefined ? undefined : shuffled(sim, sim.alive()).slice(0, options.sources);
  const warmupCount = options.warmupBroadcasts ?? 0;
  // The warm-up takes the origins in turn, so that every origin's tree has formed before the
  // measured phase.
  const warmup = warmupCount > 0 ? runPhase(sim, options, warmupCount, sources, true) : undefined;
  const healthy = runPhase(sim, options, options.broadcasts, sources);
  const withWarmup = warmup === undefined ? {} : { warmup };

  if (options.crashFraction <= 0) return { ...withWarmup, healthy, crashed: 0 };
  const victims = shuffled(sim, sim.alive()).slice(0, Math.floor(options.nodes * options.crashFraction));
  sim.crash(victims);
  sim.runFor(settle);
  const afterCrash = runPhase(sim, options, options.broadcasts, sources);
  return { ...withWarmup, healthy, afterCrash, crashed: victims.length };
}

function shuffled(sim: GossipSimulator, nodes: number[]): number[] {
  for (let i = nodes.length - 1; i > 0; i--) {
    const j = Math.floor(sim.random() * (i + 1));
    [nodes[i], nodes[j]] = [nodes[j] as number, nodes[i] as number];
  }
  return nodes;
}

function runPhase(
  sim: GossipSimulator,
  options: ScenarioOptions,
  broadcasts: number,
  sources: readonly number[] | undefined,
  inTurn = false,
): PhaseReport {
  const interval = options.broadcastIntervalMs ?? 50;
  const alive = sim.alive();
  const liveSources = sources?.filter((n) => !sim.crashed.has(n));
  const origins = liveSources !== undefined && liveSources.length > 0 ? liveSources : alive;
  const hopCounts: number[] = [];
  const connected = sim.isConnected();
  const startedAt = new Map<string, number>();
  const reached = new Map<string, Set<number>>();
  const firstOfOrigin = new Set<string>();
  const originsSeen = new Set<number>();
  let maxHopsFirst = 0;
  let maxHopsLater = 0;
  let maxHops = 0;
  let hopSum = 0;
  let deliveries = 0;
  let maxLatencyMs = 0;
  sim.onDeliver = (d) => {
    const key = contentKey(d.content);
    const set = reached.get(key);
    if (set === undefined || set.has(d.node)) return;
    set.add(d.node);
    deliveries++;
    hopSum += d.hops;
    hopCounts[d.hops] = (hopCounts[d.hops] ?? 0) + 1;
    maxHops = Math.max(maxHops, d.hops);
    if (firstOfOrigin.has(key)) maxHopsFirst = Math.max(maxHopsFirst, d.hops);
    else maxHopsLater = Math.max(maxHopsLater, d.hops);
    maxLatencyMs = Math.max(maxLatencyMs, d.at - (startedAt.get(key) ?? d.at));
  };
  sim.resetCounters();
  for (let b = 0; b < broadcasts; b++) {
    const pick = inTurn ? b % origins.length : Math.floor(sim.random() * origins.length);
    const origin = origins[pick] as number;
    const content = new Uint8Array(64);
    new DataView(content.buffer).setFloat64(0, sim.now);
    new DataView(content.buffer).setUint32(8, b);
    for (let i = 12; i < content.length; i++) content[i] = Math.floor(sim.random() * 256);
    const key = contentKey(content);
    startedAt.set(key, sim.now);
    reached.set(key, new Set([origin]));
    if (!originsSeen.has(origin)) firstOfOrigin.add(key);
    originsSeen.add(origin);
    sim.broadcast(origin, content);
    sim.runFor(interval);
  }
  // Let stragglers (grafts after lazy announcements) finish.
  sim.runFor(5_000);
  sim.onDeliver = undefined;
  const counters = sim.counters();
  const perNodeBroadcast = alive.length * broadcasts;
  const broadcastMessages = BROADCAST_TYPES.reduce((n, t) => n + (counters.messagesByType.get(t) ?? 0), 0);
  return {
    nodes: alive.length,
    broadcasts,
    deliveryRatio: deliveries / (broadcasts * (alive.length - 1)),
    maxHops,
    maxHopsFirstOfOrigin: maxHopsFirst,
    maxHopsLaterOfOrigin: maxHopsLater,
    meanHops: deliveries === 0 ? 0 : hopSum / deliveries,
    p50Hops: percentile(hopCounts, deliveries, 0.5),
    p99Hops: percentile(hopCounts, deliveries, 0.99),
    messagesPerNodePerBroadcast: broadcastMessages / perNodeBroadcast,
    maxMessagesPerNodePerBroadcast:
      alive.reduce((m, node) => Math.max(m, counters.broadcastMessagesByNode[node] ?? 0), 0) / broadcasts,
    maxReceivedPerNodePerBroadcast:
      alive.reduce((m, node) => Math.max(m, counters.broadcastMessagesReceivedByNode[node] ?? 0), 0) /
      broadcasts,
    payloadMessagesPerNodePerBroadcast:
      (counters.messagesByType.get(MessageType.Gossip) ?? 0) / perNodeBroadcast,
    maxMessagesOneNode: alive.reduce((m, node) => Math.max(m, counters.messagesByNode[node] ?? 0), 0),
    maxLatencyMs,
    connected,
  };
}

/** The smallest hop count with at least `q` of the deliveries at or below it. */
function percentile(hopCounts: readonly number[], total: number, q: number): number {
  let seen = 0;
  for (let hops = 0; hops < hopCounts.length; hops++) {
    seen += hopCounts[hops] ?? 0;
    if (seen >= q * total) return hops;
  }
  return hopCounts.length - 1;
}

function contentKey(content: Uint8Array): string {
  return `${new DataView(content.buffer, content.byteOffset).getFloat64(0)}:${new DataView(content.buffer, content.byteOffset).getUint32(8)}`;
}
