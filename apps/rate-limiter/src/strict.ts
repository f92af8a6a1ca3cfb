/**
 * The `strict` mode: every request is one `take` command through the group's log. Exact global
 * limit; each decision costs a commit (a round trip to the leader and a quorum).
 */
import type { Group } from 'mosaik';
import { type Decision, type Limiter, type LimiterHooks, reasonOf, within } from './limiter.js';
import type { BucketView, BudgetCommand, BudgetMachine, BudgetQuery } from './machine.js';

/** The group of the budget machine. */
export type BudgetGroup = Group<BudgetCommand, BudgetQuery, BucketView | number | null>;

/** Options of {@link StrictLimiter}. */
export interface StrictOptions extends LimiterHooks {
  /** Give up on a commit after this long and answer `unavailable` (the token may still be spent). */
  readonly commitTimeoutMs: number;
  /** How often the leader drops full buckets. */
  readonly gcIntervalMs?: number;
  /** The gateway clock stamped into commands (default `Date.now`). */
  readonly now?: () => number;
}

/** Forgets full buckets every so often, from whichever gateway leads. */
export function startGc(group: BudgetGroup, intervalMs: number, now: () => number): NodeJS.Timeout {
  return setInterval(() => {
    if (group.isLeader()) group.feed({ t: 'gc', at: now() }).catch(() => {});
  }, intervalMs).unref();
}

/**
 * Whether commands can reach a leader now: one is known, and it is this member or bonded to it.
 * (A follower cut off from everyone may still remember a leader: Raft's pre-vote keeps it from
 * disturbing the cluster, so it never learns the leader is gone.)
 */
export function leaderReachable(group: BudgetGroup): boolean {
  const leader = group.leader();
  if (leader === undefined || group.isClosed) return false;
  return group.isLeader() || group.bonds().has(leader);
}

/** Strict mode over a joined budget group. */
export class StrictLimiter implements Limiter {
  readonly mode = 'strict' as const;
  readonly #group: BudgetGroup;
  readonly #machine: BudgetMachine;
  readonly #origin: string;
  readonly #options: StrictOptions;
  readonly #now: () => number;
  readonly #gc: NodeJS.Timeout;

  /** @param origin - this gateway's tag, the one `machine` keeps receipts for */
  constructor(group: BudgetGroup, machine: BudgetMachine, origin: string, options: StrictOptions) {
    this.#group = group;
    this.#machine = machine;
    this.#origin = origin;
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#gc = startGc(group, options.gcIntervalMs ?? 30_000, this.#now);
  }

  isAvailable(): boolean {
    return leaderReachable(this.#group);
  }

  async decide(key: string): Promise<Decision> {
    if (!this.isAvailable()) return { kind: 'unavailable', reason: 'the group has no leader' };
    const started = performance.now();
    let index: number | undefined;
    try {
      index = await within(
        this.#group.execute({ t: 'take', key, at: this.#now(), o: this.#origin }),
        this.#options.commitTimeoutMs,
      );
    } catch (error) {
      return { kind: 'unavailable', reason: reasonOf(error) };
    }
    if (index === undefined) return { kind: 'unavailable', reason: 'the commit timed out' };
    this.#options.onCommit?.((performance.now() - started) / 1000);
    const receipt = this.#machine.receipt(index);
    if (receipt?.t === 'granted')
      return { kind: 'allow', remaining: receipt.remaining, resetMs: receipt.resetMs };
    if (receipt?.t === 'denied')
      return { kind: 'deny', retryAfterMs: receipt.retryAfterMs, resetMs: receipt.resetMs };
    // The entry arrived inside a snapshot, so its outcome is unknown here: fail like an outage.
    return { kind: 'unavailable', reason: 'the outcome of the commit is unknown' };
  }

  async close(): Promise<void> {
    clearInterval(this.#gc);
  }
}
