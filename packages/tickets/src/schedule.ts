import type { Expiration } from './expiration.js';

/** Node's `setTimeout` silently turns longer delays into 1 ms; longer waits are chained. */
export const MAX_TIMER_DELAY = 2 ** 31 - 1;

/** Options of {@link scheduleExpiry}. */
export interface ScheduleExpiryOptions {
  /** Aborting the signal cancels the schedule (the callback is not called). */
  readonly signal?: AbortSignal;
}

/**
 * Calls `callback` once, when `expiration` passes. `never` schedules nothing. An expiration
 * already in the past fires on the next macrotask, never synchronously, so the caller always
 * holds the cancel function first. Waits longer than Node's timer limit (2^31-1 ms, ~24.8 days)
 * are split into several timers, each re-reading the clock, so a long wait neither overflows
 * nor drifts.
 *
 * The pending timer keeps the process alive; call the returned function (or abort `signal`) to
 * cancel it. Cancelling twice or after the callback ran is harmless.
 *
 * @returns a function that cancels the schedule.
 */
export function scheduleExpiry(
  expiration: Expiration,
  callback: () => void,
  options: ScheduleExpiryOptions = {},
): () => void {
  const { signal } = options;
  if (expiration.isNever || signal?.aborted) return () => {};
  let timer: NodeJS.Timeout | undefined;
  let done = false;

  const cancel = (): void => {
    if (done) return;
    done = true;
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    signal?.removeEventListener('abort', cancel);
  };

  // Re-reads the clock on every wake-up: a chained wait, or a timer that fires a little
  // early, simply arms again for what is left.
  const tick = (): void => {
    if (done) return;
    const remaining = expiration.remaining();
    if (remaining <= 0) {
      cancel();
      callback();
      return;
    }
    timer = setTimeout(tick, Math.min(remaining, MAX_TIMER_DELAY));
  };

  signal?.addEventListener('abort', cancel, { once: true });
  timer = setTimeout(tick, Math.min(expiration.remaining(), MAX_TIMER_DELAY));
  return cancel;
}
