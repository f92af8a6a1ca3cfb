#!/usr/bin/env node
// Pack test: what a user gets from npm, proven on tarballs instead of workspace links.
//
// 1. `pnpm pack` every publishable package (pnpm turns `workspace:*` into versions and applies
//    `publishConfig`), then check each tarball: no `@mosaik/source` condition, no `workspace:`
//    spec, every `exports`/`main`/`types`/`bin` target present, no test files, README and LICENSE.
// 2. In three empty projects, `npm install` one package from its tarball; the other @mosaik
//    packages come from their tarballs too (npm `overrides`), third-party ones from the registry:
//      - `mosaik`           compiles and runs the README's taste (preset 'local'); its binary runs;
//      - `@mosaik/streams`  alone: no rsm, raft or DHT/mDNS libraries installed, a two-node stream works;
//      - `@mosaik/rsm`      alone: no streams or DHT/mDNS libraries installed, a two-member group works.
//    Each program is type-checked against the installed declarations (strict, no skipLibCheck) and
//    compiled by tsc, then run by node; it must print its result and exit on its own.
//
// Needs `pnpm build` first (`pnpm test:pack` does it). `MOSAIK_PACK_KEEP=1` keeps the temporary
// directory for a post-mortem. Deadlines scale with TIME_FACTOR.
import { spawn } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { publishableManifests, SOURCE_CONDITION } from './manifests.mjs';

const root = join(import.meta.dirname, '..');
const fixtures = join(import.meta.dirname, 'pack-test');
const timeFactor = Math.max(1, Number(process.env.TIME_FACTOR ?? 1) || 1);
const started = Date.now();
const DHT_AND_MDNS = ['bittorrent-dht', 'multicast-dns', 'dns-packet'];

/** The three install scenarios. `absent` must not be anywhere in node_modules, `present` must. */
const PROJECTS = [
  {
    name: 'mosaik',
    install: 'mosaik',
    program: 'taste.ts',
    expect: '{"temp":21.5}',
    // The CLI as npm links it: `npx mosaik --help`.
    bin: { name: 'mosaik', args: ['--help'], expect: 'Usage: mosaik' },
    present: ['@mosaik/streams', '@mosaik/rsm', ...DHT_AND_MDNS],
    absent: [],
  },
  {
    name: 'streams-only',
    install: '@mosaik/streams',
    program: 'streams-only.ts',
    expect: '{"symbol":"ETH","price":3100}',
    present: ['@mosaik/discovery', '@mosaik/transport'],
    absent: ['mosaik', '@mosaik/rsm', '@mosaik/raft', '@mosaik/collections', ...DHT_AND_MDNS],
  },
  {
    name: 'rsm-only',
    install: '@mosaik/rsm',
    program: 'rsm-only.ts',
    expect: '"result":5',
    present: ['@mosaik/raft', '@mosaik/discovery'],
    absent: ['mosaik', '@mosaik/streams', '@mosaik/collections', ...DHT_AND_MDNS],
  },
];

function log(message) {
  console.log(`[pack-test ${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s] ${message}`);
}

/**
 * The environment for child package managers: pnpm passes its own settings as `npm_config_*`
 * variables, which npm would warn about or obey; a user's plain `npm install` sees none of them.
 */
function cleanEnv() {
  const keep = new Set(['npm_config_registry', 'npm_config_cache', 'npm_config_userconfig']);
  return Object.fromEntries(
    Object.entries(process.env).filter(
      ([key]) => !/^(npm|pnpm)_/i.test(key) || keep.has(key.toLowerCase()) || key === 'PNPM_HOME',
    ),
  );
}

/** Runs a command; resolves with its output, rejects (with the output) on failure or after `timeoutMs`. */
function run(command, args, { cwd, timeoutMs, what }) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${what}: no exit after ${timeoutMs / 1000} s\n${tail(stdout, stderr)}`));
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`${what}: ${error.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve({ stdout, stderr });
      else reject(new Error(`${what}: exit ${code ?? signal}\n${tail(stdout, stderr)}`));
    });
  });
}

function tail(stdout, stderr) {
  const last = (text) => text.trim().split('\n').slice(-40).join('\n');
  return `--- stdout\n${last(stdout)}\n--- stderr\n${last(stderr)}`;
}

