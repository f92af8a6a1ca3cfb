import { describe, expect, it } from 'vitest';
import { createMetrics, MetricsError, parseExporterAddress, startPrometheusExporter } from './index.js';

describe('startPrometheusExporter', () => {
  it('serves the registry on GET /metrics and 404 elsewhere', async () => {
    const metrics = createMetrics({ network: '3a15da9332' });
    metrics.counter('mosaik_network_connections_opened_total', 'Links opened or accepted').inc(2);
    const exporter = await startPrometheusExporter({ host: '127.0.0.1', port: 0 }, metrics.registry);
    try {
      expect(exporter.port).toBeGreaterThan(0);
      expect(exporter.url).toBe(`http://127.0.0.1:${exporter.port}/metrics`);
      const res = await fetch(exporter.url);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      expect(await res.text()).toContain('mosaik_network_connections_opened_total{network="3a15da9332"} 2');
      // later increments are visible on the next scrape
      metrics.counter('mosaik_network_connections_opened_total', 'Links opened or accepted').inc();
      expect(await (await fetch(exporter.url)).text()).toContain('{network="3a15da9332"} 3');

      const notFound = await fetch(`http://127.0.0.1:${exporter.port}/`);
      expect(notFound.status).toBe(404);
      await notFound.text();
      const post = await fetch(exporter.url, { method: 'POST' });
      expect(post.status).toBe(405);
      await post.text();
      const query = await fetch(`${exporter.url}?x=1`);
      expect(query.status).toBe(200);
      await query.text();
    } finally {
      await exporter.close();
    }
    await expect(fetch(exporter.url)).rejects.toThrow();
  });

  it('accepts a "host:port" string and a metrics facade', async () => {
    const metrics = createMetrics({ network: 'n' });
    const exporter = await startPrometheusExporter('127.0.0.1:0', metrics);
    try {
      const res = await fetch(exporter.url);
      expect(res.status).toBe(200);
      await res.text();
    } finally {
      await exporter.close();
      await exporter.close(); // idempotent
    }
  });

  it('rejects when the port is taken', async () => {
    const a = await startPrometheusExporter(0, createMetrics().registry);
    try {
      await expect(startPrometheusExporter(a.port, createMetrics().registry)).rejects.toThrow(/EADDRINUSE/);
    } finally {
      await a.close();
    }
  });
});

describe('process metrics on the exporter', () => {
  it('are on by default, registered once per registry, and off with processMetrics: false', async () => {
    const shared = createMetrics({ network: 'p' });
    const a = await startPrometheusExporter(0, shared);
    // A second node on the same registry must not register them twice (prom-client would throw).
    const b = await startPrometheusExporter(0, shared);
    const off = createMetrics({ network: 'q' });
    const c = await startPrometheusExporter(0, off, { processMetrics: false });
    try {
      const text = await (await fetch(a.url)).text();
      expect(text).toContain('# TYPE process_cpu_seconds_total counter');
      expect(text).toContain('# TYPE nodejs_eventloop_lag_p99_seconds gauge');
      expect(await (await fetch(c.url)).text()).not.toContain('process_cpu');
    } finally {
      await Promise.all([a.close(), b.close(), c.close()]);
    }
  });
});

describe('parseExporterAddress', () => {
  it('parses the accepted forms', () => {
    expect(parseExporterAddress('0.0.0.0:9000')).toEqual({ host: '0.0.0.0', port: 9000 });
    expect(parseExporterAddress('[::1]:9000')).toEqual({ host: '::1', port: 9000 });
    expect(parseExporterAddress(':9000')).toEqual({ host: '127.0.0.1', port: 9000 });
    expect(parseExporterAddress('9000')).toEqual({ host: '127.0.0.1', port: 9000 });
    expect(parseExporterAddress(9000)).toEqual({ host: '127.0.0.1', port: 9000 });
    expect(parseExporterAddress({ port: 1 })).toEqual({ host: '127.0.0.1', port: 1 });
  });
  it('refuses the rest', () => {
    for (const bad of ['', 'host', 'host:port', 'host:70000', '::1:9000']) {
      expect(() => parseExporterAddress(bad), bad).toThrow(MetricsError);
    }
    expect(() => parseExporterAddress(-1)).toThrow(MetricsError);
  });
});
