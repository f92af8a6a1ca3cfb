/**
 * Rate limiter benchmark: requests per second and p50/p99 latency of three gateway processes
 * (started with the CLI, as users run them) in each mode, against three gateways in `local`
 * mode (a plain in-process limiter each, no coordination): the ceiling, measured in the same run
 * in rounds alternating with the mode's. One JSON line per figure; ratio > 1 is better for the
 * distributed mode.
 *
 * `BENCH_MS` (per mode, default 3000), `BENCH_CLIENTS` (concurrent keep-alive clients, default
 * 32), `BENCH_USERS` (distinct user ids, default 20), `BENCH_MODES` (default
 * `strict,gossip,lease`).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { Agent, request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { line } from '../../../tooling/bench/child.mjs';

const APP = fileURLToPath(new URL('..', import.meta.url));
const MS = Number(process.env.BENCH_MS ?? 3000);
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 32);
const USERS = Number(process.env.BENCH_USERS ?? 20);
const MODES = (process.env.BENCH_MODES ?? 'strict,gossip,lease').split(',');
/**
 * Generous limits on a few hot users: most requests are granted (so every mode does its full
 * work per request) and each user is busy enough for leases to pay off.
 */
const RPM = 60_000;
const BURST = 1000;

interface Result {
  readonly rate: number;
  readonly p50: number;
  readonly p99: number;
  readonly statuses: Record<string, number>;
}

class GatewayProcess {
  readonly proc: ChildProcess;
  readonly lines: string[] = [];
  readonly exited: Promise<unknown>;
  #wake: (() => void) | undefined;

