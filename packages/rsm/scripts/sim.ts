/**
 * Runs the deterministic group simulator (founding, merge, forwarding, admission, autopilot and
 * the Raft driver on a simulated network and virtual time).
 *
 *   pnpm --filter @mosaik/rsm sim --seed 17          # one seed, with its trace
 *   pnpm --filter @mosaik/rsm sim --seeds 200        # seeds 1..200, one JSON line
 *   options: --duration 30000 (virtual ms of faults), --from 1 (first seed)
 */
import { intArg as arg } from '../../../tooling/cli-args.mjs';
import { simulateGroups } from '../src/testing/group-sim.js';

const duration = arg('duration') ?? 30_000;
const seed = arg('seed');
if (seed !== undefined) {
  const r = await simulateGroups({ seed, duration, trace: (line) => process.stdout.write(`${line}\n`) });
  process.stdout.write(`${JSON.stringify(r)}\n`);
  process.exit(r.violations.length > 0 ? 1 : 0);
}

const seeds = arg('seeds') ?? 100;
const from = arg('from') ?? 1;
const started = performance.now();
let failed = 0;
let resets = 0;
let clusters = 0;
let reads = 0;
for (let s = from; s < from + seeds; s++) {
  const r = await simulateGroups({ seed: s, duration });
  resets += r.resets;
  clusters += r.clusters;
  reads += r.readsAnswered;
  if (r.violations.length > 0) {
    failed++;
    process.stderr.write(
      `seed ${s}: ${r.violations.join('; ')}\n  reproduce: pnpm --filter @mosaik/rsm sim --seed ${s}${
        duration === 30_000 ? '' : ` --duration ${duration}`
      }\n`,
    );
  }
}
process.stdout.write(
  `${JSON.stringify({ bench: 'rsm-group-sim', seeds, failed, clusters, resets, reads })}\n`,
);
process.stderr.write(`${seeds} seeds in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
process.exit(failed > 0 ? 1 : 0);
