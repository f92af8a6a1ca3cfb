import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collect, exited, PACKAGE_ROOT, spawnCli, stop } from '../../test/fixtures.js';
import { scaled, waitFor } from '../index.js';
import { createProgram } from './program.js';

const run = promisify(execFile);
const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const COMMANDS = ['beacon', 'inspect', 'dht'];

function checkHelp(stdout: string): void {
  for (const command of COMMANDS) {
    expect(stdout).toMatch(new RegExp(`^ {2}${command} \\[options\\]`, 'm'));
    expect(stdout).toMatch(new RegExp(`^ {2}\\$ mosaik ${command} `, 'm'));
  }
}

describe('the mosaik command line', () => {
  it(
    'lists every command with an example',
    async () => {
      const child = spawnCli(['--help']);
      const out = collect(child);
      expect(await waitFor(exited(child), { timeout: 30_000, message: 'help printed' })).toBe(0);
      checkHelp(out.stdout);
      for (const command of COMMANDS) {
        let text = '';
        const program = createProgram();
        for (const c of [program, ...program.commands])
          c.exitOverride().configureOutput({ writeOut: (s) => (text += s), writeErr: () => {} });
        await expect(program.parseAsync([command, '--help'], { from: 'user' })).rejects.toThrow();
        expect(text).toMatch(new RegExp(`Example:\\n {2}\\$ mosaik ${command} `));
      }
    },
    scaled(60_000),
  );

  it(
    'runs as `pnpm mosaik` from the repository root',
    async () => {
      const { stdout } = await run('pnpm', ['--silent', 'mosaik', '--help'], {
        cwd: REPO_ROOT,
        timeout: scaled(60_000),
        env: { ...process.env, RUST_LIB_BACKTRACE: '0' },
      });
      checkHelp(stdout);
    },
    scaled(90_000),
  );

  it(
    'says plainly that no DHT node answered, and fails',
    async () => {
      // A UDP port nobody answers on.
      const child = spawnCli(['dht', '-n', 'no-dht', '--timeout', '1', '-b', '127.0.0.1:9']);
      const out = collect(child);
      try {
        expect(await waitFor(exited(child), { timeout: 30_000, message: 'dht exited' })).toBe(1);
      } finally {
        await stop(child);
      }
      expect(out.stderr).toContain('no DHT node answered (bootstrap: 127.0.0.1:9)');
      expect(out.stdout).not.toContain('empty');
    },
    scaled(60_000),
  );
});

describe('the mosaik bin in a project that depends on mosaik', () => {
  let project: string;
  beforeAll(async () => {
    // CI builds before testing; a fresh checkout builds here (turbo skips what is up to date).
    if (!existsSync(join(PACKAGE_ROOT, 'dist/cli/main.js')))
      await run('pnpm', ['exec', 'turbo', 'run', 'build', '--filter=mosaik...'], {
        cwd: REPO_ROOT,
        timeout: scaled(600_000),
      });
    // What a package manager makes of `npm install mosaik`: the package and its bin link.
    project = mkdtempSync(join(tmpdir(), 'mosaik-npx-'));
    mkdirSync(join(project, 'node_modules/.bin'), { recursive: true });
    symlinkSync(PACKAGE_ROOT, join(project, 'node_modules/mosaik'));
    symlinkSync('../mosaik/bin/mosaik.js', join(project, 'node_modules/.bin/mosaik'));
  }, scaled(600_000));
  afterAll(() => {
    if (project !== undefined) rmSync(project, { recursive: true, force: true });
  });

  it(
    'runs with npx',
    async () => {
      const { stdout } = await run('npx', ['--no-install', 'mosaik', '--help'], {
        cwd: project,
        timeout: scaled(60_000),
        env: { ...process.env, RUST_LIB_BACKTRACE: '0', npm_config_offline: 'true' },
      });
      checkHelp(stdout);
    },
    scaled(60_000),
  );
});
