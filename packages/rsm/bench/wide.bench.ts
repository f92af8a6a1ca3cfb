/**
 * A wide group: does a group of 50 members (5 voters, the other 45 learners) commit and elect as
 * a 3-member group does? Same run, loopback, `FileStorage`, 100-byte puts:
 *
 * 1. Three members, each in its own process, form the group; puts/s and p50/p99 with 1 and 64
 *    clients on the leader.
 * 2. 47 more members join, in `BENCH_WIDE_HOSTS` processes (default 4; each member is a whole
 *    node with its own endpoint); once the configuration holds 5 voters and 45 learners, the same
 *    load runs again on the leader. Goal: ≥ 0.8× the 3-member rate. Beside each rate, the bytes
 *    the leader sent per put (its fan-out: with a machine per member, what bounds the rate) and
 *    the CPU per put of all the group's processes (what bounds the rate on this one machine).
 * 3. Idle CPU per member (all processes, from /proc) over a few seconds without writes, beside
 *    the 3-member group's.
 * 4. kill -9 the leader's process → first write through another member (150 ms deadline per
 *    try). Goal: within the 3-member failover bound of `consensus.bench.ts`.
 *
 * Both shapes use the same consensus settings: heartbeat `BENCH_HEARTBEAT_MS` (default 100),
 * election timeout `BENCH_ELECTION_MS` (default 1000). `BENCH_WIDE_MEMBERS` (default 50),
 * `BENCH_MS` (default 3000) per phase, `BENCH_CLIENTS` (default `1,64`), `BENCH_STORAGE=memory`.
 * `BENCH_TRACE_FAILOVER=1` logs, twice a second during the failover, which term and leader the
 * surviving members see, and then why the probe's writes failed until one succeeded.
 * `BENCH_JOIN_ONLY=1` runs the join alone (no 3-member baseline, no load, no failover) and prints
 * its JSON line; `BENCH_SETTLE_TIMEOUT_MS` (default 180 000) bounds the wait for it.
 * Where the leader's time goes under load: `MOSAIK_COMMIT_TRACE=1` logs, per load, the p50 and
 * p90 from the leader's `propose` of an entry to its own `sent`, `synced` and `applied` marks and
 * to each voter's acknowledgement; `BENCH_PROF_LOAD=<dir>` writes a CPU profile of the leader's
 * process during each load to `<dir>/leader-of-<group size>-members-<clients>-clients.cpuprofile`.
 *
 *   pnpm --filter @mosaik/rsm bench:wide
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BenchChild, line } from '../../../tooling/bench/child.mjs';
import { processCpuMs } from '../../../tooling/bench/cpu.mjs';
import type { FromHost, HostConfig, MemberStatus, ToHost, WireAddr } from './wide-host.js';

const MS = Number(process.env.BENCH_MS ?? 3000);
const WARMUP_MS = 500;
const CLIENTS = (process.env.BENCH_CLIENTS ?? '1,64').split(',').map(Number);
const WIDE = Number(process.env.BENCH_WIDE_MEMBERS ?? 50);
const HOSTS = Number(process.env.BENCH_WIDE_HOSTS ?? 4);
const HEARTBEAT_MS = Number(process.env.BENCH_HEARTBEAT_MS ?? 100);
const ELECTION_MS = Number(process.env.BENCH_ELECTION_MS ?? 1000);
const VOTERS = 5;
const FOUNDERS = 3;
const VALUE_BYTES = 100;
const DEADLINE_MS = 150;
const FORM_TIMEOUT_MS = Number(process.env.BENCH_SETTLE_TIMEOUT_MS ?? 180_000);
const IDLE_MS = 3000;
const HOST = fileURLToPath(new URL('./wide-host.ts', import.meta.url));

const now = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const log = (...args: unknown[]) => console.error('[bench:wide]', ...args);

class Host extends BenchChild<ToHost, FromHost> {
  addrs: WireAddr[] = [];
  constructor(cfg: HostConfig) {
    super(HOST, cfg, {
      name: `host of ${cfg.members}`,
      env: { MOSAIK_LOG: process.env.MOSAIK_LOG ?? 'silent' },
    });
  }
}

interface Load {
  readonly rate: number;
  readonly p50: number;
  readonly p99: number;
  readonly failed: number;
  /**
   * Bytes the leader's bonds sent per committed put: its fan-out, which bounds the rate with a
   * machine per member (on a shared machine its CPU gets only a share of the cores).
   */
  readonly leaderBytesPerPut: number;
  /** CPU (all threads, ms) of all the group's processes per committed put; undefined off Linux. */
  readonly allCpuPerPut: number | undefined;
}

