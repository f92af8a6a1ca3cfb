/**
 * Convergence of real discovery swarms on 127.0.0.1 (issues 4 and 20): N nodes, each
 * bootstrapped only to node 0, until every catalog holds N−1 signed peers. In one process for
 * `BENCH_SIZES` (default 10,30,60,100), then `BENCH_SPREAD` nodes (default 300) split over
 * `BENCH_PROCS` (default 3) child processes, every node bootstrapped to one seed in the first.
 *
 * Per run: convergence time (from the first `Discovery.start`; endpoints are bound before),
 * catalog-sync bytes sent per node per peer it learned, and resident memory per node. One
 * JSON object per line on stdout; progress on stderr. In one process all nodes share one JS
 * thread, so this measures CPU cost as much as latency.
 *
 * `BENCH_PROF=<dir>` writes a CPU profile of each in-process convergence phase to `<dir>`.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { PeerId } from '@mosaik/id';
import { type EndpointAddr, LocalNode } from '@mosaik/transport';
import { Discovery } from '../src/node/discovery.js';

const CONFIG = { announceIntervalMs: 600_000, rttProbeIntervalMs: 600_000 };
const SYNC_BYTES = 'mosaik_discovery_sync_bytes_sent_total';

interface Member {
  readonly node: LocalNode;
  discovery?: Discovery;
}

interface Run {
  readonly n: number;
  readonly procs: number;
  readonly convergedMs: number;
  /** CPU time (user + system) spent until convergence, ms: less sensitive to other load. */
  readonly cpuMs: number;
  readonly syncBytesPerNodePerPeer: number;
  readonly rssPerNodeMb: number;
}

async function syncBytes(members: readonly Member[]): Promise<number> {
  let total = 0;
  for (const m of members) {
    const metric = m.node.metrics.registry.getSingleMetric(SYNC_BYTES);
    const values = (await metric?.get())?.values ?? [];
    for (const v of values) total += v.value;
  }
  return total;
}

const converged = (members: readonly Member[], n: number) =>
  members.every((m) => m.discovery?.catalog().signedPeersCount() === n - 1);

async function closeAll(members: readonly Member[]): Promise<void> {
  // Departures one at a time (they need the others alive; closing all discovery instances at
  // once stalled in this in-process setting), then the endpoints.
  for (const m of members) await m.discovery?.close();
  await Promise.allSettled(members.map((m) => m.node.close()));
}

async function bindAll(net: string, count: number): Promise<Member[]> {
  const members: Member[] = [];
  for (let i = 0; i < count; i++) members.push({ node: await LocalNode.bind(net, { preset: 'local' }) });
  return members;
}

async function startAll(members: readonly Member[], seed: EndpointAddr | undefined): Promise<void> {
  await Promise.all(
    members.map(async (m) => {
      const bootstrap = seed === undefined || seed.id.equals(m.node.peerId) ? [] : [seed];
      m.discovery = await Discovery.start(m.node, { ...CONFIG, bootstrap });
    }),
  );
}

