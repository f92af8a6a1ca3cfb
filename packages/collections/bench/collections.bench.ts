/**
 * The collections benchmark: a Map<16-byte key, 100-byte value> on 3 writer processes
 * (`FileStorage` unless `BENCH_STORAGE=memory`) against a 3-member etcd 3.4 cluster (`etcd3`
 * client) and a NATS JetStream KV bucket with three replicas (R3) on a 3-server `nats-server`
 * cluster (file store, `nats` client), in the same run, on loopback, heartbeat 100 ms / election
 * 1000 ms for ours and etcd. JSON lines:
 *
 * - puts/s and p50/p99 latency with 1 and 64 concurrent writers (`BENCH_CLIENTS`), ours in the
 *   leader's process, the peers' clients in this process;
 * - watch latency: a reader process watches while the leader writes stamped values (ms, p50/p99);
 * - late-reader catch-up (`BENCH_CATCHUP`, default `100000`; add `1000000` for the 1M case): the
 *   leader fills the map, then a fresh reader process joins; time until it holds every entry, and
 *   the leader's 1-writer p99 while it serves the catch-up (the worst of consecutive 2-s windows
 *   until the reader is equal) vs idle. `BENCH_ONLY=catchup` runs only this part, `BENCH_ONLY=watch`
 *   only the watch latency.
 *
 * `BENCH_MS` (default 3000) per throughput phase, `BENCH_SYSTEMS` (default `ours,etcd,nats`).
 *
 * Durability differs between the systems: ours (`FileStorage`) and etcd fsync every batch before
 * they acknowledge; JetStream by default does not fsync a write at all (its file store syncs every
 * 2 minutes, `sync_interval`). So besides the default lines, `BENCH_LIKE_FOR_LIKE` (default on,
 * `0` skips it) prints ours with `MemoryStorage` (no fsync either) against NATS as configured by
 * default, and, where the installed `nats-server` knows `sync_interval: always` (2.10 and later),
 * NATS syncing every write against ours with `FileStorage`.
 *
 *   pnpm --filter @mosaik/collections bench
 */
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BenchChild, line } from '../../../tooling/bench/child.mjs';
import { client, ensureEtcd, etcdCluster } from '../../../tooling/bench/etcd.js';
import { closedLoop } from '../../../tooling/bench/load.mjs';
import { requireDebianPeer } from '../../../tooling/bench/peers.mjs';
import type { FromMember, MemberConfig, ToMember } from './member.js';

const MS = Number(process.env.BENCH_MS ?? 3000);
const WARMUP_MS = 500;
const CLIENTS = (process.env.BENCH_CLIENTS ?? '1,64').split(',').map(Number);
const SYSTEMS = (process.env.BENCH_SYSTEMS ?? 'ours,etcd,nats').split(',');
const CATCHUP = (process.env.BENCH_CATCHUP ?? '100000').split(',').filter(Boolean).map(Number);
const LIKE_FOR_LIKE = (process.env.BENCH_LIKE_FOR_LIKE ?? '1') !== '0';
const HEARTBEAT_MS = 100;
const ELECTION_MS = 1000;
const MEMBER = fileURLToPath(new URL('./member.ts', import.meta.url));
const log = (...args: unknown[]) => console.error('[bench]', ...args);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

interface Throughput {
  readonly rate: number;
  readonly p50: number;
  readonly p99: number;
}

class Member extends BenchChild<ToMember, FromMember> {
  addr: unknown;
  constructor(cfg: MemberConfig) {
    super(MEMBER, cfg, { name: 'member', env: { MOSAIK_LOG: process.env.MOSAIK_LOG ?? 'silent' } });
  }
}

/** Put loops against any `put(key, value)`: what the peers' clients run in this process. */
async function putLoops(
  clients: number,
  put: (k: string, v: Uint8Array) => Promise<unknown>,
): Promise<Throughput> {
  const value = new Uint8Array(100).fill(7);
  return closedLoop({
    clients,
    warmupMs: WARMUP_MS,
    ms: MS,
    op: (i, seq) => put(`k${i}-${seq.toString(16).padStart(12, '0')}`, value),
  });
}

// ------------------------------------------------------------------------------------- ours

interface Ours {
  throughput: Map<number, Throughput>;
  watch?: { p50: number; p99: number };
  catchup: Map<number, Catchup>;
}

async function startMembers(
  dir: string,
  n: number,
  snapshotThreshold: number,
  store: string,
  memory = false,
): Promise<Member[]> {
  const network = `collections-bench-${Math.random()}`;
  const members = Array.from(
    { length: n },
    (_, i) =>
      new Member({
        network,
        dir: join(dir, `${store}-m${i}-${Math.random()}`),
        heartbeatMs: HEARTBEAT_MS,
        electionMs: ELECTION_MS,
        snapshotThreshold,
        store,
        memory,
      }),
  );
  for (const m of members) m.addr = (await m.next('ready')).addr;
  return members;
}

