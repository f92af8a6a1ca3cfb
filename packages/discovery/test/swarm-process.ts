/**
 * One process of the multi-process discovery tests (`mass-failure.heavy.test.ts`): it runs
 * several discovery nodes with fixed identities (a restarted process keeps its peer ids), and
 * talks to the test over IPC.
 *
 * Test → process: `roster {ids}` (every peer id of the swarm, in a fixed order), `stats`, `exit`.
 * Process → test: `ready {addrs}`, then every `sampleMs` a `sample` with, per local node, one
 * character per roster member ('1' when that peer is in the node's catalog, '0' otherwise, '-' for
 * the node itself); `stats {rss, heapUsed, timers}` (after a GC when run with `--expose-gc`);
 * `closed`.
 */

import { monitorEventLoopDelay } from 'node:perf_hooks';
import { PeerId, SecretKey } from '@mosaik/id';
import { LocalNode } from '@mosaik/transport';
import type { DiscoveryConfig } from '../src/node/config.js';
import { Discovery } from '../src/node/discovery.js';

process.env.RUST_LIB_BACKTRACE ??= '0';

/** An endpoint address as it travels over IPC. */
export interface WireAddr {
  readonly id: string;
  readonly directAddresses: string[];
}

/** The process's argument (JSON). */
export interface SwarmProcessConfig {
  readonly network: string;
  /** Seed strings of the nodes' secret keys. */
  readonly identities: readonly string[];
  /** Bootstrap peers of every node (empty for the process that hosts the seed's first node). */
  readonly bootstrap: readonly WireAddr[];
  /** Whether the first local node is the seed (the other local nodes bootstrap to it). */
  readonly hostsSeed: boolean;
  readonly discovery: Partial<Omit<DiscoveryConfig, 'bootstrap'>>;
  readonly sampleMs: number;
}

export type ToSwarmProcess = { t: 'roster'; ids: string[] } | { t: 'stats' } | { t: 'exit' };

export type FromSwarmProcess =
  | { t: 'ready'; addrs: WireAddr[] }
  | { t: 'sample'; at: number; known: string[]; neighbours: number[]; loopDelayMs: number }
  | {
      t: 'stats';
      rss: number;
      heapUsed: number;
      timers: number;
      transitions: { peerDiscovered: number; peerUpdated: number; peerDeparted: number };
    }
  | { t: 'closed' };

const send = (m: FromSwarmProcess) => {
  if (process.connected) process.send?.(m);
};

const cfg = JSON.parse(process.argv[2] as string) as SwarmProcessConfig;

function toAddr(w: WireAddr) {
  return { id: PeerId.parse(w.id), directAddresses: w.directAddresses };
}

function toWire(node: LocalNode): WireAddr {
  const a = node.addr();
  return { id: a.id.toString(), directAddresses: [...a.directAddresses] };
}

interface Running {
  readonly node: LocalNode;
  readonly discovery: Discovery;
}

async function startOne(identity: string, bootstrap: readonly WireAddr[]): Promise<Running> {
  const node = await LocalNode.bind(cfg.network, {
    preset: 'local',
    secretKey: SecretKey.fromString(identity),
  });
  const discovery = await Discovery.start(node, { ...cfg.discovery, bootstrap: bootstrap.map(toAddr) });
  return { node, discovery };
}

// One after the other, as nodes of a deployment come up, not all in the same millisecond.
const nodes: Running[] = [];
for (const identity of cfg.identities) {
  const seedAddr = cfg.hostsSeed && nodes[0] !== undefined ? [toWire(nodes[0].node)] : undefined;
  nodes.push(await startOne(identity, seedAddr ?? (cfg.hostsSeed ? [] : cfg.bootstrap)));
}
send({ t: 'ready', addrs: nodes.map((n) => toWire(n.node)) });

/** Catalog transitions seen by the local nodes, for diagnostics. */
const transitions = { peerDiscovered: 0, peerUpdated: 0, peerDeparted: 0 };
for (const n of nodes) {
  void (async () => {
    for await (const ev of n.discovery.events()) {
      if (ev.type !== 'lagged') transitions[ev.type]++;
    }
  })();
}

let roster: string[] = [];
/** Event-loop delay of this process (a starved process shows it first). */
const loopDelay = monitorEventLoopDelay({ resolution: 20 });
loopDelay.enable();
const sampler = setInterval(() => {
  if (roster.length === 0) return;
  const known = nodes.map((n) => {
    const catalog = n.discovery.catalog();
    const me = n.node.peerId.toString();
    return roster
      .map((id) => (id === me ? '-' : catalog.getSigned(PeerId.parse(id)) === undefined ? '0' : '1'))
      .join('');
  });
  const loopDelayMs = Math.round(loopDelay.max / 1e6);
  loopDelay.reset();
  send({
    t: 'sample',
    at: Date.now(),
    known,
    neighbours: nodes.map((n) => n.discovery.neighbors().length),
    loopDelayMs,
  });
}, cfg.sampleMs);

async function exit(): Promise<void> {
  clearInterval(sampler);
  loopDelay.disable();
  await Promise.allSettled(nodes.map((n) => n.discovery.close().then(() => n.node.close())));
  send({ t: 'closed' });
  if (process.connected) process.disconnect();
}

process.on('message', (m: ToSwarmProcess) => {
  switch (m.t) {
    case 'roster':
      roster = m.ids;
      break;
    case 'stats': {
      (globalThis as { gc?: () => void }).gc?.();
      const mem = process.memoryUsage();
      send({
        t: 'stats',
        rss: mem.rss,
        heapUsed: mem.heapUsed,
        timers: nodes.reduce((sum, n) => sum + n.discovery.timerCount, 0),
        transitions: { ...transitions },
      });
      break;
    }
    case 'exit':
      void exit();
      break;
  }
});
// The test went away: leave with it.
process.on('disconnect', () => {
  clearInterval(sampler);
  setTimeout(() => process.exit(0), 2_000).unref();
  void Promise.allSettled(nodes.map((n) => n.node.close())).then(() => process.exit(0));
});
