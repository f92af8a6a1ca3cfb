/**
 * Simulated 1000-node broadcast (issue 4): delivery ratio, hops and messages per node per
 * broadcast, healthy and after 20 % of the nodes crashed. One JSON object per line.
 */
import { runBroadcastScenario } from '../src/sim/scenario.js';

const report = runBroadcastScenario({ nodes: 1000, broadcasts: 100, crashFraction: 0.2, seed: 4 });
const phases = [
  ['healthy', report.healthy],
  ['after_crash', report.afterCrash],
] as const;
for (const [name, p] of phases) {
  if (p === undefined) continue;
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
        ours,
        baseline,
        baselineValue,
        ratio: lowerIsBetter ? baselineValue / ours : ours / baselineValue,
      }),
    );
  // Baselines: the delivery target, and one payload per node (an ideal spanning tree).
  line(`gossip_sim_1000_${name}_delivery`, 'ratio', p.deliveryRatio, 'target', 0.999, false);
  line(
    `gossip_sim_1000_${name}_payload_msgs_per_node`,
    'messages',
    p.payloadMessagesPerNodePerBroadcast,
    'ideal-tree',
    1,
  );
  line(
    `gossip_sim_1000_${name}_all_msgs_per_node`,
    'messages',
    p.messagesPerNodePerBroadcast,
    'ideal-tree',
    1,
  );
  line(`gossip_sim_1000_${name}_max_hops`, 'hops', p.maxHops, 'log5(n)', Math.log(p.nodes) / Math.log(5));
}