async function open(
  members: Member[],
  all: Member[],
  role: 'writer' | 'reader',
  ms = 60_000,
): Promise<number[]> {
  const addrs = all.map((m) => m.addr) as never;
  for (const m of members) m.send({ t: 'open', addrs, role });
  return (await Promise.all(members.map((m) => m.next('opened', ms)))).map((o) => o.at);
}

/** The leader, once the group has three voters (learners are promoted when caught up). */
async function leaderOf(members: Member[]): Promise<Member> {
  for (let i = 0; i < 600; i++) {
    for (const m of members) {
      m.send({ t: 'status' });
      const s = await m.next('status');
      if (s.leader && s.voters === 3) return m;
    }
    await sleep(100);
  }
  throw new Error('no leader with three voters');
}

async function run(m: Member, clients: number, ms = MS): Promise<Throughput> {
  m.send({ t: 'run', clients, ms, warmupMs: WARMUP_MS });
  const r = await m.next('result', ms + 60_000);
  if (r.failed > 0) log(`${r.failed} writes failed (leader changes) and were retried`);
  return { rate: (r.count / r.ms) * 1000, p50: r.p50, p99: r.p99 };
}

async function measureOurs(dir: string, memory = false): Promise<Ours> {
  const out: Ours = { throughput: new Map(), catchup: new Map() };
  const writers = await startMembers(dir, 3, 10_000, `bench-map-${Math.random()}`, memory);
  try {
    await open(writers, writers, 'writer');
    const leader = await leaderOf(writers);
    for (const clients of CLIENTS) {
      out.throughput.set(clients, await run(leader, clients));
      log(`ours${memory ? ' (MemoryStorage)' : ''}`, clients, 'writers', out.throughput.get(clients));
    }
  } finally {
    await Promise.allSettled(writers.map((m) => m.stop()));
  }
  return out;
}

/** A reader on a fourth process watches while the leader writes stamped values. */
async function measureWatch(dir: string): Promise<{ p50: number; p99: number }> {
  const all = await startMembers(dir, 4, 10_000, `bench-watch-${Math.random()}`);
  try {
    const writers = all.slice(0, 3);
    const reader = all[3]!;
    await open(writers, all, 'writer');
    await open([reader], all, 'reader');
    reader.send({ t: 'watch' });
    await reader.next('watching');
    const leader = await leaderOf(writers);
    leader.send({ t: 'stamp', count: 500, intervalMs: 2 });
    const { version } = await leader.next('stamped', 120_000);
    reader.send({ t: 'reach', version, size: 0 });
    await reader.next('reached', 60_000);
    reader.send({ t: 'watched' });
    const l = await reader.next('latencies');
    log('ours watch', l);
    return { p50: l.p50, p99: l.p99 };
  } finally {
    await Promise.allSettled(all.map((m) => m.stop()));
  }
}

interface Catchup {
  readonly ms: number;
  readonly idleP99: number;
  readonly busyP99: number;
}

/** The leader holds `entries`; a fresh reader joins and catches up (snapshot path: compacted log). */
async function measureCatchup(dir: string, entries: number): Promise<Catchup> {
  const all = await startMembers(dir, 4, 200, `bench-catchup-${Math.random()}`);
  try {
    const writers = all.slice(0, 3);
    const late = all[3]!;
    await open(writers, all, 'writer');
    const leader = await leaderOf(writers);
    leader.send({ t: 'fill', entries, batch: 1000 });
    const filled = await leader.next('filled', 600_000);
    log('filled', filled);
    const idle = await run(leader, 1, 2000);
    const t0 = performance.timeOrigin + performance.now();
    late.send({ t: 'open', addrs: all.map((m) => m.addr) as never, role: 'reader' });
    let done = false;
    const caughtUp = late.next('opened', 600_000).then(async () => {
      late.send({ t: 'reach', version: filled.version, size: filled.size });
      const reached = await late.next('reached', 600_000);
      done = true;
      return reached;
    });
    // The leader writes all along the catch-up; every 2-s window counts.
    const windows: Throughput[] = [];
    while (!done) windows.push(await run(leader, 1, 2000));
    const ms = (await caughtUp).at - t0;
    const busyP99 = Math.max(...windows.map((w) => w.p99));
    log(
      'catch-up',
      entries,
      Math.round(ms),
      'ms',
      'idle p99',
      idle.p99,
      'busy p99 per window',
      ...windows.map((w) => w.p99),
    );
    return { ms, idleP99: idle.p99, busyP99 };
  } finally {
    await Promise.allSettled(all.map((m) => m.stop()));
  }
}