async function inProcess(n: number, deadlineMs: number): Promise<Run> {
  globalThis.gc?.();
  const rssBefore = process.memoryUsage().rss;
  const members = await bindAll(`bench-${n}-${Math.random()}`, n);
  const profiler = process.env.BENCH_PROF === undefined ? undefined : new Session();
  try {
    if (profiler !== undefined) {
      profiler.connect();
      await profiler.post('Profiler.enable');
      await profiler.post('Profiler.start');
    }
    const started = performance.now();
    const cpuBefore = process.cpuUsage();
    const seed = members[0] as Member;
    await startAll([seed], undefined);
    await startAll(members.slice(1), seed.node.addr());
    while (!converged(members, n)) {
      if (performance.now() - started > deadlineMs) {
        const counts = members.map((m) => m.discovery?.catalog().signedPeersCount() ?? 0);
        console.error(`  deadline ${n}: min ${Math.min(...counts)} of ${n - 1}`);
        return {
          n,
          procs: 1,
          convergedMs: Number.POSITIVE_INFINITY,
          cpuMs: NaN,
          syncBytesPerNodePerPeer: NaN,
          rssPerNodeMb: NaN,
        };
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    const convergedMs = performance.now() - started;
    const cpu = process.cpuUsage(cpuBefore);
    const cpuMs = (cpu.user + cpu.system) / 1000;
    if (profiler !== undefined) {
      const { profile } = await profiler.post('Profiler.stop');
      const dir = process.env.BENCH_PROF as string;
      mkdirSync(dir, { recursive: true });
      writeFileSync(`${dir}/converge-${n}.cpuprofile`, JSON.stringify(profile));
    }
    const rssPerNodeMb = (process.memoryUsage().rss - rssBefore) / n / 2 ** 20;
    const bytes = await syncBytes(members);
    return { n, procs: 1, convergedMs, cpuMs, syncBytesPerNodePerPeer: bytes / n / (n - 1), rssPerNodeMb };
  } finally {
    profiler?.disconnect();
    await closeAll(members);
  }
}

// ---- several processes: the parent coordinates, each child runs a share of the nodes ----

type ChildLine =
  | { readonly type: 'seed'; readonly id: string; readonly directAddresses: string[] }
  | { readonly type: 'ready' }
  | { readonly type: 'progress'; readonly min: number }
  | {
      readonly type: 'done';
      readonly syncBytes: number;
      readonly rssMb: number;
      readonly cpuMs: number;
      readonly nodes: number;
    };

/** Child: binds `count` nodes (the first is the seed when none is given), starts on "go". */
async function child(count: number, net: string): Promise<void> {
  const send = (line: ChildLine) => process.stdout.write(`${JSON.stringify(line)}\n`);
  const members = await bindAll(net, count);
  const input = createInterface({ input: process.stdin });
  const lines = input[Symbol.asyncIterator]();
  const next = async () => String((await lines.next()).value ?? '');
  let seed: EndpointAddr | undefined;
  if (process.env.BENCH_SEED === undefined) {
    const first = members[0] as Member;
    await startAll([first], undefined);
    const addr = first.node.addr();
    send({ type: 'seed', id: addr.id.toString(), directAddresses: [...addr.directAddresses] });
    seed = addr;
  } else {
    const parsed = JSON.parse(process.env.BENCH_SEED) as { id: string; directAddresses: string[] };
    seed = { id: PeerId.parse(parsed.id), directAddresses: parsed.directAddresses };
  }
  send({ type: 'ready' });
  if ((await next()) !== 'go') return;
  const cpuBefore = process.cpuUsage();
  await startAll(
    members.filter((m) => m.discovery === undefined),
    seed,
  );
  const timer = setInterval(() => {
    const min = Math.min(...members.map((m) => m.discovery?.catalog().signedPeersCount() ?? 0));
    send({ type: 'progress', min });
  }, 100);
  await next(); // "stop"
  clearInterval(timer);
  const cpu = process.cpuUsage(cpuBefore);
  const rssMb = process.memoryUsage().rss / 2 ** 20;
  send({
    type: 'done',
    syncBytes: await syncBytes(members),
    rssMb,
    cpuMs: (cpu.user + cpu.system) / 1000,
    nodes: count,
  });
  await next(); // "close"
  input.close();
  await closeAll(members);
}

async function spread(total: number, procs: number, deadlineMs: number): Promise<Run> {
  const net = `bench-spread-${total}-${Math.random()}`;
  const self = fileURLToPath(import.meta.url);
  const shares = Array.from(
    { length: procs },
    (_, i) => Math.floor(total / procs) + (i < total % procs ? 1 : 0),
  );
  const children: { proc: ReturnType<typeof spawn>; lines: AsyncIterator<string>; min: number }[] = [];
  const startChild = (count: number, seed?: string) => {
    const proc = spawn(process.execPath, [...process.execArgv, self, 'child', String(count), net], {
      stdio: ['pipe', 'pipe', 'inherit'],
      env: { ...process.env, ...(seed === undefined ? {} : { BENCH_SEED: seed }) },
    });
    const lines = createInterface({ input: proc.stdout as NodeJS.ReadableStream })[Symbol.asyncIterator]();
    const c = { proc, lines, min: 0 };
    children.push(c);
    return c;
  };
  const read = async (c: (typeof children)[number]): Promise<ChildLine> => {
    const { value, done } = await c.lines.next();
    if (done) throw new Error('a bench child exited early');
    return JSON.parse(value) as ChildLine;
  };
  try {
    const first = startChild(shares[0] as number);
    const seedLine = await read(first);
    if (seedLine.type !== 'seed') throw new Error(`expected the seed address, got ${seedLine.type}`);
    const seed = JSON.stringify({ id: seedLine.id, directAddresses: seedLine.directAddresses });
    for (const share of shares.slice(1)) startChild(share, seed);
    for (const c of children) if ((await read(c)).type !== 'ready') throw new Error('child not ready');
    const started = performance.now();
    for (const c of children) c.proc.stdin?.write('go\n');
    // Converged when the last child's every node holds all the others.
    const reached = await Promise.all(
      children.map(async (c) => {
        while (c.min < total - 1) {
          const line = await read(c);
          if (line.type === 'progress') c.min = line.min;
          if (performance.now() - started > deadlineMs) {
            console.error(`  deadline ${total}/${procs}: mins ${children.map((x) => x.min).join(',')}`);
            return Number.POSITIVE_INFINITY;
          }
        }
        return performance.now() - started;
      }),
    );
    const convergedMs = Math.max(...reached);
    for (const c of children) c.proc.stdin?.write('stop\n');
    let bytes = 0;
    let rss = 0;
    let cpuMs = 0;
    for (const c of children) {
      let line = await read(c);
      while (line.type !== 'done') line = await read(c);
      bytes += line.syncBytes;
      rss += line.rssMb;
      cpuMs += line.cpuMs;
    }
    return {
      n: total,
      procs,
      convergedMs,
      cpuMs,
      syncBytesPerNodePerPeer: bytes / total / (total - 1),
      rssPerNodeMb: rss / total,
    };
  } finally {
    await Promise.all(
      children.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.proc.exitCode !== null) return resolve();
            const kill = setTimeout(() => c.proc.kill('SIGKILL'), 60_000);
            c.proc.once('exit', () => {
              clearTimeout(kill);
              resolve();
            });
            c.proc.stdin?.write('close\n');
            c.proc.stdin?.end();
          }),
      ),
    );
  }
}

