/**
 * Streams vs raw iroh-js awaited writes vs NATS core pub/sub, same run, loopback, 100-byte
 * datums, 1 producer → 1 and → 4 consumers, every side in its own process (see `peer.ts`):
 *
 * - `max`: the producer sends as fast as it is allowed for `BENCH_MS`; datums/s received per
 *   consumer (mean over consumers, from the producer's first send to the consumer's last datum).
 * - `rate`: the producer sends at a fixed 10,000 datums/s; one-way latency p50 and p99 in ms
 *   (the send time travels in the datum; both processes read the same wall clock).
 *
 * NATS needs `nats-server` (Debian: `apt-get install -y nats-server`); without it the NATS lines
 * say `"baselineValue": "unavailable"`. `BENCH_MS` (default 3000), `BENCH_FANOUT` (default `1,4`),
 * `BENCH_SYSTEMS` (default `streams,raw,nats`), `BENCH_PROF=<dir>` (CPU profiles of the peers).
 *
 *   pnpm --filter @mosaik/streams bench
 */
import { type ChildProcess, execFileSync, fork, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FromPeer, PeerConfig, ToPeer } from './peer.js';

const DURATION_MS = Number(process.env.BENCH_MS ?? 3000);
const RATE = 10_000;
const PEER = fileURLToPath(new URL('./peer.ts', import.meta.url));

type System = PeerConfig['system'];

/** A child process speaking the peer protocol. */
class Peer {
  readonly #proc: ChildProcess;
  readonly #inbox: FromPeer[] = [];
  #waiter: (() => void) | undefined;
  readonly #exited: Promise<unknown>;

