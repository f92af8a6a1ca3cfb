/**
 * Channel conditions: "at least n connected channels whose peer matches these
 * predicates", awaitable on every not-met → met edge. Re-evaluated on every channel set change,
 * membership and per-channel state alike.
 */
import type { PeerEntry } from '@mosaik/discovery';
import { Condition, type Digest, id, Watch } from '@mosaik/id';
import type { ChannelInfo } from './channel.js';

/** The live set of channels of one producer sink or one consumer. */
export class ChannelSet {
  readonly #channels = new Map<string, ChannelInfo>();
  readonly #listeners = new Set<() => void>();
  #closed = false;

  /** Current channels (any state). */
  values(): ChannelInfo[] {
    return [...this.#channels.values()];
  }

  get size(): number {
    return this.#channels.size;
  }

  get(key: string): ChannelInfo | undefined {
    return this.#channels.get(key);
  }

  has(key: string): boolean {
    return this.#channels.has(key);
  }

  /** Connected channels. */
  connectedCount(): number {
    let n = 0;
    for (const c of this.#channels.values()) if (c.isConnected) n++;
    return n;
  }

  /** @internal */
  add(key: string, channel: ChannelInfo): void {
    this.#channels.set(key, channel);
    this.changed();
  }

  /** @internal */
  delete(key: string): ChannelInfo | undefined {
    const c = this.#channels.get(key);
    if (c === undefined) return undefined;
    this.#channels.delete(key);
    this.changed();
    return c;
  }

  /** @internal Membership or a channel's state changed. */
  changed(): void {
    for (const l of [...this.#listeners]) l();
  }

  /** @internal */
  subscribe(listener: () => void): () => void {
    if (this.#closed) return () => {};
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** @internal Drops every listener (the owner closed). */
  close(): void {
    this.#closed = true;
    this.#listeners.clear();
  }
}

/** Options of {@link When.subscribed}. */
export interface SubscribedOptions {
  /** Minimum number of connected channels (default 1). */
  readonly atLeast?: number;
  /** Every channel counted must carry all of these tags (strings go through the id rule). */
  readonly withTags?: readonly (Digest | string)[];
  /** Every channel counted must satisfy this predicate on the remote entry. */
  readonly where?: (peer: PeerEntry) => boolean;
}

type Predicate = (peer: PeerEntry) => boolean;

/**
 * `count(connected channels matching every predicate) >= min`, optionally inverted. Builders
 * return new conditions. `wait()` resolves on the next not-met → met edge (at once when met and
 * not yet reported); a fresh condition or a {@link clone} starts un-reported.
 *
 * A condition is awaitable as written: `await producer.when.subscribed({ atLeast: 2 })` is
 * `wait()` with no signal. Pass a signal through the explicit form,
 * `await when.subscribed().wait(AbortSignal.timeout(5_000))`. Being a thenable, a condition
 * returned from an `async` function is awaited there: refine conditions synchronously.
 */
export class ChannelConditions extends Condition<void> {
  /** Whether the condition held when last looked at (by a poll or a change event). */
  #lastMet = false;
  /** A not-met → met edge was seen and not yet reported (kept even if the condition went away). */
  #unreported = false;
  #tracking: (() => void) | undefined;
  readonly #waiters = new Set<() => void>();

  /** @internal */
  constructor(
    private readonly channels: ChannelSet,
    /** Minimum count of matching connected channels. */
    readonly min: number = 1,
    private readonly predicates: readonly Predicate[] = [],
    /** When true the condition is met when the count is *below* `min`. */
    readonly inverted: boolean = false,
  ) {
    super();
  }

  /** Replaces the minimum. */
  minimumOf(n: number): ChannelConditions {
    if (!Number.isInteger(n) || n < 0) throw new RangeError('minimumOf needs a non-negative integer');
    return new ChannelConditions(this.channels, n, this.predicates, this.inverted);
  }

  /** Counts only channels whose peer carries all of `tags`. */
  withTags(...tags: (Digest | string | readonly (Digest | string)[])[]): ChannelConditions {
    const wanted = tags.flat().map((t) => (typeof t === 'string' ? id(t) : t));
    return this.withPredicate((peer) => wanted.every((t) => peer.hasTag(t)));
  }

  /** Counts only channels whose peer satisfies `predicate` (ANDed with the others). */
  withPredicate(predicate: (peer: PeerEntry) => boolean): ChannelConditions {
    return new ChannelConditions(this.channels, this.min, [...this.predicates, predicate], this.inverted);
  }

  /** The inverse condition (met while the count is below the minimum). Not a toggle. */
  unmet(): ChannelConditions {
    return new ChannelConditions(this.channels, this.min, this.predicates, true);
  }

  /** Same condition, not yet reported as met. */
  clone(): ChannelConditions {
    return new ChannelConditions(this.channels, this.min, this.predicates, this.inverted);
  }

  /** Matching connected channels right now. */
  count(): number {
    let n = 0;
    for (const c of this.channels.values()) {
      if (!c.isConnected) continue;
      if (this.predicates.every((p) => safe(p, c.peer))) n++;
    }
    return n;
  }

  /** Whether the condition holds right now. */
  isConditionMet(): boolean {
    return this.count() >= this.min !== this.inverted;
  }

  /**
   * One synchronous poll: `true` (and the edge is consumed) when the condition became met since
   * the last report, even if it no longer holds; otherwise `false`. The first poll reports a
   * condition that holds already.
   */
  poll(): boolean {
    this.#track();
    this.#observe();
    if (!this.#unreported) return false;
    this.#unreported = false;
    return true;
  }

  /** Looks at the condition now and latches a not-met → met edge. */
  #observe(): void {
    const met = this.isConditionMet();
    if (met && !this.#lastMet) this.#unreported = true;
    this.#lastMet = met;
  }

  /**
   * Resolves on the next not-met → met edge, at once if one happened since the last report (even
   * if the condition no longer holds: a spell that began and ended before the wait still counts).
   * Rejects with `signal.reason` when `signal` aborts.
   */
  wait(signal?: AbortSignal): Promise<void> {
    if (this.poll()) return Promise.resolve();
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<void>((resolve, reject) => {
      const done = () => {
        this.#waiters.delete(done);
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = () => {
        this.#waiters.delete(done);
        reject(signal?.reason);
      };
      this.#waiters.add(done);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /**
   * Edges are tracked from change events once the condition was first polled, so a spell between
   * two waits (or between a poll and a wait) is never missed. The listener lives as long as the
   * channel set.
   */
  #track(): void {
    this.#tracking ??= this.channels.subscribe(() => {
      this.#observe();
      if (this.#unreported && this.#waiters.size > 0) {
        this.#unreported = false;
        for (const w of [...this.#waiters]) w();
      }
    });
  }
}

function safe(p: Predicate, peer: PeerEntry): boolean {
  try {
    return p(peer);
  } catch {
    return false;
  }
}

/** How a side decides it is online, given `when().subscribed()`. */
export type OnlineWhen = (subscribed: ChannelConditions) => ChannelConditions;

/** Status of one producer sink or consumer: the online flag and channel conditions. */
export class When {
  /** @internal */
  constructor(
    private readonly flag: Watch<boolean>,
    private readonly channels: ChannelSet,
  ) {}

  /** Whether the `onlineWhen` condition holds. */
  get isOnline(): boolean {
    return this.flag.get();
  }

  /** Resolves once online (at once if already). */
  async online(signal?: AbortSignal): Promise<void> {
    await this.flag.until((v) => v, signal ? { signal } : {});
  }

  /** Resolves once offline (at once if already). */
  async offline(signal?: AbortSignal): Promise<void> {
    await this.flag.until((v) => !v, signal ? { signal } : {});
  }

  /** At least `atLeast` (default 1) connected channels, optionally filtered by tags / a predicate. */
  subscribed(options: SubscribedOptions = {}): ChannelConditions {
    let c = new ChannelConditions(this.channels, options.atLeast ?? 1);
    if (options.withTags && options.withTags.length > 0) c = c.withTags(options.withTags);
    if (options.where) c = c.withPredicate(options.where);
    return c;
  }

  /** No connected channel at all. */
  unsubscribed(): ChannelConditions {
    return this.subscribed().unmet();
  }
}

/** The online flag of a side: recomputed from its `onlineWhen` condition on every change. */
export function onlineFlag(
  channels: ChannelSet,
  onlineWhen: OnlineWhen,
): { flag: Watch<boolean>; when: When } {
  const flag = new Watch<boolean>(false, { equals: (a, b) => a === b });
  const when = new When(flag, channels);
  const condition = onlineWhen(when.subscribed());
  flag.set(condition.isConditionMet());
  channels.subscribe(() => flag.set(condition.isConditionMet()));
  return { flag, when };
}
