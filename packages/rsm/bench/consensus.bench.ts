/**
 * A 3-member group (`FileStorage`, every member in its own process) vs a 3-member etcd 3.4
 * cluster (Debian `etcd-server`, driven by the `etcd3` client), same run, loopback, 100-byte
 * values, heartbeat 100 ms and election timeout 1000 ms on both (etcd's defaults):
 *
 * - puts/s with 1 and 64 concurrent clients, p50/p99 latency. Ours: `execute` loops inside the
 *   leader's process (a member is its own client); etcd: the client in this process, talking to
 *   the leader only.
 * - failover: kill -9 the leader process → first successful write through a survivor (ours:
 *   `execute` on a survivor, retried with a 150 ms deadline; etcd: a client of the two survivors,
 *   150 ms deadline, no retry/circuit-breaker policies — the trap that turns 1.2 s into 5.8 s).
 *   Median over `BENCH_FAILOVER_ROUNDS` fresh clusters.
 *
 * etcd comes from Debian's `etcd-server`; the script installs it (after `apt-get update`) when it
 * is missing and it runs as root, and fails naming the fix when it cannot.
 * `BENCH_MS` (default 3000) per throughput phase, `BENCH_CLIENTS` (default `1,64`),
 * `BENCH_FAILOVER_ROUNDS` (default 3), `BENCH_SYSTEMS` (default `ours,etcd`), `BENCH_STORAGE=memory` (ours without fsync),
 * `BENCH_PROF=<dir>` (CPU profiles of our member processes).
 *
 *   pnpm --filter @mosaik/rsm bench
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BenchChild, line } from '../../../tooling/bench/child.mjs';
import { client, ensureEtcd, etcdCluster } from '../../../tooling/bench/etcd.js';
import { closedLoop, quantile } from '../../../tooling/bench/load.mjs';
import type { CommitTraceDump } from '../src/trace.js';
import { commitBreakdown } from './commit-trace.js';
import type { FromMember, MemberConfig, ToMember } from './member.js';

const MS = Number(process.env.BENCH_MS ?? 3000);
const WARMUP_MS = 500;
const CLIENTS = (process.env.BENCH_CLIENTS ?? '1,64').split(',').map(Number);
const ROUNDS = Number(process.env.BENCH_FAILOVER_ROUNDS ?? 3);
const SYSTEMS = (process.env.BENCH_SYSTEMS ?? 'ours,etcd').split(',');
const VALUE_BYTES = 100;
const HEARTBEAT_MS = 100;
const ELECTION_MS = 1000;
const DEADLINE_MS = 150;
const TRACE = (process.env.MOSAIK_COMMIT_TRACE ?? '') !== '' && process.env.MOSAIK_COMMIT_TRACE !== '0';
const MEMBER = fileURLToPath(new URL('./member.ts', import.meta.url));

const now = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const log = (...args: unknown[]) => console.error('[bench]', ...args);

interface Throughput {
  readonly rate: number;
  readonly p50: number;
  readonly p99: number;
}

interface Results {
  readonly throughput: Map<number, Throughput>;
  /** Median failover time, ms. */
  failover: number | undefined;
}

function median(values: number[]): number | undefined {
  if (values.length === 0) return undefined;
  return quantile(
    [...values].sort((a, b) => a - b),
    0.5,
  );
}

// ------------------------------------------------------------------------------------- ours

/** A member process speaking the protocol of `member.ts`. */
class Member extends BenchChild<ToMember, FromMember> {
  constructor(cfg: MemberConfig) {
    super(MEMBER, cfg, { name: 'member', env: { MOSAIK_LOG: process.env.MOSAIK_LOG ?? 'silent' } });
  }
}

/** Three member processes, bonded, with three voters and one leader. */
async function oursCluster(): Promise<{ members: Member[]; leader: number; close(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'rsm-bench-'));
  const network = `rsm-bench-${Math.random()}`;
  const members = [0, 1, 2].map(
    (i) =>
      new Member({ network, dir: join(dir, `m${i}`), heartbeatMs: HEARTBEAT_MS, electionMs: ELECTION_MS }),
  );
  const close = async () => {
    await Promise.allSettled(members.map((m) => m.stop()));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const addrs = (await Promise.all(members.map((m) => m.next('ready')))).map((r) => r.addr);
    members.forEach((m, i) => {
      m.send({ t: 'peers', addrs: addrs.filter((_, j) => j !== i) });
    });
    await Promise.all(members.map((m) => m.next('formed')));
    const deadline = Date.now() + 30_000;
    for (;;) {
      const statuses = await Promise.all(
        members.map((m) => {
          m.send({ t: 'status' });
          return m.next('status');
        }),
      );
      const leaders = statuses.filter((s) => s.leader);
      if (leaders.length === 1 && statuses.every((s) => s.voters === 3 && s.lead === statuses[0]!.lead))
        return { members, leader: statuses.findIndex((s) => s.leader), close };
      if (Date.now() > deadline) throw new Error('the group did not reach 3 voters and one leader');
      await sleep(100);
    }
  } catch (error) {
    await close();
    throw error;
  }
}