const dir = mkdtempSync(join(tmpdir(), 'rsm-wide-'));
const hosts: Host[] = [];

function start(network: string, members: number): Host {
  const host = new Host({
    network,
    dir,
    members,
    heartbeatMs: HEARTBEAT_MS,
    electionMs: ELECTION_MS,
    profileDir: process.env.BENCH_PROF_LOAD,
  });
  hosts.push(host);
  return host;
}

async function statuses(of: readonly Host[]): Promise<MemberStatus[]> {
  const all = await Promise.all(
    of.map((h) => {
      h.send({ t: 'status' });
      return h.next('status');
    }),
  );
  return all.flatMap((s) => s.members);
}

/** Waits until every member of `of` is online and agrees on one leader, `voters` and `learners`. */
async function settled(of: readonly Host[], voters: number, learners: number): Promise<MemberStatus> {
  const deadline = Date.now() + FORM_TIMEOUT_MS;
  for (;;) {
    const all = await statuses(of);
    const leader = all.find((s) => s.leader);
    if (
      leader !== undefined &&
      all.every((s) => s.online && s.lead === leader.id && s.voters === voters && s.learners === learners)
    )
      return leader;
    if (Date.now() > deadline) {
      const online = all.filter((s) => s.online).length;
      // What the members that are not online see: the leader they follow, their role and log.
      for (const s of all.filter((x) => !x.online))
        log(
          `offline ${s.id.slice(0, 8)}: ${s.role}, term ${s.term}, commit ${s.commit}, follows ${s.lead.slice(0, 8) || '-'}`,
        );
      log(
        `leader ${leader?.id.slice(0, 8) ?? '-'}: term ${leader?.term ?? '?'}, commit ${leader?.commit ?? '?'}`,
      );
      throw new Error(
        `not settled on ${voters} voters + ${learners} learners after ${FORM_TIMEOUT_MS} ms: ` +
          `${online}/${all.length} online, leader's view ${leader?.voters ?? '?'} voters + ${leader?.learners ?? '?'} learners`,
      );
    }
    await sleep(250);
  }
}

function hostOf(of: readonly Host[], id: string): Host {
  return of.find((h) => h.addrs.some((a) => a.id === id))!;
}

/** CPU (user + system, all threads, ms) the processes of `of` have used; undefined off Linux. */
function cpuMsOf(of: readonly Host[]): number | undefined {
  let ms = 0;
  for (const h of of) {
    const used = h.proc.pid === undefined ? undefined : processCpuMs(h.proc.pid);
    if (used === undefined) return undefined;
    ms += used;
  }
  return ms;
}

/**
 * CPU the processes of `of` use while nothing is written, per member, in % of a core; from /proc,
 * so `undefined` off Linux.
 */
async function idleCpuPerMember(of: readonly Host[], members: number): Promise<number | undefined> {
  const from = cpuMsOf(of);
  const t0 = now();
  await sleep(IDLE_MS);
  const to = cpuMsOf(of);
  if (from === undefined || to === undefined) return undefined;
  return ((to - from) / (now() - t0) / members) * 100;
}

