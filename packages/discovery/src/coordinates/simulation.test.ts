import { describe, expect, it } from 'vitest';
import { simulateVivaldi, type VivaldiSimOptions } from './simulation.js';

/**
 * 200 nodes, each measuring only 16 fixed peers (its links); the error is taken over pairs that
 * never measured each other, so it is the error of a pure estimate.
 */
const OPTIONS: VivaldiSimOptions = {
  seed: 20,
  nodes: 200,
  linksPerNode: 16,
  rounds: 300,
  jitter: 0.1,
  evaluationPairs: 4000,
};

describe('Vivaldi on a synthetic latency map', () => {
  it('estimates RTTs between nodes that never measured each other with a median error ≤ 25 %', () => {
    const result = simulateVivaldi(OPTIONS);
    expect(result.evaluatedPairs).toBe(OPTIONS.evaluationPairs);
    expect(result.median).toBeLessThanOrEqual(0.25);
    expect(result.p90).toBeGreaterThanOrEqual(result.median);
    expect(Number.isFinite(result.p90)).toBe(true);
  });

  it('the error comes from learning: with no samples the estimates are far off', () => {
    const untrained = simulateVivaldi({ ...OPTIONS, rounds: 0 });
    expect(untrained.median).toBeGreaterThan(0.9);
  });

  it('holds on other seeds and is deterministic for one seed', () => {
    for (const seed of [1, 2]) {
      const run = simulateVivaldi({ ...OPTIONS, seed, evaluationPairs: 2000 });
      expect(run.median, `seed ${seed}`).toBeLessThanOrEqual(0.25);
      expect(simulateVivaldi({ ...OPTIONS, seed, evaluationPairs: 2000 })).toEqual(run);
    }
  });
});
