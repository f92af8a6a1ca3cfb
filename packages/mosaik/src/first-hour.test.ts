// What a new user meets in their first hour, run as they would run it: the README's taste, the
// demo, and a program's stdout, each as a child process.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { scaled } from '@mosaik/id';
import { afterAll, describe, expect, it } from 'vitest';
import { networkOptionNames } from './options.js';

const packageRoot = fileURLToPath(new URL('..', import.meta.url));
const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));

interface Run {
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number | null;
  readonly ms: number;
}

/**
 * Whether this machine can run a child in a network namespace of its own (root, util-linux
 * `unshare`, iproute2): then the child sees only a loopback interface, the strongest form of
 * "no network".
 */
function canIsolateNetwork(): boolean {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return false;
  const probe = spawnSync('unshare', ['-n', 'ip', 'link', 'set', 'lo', 'up'], { stdio: 'ignore' });
  return probe.status === 0;
}

/**
 * Runs a TypeScript file the way a user would (node + tsx), from the package folder so that
 * `import 'mosaik'` resolves to this package. Fails when it has not exited within `deadlineMs`.
 */
async function runTs(
  file: string,
  options: { env?: Record<string, string | undefined>; isolated?: boolean; deadlineMs?: number } = {},
): Promise<Run> {
  const node = [process.execPath, '--conditions=@mosaik/source', '--import', 'tsx', file];
  const [command, args] = options.isolated
    ? ['unshare', ['-n', 'sh', '-c', 'ip link set lo up && exec "$@"', 'sh', ...node]]
    : [node[0]!, node.slice(1)];
  const env: Record<string, string | undefined> = { ...process.env, ...options.env };
  for (const key of Object.keys(env)) if (env[key] === undefined) delete env[key];
  const started = performance.now();
  const child = spawn(command as string, args as string[], {
    cwd: packageRoot,
    env: env as NodeJS.ProcessEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const deadline = scaled(options.deadlineMs ?? 30_000);
  const exitCode = await new Promise<number | null>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${file} did not exit within ${deadline} ms\nstdout:\n${stdout}\nstderr:\n${stderr}`));
    }, deadline);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
  return { stdout, stderr, exitCode, ms: performance.now() - started };
}

/** The first ```ts block under the "A taste" heading of the top README. */
function tasteFromReadme(): string {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  const section = readme.split(/^## A taste$/m)[1];
  const block = section?.match(/```ts\n([\s\S]*?)```/);
  if (!block?.[1]) throw new Error('README.md has no ```ts block under "## A taste"');
  return block[1];
}

const scratch = mkdtempSync(join(packageRoot, '.first-hour-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('first hour', () => {
  it('the README taste, pasted as written, prints its datum and result with no network and exits by itself', async () => {
    const file = join(scratch, 'taste.mts');
    writeFileSync(file, tasteFromReadme());
    // Default log level, as a user has it: whatever the library logs goes to stderr.
    const run = await runTs(file, { env: { MOSAIK_LOG: undefined }, isolated: canIsolateNetwork() });
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout).toBe('{ temp: 21.5 }\n5\n');
  });

  it('the demo shows a stream and a group failover, one line a step, and exits 0 by itself', async () => {
    const run = await runTs(join(packageRoot, 'src/demo.ts'), {
      env: { MOSAIK_LOG: undefined },
      deadlineMs: 20_000,
    });
    expect(run.exitCode, run.stderr).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    const expected = [
      /^\[ *\d+\.\d\d s\] nodes +alice \w{10}, bob \w{10}, carol \w{10} on 127\.0\.0\.1:\d+ +\(\d+ ms\)$/,
      /^\[.*\] stream +bob subscribed to alice's "demo\/temperatures" \(schema-checked\) +\(\d+ ms\)$/,
      /^\[.*\] stream +alice sent 3 readings, bob received them in order: 21\.5 °C, 22\.0 °C, 22\.4 °C/,
      /^\[.*\] group +3 members online, all 3 voting, (alice|bob|carol) leads/,
      /^\[.*\] group +3 deposits committed through every member: total 60/,
      /^\[.*\] group +stopped the leader (alice|bob|carol); (alice|bob|carol) took over/,
      /^\[.*\] group +5 deposits, total 260 on both survivors: no committed command lost/,
      /^\[.*\] done +every node closed; the process exits by itself/,
    ];
    expect(lines).toHaveLength(expected.length);
    for (const [i, pattern] of expected.entries()) expect(lines[i]).toMatch(pattern);
    const [, stopped, successor] = lines[5]!.match(/stopped the leader (\w+); (\w+) took over/)!;
    expect(successor).not.toBe(stopped);
  });

  it("a program's stdout is its own: library logs go to stderr at every level", async () => {
    const fixture = join(packageRoot, 'src/fixtures/quiet-stdout.ts');
    const verbose = await runTs(fixture, { env: { MOSAIK_LOG: 'debug' } });
    expect(verbose.exitCode, verbose.stderr).toBe(0);
    expect(verbose.stdout).toBe("the program's own line: 42\n");
    const logLines = verbose.stderr.split('\n').filter((l) => l.startsWith('{'));
    expect(logLines.length).toBeGreaterThan(0);
    expect(JSON.parse(logLines[0]!)).toMatchObject({ name: 'mosaik' });

    const quiet = await runTs(fixture, { env: { MOSAIK_LOG: undefined } });
    expect(quiet.exitCode, quiet.stderr).toBe(0);
    expect(quiet.stdout).toBe("the program's own line: 42\n");
    expect(quiet.stderr).not.toMatch(/"level":(10|20|30)/);
  });

  it('the package README documents every option of Network.create with its default', () => {
    const readme = readFileSync(join(packageRoot, 'README.md'), 'utf8');
    for (const name of networkOptionNames())
      expect(readme).toMatch(new RegExp(`^\\| \`${name}\` \\| .+ \\| .+ \\|$`, 'm'));
  });
});
