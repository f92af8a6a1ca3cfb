#!/usr/bin/env node
// Manifest check: every package.json of the workspace carries the same repository, homepage and
// bugs links and a non-empty keyword list, and every publishable package publishes its `exports`
// without the `@mosaik/source` condition (that condition points at TypeScript sources that are not
// in the tarball; it exists only for the workspace's tests). `pnpm pack` and `pnpm publish` use
// `publishConfig.exports` instead of `exports`, so it is derived here from `exports`. Each
// publishable package also carries a copy of the root LICENSE, which npm puts in its tarball.
//
//   node tooling/manifests.mjs           check, exit 1 with the list of problems
//   node tooling/manifests.mjs --write   fix what can be derived (links, publishConfig) in place
import { copyFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

export const REPOSITORY = 'https://github.com/mosaik-ts/mosaik';
export const SOURCE_CONDITION = '@mosaik/source';

const root = join(import.meta.dirname, '..');

/** Every workspace manifest: the root, tooling, packages/* and apps/*. */
export function workspaceManifests() {
  const dirs = ['.', 'tooling'];
  for (const group of ['packages', 'apps']) {
    const base = join(root, group);
    if (!existsSync(base)) continue;
    for (const name of readdirSync(base).sort()) dirs.push(`${group}/${name}`);
  }
  return dirs
    .map((dir) => ({ dir, file: join(root, dir, 'package.json') }))
    .filter(({ file }) => existsSync(file))
    .map(({ dir, file }) => ({ dir, file, pkg: JSON.parse(readFileSync(file, 'utf8')) }));
}

/** The packages that `pnpm publish` would publish. */
export function publishableManifests() {
  return workspaceManifests().filter(({ dir, pkg }) => dir.startsWith('packages/') && pkg.private !== true);
}

/** `exports` with the workspace-only source condition removed at every level. */
export function stripSourceCondition(value) {
  if (Array.isArray(value)) return value.map(stripSourceCondition);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key]) => key !== SOURCE_CONDITION)
      .map(([key, inner]) => [key, stripSourceCondition(inner)]),
  );
}

function expectedLinks(dir) {
  const folder = relative(root, join(root, dir)).replaceAll('\\', '/');
  return {
    repository:
      folder === ''
        ? { type: 'git', url: `git+${REPOSITORY}.git` }
        : { type: 'git', url: `git+${REPOSITORY}.git`, directory: folder },
    homepage: folder === '' ? `${REPOSITORY}#readme` : `${REPOSITORY}/tree/main/${folder}#readme`,
    bugs: { url: `${REPOSITORY}/issues` },
  };
}

/** The problems of one manifest, the manifest with the derivable ones fixed, and whether LICENSE needs a copy. */
export function inspect({ dir, pkg }, publishable) {
  const problems = [];
  const fixed = { ...pkg };
  let copyLicense = false;
  const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
  for (const [field, value] of Object.entries(expectedLinks(dir))) {
    if (!same(pkg[field], value)) {
      problems.push(`${field} should be ${JSON.stringify(value)}`);
      fixed[field] = value;
    }
  }
  if (!Array.isArray(pkg.keywords) || pkg.keywords.length === 0) problems.push('keywords missing');
  if (publishable) {
    const license = join(root, dir, 'LICENSE');
    if (
      !existsSync(license) ||
      readFileSync(license, 'utf8') !== readFileSync(join(root, 'LICENSE'), 'utf8')
    ) {
      problems.push('LICENSE should be a copy of the root LICENSE');
      copyLicense = true;
    }
    if (pkg.exports === undefined) problems.push('exports missing');
    const publishConfig = { access: 'public', ...pkg.publishConfig };
    if (pkg.exports !== undefined) publishConfig.exports = stripSourceCondition(pkg.exports);
    if (!same(pkg.publishConfig, publishConfig)) {
      problems.push('publishConfig should be { access: "public", exports: exports without @mosaik/source }');
      fixed.publishConfig = publishConfig;
    }
    if (JSON.stringify(publishConfig).includes(SOURCE_CONDITION))
      problems.push('publishConfig names @mosaik/source');
  }
  return { problems, fixed, copyLicense };
}

/** Puts the link fields after `license` (or `description`) so the diff of a fix stays small. */
function ordered(pkg) {
  const linkFields = ['keywords', 'homepage', 'bugs', 'repository'];
  const anchor = 'license' in pkg ? 'license' : 'description';
  const out = {};
  for (const [key, value] of Object.entries(pkg)) {
    if (linkFields.includes(key) || key === 'publishConfig') continue;
    out[key] = value;
    if (key === anchor) for (const field of linkFields) if (field in pkg) out[field] = pkg[field];
  }
  for (const field of linkFields) if (field in pkg && !(field in out)) out[field] = pkg[field];
  if ('publishConfig' in pkg) out.publishConfig = pkg.publishConfig;
  return out;
}

function main() {
  const write = process.argv.includes('--write');
  const publishable = new Set(publishableManifests().map((m) => m.dir));
  const report = [];
  for (const manifest of workspaceManifests()) {
    const { problems, fixed, copyLicense } = inspect(manifest, publishable.has(manifest.dir));
    if (problems.length === 0) continue;
    if (write) {
      if (copyLicense) copyFileSync(join(root, 'LICENSE'), join(root, manifest.dir, 'LICENSE'));
      writeFileSync(manifest.file, `${JSON.stringify(ordered(fixed), null, 2)}\n`);
      const left = inspect({ dir: manifest.dir, pkg: fixed }, publishable.has(manifest.dir)).problems;
      for (const problem of left) report.push(`${manifest.dir}/package.json: ${problem}`);
    } else {
      for (const problem of problems) report.push(`${manifest.dir}/package.json: ${problem}`);
    }
  }
  if (report.length > 0) {
    console.error(`manifest check failed:\n  ${report.join('\n  ')}`);
    if (!write)
      console.error(
        'run `pnpm manifests:fix` to derive links and publishConfig; keywords are written by hand',
      );
    process.exit(1);
  }
  console.log(`manifest check passed (${workspaceManifests().length} manifests)`);
}

if (process.argv[1] && import.meta.filename === process.argv[1]) main();
