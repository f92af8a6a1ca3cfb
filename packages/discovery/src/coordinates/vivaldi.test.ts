import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidCoordinateError } from '../errors.js';
import { seededRandom } from '../sim/prng.js';
import {
  COORDINATE_DIMENSIONS,
  DEFAULT_VIVALDI_CONFIG,
  estimateRtt,
  initialCoordinate,
  isValidCoordinate,
  type NetworkCoordinate,
  updateCoordinate,
  VIVALDI,
} from './vivaldi.js';

const at = (x: number, height = 0.01, error = 1.5): NetworkCoordinate => ({
  vector: [x, 0, 0, 0, 0, 0, 0, 0],
  height,
  error,
});

const finite = fc.double({ min: -VIVALDI.maxComponentMs, max: VIVALDI.maxComponentMs, noNaN: true });
const coordinateArb: fc.Arbitrary<NetworkCoordinate> = fc.record({
  vector: fc.array(finite, { minLength: COORDINATE_DIMENSIONS, maxLength: COORDINATE_DIMENSIONS }),
  height: fc.double({ min: 0, max: VIVALDI.maxComponentMs, noNaN: true }),
  error: fc.double({ min: 0, max: VIVALDI.maxError, noNaN: true }),
});
const rttArb = fc.double({ min: 0, max: VIVALDI.maxRttMs, noNaN: true });

function distance(a: readonly number[], b: readonly number[]): number {
  return Math.sqrt(a.reduce((sum, x, i) => sum + (x - (b[i] as number)) ** 2, 0));
}