  constructor(cfg: PeerConfig) {
    this.#proc = fork(PEER, [JSON.stringify(cfg)], {
      execArgv: [
        '--conditions=@mosaik/source',
        '--import',
        'tsx',
        // BENCH_PROF=<dir>: a V8 CPU profile of every peer process.
        ...(process.env.BENCH_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROF}`] : []),
      ],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: { ...process.env, RUST_LIB_BACKTRACE: '0' },
    });
    this.#exited = once(this.#proc, 'exit');
    this.#proc.on('message', (m: FromPeer) => {
      this.#inbox.push(m);
      this.#waiter?.();
    });
    this.#proc.on('exit', () => this.#waiter?.());
  }

  send(m: ToPeer): void {
    this.#proc.send(m);
  }

  /** The next message of type `t` (60 s at most). */
  async next<K extends FromPeer['t']>(t: K): Promise<Extract<FromPeer, { t: K }>> {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const i = this.#inbox.findIndex((m) => m.t === t);
      if (i >= 0) return this.#inbox.splice(i, 1)[0] as Extract<FromPeer, { t: K }>;
      if (this.#proc.exitCode !== null || Date.now() > deadline)
        throw new Error(`bench peer ended or timed out waiting for ${t}`);
      await new Promise<void>((r) => {
        const timer = setTimeout(r, 1000);
        this.#waiter = () => {
          clearTimeout(timer);
          r();
        };
      });
      this.#waiter = undefined;
    }
  }

  /** Asks the peer to close everything and exit; kills it after 10 s. */
  async exit(): Promise<void> {
    if (this.#proc.exitCode !== null) return;
    if (this.#proc.connected) this.send({ t: 'exit' });
    const timer = setTimeout(() => this.#proc.kill('SIGKILL'), 10_000);
    await this.#exited;
    clearTimeout(timer);
  }
}

interface Result {
  /** Mean datums/s received per consumer. */
  rate: number;
  p50: number;
  p99: number;
}

/** Starts producer + consumers of `system`, runs the `max` then the `rate` phase. */
async function measure(system: System, consumers: number, natsUrl: string | undefined): Promise<Result> {
  const network = `bench-${Math.random()}`;
  const base = { system, network, consumers, ...(natsUrl ? { natsUrl } : {}) };
  const producer = new Peer({ ...base, role: 'producer' });
  const peers = [producer];
  try {
    const { addr } = await producer.next('ready');
    const cs = Array.from(
      { length: consumers },
      () => new Peer({ ...base, role: 'consumer', ...(addr ? { addr } : {}) }),
    );
    peers.push(...cs);
    await Promise.all(cs.map((c) => c.next('ready')));
    const phase = async (mode: 'max' | 'rate') => {
      for (const c of cs) c.send({ t: 'reset' });
      producer.send({ t: 'run', mode, ms: DURATION_MS, rate: RATE });
      const done = await producer.next('done');
      for (const c of cs) c.send({ t: 'report', expect: done.sent });
      const reports = await Promise.all(cs.map((c) => c.next('report')));
      const rates = reports.map((r) => (r.count === 0 ? 0 : r.count / ((r.lastAt - done.startAt) / 1000)));
      return {
        rate: rates.reduce((a, b) => a + b, 0) / rates.length,
        // The worst consumer's percentiles.
        p50: Math.max(...reports.map((r) => r.p50)),
        p99: Math.max(...reports.map((r) => r.p99)),
      };
    };
    const max = await phase('max');
    const paced = await phase('rate');
    return { rate: max.rate, p50: paced.p50, p99: paced.p99 };
  } finally {
    await Promise.allSettled(peers.map((p) => p.exit()));
  }
}

function startNats(): { proc: ChildProcess; dir: string } | undefined {
  try {
    execFileSync('nats-server', ['--version'], { stdio: 'ignore' });
  } catch {
    return undefined;
  }
  const dir = mkdtempSync(join(tmpdir(), 'nats-bench-'));
  const proc = spawn('nats-server', ['-a', '127.0.0.1', '-p', '-1', '--ports_file_dir', dir], {
    stdio: 'ignore',
  });
  return { proc, dir };
}

async function natsUrl(dir: string): Promise<string> {
  for (let i = 0; i < 200; i++) {
    const f = readdirSync(dir).find((x) => x.endsWith('.ports'));
    if (f) return (JSON.parse(readFileSync(join(dir, f), 'utf8')) as { nats: string[] }).nats[0]!;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('nats-server did not start');
}

const round = (n: number, digits: number) => Number(n.toFixed(digits));

function line(
  bench: string,
  unit: string,
  ours: number,
  baseline: string,
  value: number | undefined,
  digits: number,
) {
  console.log(
    JSON.stringify({
      bench,
      unit,
      ours: round(ours, digits),
      baseline,
      baselineValue: value === undefined ? 'unavailable' : round(value, digits),
      ratio: value === undefined ? null : round(ours / value, 3),
    }),
  );
}

const systems = (process.env.BENCH_SYSTEMS ?? 'streams,raw,nats').split(',') as System[];
const nats = systems.includes('nats') ? startNats() : undefined;
try {
  const url = nats ? await natsUrl(nats.dir) : undefined;
  for (const n of (process.env.BENCH_FANOUT ?? '1,4').split(',').map(Number)) {
    const results = new Map<System, Result>();
    for (const s of systems) {
      if (s === 'nats' && url === undefined) continue;
      results.set(s, await measure(s, n, url));
    }
    const ours = results.get('streams');
    if (!ours) continue;
    for (const [s, name] of [
      ['raw', 'iroh-js awaited writes'],
      ['nats', 'nats-core'],
    ] as const) {
      if (!systems.includes(s)) continue;
      const b = results.get(s);
      line(`streams 1→${n} 100 B throughput`, 'datums/s per consumer', ours.rate, name, b?.rate, 0);
      line(`streams 1→${n} 100 B p50 @10k/s`, 'ms (lower is better)', ours.p50, name, b?.p50, 3);
      line(`streams 1→${n} 100 B p99 @10k/s`, 'ms (lower is better)', ours.p99, name, b?.p99, 3);
    }
  }
} finally {
  if (nats) {
    nats.proc.kill('SIGTERM');
    await once(nats.proc, 'exit');
    rmSync(nats.dir, { recursive: true, force: true });
  }
}
