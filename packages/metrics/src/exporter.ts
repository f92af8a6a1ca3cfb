/** A minimal Prometheus exporter: `GET /metrics` in the text exposition format, on node:http. */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { collectDefaultMetrics, type Registry } from 'prom-client';
import { MetricsError } from './errors.js';

/** Where the exporter listens: `"host:port"`, `"[::1]:port"`, a port number, or `{ host, port }`. */
export type ExporterAddress = string | number | { readonly host?: string; readonly port: number };

/** A running exporter. */
export interface PrometheusExporter {
  /** `http://host:port/metrics`. */
  readonly url: string;
  /** The bound port (useful with port 0). */
  readonly port: number;
  /** The bound host. */
  readonly host: string;
  /** Stops listening and drops open connections. */
  close(): Promise<void>;
}

/** Options of {@link startPrometheusExporter}. */
export interface ExporterOptions {
  /**
   * Also export prom-client's default process metrics (`process_*`, `nodejs_*`: CPU, memory,
   * event-loop lag, GC) on the registry. Default `true`; skipped when the registry has them.
   */
  readonly processMetrics?: boolean;
}

/** Parses an {@link ExporterAddress}; the host defaults to 127.0.0.1. */
export function parseExporterAddress(addr: ExporterAddress): { host: string; port: number } {
  let host = '127.0.0.1';
  let port: number;
  if (typeof addr === 'number') port = addr;
  else if (typeof addr === 'object') {
    host = addr.host ?? host;
    port = addr.port;
  } else {
    const m = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d+)$/.exec(addr.trim()) ?? /^()()(\d+)$/.exec(addr.trim());
    if (!m)
      throw new MetricsError(
        'invalid_address',
        `invalid exporter address ${JSON.stringify(addr)} (want host:port)`,
      );
    host = m[1] || m[2] || host;
    port = Number(m[3]);
  }
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new MetricsError('invalid_address', `invalid exporter port ${port}`);
  }
  return { host, port };
}

/**
 * Serves `registry` on `GET /metrics` (404 on any other path, 405 on other methods). Resolves
 * once listening; rejects with the listen error (e.g. `EADDRINUSE`).
 *
 * ```ts
 * const exporter = await startPrometheusExporter('127.0.0.1:9464', metrics.registry);
 * // … curl http://127.0.0.1:9464/metrics
 * await exporter.close();
 * ```
 */
export async function startPrometheusExporter(
  addr: ExporterAddress,
  registry: Registry | { readonly registry: Registry },
  options: ExporterOptions = {},
): Promise<PrometheusExporter> {
  const { host, port } = parseExporterAddress(addr);
  const reg = 'registry' in registry ? registry.registry : registry;
  // Several nodes may share one registry: register the process metrics once.
  if (
    options.processMetrics !== false &&
    reg.getSingleMetric('process_cpu_user_seconds_total') === undefined
  ) {
    collectDefaultMetrics({ register: reg });
  }

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res
        .writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' })
        .end('method not allowed\n');
      return;
    }
    try {
      const body = await reg.metrics();
      res.writeHead(200, { 'content-type': reg.contentType });
      res.end(req.method === 'HEAD' ? undefined : body);
    } catch (error) {
      res
        .writeHead(500, { 'content-type': 'text/plain; charset=utf-8' })
        .end(`${(error as Error)?.message ?? error}\n`);
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = server.address() as AddressInfo;
  const shownHost = bound.family === 'IPv6' ? `[${bound.address}]` : bound.address;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${shownHost}:${bound.port}/metrics`,
    port: bound.port,
    host: bound.address,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
