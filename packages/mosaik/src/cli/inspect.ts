/**
 * `mosaik inspect`: joins a network as a passive observer (it produces, consumes and joins
 * nothing; its entry carries only the `mosaik-inspect` tag), reads the catalog, asks every peer
 * for its status over `/mosaik/status/1`, and prints peers, streams and groups.
 */
import { id } from '@mosaik/id';
import { createLogger, type LogLevel } from '@mosaik/metrics';
import type { TransportPreset } from '@mosaik/transport';
import { KNOWN_TAGS } from '../diagnostics/known-tags.js';
import type { NodeReport } from '../diagnostics/report.js';
import { queryStatus } from '../diagnostics/status-protocol.js';
import { Network } from '../network.js';
import { formatDuration } from './dht.js';
import { buildInspection, type Inspection, type ObservedPeer } from './inspection.js';
import { type Palette, palette, renderTable, spinner } from './term.js';

/** The tag an inspecting node carries. */
export const INSPECT_TAG = 'mosaik-inspect';

/** Options of {@link runInspect}. */
export interface InspectOptions {
  readonly network: string;
  readonly bootstrap: readonly string[];
  /** Print JSON (one document; one line per refresh with `watch`). */
  readonly json?: boolean;
  /** Refresh every this many seconds until interrupted. */
  readonly watchSec?: number;
  /** How long to wait for the catalog to settle, seconds (default 5). */
  readonly waitSec?: number;
  /** Timeout of each status query, seconds (default 3). */
  readonly timeoutSec?: number;
  readonly preset?: TransportPreset;
  readonly noRelay?: boolean;
  readonly diagnosticsAddr?: string;
  readonly colour?: boolean;
  /** Spinner on stderr while waiting. */
  readonly spinner?: boolean;
  readonly logLevel?: LogLevel;
  /** Where output goes (default stdout). */
  readonly write?: (text: string) => void;
  /** Stops `watch` (default: SIGINT/SIGTERM). */
  readonly signal?: AbortSignal;
}

function tagName(hex: string): string {
  return KNOWN_TAGS.find((t) => id(t).toString() === hex) ?? hex.slice(0, 10);
}

