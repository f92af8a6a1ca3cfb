/**
 * Vivaldi estimate error on the synthetic latency map, one JSON line per configuration:
 * the relative error of estimated against true RTT over pairs that never measured each other.
 * Run: `pnpm exec tsx --conditions=@mosaik/source bench/vivaldi-sim.ts`
 */
import { simulateVivaldi } from '../src/coordinates/simulation.js';

for (const rounds of [0, 100, 300, 1000]) {
  for (const seed of [20, 1, 2]) {
    const started = performance.now();
    const result = simulateVivaldi({
      seed,
      nodes: 200,
      linksPerNode: 16,
      rounds,
      jitter: 0.1,
      evaluationPairs: 4000,
    });
    console.log(
      JSON.stringify({
        bench: 'vivaldi-sim',
        nodes: 200,
        linksPerNode: 16,
        rounds,
        seed,
        medianRelativeError: Number(result.median.toFixed(4)),
        p90RelativeError: Number(result.p90.toFixed(4)),
        ms: Math.round(performance.now() - started),
      }),
    );
  }
}
