import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ANTI_ENTROPY_MAX_MS,
  ANTI_ENTROPY_MS,
  antiEntropyMeanMs,
  bringForward,
  SETTLING_MS,
} from './anti-entropy.js';

const T0 = 1_700_000_000_000;
const at = (now: number, membershipChangedAt = T0, syncNewsAt = 0, settlingMs = 1_000) =>
  antiEntropyMeanMs({ now, membershipChangedAt, syncNewsAt, settlingMs });

describe('anti-entropy pace', () => {
  it('syncs at the settling pace while the membership changes, then backs off while nothing happens', () => {
    expect(at(T0)).toBe(1_000);
    expect(at(T0 + SETTLING_MS - 1, T0, 0, 3_000)).toBe(3_000);
    expect(at(T0 + SETTLING_MS)).toBe(ANTI_ENTROPY_MS);
    expect(at(T0 + SETTLING_MS + 30_000)).toBe(15_000);
    expect(at(T0 + 10 * 60_000)).toBe(ANTI_ENTROPY_MAX_MS);
  });

  it('a sync that brought entries starts the quiet period again', () => {
    expect(at(T0 + 10 * 60_000, T0, T0 + 10 * 60_000 - 1_000)).toBe(ANTI_ENTROPY_MS);
    expect(at(T0 + 10 * 60_000, T0, T0 + 10 * 60_000 - 40_000)).toBe(20_000);
  });

  it('stays within its bounds and never grows on news', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 3_600_000 }),
        fc.integer({ min: 0, max: 3_600_000 }),
        fc.integer({ min: 0, max: 3_600_000 }),
        (sinceChange, sinceNews, later) => {
          const now = T0 + 3_600_000;
          const mean = at(now, now - sinceChange, now - sinceNews);
          if (sinceChange < SETTLING_MS) expect(mean).toBe(1_000);
          else {
            expect(mean).toBeGreaterThanOrEqual(ANTI_ENTROPY_MS);
            expect(mean).toBeLessThanOrEqual(ANTI_ENTROPY_MAX_MS);
          }
          // Fresher news never lengthens the period.
          expect(at(now, now - sinceChange, now - Math.min(sinceNews, later))).toBeLessThanOrEqual(mean);
        },
      ),
    );
  });

  it('news brings forward only a tick due later than the pace allows', () => {
    expect(bringForward(T0 + 40_000, T0, ANTI_ENTROPY_MS)).toBe(true);
    expect(bringForward(T0 + 7_500, T0, ANTI_ENTROPY_MS)).toBe(false);
    // Whatever delay the pace draws (its mean ± half), more news at that pace keeps the tick.
    for (const drawn of [0.5, 1, 1.5]) expect(bringForward(T0 + drawn * 1_000, T0, 1_000)).toBe(false);
  });
});