describe('Vivaldi coordinates', () => {
  it('a fresh coordinate sits at the origin with the largest error', () => {
    const c = initialCoordinate();
    expect(c.vector).toEqual(new Array(COORDINATE_DIMENSIONS).fill(0));
    expect(c.error).toBe(VIVALDI.maxError);
    expect(estimateRtt(c, c)).toBeCloseTo(2 * VIVALDI.minHeightMs, 9);
  });

  it('estimates distance plus both heights', () => {
    const a: NetworkCoordinate = { vector: [3, 4, 0, 0, 0, 0, 0, 0], height: 1, error: 0.1 };
    const b: NetworkCoordinate = { vector: [0, 0, 0, 0, 0, 0, 0, 0], height: 2, error: 0.1 };
    expect(estimateRtt(a, b)).toBe(8);
    expect(estimateRtt(b, a)).toBe(8);
  });

  it('moves away when the RTT is longer than predicted, closer when shorter', () => {
    const local = at(10);
    const remote = at(0, 0.01, 0.1);
    const far = updateCoordinate(local, remote, 100, () => 0.5);
    expect(far.vector[0]).toBeGreaterThan(10);
    const near = updateCoordinate(local, remote, 2, () => 0.5);
    expect(near.vector[0]).toBeLessThan(10);
    // Only the axis between the two points moves.
    expect(far.vector.slice(1)).toEqual(new Array(COORDINATE_DIMENSIONS - 1).fill(0));
  });

  it('separates two coincident fresh nodes in a direction drawn from the injected random', () => {
    const a = initialCoordinate();
    const b = initialCoordinate();
    const moved = updateCoordinate(a, b, 50, seededRandom(7));
    expect(distance(moved.vector, b.vector)).toBeGreaterThan(1);
    // Same random, same result: nothing else is random inside.
    expect(updateCoordinate(a, b, 50, seededRandom(7))).toEqual(moved);
    // A degenerate random still yields a direction.
    expect(distance(updateCoordinate(a, b, 50, () => 0.5).vector, b.vector)).toBeGreaterThan(1);
  });

  it('a confident node moves less than an unsure one for the same sample', () => {
    const remote = at(0, 0.01, 0.2);
    const unsure = updateCoordinate(at(10, 0.01, 1.5), remote, 100, () => 0.5);
    const sure = updateCoordinate(at(10, 0.01, 0.05), remote, 100, () => 0.5);
    expect(Math.abs((unsure.vector[0] as number) - 10)).toBeGreaterThan(
      Math.abs((sure.vector[0] as number) - 10),
    );
  });

  it('the error shrinks while predictions are right and grows when they go wrong', () => {
    let c = at(20, 0.01, 1.0);
    const remote = at(0, 0.01, 0.1);
    for (let i = 0; i < 20; i++) c = updateCoordinate(c, remote, 20.02, () => 0.5);
    expect(c.error).toBeLessThan(0.1);
    const shocked = updateCoordinate(c, remote, 400, () => 0.5);
    expect(shocked.error).toBeGreaterThan(c.error);
  });

  it('a zero RTT (loopback) is folded in as the smallest sample, not a division by zero', () => {
    const c = updateCoordinate(at(5), at(0, 0.01, 0.1), 0, () => 0.5);
    expect(isValidCoordinate(c)).toBe(true);
    expect(c.vector[0]).toBeLessThan(5);
  });

  it('refuses NaN, infinite, negative and absurd RTTs with a typed error', () => {
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -1, 1e9]) {
      expect(() => updateCoordinate(at(1), at(0), bad, () => 0.5)).toThrow(InvalidCoordinateError);
    }
    expect(() => updateCoordinate(at(1), at(0), '5' as unknown as number, () => 0.5)).toThrow(
      InvalidCoordinateError,
    );
  });

  it('refuses invalid coordinates with a typed error', () => {
    const bad: NetworkCoordinate[] = [
      { vector: [Number.NaN, 0, 0, 0, 0, 0, 0, 0], height: 1, error: 1 },
      { vector: [0, 0, 0], height: 1, error: 1 },
      { vector: new Array(8).fill(0), height: -1, error: 1 },
      { vector: new Array(8).fill(0), height: 1, error: Number.POSITIVE_INFINITY },
      { vector: [1e12, 0, 0, 0, 0, 0, 0, 0], height: 1, error: 1 },
    ];
    for (const c of bad) {
      expect(isValidCoordinate(c)).toBe(false);
      expect(() => updateCoordinate(c, at(0), 10, () => 0.5)).toThrow(InvalidCoordinateError);
      expect(() => updateCoordinate(at(0), c, 10, () => 0.5)).toThrow(InvalidCoordinateError);
    }
  });

  it('property: any valid input gives a valid coordinate with an error no larger than the cap', () => {
    fc.assert(
      fc.property(coordinateArb, coordinateArb, rttArb, fc.integer(), (local, remote, rtt, seed) => {
        const next = updateCoordinate(local, remote, rtt, seededRandom(seed));
        expect(isValidCoordinate(next)).toBe(true);
        expect(next.error).toBeLessThanOrEqual(VIVALDI.maxError);
        expect(Number.isFinite(estimateRtt(next, remote))).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('property: one sample moves the point by at most timestep × |RTT − prediction|', () => {
    const noGravity = { ...DEFAULT_VIVALDI_CONFIG, gravityMs: undefined };
    const small = fc.double({ min: -1000, max: 1000, noNaN: true });
    const nearby = fc.record({
      vector: fc.array(small, { minLength: COORDINATE_DIMENSIONS, maxLength: COORDINATE_DIMENSIONS }),
      height: fc.double({ min: 0, max: 100, noNaN: true }),
      error: fc.double({ min: 0, max: VIVALDI.maxError, noNaN: true }),
    });
    fc.assert(
      fc.property(nearby, nearby, rttArb, fc.integer(), (local, remote, rtt, seed) => {
        const next = updateCoordinate(local, remote, rtt, seededRandom(seed), noGravity);
        const predicted = estimateRtt(local, remote);
        const bound = noGravity.timestep * Math.abs(Math.max(rtt, VIVALDI.minRttMs) - predicted);
        expect(distance(next.vector, local.vector)).toBeLessThanOrEqual(bound * (1 + 1e-9) + 1e-9);
      }),
      { numRuns: 500 },
    );
  });

  it('property: gravity only ever pulls towards the origin', () => {
    const noGravity = { ...DEFAULT_VIVALDI_CONFIG, gravityMs: undefined };
    fc.assert(
      fc.property(coordinateArb, coordinateArb, rttArb, fc.integer(), (local, remote, rtt, seed) => {
        const free = updateCoordinate(local, remote, rtt, seededRandom(seed), noGravity);
        const pulled = updateCoordinate(local, remote, rtt, seededRandom(seed));
        const origin = new Array(COORDINATE_DIMENSIONS).fill(0);
        expect(distance(pulled.vector, origin)).toBeLessThanOrEqual(distance(free.vector, origin) + 1e-6);
      }),
      { numRuns: 300 },
    );
  });
});