/** Waits until the catalog has peers and has not grown for `quietMs`, or the deadline. */
async function settle(net: Network, deadline: number, quietMs: number, signal?: AbortSignal): Promise<void> {
  let count = -1;
  let since = Date.now();
  while (Date.now() < deadline && !signal?.aborted) {
    const now = net.discovery.catalog().signedPeersCount();
    if (now !== count) {
      count = now;
      since = Date.now();
    } else if (count > 0 && Date.now() - since >= quietMs) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function observe(net: Network, timeoutMs: number): Promise<Inspection> {
  const catalog = net.discovery.catalog();
  const entries = catalog.signedPeers().map((s) => s.entry);
  const reports = new Map<string, NodeReport>();
  const failures = new Map<string, string>();
  const rtts = new Map<string, number>();
  await Promise.all(
    entries.map(async (e) => {
      const key = e.peerId.toString();
      const [status, ping] = await Promise.allSettled([
        queryStatus(net.local, e.peerId, net.networkId, timeoutMs),
        net.discovery.ping(e.peerId),
      ]);
      if (status.status === 'fulfilled') reports.set(key, status.value);
      else failures.set(key, status.reason instanceof Error ? status.reason.message : String(status.reason));
      if (ping.status === 'fulfilled') rtts.set(key, ping.value.rttMs);
    }),
  );
  const now = Date.now();
  const peers: ObservedPeer[] = entries.map((e) => {
    const key = e.peerId.toString();
    return {
      peer: key,
      tags: e.tags.map((t) => tagName(t.toString())),
      addresses: e.address.directAddresses,
      relay: e.address.relayUrl ?? null,
      rttMs: rtts.get(key) ?? net.discovery.rtt.get(e.peerId) ?? null,
      entryAgeMs: Math.max(0, now - e.updatedAt),
      uptimeMs: e.uptime(now),
      streams: e.streams.map((s) => s.toString()),
      groups: e.groups.map((g) => g.toString()),
    };
  });
  return buildInspection({
    network: net.networkId.toString(),
    observer: net.peerId.toString(),
    now,
    peers,
    reports,
    failures,
  });
}

const short = (hex: string | null) => (hex === null ? '-' : hex.slice(0, 10));
const ms = (v: number | null) => (v === null ? '-' : `${v < 10 ? v.toFixed(2) : Math.round(v)} ms`);

/** The tables of an inspection. */
export function renderInspection(x: Inspection, p: Palette): string {
  const out: string[] = [];
  out.push(`${p.bold('network')} ${x.network}   ${p.dim(`observer ${short(x.observer)}, ${x.at}`)}`, '');
  out.push(p.cyan(`PEERS (${x.peers.length})`));
  out.push(
    ...renderTable(
      ['PEER', 'TAGS', 'ADDRESSES', 'RTT', 'ENTRY AGE', 'UPTIME'],
      x.peers.map((peer) => [
        short(peer.peer),
        peer.tags.join(',') || '-',
        [...peer.addresses, ...(peer.relay === null ? [] : [peer.relay])].join(',') || '-',
        ms(peer.rttMs),
        formatDuration(peer.entryAgeMs),
        formatDuration(peer.uptimeMs),
      ]),
      p,
    ),
    '',
  );
  out.push(p.cyan(`STREAMS (${x.streams.length})`));
  if (x.streams.length === 0) out.push(p.dim('no stream is produced'));
  else
    out.push(
      ...renderTable(
        ['STREAM', 'PRODUCER', 'CONSUMERS'],
        x.streams.flatMap((s) =>
          s.producers.map((prod, i) => [
            i === 0 ? short(s.stream) : '',
            short(prod.peer),
            `${prod.consumers.length}${prod.consumers.length ? ` (${prod.consumers.map(short).join(', ')})` : ''}`,
          ]),
        ),
        p,
      ),
    );
  out.push('', p.cyan(`GROUPS (${x.groups.length})`));
  if (x.groups.length === 0) out.push(p.dim('no group has members'));
  for (const g of x.groups) {
    out.push(
      `${p.bold(short(g.group))}  leader ${g.leader === null ? p.yellow('none') : p.green(short(g.leader))}  term ${g.term ?? '-'}`,
    );
    out.push(
      ...renderTable(
        ['  MEMBER', 'ROLE', 'TERM', 'LEADER', 'COMMIT', 'APPLIED'],
        g.members.map((m) => [
          `  ${short(m.peer)}`,
          m.role === 'leader' ? p.green(m.role) : m.role === 'unreachable' ? p.red(m.role) : m.role,
          String(m.term ?? '-'),
          short(m.leader),
          String(m.commit ?? '-'),
          String(m.applied ?? '-'),
        ]),
        p,
      ),
    );
  }
  if (x.unreachable.length > 0) {
    out.push('', p.red(`UNREACHABLE (${x.unreachable.length})`));
    for (const u of x.unreachable) out.push(`${short(u.peer)}  ${u.error}`);
  }
  return `${out.join('\n')}\n`;
}

/** Runs `mosaik inspect`; resolves with the last inspection (rejects when no peer was found). */
export async function runInspect(options: InspectOptions): Promise<Inspection> {
  const write = options.write ?? ((t: string) => process.stdout.write(t));
  const p = palette(options.colour === true);
  const spin = spinner('joining the network…', options.spinner === true);
  const net = await Network.create(options.network, {
    bootstrap: options.bootstrap,
    // Bootstrap exchanges give up with the status queries, so a dead bootstrap peer fails fast.
    discovery: { tags: [INSPECT_TAG], exchangeTimeoutMs: (options.timeoutSec ?? 3) * 1000 },
    logger: createLogger({ level: options.logLevel ?? 'warn', destination: process.stderr }),
    ...(options.preset === undefined ? {} : { preset: options.preset }),
    ...(options.noRelay ? { relayMode: 'disabled' as const } : {}),
    ...(options.diagnosticsAddr === undefined ? {} : { diagnosticsAddr: options.diagnosticsAddr }),
  }).catch((error: unknown) => {
    spin.stop();
    throw error;
  });
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  if (options.signal === undefined) {
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  } else options.signal.addEventListener('abort', onSignal, { once: true });
  try {
    spin.update('waiting for the catalog…');
    await settle(net, Date.now() + (options.waitSec ?? 5) * 1000, 1000, stop.signal);
    if (net.discovery.catalog().signedPeersCount() === 0) {
      spin.stop();
      throw new Error(
        `no peer found on network ${net.networkId.short()} within ${options.waitSec ?? 5}s (bootstrap: ${
          options.bootstrap.join(' ') || 'none'
        })`,
      );
    }
    const timeoutMs = (options.timeoutSec ?? 3) * 1000;
    spin.update('asking peers for their status…');
    let inspection = await observe(net, timeoutMs);
    spin.stop();
    for (;;) {
      if (options.json)
        write(`${JSON.stringify(inspection, null, options.watchSec === undefined ? 2 : 0)}\n`);
      else {
        if (options.watchSec !== undefined && options.colour) write('\x1b[2J\x1b[H');
        write(renderInspection(inspection, p));
      }
      if (options.watchSec === undefined || stop.signal.aborted) break;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, (options.watchSec ?? 2) * 1000);
        stop.signal.addEventListener('abort', () => {
          clearTimeout(t);
          resolve();
        });
      });
      if (stop.signal.aborted) break;
      inspection = await observe(net, timeoutMs);
    }
    return inspection;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    // A graceful departure: the others drop the observer at once.
    await net.close();
  }
}
