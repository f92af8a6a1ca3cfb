/**
 * Streams vs raw iroh-js awaited writes vs NATS core pub/sub, same run, loopback, 100-byte
 * datums, every side in its own process (see `peer.ts`):
 *
 * - fan-out sweep, 1 producer → 1, 4 and 16 consumers (`BENCH_FANOUT`, default `1,4,16`):
 *   - `max`: the producer sends as fast as it is allowed for `BENCH_MS`; datums/s received per
 *     consumer (mean over consumers, from the producer's first send to the consumer's last datum).
 *     NATS is driven as `nats bench` drives it (tight publish loop, a flush every N messages) for
 *     N in `BENCH_NATS_FLUSH` (default `100,1000,10000`), and its best N is printed.
 *   - `rate`: the producer sends 10,000 datums/s in all; one-way latency p50 and p99 in ms (the
 *     send time travels in the datum; all processes read the same wall clock).
 * - wide fan-out (`BENCH_WIDE`, default `100x4`: 100 consumers spread over 4 processes, each
 *   consumer a whole node; NATS: a connection each): the producer sends 1,000 datums/s in all;
 *   the share of datums that reached every consumer, and latency p50/p99 of the worst process.
 *   Measured once every node's discovery catalog lists every other node (the time that took is
 *   its own line), so that the swarm forming is not measured with it.
 * - many streams (`BENCH_MANY`, default 100): one producer node with that many streams (NATS:
 *   subjects), one consumer node subscribed to all, each stream carrying one datum a second; CPU
 *   of producer + consumer processes (+ the NATS server for NATS) per stream, in µs per second.
 *
 * NATS needs `nats-server` from Debian; the script installs it (after `apt-get update`) when it is
 * missing and it runs as root, and fails naming the fix when it cannot. `BENCH_MS` (default 3000),
 * `BENCH_SYSTEMS` (default `streams,raw,nats`), `BENCH_PROF=<dir>` (CPU profiles of the whole peer
 * processes), `BENCH_PHASE_PROF=<dir>` (CPU profiles of the measured phases only).
 *
 *   pnpm --filter @mosaik/streams bench
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BenchChild, line } from '../../../tooling/bench/child.mjs';
import { processCpuMs } from '../../../tooling/bench/cpu.mjs';
import { requireDebianPeer } from '../../../tooling/bench/peers.mjs';
import type { FromPeer, Mode, PeerConfig, ToPeer } from './peer.js';

const DURATION_MS = Number(process.env.BENCH_MS ?? 3000);
const RATE = 10_000;
/** Datums/s in all of the wide fan-out case. */
const WIDE_RATE = 1000;
const PEER = fileURLToPath(new URL('./peer.ts', import.meta.url));

type System = PeerConfig['system'];

/** A child process speaking the peer protocol. */
class Peer extends BenchChild<ToPeer, FromPeer> {
  constructor(cfg: PeerConfig) {
    super(PEER, cfg, { name: 'peer' });
  }
}

interface Result {
  /** Mean datums/s received per consumer. */
  rate: number;
  /** CPU of the producer and every consumer process in the full-speed phase, per datum delivered (µs). */
  cpuUs: number;
  p50: number;
  p99: number;
}

interface Setup {
  /** Consumers in all; the producer waits for them. */
  readonly consumers: number;
  /** Processes the consumers are spread over (default: one process per consumer). */
  readonly processes?: number;
  readonly streams?: number;
  readonly natsFlushEvery?: number;
}

/** Starts the producer and consumers of `system`, runs `body`, stops every process. */
async function withPeers<R>(
  system: System,
  setup: Setup,
  natsUrl: string | undefined,
  body: (producer: Peer, consumers: Peer[]) => Promise<R>,
): Promise<R> {
  const network = `bench-${Math.random()}`;
  const { processes = setup.consumers, ...rest } = setup;
  const base = { system, network, ...rest, ...(natsUrl ? { natsUrl } : {}) };
  const producer = new Peer({ ...base, role: 'producer' });
  const peers = [producer];
  try {
    const { addr } = await producer.next('ready');
    // One consumer at a time: sixteen start-ups at once on two busy cores make the producer's
    // endpoint refuse connections, and start-up is not what is measured.
    const cs: Peer[] = [];
    for (let i = 0; i < processes; i++) {
      const nodes = Math.floor(setup.consumers / processes) + (i < setup.consumers % processes ? 1 : 0);
      const c = new Peer({ ...base, role: 'consumer', nodes, ...(addr ? { addr } : {}) });
      peers.push(c);
      cs.push(c);
      await c.next('ready', 180_000);
    }
    return await body(producer, cs);
  } finally {
    await Promise.allSettled(peers.map((p) => p.stop()));
  }
}

