/**
 * Reactive status of a group. Every wait takes an optional `signal` and then rejects with
 * `signal.reason` on abort; without one, a wait never resolves once the group is gone.
 */
import type { PeerId, Watch, WatchWaitOptions } from '@mosaik/id';

const withSignal = (signal: AbortSignal | undefined): WatchWaitOptions => (signal ? { signal } : {});

/**
 * This member's cluster lost a merge with another cluster of the group (the longer committed history
 * wins, so two clusters founded apart end as one): it discarded
 * its log and state and re-joined the winner, whose snapshot it installs. Divergence is never silent.
 */
export interface ResetEvent {
  /** What was thrown away: the cluster this member belonged to and its last committed index there. */
  readonly discarded: { readonly cluster: string; readonly committed: number };
  /** The cluster joined instead (the merge's winner). */
  readonly joined: string;
  /** When it happened (local wall clock, ms since the epoch). */
  readonly at: number;
}

/** Waits on a monotone-ish index (committed or log position). */
export class IndexWatcher {
  readonly #watch: Watch<number>;
  constructor(watch: Watch<number>) {
    this.#watch = watch;
  }
  /** The current value. */
  get value(): number {
    return this.#watch.get();
  }
  /** The next change, either direction. */
  changed(options?: WatchWaitOptions): Promise<number> {
    return this.#watch.changed(options);
  }
  /** The first value strictly above the value at call time. */
  advanced(options?: WatchWaitOptions): Promise<number> {
    const at = this.#watch.get();
    return this.#watch.until((v) => v > at, options);
  }
  /** The first value strictly below the value at call time. */
  reverted(): Promise<number> {
    const at = this.#watch.get();
    return this.#watch.until((v) => v < at);
  }
  /** Resolves once the value is at least `index` (or a range's `last`); at once if it already is. */
  reaches(index: number | { readonly last: number }, options?: WatchWaitOptions): Promise<number> {
    const target = typeof index === 'number' ? index : index.last;
    return this.#watch.until((v) => v >= target, options);
  }
}

/** Reactive status of one group member. */
export class When {
  readonly #self: PeerId;
  readonly #leader: Watch<PeerId | undefined>;
  readonly #online: Watch<boolean>;
  readonly #committed: IndexWatcher;
  readonly #log: IndexWatcher;
  readonly #reset: Watch<ResetEvent | undefined>;

  /** @internal */
  constructor(
    self: PeerId,
    leader: Watch<PeerId | undefined>,
    online: Watch<boolean>,
    committed: Watch<number>,
    log: Watch<number>,
    reset: Watch<ResetEvent | undefined>,
  ) {
    this.#self = self;
    this.#reset = reset;
    this.#leader = leader;
    this.#online = online;
    this.#committed = new IndexWatcher(committed);
    this.#log = new IndexWatcher(log);
  }

  /** The leader as soon as one is known (at once if known). */
  async leaderElected(signal?: AbortSignal): Promise<PeerId> {
    return (await this.#leader.until((l) => l !== undefined, withSignal(signal))) as PeerId;
  }

  /** The next known leader that differs from the one at call time (never at once). */
  async leaderChanged(signal?: AbortSignal): Promise<PeerId> {
    const at = this.#leader.get();
    return (await this.#leader.until((l) => l !== undefined && !l.equals(at), withSignal(signal))) as PeerId;
  }

  /** When `peer` leads. */
  async leaderIs(peer: PeerId, signal?: AbortSignal): Promise<void> {
    await this.#leader.until((l) => l?.equals(peer) === true, withSignal(signal));
  }

  /** When this member leads. */
  isLeader(signal?: AbortSignal): Promise<void> {
    return this.leaderIs(this.#self, signal);
  }

  /** When this member does not lead (also while no leader is known). */
  async isFollower(signal?: AbortSignal): Promise<void> {
    await this.#leader.until((l) => l?.equals(this.#self) !== true, withSignal(signal));
  }

  /** When this member is in the configuration, follows a leader and has applied what it knows committed. */
  async online(signal?: AbortSignal): Promise<void> {
    await this.#online.until((v) => v, withSignal(signal));
  }

  /** When this member is not online (at once if it is not). */
  async offline(signal?: AbortSignal): Promise<void> {
    await this.#online.until((v) => !v, withSignal(signal));
  }

  /** The committed-and-applied index. */
  committed(): IndexWatcher {
    return this.#committed;
  }

  /** The last index of the local log. */
  log(): IndexWatcher {
    return this.#log;
  }

  /**
   * The next reset of this member (never at once): its cluster lost a merge and it discarded
   * its state (see {@link ResetEvent}; `Group.lastReset()` tells about one that already happened).
   */
  async reset(signal?: AbortSignal): Promise<ResetEvent> {
    const at = this.#reset.get();
    return (await this.#reset.until((r) => r !== undefined && r !== at, withSignal(signal))) as ResetEvent;
  }
}
