import { describe, expect, it } from 'vitest';
import { LAG_GRACE_FACTOR, LocalLag } from './local-lag.js';

describe('LocalLag', () => {
  it('remembers the worst lateness for between half and all of its window', () => {
    const lag = new LocalLag(4_000);
    expect(lag.worst(0)).toBe(0);
    lag.observe(0, 3);
    lag.observe(100, 700);
    lag.observe(200, 20);
    expect(lag.worst(1_000)).toBe(700);
    // Half a window later the bucket holding 700 is the previous one: still counted.
    expect(lag.worst(2_500)).toBe(700);
    lag.observe(2_600, 50);
    expect(lag.worst(3_900)).toBe(700);
    // A whole window after it was seen, the late timer is forgotten; later ones remain.
    expect(lag.worst(4_100)).toBe(50);
    expect(lag.worst(9_000)).toBe(0);
  });

  it('forgets everything after a long pause without observations', () => {
    const lag = new LocalLag(1_000);
    lag.observe(0, 400);
    expect(lag.worst(60_000)).toBe(0);
  });

  it('grants a few times the worst lateness, capped at the deadline being judged', () => {
    const lag = new LocalLag(10_000);
    expect(lag.graceMs(0, 4_000)).toBe(0);
    lag.observe(0, 2);
    expect(lag.graceMs(0, 4_000)).toBe(2 * LAG_GRACE_FACTOR); // a healthy process: nothing to speak of
    lag.observe(1, 600);
    expect(lag.graceMs(1, 4_000)).toBe(600 * LAG_GRACE_FACTOR);
    lag.observe(2, 5_000);
    expect(lag.graceMs(2, 4_000)).toBe(4_000);
  });
});