async function measureOurs(): Promise<Results> {
  const results: Results = { throughput: new Map(), failover: undefined };
  const cluster = await oursCluster();
  try {
    const leader = cluster.members[cluster.leader]!;
    for (const clients of CLIENTS) {
      if (TRACE) for (const m of cluster.members) m.send({ t: 'traceReset' });
      leader.send({ t: 'run', clients, ms: MS, warmupMs: WARMUP_MS, valueBytes: VALUE_BYTES });
      const r = await leader.next('result', MS + WARMUP_MS + 60_000);
      results.throughput.set(clients, { rate: (r.count / r.ms) * 1000, p50: r.p50, p99: r.p99 });
      log('ours', clients, 'clients', results.throughput.get(clients));
      if (TRACE) await reportTrace(cluster.members, leader, clients);
    }
  } finally {
    await cluster.close();
  }
  const times: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const c = await oursCluster();
    try {
      const leader = c.members[c.leader]!;
      const survivor = c.members.find((m) => m !== leader)!;
      const since = now();
      leader.proc.kill('SIGKILL');
      survivor.send({ t: 'probe', since, deadlineMs: DEADLINE_MS });
      const p = await survivor.next('probed', 60_000);
      times.push(p.at - since);
      log('ours failover', Math.round(p.at - since), 'ms', p.attempts, 'attempts');
    } finally {
      await c.close();
    }
  }
  results.failover = median(times);
  return results;
}

/** Prints where the time of a commit went (`MOSAIK_COMMIT_TRACE=1`), as one JSON line. */
async function reportTrace(members: Member[], leader: Member, clients: number): Promise<void> {
  const dumps = new Map<string, CommitTraceDump>();
  let leaderId = '';
  for (const m of members) {
    m.send({ t: 'trace' });
    const reply = await m.next('trace');
    if (reply.dump === undefined) throw new Error('MOSAIK_COMMIT_TRACE did not reach the members');
    dumps.set(reply.id, reply.dump);
    if (m === leader) leaderId = reply.id;
  }
  const b = commitBreakdown(dumps, leaderId);
  console.log(
    JSON.stringify({
      bench: `rsm 3-member ${process.env.BENCH_STORAGE === 'memory' ? 'MemoryStorage' : 'FileStorage'} put 100 B, ${clients} client${clients === 1 ? '' : 's'}: where a commit's time goes`,
      unit: 'ms (medians)',
      ...b,
    }),
  );
}

async function measureEtcd(): Promise<Results> {
  const results: Results = { throughput: new Map(), failover: undefined };
  const cluster = await etcdCluster({ heartbeatMs: HEARTBEAT_MS, electionMs: ELECTION_MS });
  try {
    const leaderUrl = cluster.urls.get(await cluster.leader())!;
    const value = Buffer.alloc(VALUE_BYTES, 7);
    for (const clients of CLIENTS) {
      const c = await client([leaderUrl], 5000, false);
      try {
        const { rate, p50, p99 } = await closedLoop({
          clients,
          warmupMs: WARMUP_MS,
          ms: MS,
          // The builder is a thenable, not a Promise: awaiting it runs the put.
          op: async (i, seq) => await c.put(`key-${i}-${seq % 1000}`).value(value),
        });
        results.throughput.set(clients, { rate, p50, p99 });
        log('etcd', clients, 'clients', results.throughput.get(clients));
      } finally {
        c.close();
      }
    }
  } finally {
    await cluster.close();
  }
  const times: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const cl = await etcdCluster({ heartbeatMs: HEARTBEAT_MS, electionMs: ELECTION_MS });
    try {
      const name = await cl.leader();
      const survivors = [...cl.urls.entries()].filter(([n]) => n !== name).map(([, u]) => u);
      // Survivors only, short deadline, no retry or circuit breaker: the true election time.
      const c = await client(survivors, DEADLINE_MS, true);
      try {
        await c.put('warm').value('1');
        const since = now();
        cl.procs.get(name)!.kill('SIGKILL');
        let attempts = 0;
        for (;;) {
          attempts++;
          try {
            await c.put('failover').value('1');
            break;
          } catch {
            await sleep(5);
          }
        }
        const t = now() - since;
        times.push(t);
        log('etcd failover', Math.round(t), 'ms', attempts, 'attempts');
      } finally {
        c.close();
      }
    } finally {
      await cl.close();
    }
  }
  results.failover = median(times);
  return results;
}

// ------------------------------------------------------------------------------------- report

const ours = SYSTEMS.includes('ours') ? await measureOurs() : undefined;
let etcd: Results | undefined;
if (SYSTEMS.includes('etcd')) {
  // No silent "unavailable": a missing or failing peer fails the run (BENCH_SYSTEMS=ours measures
  // ourselves alone, knowingly).
  ensureEtcd();
  etcd = await measureEtcd();
}
const name = 'etcd 3.4 3-member, etcd3 client';
for (const clients of ours === undefined ? [] : CLIENTS) {
  const o = ours!.throughput.get(clients)!;
  const b = etcd?.throughput.get(clients);
  const what = `rsm 3-member FileStorage put 100 B, ${clients} client${clients === 1 ? '' : 's'}`;
  line(`${what}: throughput`, 'puts/s', o.rate, name, b?.rate, 0, false);
  line(`${what}: p50`, 'ms (lower is better; ratio = etcd/ours)', o.p50, name, b?.p50, 3, true);
  line(`${what}: p99`, 'ms (lower is better; ratio = etcd/ours)', o.p99, name, b?.p99, 3, true);
}
if (ours?.failover !== undefined)
  line(
    `rsm 3-member failover: kill -9 leader → first write (median of ${ROUNDS})`,
    'ms (lower is better; ratio = etcd/ours)',
    ours.failover,
    name,
    etcd?.failover,
    0,
    true,
  );
