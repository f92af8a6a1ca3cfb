import { describe, expect, it } from 'vitest';
import { createMetrics, MetricsError, metricName, Registry } from './index.js';

describe('createMetrics', () => {
  it('puts the network label on every metric', async () => {
    const m = createMetrics({ network: '3a15da9332' });
    m.counter('mosaik_network_bytes_sent_total', 'Frame bytes sent').inc(1500);
    m.gauge('mosaik_discovery_catalog_size', 'Peers in the catalog').set(3);
    m.histogram('mosaik_rpc_latency_seconds', 'Latency', { buckets: [0.1, 1] }).observe(0.5);
    const text = await m.registry.metrics();
    expect(text).toContain('# TYPE mosaik_network_bytes_sent_total counter');
    expect(text).toContain('mosaik_network_bytes_sent_total{network="3a15da9332"} 1500');
    expect(text).toContain('mosaik_discovery_catalog_size{network="3a15da9332"} 3');
    expect(text).toContain('mosaik_rpc_latency_seconds_bucket{le="1",network="3a15da9332"} 1');
    expect(text).toContain('mosaik_rpc_latency_seconds_count{network="3a15da9332"} 1');
  });

  it('returns the same instrument for the same name', async () => {
    const m = createMetrics({ network: 'aa' });
    const a = m.counter('x_total', 'x');
    const b = m.counter('x_total', 'x');
    expect(a.metric).toBe(b.metric);
    a.inc();
    b.inc(2);
    expect(await m.registry.metrics()).toContain('x_total{network="aa"} 3');
  });

  it('lets facades of two networks share one registry with distinct series', async () => {
    const registry = new Registry();
    const a = createMetrics({ network: 'aaaaaaaaaa', registry });
    const b = createMetrics({ network: 'bbbbbbbbbb', registry });
    a.counter('links_total', 'links').inc();
    b.counter('links_total', 'links').inc(5);
    const text = await registry.metrics();
    expect(text).toContain('links_total{network="aaaaaaaaaa"} 1');
    expect(text).toContain('links_total{network="bbbbbbbbbb"} 5');
  });

  it('gives each node its own registry by default', async () => {
    const a = createMetrics({ network: 'a' });
    const b = createMetrics({ network: 'b' });
    expect(a.registry).not.toBe(b.registry);
    a.counter('only_a_total', 'a').inc();
    expect(await b.registry.metrics()).not.toContain('only_a_total');
  });

  it('supports extra labels next to network', async () => {
    const m = createMetrics({ network: 'n' });
    const items = m.counter('mosaik_streams_producer_items_sent_total', 'items', ['stream']);
    items.inc({ stream: 's1' });
    items.inc({ stream: 's1' }, 2);
    items.inc({ stream: 's2' });
    const g = m.gauge('g', 'g', ['group']);
    g.set({ group: 'g1' }, 4);
    g.inc({ group: 'g1' });
    g.dec({ group: 'g1' }, 2);
    g.inc(10);
    const h = m.histogram('h_seconds', 'h', { labelNames: ['op'], buckets: [1] });
    const stop = h.startTimer({ op: 'x' });
    expect(stop()).toBeGreaterThanOrEqual(0);
    const text = await m.registry.metrics();
    expect(text).toContain('mosaik_streams_producer_items_sent_total{stream="s1",network="n"} 3');
    expect(text).toContain('mosaik_streams_producer_items_sent_total{stream="s2",network="n"} 1');
    expect(text).toContain('g{group="g1",network="n"} 3');
    expect(text).toContain('h_seconds_count{op="x",network="n"} 1');
  });

  it('works without a network label and with a prefix', async () => {
    const m = createMetrics({ prefix: 'app_' });
    m.counter('requests_total', 'r').inc();
    m.gauge('open', 'o').set(2);
    m.histogram('wait_seconds', 'w', { buckets: [1] }).observe(0.5);
    const text = await m.registry.metrics();
    expect(text).toMatch(/^app_requests_total 1$/m);
    expect(text).toMatch(/^app_open 2$/m);
    expect(text).toMatch(/^app_wait_seconds_bucket\{le="1"\} 1$/m);
  });

  it('turns reference dotted names into Prometheus names', () => {
    expect(metricName('mosaik.network.egress.bytes')).toBe('mosaik_network_egress_bytes');
    const m = createMetrics({ network: 'n' });
    expect(m.counter('mosaik.discovery.peers.discovered_total', 'd').metric).toBe(
      m.counter('mosaik_discovery_peers_discovered_total', 'd').metric,
    );
  });

  it('refuses conflicting or invalid definitions', () => {
    const m = createMetrics({ network: 'n' });
    m.counter('c_total', 'c');
    expect(() => m.gauge('c_total', 'c')).toThrow(expect.objectContaining({ code: 'metric_conflict' }));
    expect(() => m.counter('c_total', 'c', ['x'])).toThrow(MetricsError);
    expect(() => m.counter('bad-name', 'b')).toThrow(expect.objectContaining({ code: 'invalid_metric' }));
    expect(() => m.counter('ok_total', 'b', ['network'])).toThrow(/added by the facade/);
    expect(() => m.counter('ok_total', 'b', ['bad-label'])).toThrow(/invalid label/);
    const other = createMetrics({ registry: m.registry });
    expect(() => other.counter('c_total', 'c')).toThrow(/already registered with labels/);
  });
});
