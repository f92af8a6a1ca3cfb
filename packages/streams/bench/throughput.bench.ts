/**
 * Streams throughput vs NATS core pub/sub, same run, loopback, 100-byte datums:
 * 1 producer → 1 and → 8 consumers, datums/s received per consumer in aggregate.
 *
 * NATS needs `nats-server` (Debian: `apt-get install -y nats-server`). Without it the NATS
 * lines say `"baseline": "unavailable"`.
 *
 *   pnpm --filter @mosaik/streams bench
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Discovery } from '@mosaik/discovery';
import { id } from '@mosaik/id';
import { LocalNode } from '@mosaik/transport';
import { defineStream, Streams } from '../src/index.js';

process.env.RUST_LIB_BACKTRACE ??= '0';
const DURATION_MS = Number(process.env.BENCH_MS ?? 2000);
const PAYLOAD = new Uint8Array(100).fill(7);
const Bytes = defineStream<Uint8Array>('bench-bytes', {
  codec: { encode: (b) => b, decode: (b) => b },
  producer: { bufferSize: 4096 },
});

async function streamsRate(consumers: number): Promise<number> {
  const net = id(`bench-${Math.random()}`);
  const quiet = { announceIntervalMs: 600_000, rttProbeIntervalMs: 600_000, gracefulDepartureWindowMs: 50 };
  const bind = async () => {
    const node = await LocalNode.bind(net, { preset: 'local' });
    const discovery = await Discovery.start(node, quiet);
    return { node, discovery, streams: new Streams(node, discovery) };
  };
  const p = await bind();
  const cs = [];
  for (let i = 0; i < consumers; i++) cs.push(await bind());
  const producer = p.streams.produce(Bytes);
  for (const c of cs) {
    c.discovery.feed(p.discovery.me());
    c.node.addressBook.observe(p.node.addr());
    p.discovery.feed(c.discovery.me());
    p.node.addressBook.observe(c.node.addr());
  }
  const handles = cs.map((c) => c.streams.consume(Bytes));
  await producer.when.subscribed({ atLeast: consumers }).wait(AbortSignal.timeout(20_000));
  let received = 0;
  let running = true;
  const readers = handles.map(async (h) => {
    while (running) {
      const d = await h.recv(AbortSignal.timeout(500));
      if (d !== undefined) received++;
    }
  });
  const start = performance.now();
  while (performance.now() - start < DURATION_MS) await producer.send(PAYLOAD);
  const elapsed = performance.now() - start;
  const count = received;
  running = false;
  await Promise.allSettled(readers);
  for (const n of [p, ...cs]) {
    await n.streams.close();
    await n.discovery.close();
    await n.node.close();
  }
  return count / (elapsed / 1000);
}

function startNats(): { url: string; proc: ChildProcess; dir: string } | undefined {
  try {
    execFileSync('nats-server', ['--version'], { stdio: 'ignore' });
  } catch {
    return undefined;
  }
  const dir = mkdtempSync(join(tmpdir(), 'nats-bench-'));
  const proc = spawn('nats-server', ['-a', '127.0.0.1', '-p', '-1', '--ports_file_dir', dir], {
    stdio: 'ignore',
  });
  return { url: '', proc, dir };
}

async function natsUrl(dir: string): Promise<string> {
  for (let i = 0; i < 200; i++) {
    const f = readdirSync(dir).find((x) => x.endsWith('.ports'));
    if (f) return (JSON.parse(readFileSync(join(dir, f), 'utf8')) as { nats: string[] }).nats[0]!;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('nats-server did not start');
}

async function natsRate(url: string, consumers: number): Promise<number> {
  const { connect } = await import('nats');
  const pub = await connect({ servers: url });
  const subs = await Promise.all(Array.from({ length: consumers }, () => connect({ servers: url })));
  let received = 0;
  for (const s of subs) s.subscribe('bench', { callback: () => received++ });
  await Promise.all(subs.map((s) => s.flush()));
  const start = performance.now();
  let sent = 0;
  while (performance.now() - start < DURATION_MS) {
    for (let i = 0; i < 1000; i++) pub.publish('bench', PAYLOAD);
    sent += 1000;
    if (sent % 20_000 === 0) await pub.flush();
  }
  await pub.flush();
  const elapsed = performance.now() - start;
  const count = received;
  await Promise.all([pub, ...subs].map((c) => c.close()));
  return count / (elapsed / 1000);
}

const line = (bench: string, ours: number, baseline: number | 'unavailable') =>
  console.log(
    JSON.stringify({
      bench,
      unit: 'datums/s',
      ours: Math.round(ours),
      baseline: 'nats-core',
      baselineValue: baseline === 'unavailable' ? 'unavailable' : Math.round(baseline),
      ratio: baseline === 'unavailable' ? null : Number((ours / baseline).toFixed(3)),
    }),
  );

const nats = startNats();
try {
  const url = nats ? await natsUrl(nats.dir) : undefined;
  for (const n of (process.env.BENCH_FANOUT ?? '1,8').split(',').map(Number)) {
    const ours = await streamsRate(n);
    const base = url ? await natsRate(url, n) : 'unavailable';
    line(`streams 1→${n}, 100 B datums`, ours, base);
  }
} finally {
  nats?.proc.kill('SIGTERM');
  if (nats) rmSync(nats.dir, { recursive: true, force: true });
}
