/**
 * The diagnostics HTTP server (node:http): the page at `/`, and a read-only JSON API under
 * `/api/` — `snapshot` (the current {@link DiagnosticsSnapshot}), `log` (the event log) and
 * `events` (server-sent snapshots, one per interval). Binds 127.0.0.1 unless told otherwise;
 * with a token, every request must carry `Authorization: Bearer <token>` or `?token=<token>`
 * (browsers cannot set headers on EventSource).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Discovery } from '@mosaik/discovery';
import { constantTimeEqual, id, utf8 } from '@mosaik/id';
import { type ExporterAddress, parseExporterAddress } from '@mosaik/metrics';
import { formatBootstrapAddr } from '../bootstrap-addr.js';
import { collectReport, type MachineDescriber, type ReportSources } from './collect.js';
import { EventLog, watchNode } from './events.js';
import { KNOWN_TAGS } from './known-tags.js';
import { buildSnapshot, type DiagnosticsSnapshot, type PeerInput } from './model.js';
import { diagnosticsPage } from './page.js';
import type { NodeReport } from './report.js';

/** Options of {@link startDiagnostics}. */
export interface DiagnosticsOptions {
  /** Where to listen: `host:port`, a port, or `{ host, port }`; the host defaults to 127.0.0.1. */
  readonly addr: ExporterAddress;
  /** Require this bearer token on every request. */
  readonly token?: string | undefined;
  /** Snapshot interval in ms (default 1000; the page updates at this pace). */
  readonly intervalMs?: number;
  /** More tag names to show by name. */
  readonly tagNames?: readonly string[];
  /** Fills the collections panel from groups whose state machine it recognises. */
  readonly describeMachine?: MachineDescriber;
}

/** A running diagnostics server. */
export interface DiagnosticsServer {
  /** `http://host:port/` (without the token). */
  readonly url: string;
  readonly port: number;
  /** The latest snapshot (taken now if none yet). */
  snapshot(): DiagnosticsSnapshot;
  /** Stops listening, ends the event streams, stops watching the node. */
  close(): Promise<void>;
}

/** What the server reads: a `Network` has all of it. */
export interface DiagnosticsNode extends ReportSources {
  readonly discovery: Discovery;
}

/** Open `api/events` streams at most: each costs a JSON snapshot per interval. */
const MAX_EVENT_STREAMS = 32;

const SECURITY_HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

