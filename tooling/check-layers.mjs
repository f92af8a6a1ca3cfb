#!/usr/bin/env node
// Layer check. Two rules keep the packages independent:
// 1. a package may depend only on packages of a strictly lower layer (its package.json);
// 2. no file of a package or app imports another package's or app's files by path
//    (`../../transport/src/native.js`) or by deep specifier (`@mosaik/rsm/src/x.js`): what is not
//    in a package's exports is private and may change without notice. Shared test and bench
//    helpers live in tooling/, which everyone may import.
// Exits non-zero on any violation.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export const LAYERS = {
  '@mosaik/id': 0,
  '@mosaik/metrics': 1,
  '@mosaik/tickets': 1,
  '@mosaik/raft': 1,
  '@mosaik/transport': 2,
  '@mosaik/tdx': 2,
  '@mosaik/discovery': 3,
  '@mosaik/rsm': 4,
  '@mosaik/streams': 4,
  '@mosaik/collections': 5,
  mosaik: 6,
};

const SOURCE = /\.(?:ts|mts|cts|tsx|js|mjs|cjs)$/;
const SKIP_DIRS = new Set(['node_modules', 'dist', '.turbo', 'api-report', 'coverage']);
// `from '…'`, `import '…'`, `import('…')`, `require('…')`, `export … from '…'`.
const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*)(['"])([^'"\n]+)\1/g;
// A specifier naming a subpath of a workspace package: `@mosaik/rsm/testing`, `mosaik/cli`.
const SUBPATH = /^(@mosaik\/[^/]+|mosaik)\/(.+)$/;

/** Rule 1: package.json dependencies point only to lower layers. */
export function layerProblems(packagesDir) {
  const problems = [];
  for (const dir of readdirSync(packagesDir)) {
    const file = join(packagesDir, dir, 'package.json');
    if (!existsSync(file)) continue;
    const pkg = JSON.parse(readFileSync(file, 'utf8'));
    const own = LAYERS[pkg.name];
    if (own === undefined) {
      problems.push(`${pkg.name}: not in the layer table (tooling/check-layers.mjs)`);
      continue;
    }
    const deps = { ...pkg.dependencies, ...pkg.peerDependencies, ...pkg.optionalDependencies };
    for (const dep of Object.keys(deps)) {
      const layer = LAYERS[dep];
      if (layer !== undefined && layer >= own) {
        problems.push(`${pkg.name} (L${own}) depends on ${dep} (L${layer}): only lower layers are allowed`);
      }
    }
  }
  return problems;
}

function* sourceFiles(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) {
      if (!SKIP_DIRS.has(entry.name)) yield* sourceFiles(join(dir, entry.name));
    } else if (SOURCE.test(entry.name)) {
      yield join(dir, entry.name);
    }
  }
}

/** Each workspace package's name and the subpaths its `exports` declare (`./testing`, …). */
export function workspaceExports(repoRoot) {
  const exported = new Map();
  for (const group of ['packages', 'apps', 'tooling']) {
    const dirs = group === 'tooling' ? [join(repoRoot, 'tooling')] : unitDirs(join(repoRoot, group));
    for (const dir of dirs) {
      const file = join(dir, 'package.json');
      if (!existsSync(file)) continue;
      const pkg = JSON.parse(readFileSync(file, 'utf8'));
      exported.set(pkg.name, new Set(Object.keys(pkg.exports ?? {}).filter((key) => key.startsWith('./'))));
    }
  }
  return exported;
}

function unitDirs(groupDir) {
  if (!existsSync(groupDir)) return [];
  return readdirSync(groupDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => join(groupDir, entry.name));
}

/**
 * Rule 2: the imports in `text` (a file at `file` inside the unit rooted at `unitRoot`) that
 * reach into another unit of `repoRoot` by path, or name a subpath its package does not export.
 * Paths into `tooling/` are allowed.
 */
export function privateImports(text, file, unitRoot, repoRoot, exported = workspaceExports(repoRoot)) {
  const found = [];
  for (const match of text.matchAll(SPECIFIER)) {
    const spec = match[2];
    const subpath = SUBPATH.exec(spec);
    if (subpath !== null) {
      const subpaths = exported.get(subpath[1]);
      if (subpaths !== undefined && !subpaths.has(`./${subpath[2]}`)) found.push(spec);
      continue;
    }
    if (!spec.startsWith('.')) continue;
    const target = resolve(dirname(file), spec);
    const inside = (root) => target === root || target.startsWith(root + sep);
    if (inside(unitRoot) || inside(join(repoRoot, 'tooling'))) continue;
    if (inside(join(repoRoot, 'packages')) || inside(join(repoRoot, 'apps'))) found.push(spec);
  }
  return found;
}

/** Rule 2 over every package and app of the repository. */
export function privateImportProblems(repoRoot) {
  const problems = [];
  const exported = workspaceExports(repoRoot);
  for (const group of ['packages', 'apps']) {
    for (const unitRoot of unitDirs(join(repoRoot, group))) {
      for (const file of sourceFiles(unitRoot)) {
        for (const spec of privateImports(readFileSync(file, 'utf8'), file, unitRoot, repoRoot, exported)) {
          problems.push(
            `${relative(repoRoot, file)} imports '${spec}': another package's private file (use its public exports or move the helper to tooling/)`,
          );
        }
      }
    }
  }
  return problems;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
  const problems = [...layerProblems(join(repoRoot, 'packages')), ...privateImportProblems(repoRoot)];
  if (problems.length > 0) {
    console.error(`layer check failed:\n  ${problems.join('\n  ')}`);
    process.exit(1);
  }
  console.log(
    `layer check passed (${Object.keys(LAYERS).length} packages, no private cross-package imports)`,
  );
}
