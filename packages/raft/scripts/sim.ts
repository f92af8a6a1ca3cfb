/**
 * Runs the deterministic Raft simulator.
 *
 *   pnpm --filter @mosaik/raft sim --seed 17          # one seed, with its trace
 *   pnpm --filter @mosaik/raft sim --seeds 500        # seeds 1..500, one JSON line
 *   options: --steps 2000 (time units with faults), --from 1 (first seed)
 */
import { intArg as arg } from '../../../tooling/cli-args.mjs';
import { simulate } from '../src/testing/simulator.js';

const steps = arg('steps') ?? 2000;
const seed = arg('seed');
if (seed !== undefined) {
  const r = simulate({ seed, steps, trace: (line) => process.stdout.write(`${line}\n`) });
  process.stdout.write(`${JSON.stringify(r)}\n`);
  process.exit(r.violations.length > 0 || r.linearizability === 'illegal' || !r.live ? 1 : 0);
}

const seeds = arg('seeds') ?? 100;
const from = arg('from') ?? 1;
const started = performance.now();
let violations = 0;
let linearizabilityFailures = 0;
let unknown = 0;
for (let s = from; s < from + seeds; s++) {
  const r = simulate({ seed: s, steps });
  if (r.violations.length > 0 || !r.live) {
    violations++;
    process.stderr.write(`seed ${s}: ${r.violations.join('; ')}\n`);
  }
  if (r.linearizability === 'illegal') {
    linearizabilityFailures++;
    process.stderr.write(`seed ${s}: history not linearizable\n`);
  }
  if (r.linearizability === 'unknown') unknown++;
}
process.stdout.write(
  `${JSON.stringify({ bench: 'raft-sim', seeds, violations, linearizabilityFailures })}\n`,
);
process.stderr.write(
  `${seeds} seeds × ${steps} steps in ${((performance.now() - started) / 1000).toFixed(1)} s` +
    (unknown > 0 ? ` (${unknown} histories too large to check)` : '') +
    '\n',
);
process.exit(violations + linearizabilityFailures > 0 ? 1 : 0);
