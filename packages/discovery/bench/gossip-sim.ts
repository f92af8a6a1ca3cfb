/**
 * Simulated broadcasts in virtual time (issues 4 and 20), for each size in `BENCH_SIM_SIZES`
 * (default 1000,10000): 20 origins, a warm-up in which each broadcasts once (its first payload
 * floods and prunes down to its tree), a steady phase, and a phase after 20 % of the nodes
 * crashed. One JSON line per phase with delivery, hops (max, p50, p99, and the max of each
 * origin's first payload in the phase apart from its later ones), payloads per node, the busiest
 * node's message counts (sent and received per broadcast), and the slowest delivery, next to the
 * ideal tree's values. At 1,000 nodes the same scenario also runs as peers in the same process:
 * with the paper's 7-round threshold for every tree (no latency budget), which keeps the fastest
 * paths however long; and with equal link latencies, where the fastest paths are the fewest hops.
 * The wall time of each run goes to stderr.
 */
import type { GossipConfig } from '../src/gossip/config.js';
import type { PhaseReport } from '../src/sim/scenario.js';
import { runBroadcastScenario } from '../src/sim/scenario.js';

const round3 = (x: number) => Math.round(x * 1000) / 1000;

function line(bench: string, p: PhaseReport): void {
  console.log(
    JSON.stringify({
      bench,
      nodes: p.nodes,
      broadcasts: p.broadcasts,
      delivery: round3(p.deliveryRatio),
      maxHops: p.maxHops,
      maxHopsFirstOfOrigin: p.maxHopsFirstOfOrigin,
      maxHopsLaterOfOrigin: p.maxHopsLaterOfOrigin,
      p50Hops: p.p50Hops,
      p99Hops: p.p99Hops,
      meanHops: round3(p.meanHops),
      payloadPerNode: round3(p.payloadMessagesPerNodePerBroadcast),
      broadcastMsgsPerNode: round3(p.messagesPerNodePerBroadcast),
      maxSentOneNodePerBroadcast: round3(p.maxMessagesPerNodePerBroadcast),
      maxReceivedOneNodePerBroadcast: round3(p.maxReceivedPerNodePerBroadcast),
      maxMsgsOneNodeInPhase: p.maxMessagesOneNode,
      maxLatencyMs: Math.round(p.maxLatencyMs),
      // An ideal spanning tree: one payload per node, depth log4(n) + 1 over five neighbours.
      ideal: { payloadPerNode: 1, maxHops: round3(Math.log(p.nodes) / Math.log(4) + 1) },
    }),
  );
}

function run(
  tag: string,
  nodes: number,
  latencyMs?: readonly [number, number],
  config?: Partial<GossipConfig>,
): void {
  const started = performance.now();
  const report = runBroadcastScenario({
    nodes,
    sources: 20,
    warmupBroadcasts: 20,
    broadcasts: nodes > 2000 ? 20 : 60,
    crashFraction: 0.2,
    seed: 4,
    ...(latencyMs === undefined ? {} : { latencyMs }),
    ...(config === undefined ? {} : { config }),
  });
  console.error(`gossip sim ${tag}: ${Math.round(performance.now() - started)} ms wall`);
  if (report.warmup !== undefined) line(`${tag}_warmup`, report.warmup);
  line(`${tag}_steady`, report.healthy);
  if (report.afterCrash !== undefined) line(`${tag}_after_crash`, report.afterCrash);
}

/** The trees before the shorter-path trade: every tree moves only for 7 rounds saved. */
const PAPER_THRESHOLD: Partial<GossipConfig> = {
  rootTreeOptimizationThreshold: 7,
  rootTreeDelayPerRoundMs: Number.POSITIVE_INFINITY,
};

const sizes = (process.env.BENCH_SIM_SIZES ?? '1000,10000').split(',').filter(Boolean).map(Number);
const peersUpTo = Number(process.env.BENCH_SIM_PEERS_UP_TO ?? 2000);
for (const nodes of sizes) {
  run(`gossip_sim_${nodes}`, nodes);
  if (nodes > peersUpTo) continue;
  run(`gossip_sim_${nodes}_paper_threshold`, nodes, undefined, PAPER_THRESHOLD);
  run(`gossip_sim_${nodes}_equal_latency`, nodes, [20, 20]);
}