/** Starts the diagnostics server of `node`. Rejects with the listen error (e.g. `EADDRINUSE`). */
export async function startDiagnostics(
  node: DiagnosticsNode,
  options: DiagnosticsOptions,
): Promise<DiagnosticsServer> {
  const { host, port } = parseExporterAddress(options.addr);
  const interval = options.intervalMs ?? 1000;
  const token = options.token === undefined || options.token === '' ? undefined : utf8(options.token);
  const log = new EventLog();
  const stopWatching = watchNode(node, log);
  const tagNames = new Map([...KNOWN_TAGS, ...(options.tagNames ?? [])].map((t) => [id(t).toString(), t]));
  const page = diagnosticsPage();
  const streams = new Set<ServerResponse>();
  let previous: NodeReport | undefined;
  let latest: DiagnosticsSnapshot | undefined;

  const take = (): DiagnosticsSnapshot => {
    const report = collectReport(node, options.describeMachine);
    const addr = node.local.addr();
    const me = node.discovery.me().entry;
    const catalog = node.discovery.catalog();
    const peers: PeerInput[] = [...catalog.signedPeers().map((s) => s.entry), ...catalog.unsignedPeers()].map(
      (e) => ({
        peer: e.peerId.toString(),
        tags: e.tags.map((t) => t.toString()),
        addresses: e.address.directAddresses,
        relay: e.address.relayUrl,
        rttMs: node.discovery.rtt.get(e.peerId),
        updatedAt: e.updatedAt,
        startedAt: e.startedAt,
        streams: e.streams.map((s) => s.toString()),
        groups: e.groups.map((g) => g.toString()),
      }),
    );
    const snapshot = buildSnapshot({
      now: report.at,
      self: {
        peer: node.local.peerId.toString(),
        network: node.local.networkId.toString(),
        addresses: addr.directAddresses,
        relay: addr.relayUrl,
        bootstrap: formatBootstrapAddr(addr),
        tags: me.tags.map((t) => t.toString()),
        startedAt: me.startedAt,
      },
      peers,
      active: node.discovery.neighbors().map((p) => p.toString()),
      passive: node.discovery.passivePeers().map((p) => p.toString()),
      report,
      previous,
      events: log.list(),
      tagNames,
    });
    previous = report;
    latest = snapshot;
    return snapshot;
  };

  const tick = setInterval(() => {
    if (node.local.isClosed) return;
    try {
      const snapshot = take();
      const frame = `event: snapshot\ndata: ${JSON.stringify(snapshot)}\n\n`;
      for (const res of streams) res.write(frame);
    } catch (error) {
      node.local.logger.debug({ err: String(error) }, 'diagnostics snapshot failed');
    }
  }, interval);
  tick.unref();

  const authorized = (req: IncomingMessage, url: URL): boolean => {
    if (token === undefined) return true;
    const header = req.headers.authorization;
    const given = header?.startsWith('Bearer ') ? header.slice(7) : (url.searchParams.get('token') ?? '');
    const bytes = utf8(given);
    return bytes.length === token.length && constantTimeEqual(bytes, token);
  };

  const send = (res: ServerResponse, status: number, type: string, body: string, extra = {}) => {
    res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': type, ...extra }).end(body);
  };
  const json = (res: ServerResponse, status: number, value: unknown) =>
    send(res, status, 'application/json; charset=utf-8', `${JSON.stringify(value)}\n`);

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://diagnostics.invalid');
    const route = url.pathname;
    const known = ['/', '/api/snapshot', '/api/log', '/api/events'];
    if (!known.includes(route)) return json(res, 404, { error: 'not found' });
    if (req.method !== 'GET') {
      res.setHeader('allow', 'GET');
      return json(res, 405, { error: 'method not allowed' });
    }
    if (!authorized(req, url)) {
      res.setHeader('www-authenticate', 'Bearer realm="mosaik diagnostics"');
      return json(res, 401, { error: 'missing or wrong bearer token' });
    }
    switch (route) {
      case '/':
        return send(res, 200, 'text/html; charset=utf-8', page, {
          'content-security-policy':
            "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; connect-src 'self'; img-src data:",
        });
      case '/api/snapshot':
        return json(res, 200, take());
      case '/api/log':
        return json(res, 200, log.list());
      default: {
        if (streams.size >= MAX_EVENT_STREAMS)
          return json(res, 503, { error: 'too many open event streams' });
        res.writeHead(200, {
          ...SECURITY_HEADERS,
          'content-type': 'text/event-stream; charset=utf-8',
          connection: 'keep-alive',
        });
        // The first snapshot at once, so a fresh page is never blank for a whole interval.
        res.write(`retry: 1000\nevent: snapshot\ndata: ${JSON.stringify(latest ?? take())}\n\n`);
        streams.add(res);
        req.on('close', () => streams.delete(res));
        return;
      }
    }
  };

  const server = createServer((req, res) => {
    try {
      handle(req, res);
    } catch (error) {
      if (!res.headersSent) json(res, 500, { error: String(error) });
      else res.destroy();
    }
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    clearInterval(tick);
    stopWatching();
    throw error;
  }
  const bound = server.address() as AddressInfo;
  const shownHost = bound.family === 'IPv6' ? `[${bound.address}]` : bound.address;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${shownHost}:${bound.port}/`,
    port: bound.port,
    snapshot: () => latest ?? take(),
    close() {
      closing ??= new Promise<void>((resolve) => {
        clearInterval(tick);
        stopWatching();
        for (const res of streams) res.end();
        streams.clear();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