/** Closed-loop puts on the leader, for each client count. */
async function measure(of: readonly Host[], leader: MemberStatus, size: number): Promise<Map<number, Load>> {
  const out = new Map<number, Load>();
  const host = hostOf(of, leader.id);
  for (const clients of CLIENTS) {
    const allFrom = cpuMsOf(of);
    host.send({ t: 'run', member: leader.id, clients, ms: MS, warmupMs: WARMUP_MS, valueBytes: VALUE_BYTES });
    const r = await host.next('result', MS + WARMUP_MS + 60_000);
    // The CPU covers the warm-up too: divide by the puts of the whole run at the measured rate.
    const puts = (r.count / r.ms) * (r.ms + WARMUP_MS);
    const perPut = (from: number | undefined, to: number | undefined) =>
      from === undefined || to === undefined ? undefined : (to - from) / puts;
    out.set(clients, {
      rate: (r.count / r.ms) * 1000,
      p50: r.p50,
      p99: r.p99,
      failed: r.failed,
      leaderBytesPerPut: r.bytesSent / puts,
      allCpuPerPut: perPut(allFrom, cpuMsOf(of)),
    });
    log(`${size} members,`, clients, 'clients:', out.get(clients));
    for (const [mark, t] of Object.entries(r.stages ?? {}))
      log(`  propose → ${mark.padEnd(14)} n=${t.n} p50=${t.p50.toFixed(2)} p90=${t.p90.toFixed(2)} ms`);
  }
  return out;
}

/** kill -9 the leader's process, then write through a member of another process until it works. */
async function failover(of: readonly Host[], leader: MemberStatus): Promise<{ ms: number; killed: number }> {
  const doomed = hostOf(of, leader.id);
  const survivor = of.find((h) => h !== doomed)!;
  const since = now();
  doomed.proc.kill('SIGKILL');
  survivor.send({ t: 'probe', since, deadlineMs: DEADLINE_MS });
  const probe = survivor.next('probed', 120_000);
  if (process.env.BENCH_TRACE_FAILOVER === '1') {
    // Diagnostics: what the surviving members believe, twice a second, until the write succeeds.
    let done = false;
    probe.then(
      () => {
        done = true;
      },
      () => {
        done = true;
      },
    );
    const alive = of.filter((h) => h !== doomed);
    while (!done) {
      const t = Math.round(now() - since);
      const all = await statuses(alive);
      const views = new Map<string, number>();
      for (const s of all) {
        const k = `t${s.term}:${s.lead.slice(0, 6) || '-'}${s.role === 'follower' ? '' : `(${s.role})`}`;
        views.set(k, (views.get(k) ?? 0) + 1);
      }
      log(
        `failover +${t} ms (status answered +${Math.round(now() - since)} ms):`,
        [...views].map(([k, n]) => `${k}×${n}`).join(' '),
      );
      await sleep(500);
    }
  }
  const probed = await probe;
  if (process.env.BENCH_TRACE_FAILOVER === '1') log('failover: attempts', probed.attempts, probed.errors);
  return { ms: probed.at - since, killed: doomed.addrs.length };
}

/** Three single-member processes forming a group on `network`. */
async function founders(network: string): Promise<{ trio: Host[]; leader: MemberStatus }> {
  const trio = Array.from({ length: FOUNDERS }, () => start(network, 1));
  for (const h of trio) h.addrs = (await h.next('ready', 60_000)).addrs;
  for (const h of trio) h.send({ t: 'seeds', addrs: trio.flatMap((x) => x.addrs) });
  await Promise.all(trio.map((h) => h.next('joined', 60_000)));
  return { trio, leader: await settled(trio, FOUNDERS, 0) };
}

