/**
 * Streams vs raw iroh-js awaited writes vs NATS core pub/sub, same run, loopback, 100-byte
 * datums, 1 producer → 1 and → 4 consumers, every side in its own process (see `peer.ts`):
 *
 * - `max`: the producer sends as fast as it is allowed for `BENCH_MS`; datums/s received per
 *   consumer (mean over consumers, from the producer's first send to the consumer's last datum).
 * - `rate`: the producer sends at a fixed 10,000 datums/s; one-way latency p50 and p99 in ms
 *   (the send time travels in the datum; both processes read the same wall clock).
 *
 * NATS needs `nats-server` from Debian; the script installs it (after `apt-get update`) when it is
 * missing and it runs as root, and fails naming the fix when it cannot. `BENCH_MS` (default 3000), `BENCH_FANOUT` (default `1,4`),
 * `BENCH_SYSTEMS` (default `streams,raw,nats`), `BENCH_PROF=<dir>` (CPU profiles of the peers).
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
import { requireDebianPeer } from '../../../tooling/bench/peers.mjs';
import type { FromPeer, PeerConfig, ToPeer } from './peer.js';

const DURATION_MS = Number(process.env.BENCH_MS ?? 3000);
const RATE = 10_000;
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
    await Promise.allSettled(peers.map((p) => p.stop()));
  }
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
