/**
 * Simulated broadcasts in virtual time (issues 4 and 20): delivery ratio, hops and messages per
 * node per broadcast, healthy and after 20 % of the nodes crashed, for each size in
 * `BENCH_SIM_SIZES` (default 1000,10000). One JSON object per line per metric and phase; the
 * wall time of each run goes to stderr.
 */
import { runBroadcastScenario } from '../src/sim/scenario.js';

// `ratio` is "higher is better": ours/baseline for delivery, baseline/ours for costs.
const line = (
  bench: string,
  unit: string,
  ours: number,
  baseline: string,
  baselineValue: number,
  lowerIsBetter = true,
) =>
  console.log(
    JSON.stringify({
      bench,
      unit,
      ours: Math.round(ours * 1000) / 1000,
      baseline,
      baselineValue: Math.round(baselineValue * 1000) / 1000,
      ratio: Math.round((lowerIsBetter ? baselineValue / ours : ours / baselineValue) * 1000) / 1000,
    }),
  );

const sizes = (process.env.BENCH_SIM_SIZES ?? '1000,10000').split(',').filter(Boolean).map(Number);
for (const nodes of sizes) {
  const started = performance.now();
  // Fewer broadcasts at 10,000 nodes keep the run within minutes; each still reaches every node.
  const broadcasts = nodes > 2000 ? 20 : 100;
  const report = runBroadcastScenario({ nodes, broadcasts, crashFraction: 0.2, seed: 4 });
  console.error(`gossip sim ${nodes}: ${Math.round(performance.now() - started)} ms wall`);
  const phases = [
    ['healthy', report.healthy],
    ['after_crash', report.afterCrash],
  ] as const;
  for (const [name, p] of phases) {
    if (p === undefined) continue;
    const tag = `gossip_sim_${nodes}_${name}`;
    // Baselines: the delivery target, one payload per node (an ideal spanning tree), the
    // depth of a balanced tree over five neighbours, and a node's share of an ideal tree's
    // traffic (its payload to each of its four children plus one IHave to each of ~5 lazy ones).
    line(`${tag}_delivery`, 'ratio', p.deliveryRatio, 'target', 0.999, false);
    line(`${tag}_payload_msgs_per_node`, 'messages', p.payloadMessagesPerNodePerBroadcast, 'ideal-tree', 1);
    line(`${tag}_all_msgs_per_node`, 'messages', p.messagesPerNodePerBroadcast, 'ideal-tree', 1);
    line(`${tag}_max_msgs_one_node`, 'messages', p.maxMessagesPerNodePerBroadcast, 'ideal-tree-node', 9);
    line(`${tag}_max_hops`, 'hops', p.maxHops, 'log4(n)+1', Math.log(p.nodes) / Math.log(4) + 1);
    line(`${tag}_mean_hops`, 'hops', p.meanHops, 'log4(n)', Math.log(p.nodes) / Math.log(4));
  }
}