  constructor(args: readonly string[]) {
    this.proc = spawn(
      process.execPath,
      ['--conditions=@mosaik/source', '--import', 'tsx', 'src/main.ts', 'gateway', ...args],
      {
        cwd: APP,
        stdio: ['ignore', 'pipe', 'ignore'],
        env: { ...process.env, MOSAIK_LOG: 'warn', RUST_LIB_BACKTRACE: '0' },
      },
    );
    this.exited = once(this.proc, 'exit');
    let partial = '';
    this.proc.stdout!.on('data', (d: Buffer) => {
      const parts = (partial + d.toString('utf8')).split('\n');
      partial = parts.pop()!;
      this.lines.push(...parts);
      this.#wake?.();
    });
    this.proc.on('exit', () => this.#wake?.());
  }

  async line(re: RegExp, ms = 60_000): Promise<RegExpMatchArray> {
    const deadline = Date.now() + ms;
    for (;;) {
      for (const l of this.lines) {
        const m = l.match(re);
        if (m) return m;
      }
      if (this.proc.exitCode !== null || Date.now() > deadline)
        throw new Error(`gateway ended or timed out waiting for ${re}: ${this.lines.join(' | ')}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, 500);
        this.#wake = () => {
          clearTimeout(t);
          r();
        };
      });
    }
  }

  async stop(): Promise<void> {
    if (this.proc.exitCode !== null) return;
    this.proc.kill('SIGTERM');
    const t = setTimeout(() => this.proc.kill('SIGKILL'), 10_000);
    await this.exited;
    clearTimeout(t);
  }
}

const agent = new Agent({ keepAlive: true, maxSockets: CLIENTS });

function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        body += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const quantile = (sorted: readonly number[], q: number) =>
  sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

/** Three gateways of `mode`, started with the CLI, ready to decide. */
async function startCluster(mode: string): Promise<{ urls: string[]; stop: () => Promise<void> }> {
  const network = `rate-limiter-bench-${mode}-${process.pid}`;
  const common = [
    '--mode',
    mode,
    '--port',
    '0',
    '--rpm',
    `${RPM}`,
    '--burst',
    `${BURST}`,
    '--network',
    network,
    '--key',
    network,
  ];
  const first = new GatewayProcess(common);
  const gateways = [first];
  const stop = async () => {
    await Promise.all(gateways.map((g) => g.stop()));
  };
  try {
    const address = mode === 'local' ? undefined : (await first.line(/^ {2}address {2}(\S+)$/))[1];
    for (let i = 0; i < 2; i++)
      gateways.push(new GatewayProcess(address === undefined ? common : [...common, '--bootstrap', address]));
    for (const g of gateways) await g.line(/^ready: /);
    const urls = await Promise.all(gateways.map(async (g) => (await g.line(/^ {2}http {5}(\S+)$/))[1]!));
    if (mode === 'gossip') {
      // Wait until every gateway hears the two others, or the bound is not the documented one.
      const deadline = Date.now() + 30_000;
      for (;;) {
        const h = await Promise.all(urls.map((u) => get(`${u}/healthz`)));
        if (h.every((r) => JSON.parse(r.body).gateways === 3)) break;
        if (Date.now() > deadline) throw new Error('gossip gateways never heard each other');
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    await run(urls, 500); // warm-up: JIT, connections, leader
    return { urls, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Merges the rounds of one system. */
function merge(rounds: readonly Raw[]): Result {
  const latencies = rounds.flatMap((r) => r.latencies).sort((a, b) => a - b);
  const elapsed = rounds.reduce((t, r) => t + r.elapsed, 0);
  const statuses: Record<string, number> = {};
  for (const r of rounds)
    for (const [k, v] of Object.entries(r.statuses)) statuses[k] = (statuses[k] ?? 0) + v;
  return {
    rate: (latencies.length / elapsed) * 1000,
    p50: quantile(latencies, 0.5),
    p99: quantile(latencies, 0.99),
    statuses,
  };
}

interface Raw {
  readonly latencies: number[];
  readonly elapsed: number;
  readonly statuses: Record<string, number>;
}

async function run(urls: readonly string[], ms: number): Promise<Raw> {
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  const started = performance.now();
  const end = started + ms;
  let n = 0;
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (performance.now() < end) {
        const i = n++;
        const t0 = performance.now();
        const r = await get(`${urls[i % urls.length]}/api/resource?user_id=user-${i % USERS}`);
        latencies.push(performance.now() - t0);
        statuses[r.status] = (statuses[r.status] ?? 0) + 1;
      }
    }),
  );
  return { latencies, elapsed: performance.now() - started, statuses };
}

async function commits(urls: readonly string[]): Promise<number> {
  const h = await Promise.all(urls.map((u) => get(`${u}/healthz`)));
  return h.reduce((sum, r) => sum + Number(JSON.parse(r.body).commits ?? 0), 0);
}

// The ceiling stays up for the whole run; each mode alternates rounds with it, so both see the
// same machine (the load of a shared machine drifts more than the modes differ).
const ROUNDS = 4;
const local = await startCluster('local');
const name = 'local limiter, no coordination (3 gateways)';
try {
  for (const mode of MODES) {
    const cluster = await startCluster(mode);
    try {
      const ours: Raw[] = [];
      const ceiling: Raw[] = [];
      const commitsBefore = mode === 'lease' ? await commits(cluster.urls) : 0;
      for (let i = 0; i < ROUNDS; i++) {
        ceiling.push(await run(local.urls, MS / ROUNDS));
        ours.push(await run(cluster.urls, MS / ROUNDS));
      }
      const r = merge(ours);
      const c = merge(ceiling);
      process.stderr.write(`${mode}: ${JSON.stringify(r)}\nlocal: ${JSON.stringify(c)}\n`);
      line(
        `rate-limiter ${mode}: requests/s, ${CLIENTS} clients, 3 gateways`,
        'req/s',
        r.rate,
        name,
        c.rate,
        0,
      );
      line(
        `rate-limiter ${mode}: p50`,
        'ms (lower is better; ratio = local/ours)',
        r.p50,
        name,
        c.p50,
        3,
        true,
      );
      line(
        `rate-limiter ${mode}: p99`,
        'ms (lower is better; ratio = local/ours)',
        r.p99,
        name,
        c.p99,
        3,
        true,
      );
      if (mode === 'lease') {
        const requests = ours.reduce((n, x) => n + x.latencies.length, 0);
        line(
          'rate-limiter lease: commits per request',
          'commits (lower is better; ratio = strict/ours)',
          ((await commits(cluster.urls)) - commitsBefore) / requests,
          'strict mode (one commit per request)',
          1,
          3,
          true,
        );
      }
    } finally {
      await cluster.stop();
    }
  }
} finally {
  await local.stop();
  agent.destroy();
}
