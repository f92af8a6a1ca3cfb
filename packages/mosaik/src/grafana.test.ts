import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Cluster, freePort, startCluster, startTicker } from '../test/fixtures.js';
import { Network, scaled } from './index.js';

interface Panel {
  readonly id: number;
  readonly type: string;
  readonly title: string;
  readonly targets?: readonly { readonly expr: string }[];
}

const dashboard = JSON.parse(readFileSync(new URL('../grafana/mosaik.json', import.meta.url), 'utf8')) as {
  panels: Panel[];
  templating: { list: { query: unknown }[] };
};

/** Every metric name a PromQL expression mentions. */
function metricsIn(expr: string): string[] {
  return [...expr.matchAll(/\b(?:mosaik|process|nodejs)_[a-z0-9_]+/g)].map((m) => m[0]);
}

/** Names a Prometheus text exposition offers (histograms as their three series). */
function exported(text: string): Set<string> {
  const names = new Set<string>();
  for (const [, name, type] of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    names.add(name!);
    if (type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(`${name}${s}`);
  }
  return names;
}

async function scrape(url: string): Promise<string> {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  return res.text();
}

describe('Grafana dashboard', () => {
  let cluster: Cluster;
  let ticker: NodeJS.Timeout | undefined;
  const ports: number[] = [];
  beforeAll(async () => {
    ports.push(await freePort(), await freePort());
    // Node 1 produces and is a group member, node 2 consumes and is a member: between them
    // every subsystem has registered its metrics.
    cluster = await startCluster(`grafana-${Math.random()}`, {
      node: (i) => (i === 1 || i === 2 ? { prometheusAddr: `127.0.0.1:${ports[i - 1]}` } : {}),
    });
    ticker = startTicker(cluster.producer);
  }, scaled(60_000));
  afterAll(async () => {
    clearInterval(ticker);
    await cluster?.close();
  });

  it('queries only metrics that running nodes export', async () => {
    const names = new Set<string>();
    for (const port of ports) {
      for (const n of exported(await scrape(`http://127.0.0.1:${port}/metrics`))) names.add(n);
    }
    const queried = new Set(
      dashboard.panels.flatMap((p) => (p.targets ?? []).flatMap((t) => metricsIn(t.expr))),
    );
    for (const v of dashboard.templating.list)
      for (const n of metricsIn(JSON.stringify(v.query))) queried.add(n);
    expect(queried.size).toBeGreaterThan(40);
    const missing = [...queried].filter((n) => !names.has(n));
    expect(missing).toEqual([]);
    // The dashboard covers the catalog: rates and drops, commit latency, elections, bonds, discovery.
    for (const needed of [
      'mosaik_streams_producer_items_sent_total',
      'mosaik_streams_producer_items_dropped_total',
      'mosaik_groups_command_commit_seconds_bucket',
      'mosaik_groups_raft_elections_total',
      'mosaik_groups_bonds_active',
      'mosaik_discovery_catalog_size',
      'mosaik_discovery_gossip_neighbors',
      'process_cpu_seconds_total',
      'nodejs_eventloop_lag_p99_seconds',
    ])
      expect(queried).toContain(needed);
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('exports process metrics by default, and not with processMetrics: false', async () => {
    const net = await Network.create(cluster.nets[0]!.networkId, {
      preset: 'local',
      prometheusAddr: '127.0.0.1:0',
      bootstrap: [cluster.nets[0]!.addr],
    });
    const plain = await Network.create(cluster.nets[0]!.networkId, {
      preset: 'local',
      prometheusAddr: '127.0.0.1:0',
      processMetrics: false,
    });
    try {
      for (const [n, withProcess] of [
        [net, true],
        [plain, false],
      ] as const) {
        const names = exported(await n.local.metrics.registry.metrics());
        expect(names.has('mosaik_discovery_catalog_size')).toBe(true);
        expect(names.has('process_cpu_seconds_total')).toBe(withProcess);
        expect(names.has('nodejs_eventloop_lag_p99_seconds')).toBe(withProcess);
      }
    } finally {
      await Promise.all([net.close(), plain.close()]);
    }
  });
});
