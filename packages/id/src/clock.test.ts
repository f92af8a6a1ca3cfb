import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { every, ManualClock, systemClock } from './clock.js';

describe('ManualClock', () => {
  it('fires timers in due order, ties in arming order, only when advanced', () => {
    const clock = new ManualClock(1000);
    const fired: string[] = [];
    clock.schedule(20, () => fired.push('b'));
    clock.schedule(10, () => fired.push('a'));
    clock.schedule(20, () => fired.push('c'));
    expect(fired).toEqual([]);
    clock.advance(15);
    expect(fired).toEqual(['a']);
    expect(clock.now()).toBe(1015);
    clock.advance(5);
    expect(fired).toEqual(['a', 'b', 'c']);
    expect(clock.pending).toBe(0);
  });

  it('runs a timer armed by a firing timer within the same advance when it falls due', () => {
    const clock = new ManualClock();
    const at: number[] = [];
    clock.schedule(10, () => clock.schedule(10, () => at.push(clock.now())));
    clock.advance(25);
    expect(at).toEqual([20]);
    expect(clock.now()).toBe(25);
  });

  it('cancels, and cancelling twice or after firing is harmless', () => {
    const clock = new ManualClock();
    let n = 0;
    const cancel = clock.schedule(5, () => n++);
    cancel();
    cancel();
    clock.advance(10);
    expect(n).toBe(0);
    const fired = clock.schedule(1, () => n++);
    clock.advance(1);
    fired();
    expect(n).toBe(1);
  });

  it('every() repeats until stopped', () => {
    const clock = new ManualClock();
    const at: number[] = [];
    const stop = every(clock, 100, () => at.push(clock.now()));
    clock.advance(350);
    stop();
    clock.advance(1000);
    expect(at).toEqual([100, 200, 300]);
    expect(clock.pending).toBe(0);
  });

  it('fires any set of timers in non-decreasing time order (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -5, max: 1000 }), { maxLength: 50 }), (delays) => {
        const clock = new ManualClock();
        const seen: number[] = [];
        for (const d of delays) clock.schedule(d, () => seen.push(clock.now()));
        while (clock.runNext());
        expect(seen).toHaveLength(delays.length);
        for (let i = 1; i < seen.length; i++) expect(seen[i]!).toBeGreaterThanOrEqual(seen[i - 1]!);
      }),
    );
  });
});

describe('systemClock', () => {
  it('fires a real timer and can cancel one', async () => {
    let cancelled = false;
    const cancel = systemClock.schedule(1, () => {
      cancelled = true;
    });
    cancel();
    const t0 = systemClock.now();
    await new Promise<void>((resolve) => systemClock.schedule(5, resolve));
    expect(systemClock.now()).toBeGreaterThanOrEqual(t0);
    expect(cancelled).toBe(false);
  });
});