// ---- main ----

const line = (bench: string, unit: string, ours: number, baseline: string, baselineValue: number) =>
  console.log(
    JSON.stringify({
      bench,
      unit,
      ours: Math.round(ours * 100) / 100,
      baseline,
      baselineValue: Math.round(baselineValue * 100) / 100,
      // Lower is better for all: ratio > 1 means better than the baseline.
      ratio: Math.round((baselineValue / ours) * 1000) / 1000,
    }),
  );

async function main(): Promise<void> {
  const runs: Run[] = [];
  const sizes = (process.env.BENCH_SIZES ?? '10,30,60,100').split(',').filter(Boolean).map(Number);
  for (const n of sizes) {
    runs.push(await inProcess(n, 120_000));
    console.error(`converge ${n}: ${JSON.stringify(runs.at(-1))}`);
  }
  const spreadTotal = Number(process.env.BENCH_SPREAD ?? 300);
  const procs = Number(process.env.BENCH_PROCS ?? 3);
  if (spreadTotal > 0) {
    runs.push(await spread(spreadTotal, procs, 180_000));
    console.error(`converge ${spreadTotal} over ${procs} processes: ${JSON.stringify(runs.at(-1))}`);
  }
  // Baselines: the full-snapshot sync this replaced, measured on a quiet machine before the
  // change (issue 20: 10 → 0.76 s, 30 → 5.0 s, 60 → 47.8 s), and the goals where no
  // measurement exists (100 in one process < 30 s, 300 over 3 processes < 60 s).
  const targets: Record<string, [string, number]> = {
    '10': ['full-snapshot-sync', 760],
    '30': ['full-snapshot-sync', 5_000],
    '60': ['full-snapshot-sync', 47_800],
    '100': ['goal', 30_000],
    [`${spreadTotal}`]: ['goal', 60_000],
  };
  const first = runs[0];
  for (const r of runs) {
    const tag = r.procs === 1 ? `${r.n}_nodes` : `${r.n}_nodes_${r.procs}_procs`;
    const [name, value] = targets[String(r.n)] ?? [
      'linear-from-first',
      ((first?.convergedMs ?? 0) * r.n) / (first?.n ?? 1),
    ];
    line(`discovery_converge_${tag}`, 'ms', r.convergedMs, name, value);
    // CPU per node: flat when the cost per node does not grow with the swarm.
    line(
      `discovery_converge_cpu_per_node_${tag}`,
      'ms',
      r.cpuMs / r.n,
      'first-run',
      (first?.cpuMs ?? NaN) / (first?.n ?? 1),
    );
    line(
      `discovery_sync_bytes_per_node_per_peer_${tag}`,
      'bytes',
      r.syncBytesPerNodePerPeer,
      'first-run',
      first?.syncBytesPerNodePerPeer ?? NaN,
    );
    line(`discovery_rss_per_node_${tag}`, 'MiB', r.rssPerNodeMb, 'first-run', first?.rssPerNodeMb ?? NaN);
  }
}

if (process.argv[2] === 'child') {
  await child(Number(process.argv[3]), String(process.argv[4]));
} else {
  await main();
}
