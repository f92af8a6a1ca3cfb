import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { Timers } from './timers.js';

describe('Timers.wait', () => {
  it('leaves no abort listener behind on a long-lived signal after 1,000 waits', async () => {
    const timers = new Timers();
    const controller = new AbortController();
    for (let i = 0; i < 1_000; i++) await timers.wait(0, controller.signal);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    expect(timers.size).toBe(0);
    timers.close();
  });

  it('settles at once when the signal aborts, and clears its timer', async () => {
    const timers = new Timers();
    const controller = new AbortController();
    const waiting = timers.wait(60_000, controller.signal);
    expect(timers.size).toBe(1);
    controller.abort();
    await waiting;
    expect(timers.size).toBe(0);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    await timers.wait(60_000, controller.signal); // already aborted: resolves without arming
    expect(timers.size).toBe(0);
    timers.close();
  });
});

describe('Timers.lag', () => {
  /** A clock whose timers fire only when the test says, at whatever time it has set. */
  function lateClock() {
    const due: Array<() => void> = [];
    const clock = {
      t: 1_000,
      now: () => clock.t,
      schedule: (_ms: number, fn: () => void) => {
        due.push(fn);
        return () => {};
      },
      fireNext: () => due.shift()?.(),
    };
    return clock;
  }

  it('records how late each timer fired', () => {
    const clock = lateClock();
    const timers = new Timers(clock, 10_000);
    timers.schedule(100, () => {});
    timers.schedule(200, () => {});
    clock.t = 1_100; // the first fires on time
    clock.fireNext();
    expect(timers.lag.worst(clock.t)).toBe(0);
    clock.t = 1_950; // the second is 750 ms late: the event loop was busy
    clock.fireNext();
    expect(timers.lag.worst(clock.t)).toBe(750);
    timers.close();
  });
});
