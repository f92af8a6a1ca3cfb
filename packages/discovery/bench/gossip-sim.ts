/**
 * Simulated broadcasts in virtual time (issues 4 and 20), for each size in `BENCH_SIM_SIZES`
 * (default 1000,10000): 20 origins, a warm-up in which each broadcasts once (its first payload
 * floods and prunes down to its tree), a steady phase, and a phase after 20 % of the nodes
 * crashed. One JSON line per phase with delivery, hops (max, p50, p99), payloads per node and
 * the busiest node's message counts, next to the ideal tree's values. At 1,000 nodes the same
 * scenario also runs with equal link latencies, where the fastest paths are the fewest hops:
 * it shows how much of the depth is the latency spread. The wall time of each run goes to stderr.
 */
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
      p50Hops: p.p50Hops,
      p99Hops: p.p99Hops,
      meanHops: round3(p.meanHops),
      payloadPerNode: round3(p.payloadMessagesPerNodePerBroadcast),
      broadcastMsgsPerNode: round3(p.messagesPerNodePerBroadcast),
      maxBroadcastMsgsOneNodePerBroadcast: round3(p.maxMessagesPerNodePerBroadcast),
      maxMsgsOneNodeInPhase: p.maxMessagesOneNode,
      maxLatencyMs: Math.round(p.maxLatencyMs),
      // An ideal spanning tree: one payload per node, depth log4(n) + 1 over five neighbours.
      ideal: { payloadPerNode: 1, maxHops: round3(Math.log(p.nodes) / Math.log(4) + 1) },
    }),
  );
}

function run(tag: string, nodes: number, latencyMs?: readonly [number, number]): void {
  const started = performance.now();
  const report = runBroadcastScenario({
    nodes,
    sources: 20,
    warmupBroadcasts: 20,
    broadcasts: nodes > 2000 ? 20 : 60,
    crashFraction: 0.2,
    seed: 4,
    ...(latencyMs === undefined ? {} : { latencyMs }),
  });
  console.error(`gossip sim ${tag}: ${Math.round(performance.now() - started)} ms wall`);
  if (report.warmup !== undefined) line(`${tag}_warmup`, report.warmup);
  line(`${tag}_steady`, report.healthy);
  if (report.afterCrash !== undefined) line(`${tag}_after_crash`, report.afterCrash);
}

const sizes = (process.env.BENCH_SIM_SIZES ?? '1000,10000').split(',').filter(Boolean).map(Number);
for (const nodes of sizes) {
  run(`gossip_sim_${nodes}`, nodes);
  if (nodes <= 2000) run(`gossip_sim_${nodes}_equal_latency`, nodes, [20, 20]);
}
