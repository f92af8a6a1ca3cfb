/**
 * Convergence of in-process swarms (issue 4): N real nodes on 127.0.0.1, each bootstrapped only
 * to node 0, until every catalog holds N−1 signed peers; plus resident memory per node. One JSON
 * object per line. All nodes share one JS thread, so this measures CPU cost as much as latency.
 */
import { id } from '@mosaik/id';
import { LocalNode } from '@mosaik/transport';
import { Discovery } from '../src/node/discovery.js';

interface Run {
  readonly n: number;
  readonly convergedMs: number;
  readonly rssPerNodeMb: number;
}

async function run(n: number, deadlineMs: number): Promise<Run> {
  globalThis.gc?.();
  const rssBefore = process.memoryUsage().rss;
  const net = id(`bench-${n}-${Math.random()}`);
  const config = { announceIntervalMs: 600_000, rttProbeIntervalMs: 600_000 };
  const nodes: { node: LocalNode; discovery: Discovery }[] = [];
  try {
    const seed = await LocalNode.bind(net, { preset: 'local' });
    nodes.push({ node: seed, discovery: await Discovery.start(seed, config) });
    const started = performance.now();
    await Promise.all(
      Array.from({ length: n - 1 }, async () => {
        const node = await LocalNode.bind(net, { preset: 'local' });
        nodes.push({ node, discovery: await Discovery.start(node, { ...config, bootstrap: [seed.addr()] }) });
      }),
    );
    for (;;) {
      if (nodes.every((x) => x.discovery.catalog().signedPeersCount() === n - 1)) break;
      if (performance.now() - started > deadlineMs) {
        console.error(
          `  deadline ${n}: ${nodes.map((x) => x.discovery.catalog().signedPeersCount()).join(',')}`,
        );
        return { n, convergedMs: Number.POSITIVE_INFINITY, rssPerNodeMb: Number.NaN };
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    const convergedMs = performance.now() - started;
    const rssPerNodeMb = (process.memoryUsage().rss - rssBefore) / n / 2 ** 20;
    return { n, convergedMs, rssPerNodeMb };
  } finally {
    // Departures first, one at a time (they need the others alive; closing all discovery
    // instances at once stalled in this in-process setting), then the endpoints.
    for (const x of nodes) await x.discovery.close();
    await Promise.allSettled(nodes.map((x) => x.node.close()));
  }
}

const line = (bench: string, unit: string, ours: number, baseline: string, baselineValue: number) =>
  console.log(
    JSON.stringify({
      bench,
      unit,
      ours: Math.round(ours * 100) / 100,
      baseline,
      baselineValue: Math.round(baselineValue * 100) / 100,
      // Lower is better for both: ratio > 1 means better than the baseline.
      ratio: Math.round((baselineValue / ours) * 1000) / 1000,
    }),
  );

const runs: Run[] = [];
for (const n of (process.env.BENCH_SIZES ?? '10,30,60').split(',').map(Number)) {
  runs.push(await run(n, 60_000));
  console.error(`converge ${n}: ${JSON.stringify(runs.at(-1))}`);
}
const ten = runs[0] as Run;
// Baselines: the reference's 10-node target (10 s) and the 30-node target (15 s); for 60
// nodes, the 10-node time scaled linearly with n (each node syncs once with every peer).
const targets: Record<number, [string, number]> = {
  10: ['ref-target', 10_000],
  30: ['issue-target', 15_000],
  60: ['linear-from-10', (ten.convergedMs * 60) / 10],
};
for (const r of runs) {
  const [name, value] = targets[r.n] as [string, number];
  line(`discovery_converge_${r.n}_nodes`, 'ms', r.convergedMs, name, value);
}
for (const r of runs) {
  line(`discovery_rss_per_node_${r.n}`, 'MiB', r.rssPerNodeMb, 'rss-per-node-at-10', ten.rssPerNodeMb);
}
