/** Every timer of one discovery instance, so that closing releases them all at once. */
import { type Clock, systemClock } from '@mosaik/id';
import type { Scheduler } from '../catalog/catalog.js';
import { LocalLag } from './local-lag.js';

/**
 * A set of one-shot timers on a {@link Clock}; also the catalog's purge-timer {@link Scheduler}.
 * Every timer that fires tells {@link lag} how late it ran.
 */
export class Timers implements Scheduler {
  /** How late this instance's timers fired recently: a measure of how busy the process is. */
  readonly lag: LocalLag;
  readonly #clock: Clock;
  /** The cancel function of every armed timer. */
  readonly #live = new Set<() => void>();
  #closed = false;

  /** @param lagWindowMs how long a late timer counts in {@link lag} */
  constructor(clock: Clock = systemClock, lagWindowMs = 10_000) {
    this.#clock = clock;
    this.lag = new LocalLag(lagWindowMs);
  }

  /** The current time of this instance's clock, ms. */
  now(): number {
    return this.#clock.now();
  }

  /** Runs `fn` after `delayMs`; returns a cancel function. A no-op once closed. */
  schedule(delayMs: number, fn: () => void): () => void {
    if (this.#closed) return () => {};
    const delay = Math.max(0, delayMs);
    const due = this.#clock.now() + delay;
    const cancel = this.#clock.schedule(delay, () => {
      this.#live.delete(cancel);
      const now = this.#clock.now();
      this.lag.observe(now, now - due);
      fn();
    });
    this.#live.add(cancel);
    return () => {
      cancel();
      this.#live.delete(cancel);
    };
  }

  /**
   * Resolves after `delayMs`, or at once when `signal` aborts (never rejects: a retry loop checks
   * the signal itself). The abort listener is removed when the timer fires, so a long-lived signal
   * does not collect one listener per wait.
   */
  wait(delayMs: number, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const onAbort = () => {
        cancel();
        resolve();
      };
      const cancel = this.schedule(delayMs, () => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      });
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Number of armed timers (for tests). */
  get size(): number {
    return this.#live.size;
  }

  /** Clears every armed timer; later `schedule` calls do nothing. */
  close(): void {
    this.#closed = true;
    for (const cancel of this.#live) cancel();
    this.#live.clear();
  }
}
