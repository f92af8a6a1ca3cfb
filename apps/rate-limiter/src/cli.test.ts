import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { scaled, waitFor } from 'mosaik';
import { afterEach, describe, expect, it } from 'vitest';
import { get, load, type Reply } from '../test/gateways.js';
import { createProgram } from './cli.js';

const appDir = fileURLToPath(new URL('..', import.meta.url));

/** The node flags of the package's `start` script, so the test runs what users run. */
function nodeFlags(): string[] {
  const pkg = JSON.parse(readFileSync(`${appDir}/package.json`, 'utf8')) as { scripts: { start: string } };
  const words = pkg.scripts.start.split(/\s+/);
  expect(words[0]).toBe('node');
  return words.slice(1, words.indexOf('src/main.ts'));
}

/** A CLI child process with its stdout lines. */
class Cli {
  readonly proc: ChildProcess;
  readonly lines: string[] = [];
  readonly exited: Promise<unknown>;

  constructor(args: readonly string[]) {
    this.proc = spawn(process.execPath, [...nodeFlags(), 'src/main.ts', ...args], {
      cwd: appDir,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, RUST_LIB_BACKTRACE: '0', MOSAIK_LOG: process.env.MOSAIK_TEST_LOG ?? 'warn' },
    });
    this.exited = once(this.proc, 'exit');
    let partial = '';
    this.proc.stdout!.on('data', (d: Buffer) => {
      const text = partial + d.toString('utf8');
      const parts = text.split('\n');
      partial = parts.pop()!;
      this.lines.push(...parts);
    });
    this.proc.stderr!.resume();
  }

  /** The first stdout line matching `re` (waits for it). */
  async line(re: RegExp, timeout = 30_000): Promise<RegExpMatchArray> {
    return waitFor(
      () => {
        for (const l of this.lines) {
          const m = l.match(re);
          if (m) return m;
        }
        if (this.proc.exitCode !== null)
          throw new Error(`exited with ${this.proc.exitCode}: ${this.lines.join('\n')}`);
        return undefined;
      },
      { timeout, interval: 50, message: () => `no line ${re} in:\n${this.lines.join('\n')}` },
    );
  }

  kill(signal: NodeJS.Signals): void {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill(signal);
  }
}

const running: Cli[] = [];
function cli(args: readonly string[]): Cli {
  const c = new Cli(args);
  running.push(c);
  return c;
}

afterEach(async () => {
  for (const c of running.splice(0)) {
    c.kill('SIGKILL');
    await c.exited;
  }
});

describe('rate-limiter command line', () => {
  it('start: runs a three-gateway cluster, prints its ports and a curl line, stops on Ctrl-C', {
    timeout: scaled(60_000),
  }, async () => {
    const c = cli(['cluster', '--port', '0', '--rpm', '5']);
    await c.line(/^Ctrl-C to stop\.$/, 60_000);
    const urls = c.lines.flatMap((l) => l.match(/^ {2}gateway \d {2}(http:\/\/127\.0\.0\.1:\d+)/)?.[1] ?? []);
    expect(urls).toHaveLength(3);
    expect(c.lines.some((l) => /\(leader\)$/.test(l))).toBe(true);
    const curl = (await c.line(/^ {2}curl -i '(http[^']+)'$/))[1]!;
    const first = await get(curl);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ ok: true, remaining: 4, limit: 5 });
    const other = await get(`${urls[2]}/api/resource?user_id=alice`);
    expect(other.body).toMatchObject({ ok: true, remaining: 3 });
    c.kill('SIGINT');
    const [code] = (await c.exited) as [number | null];
    expect(code).toBe(0);
    expect(c.lines.at(-1)).toBe('stopped');
  });

  it('a gateway killed mid-load does not let the survivors exceed the limit', {
    timeout: scaled(90_000),
  }, async () => {
    const rpm = 60;
    const burst = 10;
    const common = [
      '--port',
      '0',
      '--rpm',
      `${rpm}`,
      '--burst',
      `${burst}`,
      '--network',
      `kill-${Math.random()}`,
    ];
    const first = cli([...common, '--key', 'kill-test']);
    const address = (await first.line(/^ {2}address {2}(\S+)$/))[1]!;
    const others = [0, 1].map(() => cli([...common, '--key', 'kill-test', '--bootstrap', address]));
    const gateways = [first, ...others];
    for (const g of gateways) await g.line(/^ready: /, 60_000);
    const urls = await Promise.all(gateways.map(async (g) => (await g.line(/^ {2}http {5}(\S+)$/))[1]!));
    await waitFor(
      async () =>
        (await Promise.all(urls.map((u) => get(`${u}/healthz`)))).every(
          (h) => h.body.leader !== null && h.body.voters === 3,
        ),
      { timeout: 20_000, message: 'every gateway knows the leader and all three vote' },
    );
    const health = await Promise.all(urls.map((u) => get(`${u}/healthz`)));
    const leader = health.findIndex((h) => h.body.isLeader === true);
    expect(leader).toBeGreaterThanOrEqual(0);

    const started = Date.now();
    const replies: Reply[] = [];
    let stop = false;
    const loading = load(urls, 'carol', 2, () => stop, replies);
    const granted = () => replies.filter((r) => r.status === 200);
    await waitFor(() => granted().length >= burst, { timeout: 20_000, message: 'the load spent the burst' });
    gateways[leader]!.kill('SIGKILL'); // the leader: the hardest case
    const killedAt = Date.now();
    await waitFor(() => granted().some((r) => r.at > killedAt + 100), {
      timeout: 20_000,
      message: 'a survivor grants again under a new leader',
    });
    stop = true;
    await loading;
    const ended = Math.max(...replies.map((r) => r.at));
    // Every grant is stamped between `started` and `ended`: the bucket cannot have given more.
    expect(granted().length).toBeLessThanOrEqual(burst + Math.ceil((rpm * (ended - started)) / 60_000));
    expect(replies.every((r) => [200, 429, 503].includes(r.status))).toBe(true);
  });

  it('refuses bad flags with a message', async () => {
    const errors: string[] = [];
    const program = createProgram({ out: () => {} });
    for (const c of [program, ...program.commands])
      c.exitOverride().configureOutput({ writeErr: (e) => errors.push(e), writeOut: () => {} });
    for (const args of [
      ['gateway', '--mode', 'nope'],
      ['gateway', '--rpm', '0'],
      ['gateway', '--port', '70000'],
      ['gateway', '--bootstrap', 'nobody@127.0.0.1:1'],
      ['gateway', '--metrics', 'nowhere'],
    ]) {
      await expect(program.parseAsync(args, { from: 'user' })).rejects.toThrow();
    }
    expect(errors.join('')).toMatch(/Allowed choices are strict, gossip, lease, local/);
    expect(errors.join('')).toMatch(/positive integer/);
    expect(errors.join('')).toMatch(/invalid peer id/);
  });
});