/** One phase: reset the consumers, run the producer, collect the reports. */
async function phase(producer: Peer, cs: Peer[], mode: Mode, rate = RATE) {
  for (const c of cs) c.send({ t: 'reset' });
  producer.send({ t: 'run', mode, ms: DURATION_MS, rate });
  const done = await producer.next('done', 180_000);
  for (const c of cs) c.send({ t: 'report', expect: done.sent });
  const reports = await Promise.all(cs.map((c) => c.next('report', 180_000)));
  return { done, reports };
}

/** Fan-out: the `max` then the `rate` phase. */
async function measure(system: System, setup: Setup, natsUrl: string | undefined): Promise<Result> {
  return withPeers(system, setup, natsUrl, async (producer, cs) => {
    const max = await phase(producer, cs, 'max');
    const rates = max.reports.map((r) =>
      r.count === 0 ? 0 : r.count / ((r.lastAt - max.done.startAt) / 1000),
    );
    const delivered = max.reports.reduce((sum, r) => sum + r.count, 0);
    const cpuMs = max.reports.reduce((sum, r) => sum + r.cpuMs, max.done.cpuMs);
    const paced = await phase(producer, cs, 'rate');
    return {
      rate: rates.reduce((a, b) => a + b, 0) / rates.length,
      cpuUs: (cpuMs * 1000) / Math.max(1, delivered),
      // The worst consumer's percentiles.
      p50: Math.max(...paced.reports.map((r) => r.p50)),
      p99: Math.max(...paced.reports.map((r) => r.p99)),
    };
  });
}

/**
 * Wide fan-out at a modest rate: the share of datums that reached every consumer (the worst
 * consumer's count over the datums sent) and the worst process's latency percentiles.
 */
async function measureWide(
  system: System,
  setup: Setup,
  natsUrl: string | undefined,
): Promise<{ delivered: number; p50: number; p99: number; settledMs: number | undefined }> {
  return withPeers(system, setup, natsUrl, async (producer, cs) => {
    const settledMs = await discoverySettled([producer, ...cs], setup.consumers);
    // A first pass lets every consumer connect and warm up; only the second one is measured.
    await phase(producer, cs, 'rate', WIDE_RATE);
    const { done, reports } = await phase(producer, cs, 'rate', WIDE_RATE);
    return {
      delivered: Math.min(...reports.map((r) => r.count)) / Math.max(1, done.sent),
      p50: Math.max(...reports.map((r) => r.p50)),
      p99: Math.max(...reports.map((r) => r.p99)),
      settledMs,
    };
  });
}

/** Longest wait for a wide swarm's discovery to settle before its fan-out is measured. */
const SETTLE_DEADLINE_MS = 180_000;

/**
 * Waits until every node of `peers` lists all `others` other nodes in its discovery catalog and
 * returns how long that took after the last consumer was ready (undefined for systems without
 * discovery). Each consumer is a whole node: measured while the swarm still forms, the fan-out
 * would measure the join with it. Throws, naming the smallest catalog, when it does not settle
 * within {@link SETTLE_DEADLINE_MS}.
 */
