import { describe, expect, it } from 'vitest';
import { RttTracker, rttAdmitted, rttBelow, smoothRtt } from './rtt.js';

const peer = (s: string) => ({ toString: () => s });

describe('RttTracker (RFC 6298)', () => {
  it('initialises srtt to the first sample and rttvar to half of it', () => {
    const t = new RttTracker();
    t.sample(peer('a'), 120);
    expect(t.get(peer('a'))).toBe(120);
    expect(t.state(peer('a'))).toEqual({ srtt: 120, rttvar: 60, samples: 1 });
  });

  it('applies alpha = 1/8 and beta = 1/4 with the previous srtt', () => {
    const s = smoothRtt(smoothRtt(undefined, 100), 200);
    expect(s.rttvar).toBeCloseTo(0.75 * 50 + 0.25 * 100);
    expect(s.srtt).toBeCloseTo(0.875 * 100 + 0.125 * 200);
  });

  it('converges: 50 samples of 200 ms after a 100 ms start exceed 195 ms', () => {
    const t = new RttTracker();
    t.sample(peer('a'), 100);
    for (let i = 0; i < 50; i++) t.sample(peer('a'), 200);
    const srtt = t.get(peer('a'))!;
    expect(srtt).toBeGreaterThan(195);
    expect(srtt).toBeLessThan(200);
  });

  it('remove clears the state of that peer only', () => {
    const t = new RttTracker();
    t.sample(peer('a'), 10);
    t.sample(peer('b'), 20);
    expect(t.remove(peer('a'))).toBe(true);
    expect(t.get(peer('a'))).toBeUndefined();
    expect(t.get(peer('b'))).toBe(20);
    expect(t.remove(peer('a'))).toBe(false);
  });

  it('ignores invalid samples', () => {
    const t = new RttTracker();
    t.sample(peer('a'), Number.NaN);
    t.sample(peer('a'), -1);
    expect(t.get(peer('a'))).toBeUndefined();
  });

  it('keys by string form', () => {
    const t = new RttTracker();
    t.sample(peer('x'), 30);
    expect(t.get(peer('x'))).toBe(30);
  });
});

describe('rttBelow / rttAdmitted', () => {
  it('rttBelow is true when unknown', () => {
    expect(rttBelow(undefined, 1)).toBe(true);
  });
  it('rttBelow is strict', () => {
    expect(rttBelow(150, 200)).toBe(true);
    expect(rttBelow(150, 100)).toBe(false);
    expect(rttBelow(150, 150)).toBe(false);
  });
  it('the catalog filter admits equality and unknown RTTs', () => {
    expect(rttAdmitted(150, 150)).toBe(true);
    expect(rttAdmitted(151, 150)).toBe(false);
    expect(rttAdmitted(undefined, 1)).toBe(true);
    expect(rttAdmitted(10_000, undefined)).toBe(true);
  });
});
