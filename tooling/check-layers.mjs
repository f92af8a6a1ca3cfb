#!/usr/bin/env node
// Layer check (00-design.md §2): a package may depend only on packages of a strictly
// lower layer. Reads every packages/*/package.json; exits non-zero on any violation.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const LAYERS = {
  '@mosaik/id': 0,
  '@mosaik/metrics': 0,
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

const root = join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..', 'packages');
const problems = [];
for (const dir of readdirSync(root)) {
  const file = join(root, dir, 'package.json');
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
if (problems.length > 0) {
  console.error(`layer check failed:\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(`layer check passed (${Object.keys(LAYERS).length} packages)`);