// ------------------------------------------------------------------------------------- etcd

async function measureEtcd(): Promise<Map<number, Throughput>> {
  const out = new Map<number, Throughput>();
  ensureEtcd();
  const cluster = await etcdCluster({ heartbeatMs: HEARTBEAT_MS, electionMs: ELECTION_MS });
  try {
    const leaderUrl = cluster.urls.get(await cluster.leader())!;
    for (const clients of CLIENTS) {
      const c = await client([leaderUrl], 5000, false);
      try {
        out.set(clients, await putLoops(clients, (k, v) => c.put(k).value(Buffer.from(v)).exec()));
        log('etcd', clients, out.get(clients));
      } finally {
        c.close();
      }
    }
  } finally {
    await cluster.close();
  }
  return out;
}

// ------------------------------------------------------------------------------------- nats

const NATS_SERVERS = 3;

/** A port the kernel just handed out on loopback (free unless someone races us for it). */
async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}

/** Client URLs of a 3-server JetStream cluster on loopback (file store), and its shutdown. */
/** Whether the installed `nats-server` knows `sync_interval` (2.10 and later). */
function natsSyncsAlways(): boolean {
  const out = spawnSync('nats-server', ['--version'], { encoding: 'utf8' }).stdout ?? '';
  const m = /v(\d+)\.(\d+)/.exec(out);
  return m !== null && (Number(m[1]) > 2 || (Number(m[1]) === 2 && Number(m[2]) >= 10));
}

async function natsCluster(
  dir: string,
  syncAlways: boolean,
): Promise<{ urls: string[]; close(): Promise<void> }> {
  const ports = await Promise.all(
    Array.from({ length: NATS_SERVERS }, async () => ({ client: await freePort(), route: await freePort() })),
  );
  const routes = ports.map((p) => `nats-route://127.0.0.1:${p.route}`).join(', ');
  const procs = ports.map((p, i) => {
    const conf = join(dir, `nats-${i}.conf`);
    writeFileSync(
      conf,
      [
        `server_name: n${i}`,
        `listen: 127.0.0.1:${p.client}`,
        `jetstream { store_dir: "${join(dir, `nats-${i}${syncAlways ? '-sync' : ''}`)}"${syncAlways ? ', sync_interval: always' : ''} }`,
        `cluster { name: bench, listen: 127.0.0.1:${p.route}, routes: [${routes}] }`,
      ].join('\n'),
    );
    return spawn('nats-server', ['-c', conf], { stdio: 'ignore' });
  });
  return {
    urls: ports.map((p) => `nats://127.0.0.1:${p.client}`),
    close: async () => {
      await Promise.all(
        procs.map(async (proc) => {
          if (proc.exitCode !== null || proc.signalCode !== null) return;
          const exited = once(proc, 'exit');
          proc.kill('SIGTERM');
          await exited;
        }),
      );
    },
  };
}

/**
 * NATS JetStream KV with three replicas (R3) on a 3-server cluster: the client knows every
 * server, the way a NATS user connects to a cluster, and all put loops share its one connection.
 */
async function measureNats(dir: string, syncAlways = false): Promise<Map<number, Throughput>> {
  const out = new Map<number, Throughput>();
  requireDebianPeer({ binary: 'nats-server', pkg: 'nats-server', log });
  const cluster = await natsCluster(dir, syncAlways);
  try {
    const { connect } = await import('nats');
    const nc = await connect({ servers: cluster.urls, maxReconnectAttempts: -1 });
    try {
      // The bucket can only be created once the servers have formed the cluster and elected a
      // JetStream meta leader; until then the request fails, so it is retried for a while.
      let kv: Awaited<ReturnType<ReturnType<typeof nc.jetstream>['views']['kv']>> | undefined;
      for (let attempt = 0; kv === undefined; attempt++) {
        try {
          kv = await nc.jetstream().views.kv('bench', { history: 1, replicas: NATS_SERVERS });
        } catch (error) {
          if (attempt >= 120) throw new Error(`NATS cluster formed no JetStream quorum: ${error}`);
          await sleep(500);
        }
      }
      const status = await kv.status();
      log('nats bucket', status.bucket, 'replicas', status.replicas);
      for (const clients of CLIENTS) {
        out.set(clients, await putLoops(clients, (k, v) => kv.put(k, v)));
        log(`nats${syncAlways ? ' (sync_interval: always)' : ''}`, clients, out.get(clients));
      }
    } finally {
      await nc.close();
    }
  } finally {
    await cluster.close();
  }
  return out;
}

