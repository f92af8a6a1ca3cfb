import { describe, expect, it } from 'vitest';
import { seededRandom } from '../sim/prng.js';
import { CoordinateTracker, isTrained } from './tracker.js';
import { initialCoordinate, type NetworkCoordinate } from './vivaldi.js';

const trained: NetworkCoordinate = { vector: [30, 0, 0, 0, 0, 0, 0, 0], height: 1, error: 0.2 };

describe('CoordinateTracker', () => {
  it('makes no estimate before its first sample, nor to an untrained coordinate', () => {
    const t = new CoordinateTracker(seededRandom(1));
    expect(t.estimate(trained)).toBeUndefined();
    expect(t.observe(trained, 31)).toBe(true);
    expect(t.samples).toBe(1);
    expect(t.estimate(trained)).toBeGreaterThan(0);
    expect(isTrained(initialCoordinate())).toBe(false);
    expect(t.estimate(initialCoordinate())).toBeUndefined();
    expect(t.estimate(undefined)).toBeUndefined();
  });

  it('skips samples it cannot use instead of throwing', () => {
    const t = new CoordinateTracker(seededRandom(1));
    for (const bad of [Number.NaN, -1, Number.POSITIVE_INFINITY, 1e9])
      expect(t.observe(trained, bad)).toBe(false);
    expect(t.observe(undefined, 10)).toBe(false);
    expect(t.samples).toBe(0);
    expect(t.coordinate).toEqual(initialCoordinate());
  });

  it('converges on a peer it keeps measuring', () => {
    const t = new CoordinateTracker(seededRandom(3));
    for (let i = 0; i < 200; i++) t.observe(trained, 50);
    expect(Math.abs((t.estimate(trained) as number) - 50)).toBeLessThan(2);
  });
});