try {
  // 1. The baseline: a 3-member group, its load and its failover.
  const JOIN_ONLY = process.env.BENCH_JOIN_ONLY === '1';
  const narrow = JOIN_ONLY ? undefined : await founders(`rsm-wide-a-${Math.random()}`);
  const narrowIdle = narrow && (await idleCpuPerMember(narrow.trio, FOUNDERS));
  const narrowLoad = narrow && (await measure(narrow.trio, narrow.leader, FOUNDERS));
  const narrowFailover = narrow && (await failover(narrow.trio, narrow.leader));
  if (narrowFailover) log(`${FOUNDERS} members, failover:`, Math.round(narrowFailover.ms), 'ms');

  // 2. A wide group: three founders, then the rest join, spread over the hosts.
  const network = `rsm-wide-b-${Math.random()}`;
  const { trio } = await founders(network);
  const rest = WIDE - FOUNDERS;
  const bulk = Array.from({ length: HOSTS }, (_, i) =>
    start(network, Math.floor(rest / HOSTS) + (i < rest % HOSTS ? 1 : 0)),
  );
  for (const h of bulk) h.addrs = (await h.next('ready', 120_000)).addrs;
  const joinedAt = now();
  const seeds = trio.flatMap((h) => h.addrs);
  for (const h of bulk) h.send({ t: 'seeds', addrs: seeds });
  await Promise.all(bulk.map((h) => h.next('joined', 120_000)));
  const wideHosts = [...trio, ...bulk];
  const leader = await settled(wideHosts, VOTERS, WIDE - VOTERS);
  const settleMs = now() - joinedAt;
  log(`${WIDE} members settled in ${Math.round(settleMs)} ms`);
  console.log(
    JSON.stringify({
      bench: `rsm wide group: ${rest} members join a ${FOUNDERS}-member group, until ${VOTERS} voters + ${WIDE - VOTERS} learners are online`,
      unit: 'ms',
      ours: Math.round(settleMs),
    }),
  );
  if (!JOIN_ONLY && narrow && narrowLoad && narrowFailover && narrowIdle !== null) {
    const wideIdle = await idleCpuPerMember(wideHosts, WIDE);
    const wideLoad = await measure(wideHosts, leader, WIDE);
    const wideFailover = await failover(wideHosts, leader);

    const base = `rsm ${FOUNDERS}-member group, same settings, same run`;
    for (const clients of CLIENTS) {
      const w = wideLoad.get(clients)!;
      const n = narrowLoad.get(clients)!;
      const what = `rsm ${WIDE}-member group (${VOTERS} voters) put 100 B, ${clients} client${clients === 1 ? '' : 's'}`;
      line(`${what}: throughput (goal: ratio ≥ 0.8)`, 'puts/s', w.rate, base, n.rate, 0);
      line(`${what}: p99`, 'ms (lower is better; ratio = baseline/ours)', w.p99, base, n.p99, 3, true);
      // With a machine per member, what the leader sends per put is what bounds the rate (every
      // byte costs it CPU in the binding); on this one machine, all members' CPU per put is.
      line(
        `${what}: bytes the leader sent per put`,
        'bytes (lower is better; ratio = baseline/ours)',
        w.leaderBytesPerPut,
        base,
        n.leaderBytesPerPut,
        0,
        true,
      );
      if (w.allCpuPerPut !== undefined && n.allCpuPerPut !== undefined)
        line(
          `${what}: all members' CPU per put`,
          'ms (lower is better; ratio = baseline/ours)',
          w.allCpuPerPut,
          base,
          n.allCpuPerPut,
          3,
          true,
        );
    }
    if (wideIdle !== undefined)
      line(
        `rsm ${WIDE}-member group (${VOTERS} voters) idle: CPU per member, ${IDLE_MS} ms without writes`,
        '% of a core (lower is better; ratio = baseline/ours)',
        wideIdle,
        base,
        narrowIdle,
        2,
        true,
      );
    line(
      `rsm ${WIDE}-member group failover: kill -9 the leader's process (${wideFailover.killed} member${wideFailover.killed === 1 ? '' : 's'}) → first write`,
      'ms (lower is better; ratio = baseline/ours)',
      wideFailover.ms,
      base,
      narrowFailover.ms,
      0,
      true,
    );
  }
} finally {
  await Promise.allSettled(hosts.map((h) => h.stop()));
  rmSync(dir, { recursive: true, force: true });
}
