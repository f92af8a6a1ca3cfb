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
