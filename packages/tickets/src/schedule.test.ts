import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Expiration } from './expiration.js';
import { MAX_TIMER_DELAY, scheduleExpiry } from './schedule.js';

describe('scheduleExpiry', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: Date.UTC(2030, 0, 1) });
  });
  afterEach(() => {
    expect(vi.getTimerCount()).toBe(0);
    vi.useRealTimers();
  });

  it('fires once when the expiration passes', () => {
    const fired = vi.fn();
    scheduleExpiry(Expiration.after(3_000), fired);
    vi.advanceTimersByTime(2_999);
    expect(fired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(fired).toHaveBeenCalledOnce();
    vi.advanceTimersByTime(10_000);
    expect(fired).toHaveBeenCalledOnce();
  });

  it('schedules nothing for never', () => {
    const fired = vi.fn();
    const cancel = scheduleExpiry(Expiration.never(), fired);
    expect(vi.getTimerCount()).toBe(0);
    cancel();
  });

  it('fires an already-passed expiration asynchronously', () => {
    const fired = vi.fn();
    scheduleExpiry(Expiration.alreadyExpired(), fired);
    expect(fired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(0);
    expect(fired).toHaveBeenCalledOnce();
  });

  it('chains timers past the 2^31-1 ms limit instead of firing early', () => {
    const fired = vi.fn();
    const days40 = 40 * 24 * 3_600_000;
    expect(days40).toBeGreaterThan(MAX_TIMER_DELAY);
    scheduleExpiry(Expiration.after(days40), fired);
    vi.advanceTimersByTime(MAX_TIMER_DELAY);
    expect(fired).not.toHaveBeenCalled();
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(days40 - MAX_TIMER_DELAY - 1);
    expect(fired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(fired).toHaveBeenCalledOnce();
  });

  it('is cancelled by the returned function and by an abort signal', () => {
    const fired = vi.fn();
    const cancel = scheduleExpiry(Expiration.after(1_000), fired);
    cancel();
    cancel();
    const controller = new AbortController();
    scheduleExpiry(Expiration.after(1_000), fired, { signal: controller.signal });
    expect(vi.getTimerCount()).toBe(1);
    controller.abort();
    expect(vi.getTimerCount()).toBe(0);
    scheduleExpiry(Expiration.after(1_000), fired, { signal: controller.signal });
    vi.advanceTimersByTime(5_000);
    expect(fired).not.toHaveBeenCalled();
  });
});