async function discoverySettled(peers: readonly Peer[], others: number): Promise<number | undefined> {
  const started = performance.now();
  for (;;) {
    let min: number | undefined;
    for (const p of peers) {
      p.send({ t: 'catalog' });
      const size = (await p.next('catalog')).min;
      if (size !== undefined) min = Math.min(min ?? size, size);
    }
    if (min === undefined) return undefined;
    if (min >= others) return performance.now() - started;
    if (performance.now() - started > SETTLE_DEADLINE_MS)
      throw new Error(
        `discovery did not settle in ${SETTLE_DEADLINE_MS} ms: a node lists ${min} of ${others} peers`,
      );
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Many idle streams: CPU µs per stream per second (producer + consumer + `extraCpuMs()`). */
async function measureIdle(
  system: System,
  streams: number,
  natsUrl: string | undefined,
  extraCpuMs: () => number,
): Promise<{ cpuUsPerStream: number; delivered: number }> {
  return withPeers(system, { consumers: 1, streams }, natsUrl, async (producer, cs) => {
    // A first pass settles every connection and JIT; only the second one is measured.
    await phase(producer, cs, 'idle');
    const extraAt = extraCpuMs();
    const { done, reports } = await phase(producer, cs, 'idle');
    const cpu = done.cpuMs + reports[0]!.cpuMs + (extraCpuMs() - extraAt);
    return {
      cpuUsPerStream: (cpu * 1000) / (DURATION_MS / 1000) / streams,
      delivered: reports[0]!.count / Math.max(1, done.sent),
    };
  });
}

function startNats(): { proc: ChildProcess; dir: string } {
  requireDebianPeer({ binary: 'nats-server', pkg: 'nats-server' });
  const dir = mkdtempSync(join(tmpdir(), 'nats-bench-'));
  const proc = spawn('nats-server', ['-a', '127.0.0.1', '-p', '-1', '--ports_file_dir', dir], {
    stdio: 'ignore',
  });
  return { proc, dir };
}

async function natsUrl(dir: string): Promise<string> {
  for (let i = 0; i < 200; i++) {
    const f = readdirSync(dir).find((x) => x.endsWith('.ports'));
    try {
      if (f) return (JSON.parse(readFileSync(join(dir, f), 'utf8')) as { nats: string[] }).nats[0]!;
    } catch {
      // The server may still be writing the file: read it again.
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('nats-server did not start');
}

const systems = (process.env.BENCH_SYSTEMS ?? 'streams,raw,nats').split(',') as System[];
const nats = systems.includes('nats') ? startNats() : undefined;
const baselines = [
  ['raw', 'iroh-js awaited writes'],
  ['nats', 'nats-core'],
] as const;
try {
  const url = nats ? await natsUrl(nats.dir) : undefined;
  for (const n of (process.env.BENCH_FANOUT ?? '1,4,16')
    .split(',')
    .map(Number)
    .filter((k) => k > 0)) {
    const results = new Map<System, Result>();
    for (const s of systems) {
      if (s === 'nats') {
        if (url === undefined) continue;
        // The peer's best flush interval for throughput; latency from the default one.
        const runs = [];
        for (const every of (process.env.BENCH_NATS_FLUSH ?? '100,1000,10000').split(',').map(Number))
          runs.push(await measure(s, { consumers: n, natsFlushEvery: every }, url));
        const best = runs.reduce((a, b) => (b.rate > a.rate ? b : a));
        results.set(s, { ...runs[Math.min(1, runs.length - 1)]!, rate: best.rate });
      } else results.set(s, await measure(s, { consumers: n }, url));
    }
    const ours = results.get('streams');
    if (!ours) continue;
    const compared = baselines.filter(([s]) => systems.includes(s));
    // Without a baseline system (`BENCH_SYSTEMS=streams`), our numbers still print.
    for (const [s, name] of compared.length > 0 ? compared : ([['none', 'none']] as const)) {
      const b = results.get(s as System);
      line(`streams 1→${n} 100 B throughput`, 'datums/s per consumer', ours.rate, name, b?.rate, 0);
      line(`streams 1→${n} 100 B p50 @10k/s`, 'ms (lower is better)', ours.p50, name, b?.p50, 3, true);
      line(`streams 1→${n} 100 B p99 @10k/s`, 'ms (lower is better)', ours.p99, name, b?.p99, 3, true);
      // NATS's own share runs in its server, which this line does not count: raw iroh-js only.
      if (s === 'raw' || s === 'none')
        line(
          `streams 1→${n} 100 B CPU per delivery at full speed`,
          'µs CPU of producer + consumers per datum received (lower is better)',
          ours.cpuUs,
          name,
          b?.cpuUs,
          1,
          true,
        );
    }
  }
  const [wideConsumers = 0, wideProcesses = 1] = (process.env.BENCH_WIDE ?? '100x4').split('x').map(Number);
  if (wideConsumers > 0) {
    const setup = { consumers: wideConsumers, processes: wideProcesses };
    const ours = systems.includes('streams') ? await measureWide('streams', setup, url) : undefined;
    const peer = url === undefined ? undefined : await measureWide('nats', setup, url);
    const what = `streams 1→${wideConsumers} consumers in ${wideProcesses} processes, 100 B @${WIDE_RATE}/s`;
    if (ours) {
      line(
        `${what}: delivered to every consumer`,
        'share of datums (goal 1)',
        ours.delivered,
        'nats-core',
        peer?.delivered,
        4,
      );
      line(`${what}: p50`, 'ms (lower is better)', ours.p50, 'nats-core', peer?.p50, 3, true);
      line(`${what}: p99`, 'ms (lower is better)', ours.p99, 'nats-core', peer?.p99, 3, true);
      if (ours.settledMs !== undefined)
        line(
          `${what}: discovery settled before measuring`,
          'ms until every node lists every other (lower is better)',
          ours.settledMs,
          'goal',
          60_000,
          0,
          true,
        );
    }
  }
  const many = Number(process.env.BENCH_MANY ?? 100);
  if (many > 0 && systems.includes('streams')) {
    const ours = await measureIdle('streams', many, url, () => 0);
    const peer =
      url === undefined
        ? undefined
        : await measureIdle('nats', many, url, () =>
            // The NATS server's CPU, from /proc (0 where unavailable).
            nats?.proc.pid === undefined ? 0 : (processCpuMs(nats.proc.pid) ?? 0),
          );
    line(
      `streams ${many} streams × 1 datum/s, CPU per stream`,
      'µs CPU per stream per s, producer + consumer (lower is better)',
      ours.cpuUsPerStream,
      'nats-core (+ server)',
      peer?.cpuUsPerStream,
      1,
      true,
    );
    if (ours.delivered < 0.99) console.error(`streams idle case delivered only ${ours.delivered * 100}%`);
  }
} finally {
  if (nats) {
    nats.proc.kill('SIGTERM');
    await once(nats.proc, 'exit');
    rmSync(nats.dir, { recursive: true, force: true });
  }
}
