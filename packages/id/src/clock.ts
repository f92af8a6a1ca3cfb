/**
 * Injected time: a {@link Clock} tells the time and arms one-shot timers. Protocol code takes one
 * instead of calling `Date.now()` and `setTimeout`, so that production runs on
 * {@link systemClock} and a simulator runs the same code on a {@link ManualClock}, where time only
 * moves when the simulator says so and every run of a seed is the same run.
 *
 * @example
 * ```ts
 * const clock = new ManualClock();
 * const stop = every(clock, 100, () => console.log('tick at', clock.now()));
 * clock.advance(250); // prints "tick at 100", "tick at 200"
 * stop();
 * ```
 */

/** Time (ms since the epoch, or since a simulation started) and one-shot timers. */
export interface Clock {
  /** The current time in ms. */
  now(): number;
  /** Runs `fn` once, `delayMs` from now (negative counts as 0); returns a cancel function. */
  schedule(delayMs: number, fn: () => void): () => void;
}

/** The wall clock and Node's timers. */
export const systemClock: Clock = Object.freeze({
  now: () => Date.now(),
  schedule(delayMs: number, fn: () => void): () => void {
    const timer = setTimeout(fn, Math.max(0, delayMs));
    return () => clearTimeout(timer);
  },
});

/**
 * Runs `fn` every `intervalMs` on `clock` until the returned function is called. Each run arms
 * the next one, so a slow `fn` delays the following run instead of piling runs up.
 */
export function every(clock: Clock, intervalMs: number, fn: () => void): () => void {
  let stopped = false;
  let cancel = () => {};
  const arm = () => {
    cancel = clock.schedule(intervalMs, () => {
      if (stopped) return;
      arm();
      fn();
    });
  };
  arm();
  return () => {
    stopped = true;
    cancel();
  };
}

interface ManualTimer {
  readonly at: number;
  /** Arming order: timers due at the same time fire in the order they were armed. */
  readonly seq: number;
  readonly fn: () => void;
}

/**
 * A clock that only moves when told to ({@link advance}, {@link runNext}): the virtual time of
 * simulators and of tests that must not wait for real timeouts. Timers fire in due-time order,
 * ties in arming order; a timer armed while others fire runs in the same `advance` if it falls
 * due before its end.
 */
export class ManualClock implements Clock {
  #now: number;
  #seq = 0;
  /** Sorted by (at, seq). */
  readonly #timers: ManualTimer[] = [];

  constructor(start = 0) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  schedule(delayMs: number, fn: () => void): () => void {
    const timer: ManualTimer = { at: this.#now + Math.max(0, delayMs), seq: this.#seq++, fn };
    // Binary search for the insertion point keeps arming O(log n) to find, O(n) to shift.
    let lo = 0;
    let hi = this.#timers.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const t = this.#timers[mid]!;
      if (t.at < timer.at || (t.at === timer.at && t.seq < timer.seq)) lo = mid + 1;
      else hi = mid;
    }
    this.#timers.splice(lo, 0, timer);
    return () => {
      const i = this.#timers.indexOf(timer);
      if (i >= 0) this.#timers.splice(i, 1);
    };
  }

  /** Armed timers. */
  get pending(): number {
    return this.#timers.length;
  }

  /** When the next timer falls due, `undefined` when none is armed. */
  nextAt(): number | undefined {
    return this.#timers[0]?.at;
  }

  /** Moves to the next timer's due time and fires it; `false` when none is armed. */
  runNext(): boolean {
    const timer = this.#timers.shift();
    if (timer === undefined) return false;
    this.#now = Math.max(this.#now, timer.at);
    timer.fn();
    return true;
  }

  /** Moves time forward by `ms`, firing every timer that falls due on the way, in order. */
  advance(ms: number): void {
    const end = this.#now + Math.max(0, ms);
    while (this.#timers[0] !== undefined && this.#timers[0].at <= end) this.runNext();
    this.#now = end;
  }

  /** Moves time to `at` (never backwards), firing what falls due. */
  advanceTo(at: number): void {
    this.advance(at - this.#now);
  }
}
