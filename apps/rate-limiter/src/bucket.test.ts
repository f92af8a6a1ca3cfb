import fc from 'fast-check';
import { MosaikError } from 'mosaik';
import { describe, expect, it } from 'vitest';
import { type Bucket, checkBucketConfig, fullBucket, refill, take, UNITS_PER_TOKEN } from './bucket.js';

/** Runs `steps` (time advances and takes) and returns the times of the grants. */
function grantTimes(config: { rpm: number; burst: number }, steps: readonly [number, number][]): number[] {
  let bucket: Bucket = fullBucket(config, 0);
  let now = 0;
  const grants: number[] = [];
  for (const [dt, takes] of steps) {
    now += dt;
    for (let i = 0; i < takes; i++) {
      const r = take(bucket, 1, now, config);
      bucket = r.bucket;
      if (r.granted) grants.push(now);
    }
  }
  return grants;
}

const configs = fc.record({ rpm: fc.integer({ min: 1, max: 6000 }), burst: fc.integer({ min: 1, max: 50 }) });
const steps = fc.array(fc.tuple(fc.integer({ min: 0, max: 5000 }), fc.integer({ min: 0, max: 20 })), {
  maxLength: 60,
});

describe('token bucket', () => {
  it('never grants more than burst + rate·t in any window of length t', () => {
    fc.assert(
      fc.property(configs, steps, (config, plan) => {
        const grants = grantTimes(config, plan);
        for (let i = 0; i < grants.length; i++) {
          for (let j = i; j < grants.length; j++) {
            const window = grants[j]! - grants[i]!;
            const allowed = config.burst + (config.rpm * window) / 60_000;
            expect(j - i + 1).toBeLessThanOrEqual(allowed);
          }
        }
      }),
    );
  });

  it('grants the full burst at once, then exactly the refill rate', () => {
    const config = { rpm: 60, burst: 5 };
    // 10 requests at t=0: 5 granted; then one per second.
    expect(grantTimes(config, [[0, 10]])).toHaveLength(5);
    expect(
      grantTimes(config, [
        [0, 10],
        [999, 1],
      ]),
    ).toHaveLength(5);
    expect(
      grantTimes(config, [
        [0, 10],
        [1000, 2],
      ]),
    ).toHaveLength(6);
    expect(
      grantTimes(config, [
        [0, 10],
        [10_000, 100],
      ]),
    ).toHaveLength(10);
  });

  it('reports remaining, the time to full and the retry delay', () => {
    const config = { rpm: 60, burst: 2 };
    const first = take(fullBucket(config, 0), 1, 0, config);
    expect(first).toMatchObject({ granted: true, remaining: 1, resetMs: 1000 });
    const second = take(first.bucket, 1, 250, config);
    expect(second).toMatchObject({ granted: true, remaining: 0, resetMs: 1750 });
    const third = take(second.bucket, 1, 250, config);
    expect(third).toMatchObject({ granted: false, retryAfterMs: 750, resetMs: 1750 });
  });

  it('never refills backwards in time and caps at the capacity', () => {
    const config = { rpm: 60, burst: 3 };
    const empty = { units: 0, updatedMs: 10_000 };
    expect(refill(empty, 5_000, config)).toBe(empty);
    expect(refill(empty, 11_000, config).units).toBe(UNITS_PER_TOKEN);
    expect(refill(empty, Number.MAX_SAFE_INTEGER, config).units).toBe(3 * UNITS_PER_TOKEN);
    expect(refill(empty, 100_000, config, UNITS_PER_TOKEN).units).toBe(UNITS_PER_TOKEN);
  });

  it('refuses rates and capacities that are not positive integers', () => {
    for (const bad of [
      { rpm: 0, burst: 1 },
      { rpm: 1.5, burst: 1 },
      { rpm: 10, burst: -1 },
      { rpm: 10, burst: Number.NaN },
      { rpm: 2e9, burst: 1 },
    ]) {
      expect(() => checkBucketConfig(bad)).toThrow(MosaikError);
    }
  });
});
