import { describe, expect, it } from 'vitest';
import { Backoff, DEFAULT_BACKOFF, resolveBackoff } from './backoff.js';

function fakeEnv(random = 0.5) {
  const env = { t: 0, now: () => env.t, random: () => random };
  return env;
}

describe('Backoff', () => {
  it('first attempt is immediate, then 0.5 s × 1.5 without jitter at random = 0.5', () => {
    const env = fakeEnv();
    const b = new Backoff({}, env);
    expect(b.next()).toBe(0);
    const waits = [b.next(), b.next(), b.next(), b.next()];
    expect(waits.map((w) => Math.round(w! * 1000) / 1000)).toEqual([500, 750, 1125, 1687.5]);
  });

  it('jitter stays within ±50 % of the nominal interval', () => {
    const low = new Backoff({}, fakeEnv(0));
    const high = new Backoff({}, fakeEnv(0.999999));
    low.next();
    high.next();
    expect(low.next()).toBeCloseTo(250);
    expect(high.next()).toBeCloseTo(750, 2);
  });

  it('caps the interval at 60 s', () => {
    const b = new Backoff({}, fakeEnv());
    b.next();
    let last = 0;
    for (let i = 0; i < 40; i++) last = b.next() ?? last;
    expect(last).toBe(60_000);
  });

  it('gives up after 300 s without a reset; a reset restarts the budget with an immediate attempt', () => {
    const env = fakeEnv();
    const b = new Backoff({}, env);
    b.next();
    env.t = 299_999;
    expect(b.next()).toBeDefined();
    env.t = 300_000;
    expect(b.next()).toBeUndefined();
    b.reset();
    expect(b.next()).toBe(0);
    expect(b.next()).toBe(500);
  });

  it('rejects nonsense policies', () => {
    expect(() => resolveBackoff({ multiplier: 0.5 })).toThrow(RangeError);
    expect(resolveBackoff()).toEqual(DEFAULT_BACKOFF);
  });
});