/** The JSON lines of one catch-up measurement. */
function catchupLines(entries: number, c: Catchup): void {
  line(
    `late reader catch-up, ${entries} entries`,
    'ms until equal (lower is better)',
    c.ms,
    'none',
    undefined,
    0,
    true,
  );
  line(
    `writer p99 while serving the catch-up, ${entries} entries`,
    'ms, worst 2-s window (lower is better; baseline = the same writer idle)',
    c.busyP99,
    'idle p99',
    c.idleP99,
    3,
    true,
  );
}

if (process.env.BENCH_ONLY === 'watch') {
  const dir = mkdtempSync(join(tmpdir(), 'collections-bench-'));
  try {
    const watch = await measureWatch(dir);
    for (const [q, v] of [
      ['p50', watch.p50],
      ['p99', watch.p99],
    ] as const)
      line(
        `watch latency: ${q}`,
        'ms, write on the leader to event on a reader (lower is better)',
        v,
        'none',
        undefined,
        3,
        true,
      );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  process.exit(0);
}

if (process.env.BENCH_ONLY === 'catchup') {
  const dir = mkdtempSync(join(tmpdir(), 'collections-bench-'));
  try {
    for (const n of CATCHUP) catchupLines(n, await measureCatchup(dir, n));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  process.exit(0);
}

// ------------------------------------------------------------------------------------- main

const dir = mkdtempSync(join(tmpdir(), 'collections-bench-'));
try {
  const ours = await measureOurs(dir);
  const watch = await measureWatch(dir);
  for (const n of CATCHUP) ours.catchup.set(n, await measureCatchup(dir, n));
  const etcd = SYSTEMS.includes('etcd') ? await measureEtcd() : new Map<number, Throughput>();
  const nats = SYSTEMS.includes('nats') ? await measureNats(dir) : new Map<number, Throughput>();
  // Like-for-like runs (see the header): ours without fsync vs NATS's default, and NATS with an
  // fsync per write vs ours with FileStorage where the server can be told to.
  const like = LIKE_FOR_LIKE && SYSTEMS.includes('nats') && process.env.BENCH_STORAGE !== 'memory';
  const oursMemory = like ? await measureOurs(dir, true) : undefined;
  const syncAlways = like && natsSyncsAlways();
  if (like && !syncAlways)
    log('nats-server before 2.10 has no sync_interval: no line with NATS syncing every write');
  const natsAlways = syncAlways ? await measureNats(dir, true) : undefined;
  const etcdName = 'etcd 3.4 3-member, etcd3 client';
  const natsName =
    'NATS JetStream KV, 3-server cluster (R3, file store, default sync: no fsync per write), nats client';
  const natsAlwaysName =
    'NATS JetStream KV, 3-server cluster (R3, file store, sync_interval: always), nats client';
  for (const clients of CLIENTS) {
    const o = ours.throughput.get(clients)!;
    const what = `map set, ${clients} writer${clients === 1 ? '' : 's'}`;
    for (const [name, peer] of [
      [etcdName, etcd],
      [natsName, nats],
    ] as const) {
      const b = peer.get(clients);
      line(`${what}: puts/s`, 'ops/s (higher is better)', o.rate, name, b?.rate, 0);
      line(`${what}: p50`, 'ms (lower is better; ratio = peer/ours)', o.p50, name, b?.p50, 3, true);
      line(`${what}: p99`, 'ms (lower is better; ratio = peer/ours)', o.p99, name, b?.p99, 3, true);
    }
    // Like for like: no fsync per write on either side, then an fsync per write on both.
    const pairs: [string, Throughput | undefined, string, Throughput | undefined][] = [
      ['ours MemoryStorage, no fsync', oursMemory?.throughput.get(clients), natsName, nats.get(clients)],
      ['ours FileStorage, fsync per batch', o, natsAlwaysName, natsAlways?.get(clients)],
    ];
    for (const [ourName, mine, name, b] of pairs) {
      if (mine === undefined || b === undefined) continue;
      const w = `${what}, like for like (${ourName})`;
      line(`${w}: puts/s`, 'ops/s (higher is better)', mine.rate, name, b.rate, 0);
      line(`${w}: p50`, 'ms (lower is better; ratio = peer/ours)', mine.p50, name, b.p50, 3, true);
      line(`${w}: p99`, 'ms (lower is better; ratio = peer/ours)', mine.p99, name, b.p99, 3, true);
    }
  }
  line(
    'watch latency: p50',
    'ms, write on the leader to event on a reader (lower is better)',
    watch.p50,
    'none',
    undefined,
    3,
    true,
  );
  line(
    'watch latency: p99',
    'ms, write on the leader to event on a reader (lower is better)',
    watch.p99,
    'none',
    undefined,
    3,
    true,
  );
  for (const [n, c] of ours.catchup) catchupLines(n, c);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
