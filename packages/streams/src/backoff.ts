/**
 * The reconnect policy of a consumer's receivers: the first attempt is
 * immediate; later ones wait an exponentially growing, jittered interval; the policy gives up
 * once `maxElapsedMs` passed since creation or the last {@link Backoff.reset}. A connection that
 * delivered a datum resets it, so the reconnect after a working connection breaks is immediate
 * too, and only attempts that deliver nothing back off.
 */

/** Parameters of an exponential backoff. Durations are milliseconds. */
export interface BackoffPolicy {
  /** First interval. Default 500. */
  readonly initialIntervalMs: number;
  /** Growth factor per attempt. Default 1.5. */
  readonly multiplier: number;
  /** Each wait is drawn uniformly from `interval × [1 − r, 1 + r]`. Default 0.5. */
  readonly randomization: number;
  /** Ceiling of the (un-jittered) interval. Default 60 000. */
  readonly maxIntervalMs: number;
  /** Give up after this long without a reset; `Infinity` never gives up. Default 300 000. */
  readonly maxElapsedMs: number;
}

/** The reference defaults. */
export const DEFAULT_BACKOFF: BackoffPolicy = Object.freeze({
  initialIntervalMs: 500,
  multiplier: 1.5,
  randomization: 0.5,
  maxIntervalMs: 60_000,
  maxElapsedMs: 300_000,
});

/** Injectable clock and randomness (tests). */
export interface BackoffEnv {
  now(): number;
  random(): number;
}

const realEnv: BackoffEnv = { now: () => performance.now(), random: Math.random };

/** Fills in a partial policy and checks it. */
export function resolveBackoff(policy: Partial<BackoffPolicy> = {}): BackoffPolicy {
  const p = { ...DEFAULT_BACKOFF, ...policy };
  const ok =
    p.initialIntervalMs >= 0 &&
    p.multiplier >= 1 &&
    p.randomization >= 0 &&
    p.randomization <= 1 &&
    p.maxIntervalMs >= p.initialIntervalMs &&
    p.maxElapsedMs >= 0;
  if (!ok) throw new RangeError(`invalid backoff policy ${JSON.stringify(p)}`);
  return Object.freeze(p);
}

/**
 * Fresh backoff state (one per receiver). `next()` returns the wait before the next attempt:
 * `0` for the first attempt, `undefined` once the budget is exhausted.
 */
export class Backoff {
  readonly #policy: BackoffPolicy;
  readonly #env: BackoffEnv;
  #started: number;
  #interval: number;
  #attempts = 0;

  constructor(policy: Partial<BackoffPolicy> = {}, env: BackoffEnv = realEnv) {
    this.#policy = resolveBackoff(policy);
    this.#env = env;
    this.#started = env.now();
    this.#interval = this.#policy.initialIntervalMs;
  }

  /** Attempts made since creation or the last reset. */
  get attempts(): number {
    return this.#attempts;
  }

  /** Milliseconds to wait before the next attempt, or `undefined` when it is time to give up. */
  next(): number | undefined {
    const attempt = this.#attempts++;
    if (attempt === 0) return 0;
    const p = this.#policy;
    const elapsed = this.#env.now() - this.#started;
    if (elapsed >= p.maxElapsedMs) return undefined;
    const base = this.#interval;
    this.#interval = Math.min(p.maxIntervalMs, base * p.multiplier);
    const delta = base * p.randomization;
    const wait = base - delta + this.#env.random() * 2 * delta;
    // A wait that would end past the budget still happens (the reference checks elapsed time
    // before waiting), so the last attempt lands just after the deadline at most.
    return wait;
  }

  /**
   * Called on a received datum: the interval drops back to the initial one, the budget restarts
   * and the next attempt is immediate again, as documented ("first try immediate"). The reference
   * counts the working connection as the first attempt and waits the initial interval before
   * reconnecting; we do not, so a consumer that closed a link on one bad datum (or lost a healthy
   * link) is back at once. A producer that keeps failing before delivering anything still gets the
   * growing waits.
   */
  reset(): void {
    this.#attempts = 0;
    this.#interval = this.#policy.initialIntervalMs;
    this.#started = this.#env.now();
  }
}
