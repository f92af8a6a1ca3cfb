import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IsolationPolicy } from './isolation.js';

describe('IsolationPolicy', () => {
  it('retries until the first sync, then stops', () => {
    const policy = new IsolationPolicy(500, 4_000);
    expect(policy.isolated).toBe(true);
    // Neighbours coming and going before the first sync start no second loop.
    expect(policy.neighbours(0)).toBe(false);
    expect(policy.neighbours(2)).toBe(false);
    expect(policy.round()).toBe(true);
    policy.synced();
    expect(policy.isolated).toBe(false);
    expect(policy.round()).toBe(false);
  });

  it('starts retrying again when a synced node loses its last neighbour, until it syncs again', () => {
    const policy = new IsolationPolicy(500, 4_000);
    policy.synced();
    expect(policy.round()).toBe(false); // the first loop ended
    expect(policy.neighbours(3)).toBe(false);
    expect(policy.neighbours(1)).toBe(false);
    expect(policy.neighbours(0)).toBe(true);
    expect(policy.isolated).toBe(true);
    // Still alone, or a neighbour back without a sync: the loop that runs keeps running, no second one.
    expect(policy.neighbours(0)).toBe(false);
    expect(policy.neighbours(1)).toBe(false);
    expect(policy.isolated).toBe(true);
    expect(policy.round()).toBe(true);
    policy.synced();
    expect(policy.isolated).toBe(false);
    // Isolated again before the loop's next round saw the sync: that loop goes on, none is added.
    expect(policy.neighbours(0)).toBe(false);
    expect(policy.round()).toBe(true);
    policy.synced();
    expect(policy.round()).toBe(false);
    // Losing every neighbour a second time starts a loop again.
    expect(policy.neighbours(0)).toBe(true);
  });

  it('backs off from the minimum, doubling up to the maximum, and starts over after each isolation', () => {
    const policy = new IsolationPolicy(500, 4_000);
    const mid = () => policy.nextDelay(0.5); // no jitter at random() = 0.5
    expect([mid(), mid(), mid(), mid(), mid()]).toEqual([500, 1_000, 2_000, 4_000, 4_000]);
    policy.synced();
    policy.neighbours(0);
    expect(mid()).toBe(500);
    expect(policy.nextDelay(0)).toBe(500); // -50 %
    expect(policy.nextDelay(0.999_999)).toBeCloseTo(3_000, 0); // +50 %
  });

  it('refuses bad bounds', () => {
    expect(() => new IsolationPolicy(0, 10)).toThrow(RangeError);
    expect(() => new IsolationPolicy(10, 5)).toThrow(RangeError);
    expect(() => new IsolationPolicy(Number.NaN, 5)).toThrow(RangeError);
  });

  it('never runs two retry loops, and one runs whenever the node is isolated (any event sequence)', () => {
    const event = fc.oneof(
      fc.constant({ t: 'synced' as const }),
      fc.constant({ t: 'round' as const }),
      fc.record({ t: fc.constant('neighbours' as const), count: fc.nat(6) }),
    );
    fc.assert(
      fc.property(fc.array(event, { maxLength: 80 }), (events) => {
        const policy = new IsolationPolicy(100, 1_000);
        let loops = 1; // the worker starts one at creation
        for (const e of events) {
          if (e.t === 'synced') policy.synced();
          else if (e.t === 'neighbours') {
            if (policy.neighbours(e.count)) loops++;
          } else if (loops > 0 && !policy.round()) loops--;
          expect(loops).toBeLessThanOrEqual(1);
          if (policy.isolated) expect(loops).toBe(1);
        }
      }),
    );
  });
});
