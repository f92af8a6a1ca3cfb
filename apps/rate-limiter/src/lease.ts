/**
 * The `lease` mode: a gateway borrows a chunk of a user's tokens from the replicated budget and
 * spends it locally, committing once per chunk instead of once per request. Tokens lent out
 * count against the bucket's capacity until they come back or the lease expires, so the global
 * bound of the strict mode still holds (given gateway clocks within the safety margin).
 */
import { type Decision, type Limiter, type LimiterHooks, reasonOf, within } from './limiter.js';
import type { BudgetMachine } from './machine.js';
import { type BudgetGroup, leaderReachable, startGc } from './strict.js';

/** Options of {@link LeaseLimiter}. */
export interface LeaseOptions extends LimiterHooks {
  /** Tokens asked for per lease. */
  readonly chunk: number;
  /** Lease lifetime; must equal the machine's `leaseTtlMs`. */
  readonly ttlMs: number;
  /** Stop spending a lease this long before its lifetime ends, to absorb clock skew. Default ttl/4, at most 250. */
  readonly marginMs?: number;
  /** Give back the unspent rest of a lease idle this long. Default 250. */
  readonly idleReturnMs?: number;
  /** Give up on a commit after this long and answer `unavailable`. */
  readonly commitTimeoutMs: number;
  /** A denial is remembered at most this long before the budget is asked again. Default 1000. */
  readonly maxDenialCacheMs?: number;
  readonly gcIntervalMs?: number;
  readonly now?: () => number;
}

interface Held {
  readonly id: number;
  left: number;
  /** Local time after which the lease is not spent any more. */
  readonly until: number;
  lastUsed: number;
}

interface KeyState {
  held: Held | undefined;
  pending: Promise<string | undefined> | undefined;
  deniedUntil: number;
  /** Whole tokens the shared bucket had at the last lease, and when that was known. */
  shared: number;
  resetAt: number;
}

/** Lease mode over a joined budget group. */
export class LeaseLimiter implements Limiter {
  readonly mode = 'lease' as const;
  readonly #group: BudgetGroup;
  readonly #machine: BudgetMachine;
  readonly #origin: string;
  readonly #options: LeaseOptions;
  readonly #now: () => number;
  readonly #margin: number;
  readonly #keys = new Map<string, KeyState>();
  readonly #sweep: NodeJS.Timeout;
  readonly #gc: NodeJS.Timeout;
  #commits = 0;

  constructor(group: BudgetGroup, machine: BudgetMachine, origin: string, options: LeaseOptions) {
    if (!Number.isSafeInteger(options.chunk) || options.chunk <= 0)
      throw new RangeError(`chunk must be a positive integer, got ${options.chunk}`);
    this.#group = group;
    this.#machine = machine;
    this.#origin = origin;
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#margin = options.marginMs ?? Math.min(250, Math.floor(options.ttlMs / 4));
    this.#sweep = setInterval(() => this.#giveBack(false), 50).unref();
    this.#gc = startGc(group, options.gcIntervalMs ?? 30_000, this.#now);
  }

  /** Lease and return commands submitted so far (the benchmark reports commits per request). */
  get commits(): number {
    return this.#commits;
  }

  isAvailable(): boolean {
    return leaderReachable(this.#group);
  }

  async decide(key: string): Promise<Decision> {
    for (;;) {
      const s = this.#state(key);
      const now = this.#now();
      const held = s.held;
      if (held !== undefined && held.left > 0 && now < held.until) {
        held.left--;
        held.lastUsed = now;
        return { kind: 'allow', remaining: held.left + s.shared, resetMs: Math.max(0, s.resetAt - now) };
      }
      if (now < s.deniedUntil)
        return { kind: 'deny', retryAfterMs: s.deniedUntil - now, resetMs: Math.max(0, s.resetAt - now) };
      if (!this.isAvailable()) return { kind: 'unavailable', reason: 'the group has no leader' };
      s.pending ??= this.#acquire(key, s).finally(() => {
        s.pending = undefined;
      });
      const failure = await s.pending;
      if (failure !== undefined) return { kind: 'unavailable', reason: failure };
    }
  }

  async close(): Promise<void> {
    clearInterval(this.#sweep);
    clearInterval(this.#gc);
    // Give every unspent token back before the group closes (briefly: they expire anyway).
    await within(Promise.allSettled(this.#giveBack(true)), Math.min(500, this.#options.commitTimeoutMs));
  }

  #state(key: string): KeyState {
    let s = this.#keys.get(key);
    if (s === undefined) {
      s = { held: undefined, pending: undefined, deniedUntil: 0, shared: 0, resetAt: 0 };
      this.#keys.set(key, s);
    }
    return s;
  }

  /** Borrows a chunk for `key`; resolves with a failure reason, or `undefined` when `s` changed. */
  async #acquire(key: string, s: KeyState): Promise<string | undefined> {
    // The previous lease ends in the same command, so its capacity frees without a commit.
    const previous = s.held;
    s.held = undefined;
    const at = this.#now();
    const end = previous === undefined ? {} : { end: { id: previous.id, n: previous.left } };
    const started = performance.now();
    let index: number | undefined;
    try {
      this.#commits++;
      index = await within(
        this.#group.execute({ t: 'lease', key, n: this.#options.chunk, at, o: this.#origin, ...end }),
        this.#options.commitTimeoutMs,
      );
    } catch (error) {
      return reasonOf(error);
    }
    if (index === undefined) return 'the commit timed out';
    this.#options.onCommit?.((performance.now() - started) / 1000);
    const receipt = this.#machine.receipt(index);
    const now = this.#now();
    if (receipt?.t === 'leased') {
      s.held = {
        id: receipt.id,
        left: receipt.n,
        until: at + this.#options.ttlMs - this.#margin,
        lastUsed: now,
      };
      s.shared = receipt.remaining;
      s.resetAt = now + receipt.resetMs;
      return undefined;
    }
    if (receipt?.t === 'denied') {
      s.deniedUntil = now + Math.min(receipt.retryAfterMs, this.#options.maxDenialCacheMs ?? 1000);
      s.resetAt = now + receipt.resetMs;
      return undefined;
    }
    return 'the outcome of the commit is unknown';
  }

  /**
   * Stops spending `s.held` and ends it: its unspent tokens come back, and a spent lease stops
   * holding capacity before it expires.
   */
  #release(key: string, s: KeyState): Promise<unknown> | undefined {
    const held = s.held;
    s.held = undefined;
    if (held === undefined || this.#now() >= held.until + this.#margin) return undefined;
    this.#commits++;
    // If the return is lost, the tokens come back when the lease expires.
    return this.#group.feed({ t: 'return', key, id: held.id, n: held.left, at: this.#now() }).catch(() => {});
  }

  /** Returns idle and ending leases (all of them with `all`), and forgets settled keys. */
  #giveBack(all: boolean): Promise<unknown>[] {
    const now = this.#now();
    const idle = this.#options.idleReturnMs ?? 250;
    const returns: Promise<unknown>[] = [];
    for (const [key, s] of this.#keys) {
      const held = s.held;
      if (held !== undefined && (all || now >= held.until || now - held.lastUsed >= idle)) {
        const r = this.#release(key, s);
        if (r !== undefined) returns.push(r);
      }
      if (s.held === undefined && s.pending === undefined && now >= s.deniedUntil && now >= s.resetAt)
        this.#keys.delete(key);
    }
    return returns;
  }
}