/** Every string target in an exports map, with the condition path that leads to it. */
function exportTargets(value, path = []) {
  if (typeof value === 'string') return [{ path: path.join(' > '), target: value }];
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, inner]) => exportTargets(inner, [...path, key]));
}

async function packAll(destination) {
  const packages = publishableManifests();
  const missing = packages.flatMap(({ dir, pkg }) =>
    exportTargets(pkg.publishConfig?.exports ?? pkg.exports)
      .filter(({ target }) => !existsSync(join(root, dir, target)))
      .map(({ target }) => `${pkg.name}: ${target}`),
  );
  if (missing.length > 0) throw new Error(`not built (run \`pnpm build\`):\n  ${missing.join('\n  ')}`);
  // One recursive pnpm run packs them all, a few at a time; private packages are filtered out.
  const filters = packages.flatMap(({ pkg }) => ['--filter', pkg.name]);
  const { stdout } = await run(
    'pnpm',
    [
      'pack',
      '--recursive',
      ...filters,
      '--workspace-concurrency',
      '4',
      '--json',
      '--pack-destination',
      destination,
    ],
    { cwd: root, timeoutMs: 120_000 * timeFactor, what: 'pnpm pack' },
  );
  const packed = JSON.parse(stdout);
  return packed.map((p) => ({ name: p.name, tarball: p.filename, files: p.files.map((f) => f.path) }));
}

