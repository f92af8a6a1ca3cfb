/** Every timer of one discovery instance, so that closing releases them all at once. */
import { type Clock, systemClock } from '@mosaik/id';
import type { Scheduler } from '../catalog/catalog.js';

/** A set of one-shot timers on a {@link Clock}; also the catalog's purge-timer {@link Scheduler}. */
export class Timers implements Scheduler {
  readonly #clock: Clock;
  /** The cancel function of every armed timer. */
  readonly #live = new Set<() => void>();
  #closed = false;

  constructor(clock: Clock = systemClock) {
    this.#clock = clock;
  }

  /** The current time of this instance's clock, ms. */
  now(): number {
    return this.#clock.now();
  }

  /** Runs `fn` after `delayMs`; returns a cancel function. A no-op once closed. */
  schedule(delayMs: number, fn: () => void): () => void {
    if (this.#closed) return () => {};
    const cancel = this.#clock.schedule(Math.max(0, delayMs), () => {
      this.#live.delete(cancel);
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