async function checkTarball({ name, tarball, files }) {
  const problems = [];
  const { stdout } = await run('tar', ['-xzOf', tarball, 'package/package.json'], {
    timeoutMs: 30_000,
    what: `tar ${name}`,
  });
  const manifest = JSON.parse(stdout);
  // Scripts may name the condition (benchmarks run on sources); they do nothing for a user.
  const text = JSON.stringify({ ...manifest, scripts: undefined });
  if (text.includes(SOURCE_CONDITION)) problems.push(`the published manifest names ${SOURCE_CONDITION}`);
  if (text.includes('workspace:')) problems.push('the published manifest keeps a workspace: spec');
  const has = new Set(files);
  const targets = [
    ...exportTargets(manifest.exports),
    ...['main', 'types'].filter((f) => manifest[f]).map((f) => ({ path: f, target: manifest[f] })),
    ...exportTargets(manifest.bin ?? {}).map((t) => ({ ...t, path: `bin > ${t.path}` })),
  ];
  for (const { path, target } of targets) {
    if (!has.has(target.replace(/^\.\//, ''))) problems.push(`${path} -> ${target} is not in the tarball`);
  }
  for (const file of ['README.md', 'LICENSE'])
    if (!has.has(file)) problems.push(`${file} is not in the tarball`);
  const tests = files.filter((f) => /\.(test|bench)\.[cm]?[jt]s$/.test(f) || f.startsWith('src/'));
  if (tests.length > 0) problems.push(`test or source files in the tarball: ${tests.slice(0, 5).join(', ')}`);
  return problems.map((p) => `${name}: ${p}`);
}

/** Names of every package installed under `dir/node_modules`, nested ones included. */
function installedPackages(dir) {
  const names = new Set();
  const walk = (modules) => {
    if (!existsSync(modules)) return;
    for (const entry of readdirSync(modules)) {
      if (entry.startsWith('.')) continue;
      const scoped = entry.startsWith('@');
      for (const name of scoped ? readdirSync(join(modules, entry)).map((n) => `${entry}/${n}`) : [entry]) {
        const at = join(modules, name);
        if (!existsSync(join(at, 'package.json'))) continue;
        names.add(name);
        walk(join(at, 'node_modules'));
      }
    }
  };
  walk(join(dir, 'node_modules'));
  return names;
}

async function checkProject(project, tarballs, work) {
  const dir = join(work, project.name);
  mkdirSync(dir);
  const spec = (name) => `file:${tarballs.get(name)}`;
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify(
      {
        name: `pack-test-${project.name}`,
        private: true,
        type: 'module',
        dependencies: { [project.install]: spec(project.install) },
        // Every other package of ours resolves to its tarball, never to the registry.
        overrides: Object.fromEntries(
          [...tarballs.keys()].filter((name) => name !== project.install).map((name) => [name, spec(name)]),
        ),
      },
      null,
      2,
    ),
  );
  await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd: dir,
    timeoutMs: 180_000 * timeFactor,
    what: `npm install ${project.install}`,
  });
  log(`${project.name}: npm install ${project.install} done`);

  const problems = [];
  const installed = installedPackages(dir);
  for (const name of project.absent) if (installed.has(name)) problems.push(`${name} is installed`);
  for (const name of project.present) if (!installed.has(name)) problems.push(`${name} is not installed`);
  const lock = JSON.parse(readFileSync(join(dir, 'node_modules', '.package-lock.json'), 'utf8'));
  for (const [path, entry] of Object.entries(lock.packages)) {
    const name = path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);
    if (tarballs.has(name) && !String(entry.resolved ?? '').startsWith('file:')) {
      problems.push(`${name} came from ${entry.resolved ?? 'an unknown place'}, not from its tarball`);
    }
  }

  // Type-check the program against the installed declarations, compile it, run it.
  cpSync(join(fixtures, project.program), join(dir, project.program));
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        lib: ['ES2023', 'ESNext.Disposable'],
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        strict: true,
        skipLibCheck: false,
        outDir: 'out',
        typeRoots: [join(root, 'node_modules', '@types')],
        types: ['node'],
      },
      files: [project.program],
    }),
  );
  const tsc = createRequire(join(root, 'package.json')).resolve('typescript/bin/tsc');
  await run(process.execPath, [tsc, '-p', 'tsconfig.json'], {
    cwd: dir,
    timeoutMs: 90_000 * timeFactor,
    what: `tsc ${project.program}`,
  });
  log(`${project.name}: tsc ${project.program} done`);
  const compiled = join('out', project.program.replace(/\.ts$/, '.js'));
  const { stdout, stderr } = await run(process.execPath, [compiled], {
    cwd: dir,
    timeoutMs: 60_000 * timeFactor,
    what: `node ${compiled} (${project.name})`,
  });
  if (!stdout.includes(project.expect)) {
    problems.push(`${project.program} printed ${JSON.stringify(stdout.trim())}, expected ${project.expect}`);
  }
  const warnings = stderr.split('\n').filter((line) => /^\(node:\d+\) .*Warning/.test(line));
  if (warnings.length > 0)
    problems.push(`${project.program} made node warn:\n    ${warnings.join('\n    ')}`);
  log(`${project.name}: ${project.program} printed ${stdout.trim().split('\n').at(-1)}`);
  if (project.bin) {
    const launcher = join(dir, 'node_modules', '.bin', project.bin.name);
    const { stdout: help } = await run(launcher, project.bin.args, {
      cwd: dir,
      timeoutMs: 30_000 * timeFactor,
      what: `${project.bin.name} ${project.bin.args.join(' ')}`,
    });
    if (!help.includes(project.bin.expect))
      problems.push(`${project.bin.name} printed ${JSON.stringify(help)}`);
    else log(`${project.name}: the ${project.bin.name} binary runs`);
  }
  return problems.map((p) => `${project.name}: ${p}`);
}

async function main() {
  const work = mkdtempSync(join(tmpdir(), 'mosaik-pack-'));
  const keep = process.env.MOSAIK_PACK_KEEP === '1';
  const problems = [];
  try {
    const destination = join(work, 'tarballs');
    mkdirSync(destination);
    const packed = await packAll(destination);
    log(`packed ${packed.length} packages: ${packed.map((p) => p.name).join(', ')}`);
    for (const problem of (await Promise.all(packed.map(checkTarball))).flat()) problems.push(problem);
    const tarballs = new Map(packed.map((p) => [p.name, p.tarball]));
    const results = await Promise.allSettled(
      PROJECTS.map((project) => checkProject(project, tarballs, work)),
    );
    for (const result of results) {
      if (result.status === 'fulfilled') problems.push(...result.value);
      else problems.push(result.reason instanceof Error ? result.reason.message : String(result.reason));
    }
  } finally {
    if (keep) log(`kept ${work}`);
    else rmSync(work, { recursive: true, force: true });
  }
  if (problems.length > 0) {
    console.error(`pack test failed:\n  ${problems.join('\n  ')}`);
    process.exit(1);
  }
  log(`pack test passed (${PROJECTS.map((p) => p.name).join(', ')})`);
}

await main();
