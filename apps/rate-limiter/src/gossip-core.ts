/**
 * The `gossip` mode's bookkeeping, without I/O: each gateway decides alone from a local view of
 * every user's bucket, debited by its own grants at once and by the other gateways' grants when
 * their batches arrive (every flush interval).
 *
 * Bound. A gateway that has not yet published a grant is the only source of overshoot, so each
 * gateway grants at most `share = ⌈burst / N⌉` requests of one user per flush interval (`N`: the
 * gateways heard from in the last second, itself included). When batches arrive within one flush
 * interval, no gateway misses more than two intervals of another's grants, so over any window of
 * length `t` all gateways together grant at most `burst + rate·t + 2·(N−1)·share`. The price:
 * a user hitting one gateway gets at most `share` requests per interval until the others heard.
 */
import {
  type Bucket,
  type BucketConfig,
  checkBucketConfig,
  fullBucket,
  refill,
  take,
  UNITS_PER_TOKEN,
} from './bucket.js';
import type { Decision } from './limiter.js';

/**
 * One gateway's grants per user whose count changed since the previous batch:
 * `[key, total, generation, recent]`. A count starts at 0 with a new generation number (after
 * the user was idle); `next` is the generation the sender will number its next count. A receiver
 * that knows the previous total of that generation debits the difference, so a lost batch is
 * caught up by the next. A generation it has not seen is debited in full when it began after the
 * receiver first heard the sender (every grant of it is new), else only by `recent`, the grants
 * since the previous batch (older ones predate the receiver).
 */
export interface HitBatch {
  readonly node: string;
  readonly next: number;
  readonly entries: readonly (readonly [key: string, total: number, gen: number, recent: number])[];
}

/** Tuning of {@link GossipCore}; times in ms. */
export interface GossipTiming {
  /** Batch period. Default 100. */
  readonly flushMs?: number;
  /** A gateway not heard from this long no longer counts in `N`. Default 1000. */
  readonly peerTtlMs?: number;
  /** A user with a full bucket and no grant for this long is forgotten. Default 60 000. */
  readonly idleMs?: number;
}

interface Local {
  bucket: Bucket;
  /** Grants of this gateway for the key, since `gen` began. */
  own: number;
  gen: number;
  /** Grants since the last flush. */
  unflushed: number;
  changed: boolean;
  lastGrant: number;
}

interface RemoteKey {
  gen: number;
  total: number;
  seen: number;
}

interface Remote {
  seen: number;
  /** The sender's `next` when this gateway first heard it. */
  readonly firstNext: number;
  readonly keys: Map<string, RemoteKey>;
}

/** The local view of the gossip mode. Times are passed in, so it is a pure, testable object. */
export class GossipCore {
  readonly #config: BucketConfig;
  readonly #self: string;
  readonly #flushMs: number;
  readonly #peerTtlMs: number;
  readonly #idleMs: number;
  readonly #local = new Map<string, Local>();
  readonly #remote = new Map<string, Remote>();
  #nextGen = 1;
  #lastFlush = 0;

  constructor(config: BucketConfig, self: string, timing: GossipTiming = {}) {
    this.#config = checkBucketConfig(config);
    this.#self = self;
    this.#flushMs = timing.flushMs ?? 100;
    this.#peerTtlMs = timing.peerTtlMs ?? 1000;
    this.#idleMs = timing.idleMs ?? 60_000;
  }

  /** The gateways currently counted, this one included. */
  gateways(now: number): number {
    let n = 1;
    for (const r of this.#remote.values()) if (now - r.seen <= this.#peerTtlMs) n++;
    return n;
  }

  /** The most grants per user and flush interval this gateway allows itself now. */
  share(now: number): number {
    return Math.ceil(this.#config.burst / this.gateways(now));
  }

  /** Decides one request of `key` at `now`. */
  decide(key: string, now: number): Decision {
    const e = this.#entry(key, now);
    if (e.own > 0 && now - e.lastGrant >= this.#idleMs) {
      // Start a new count: the others may have forgotten the old one by now.
      e.gen = this.#nextGen++;
      e.own = 0;
    }
    const r = take(e.bucket, 1, now, this.#config);
    e.bucket = r.bucket;
    if (!r.granted) return { kind: 'deny', retryAfterMs: r.retryAfterMs, resetMs: r.resetMs };
    if (e.unflushed >= this.share(now)) {
      // Tokens exist, but the others have not heard of this gateway's latest grants yet.
      e.bucket = { units: e.bucket.units + UNITS_PER_TOKEN, updatedMs: e.bucket.updatedMs };
      return {
        kind: 'deny',
        retryAfterMs: Math.max(1, this.#lastFlush + this.#flushMs - now),
        resetMs: r.resetMs,
      };
    }
    e.own++;
    e.unflushed++;
    e.changed = true;
    e.lastGrant = now;
    return { kind: 'allow', remaining: r.remaining, resetMs: r.resetMs };
  }

  /** The batch to publish now: totals of the users granted since the last flush. */
  flush(now: number): HitBatch {
    this.#lastFlush = now;
    const entries: [string, number, number, number][] = [];
    for (const [key, e] of this.#local) {
      if (e.changed) entries.push([key, e.own, e.gen, e.unflushed]);
      e.unflushed = 0;
      e.changed = false;
    }
    return { node: this.#self, next: this.#nextGen, entries };
  }

  /** Applies another gateway's batch: debits what it granted since its previous total. */
  receive(batch: HitBatch, now: number): void {
    if (batch.node === this.#self) return;
    let remote = this.#remote.get(batch.node);
    if (remote === undefined) {
      remote = { seen: now, firstNext: batch.next, keys: new Map() };
      this.#remote.set(batch.node, remote);
    }
    remote.seen = now;
    for (const [key, total, gen, recent] of batch.entries) {
      const known = remote.keys.get(key);
      const same = known !== undefined && known.gen === gen;
      const delta = same ? total - known.total : gen >= remote.firstNext ? total : Math.min(recent, total);
      if (same && delta <= 0) continue; // stale or repeated
      remote.keys.set(key, { gen, total, seen: now });
      const e = this.#entry(key, now);
      // Refill first: a debit applied to the bucket as it was would vanish under the cap.
      e.bucket = refill(e.bucket, now, this.#config);
      // May go below zero: those grants happened, and refills have to pay for them.
      e.bucket = { units: e.bucket.units - delta * UNITS_PER_TOKEN, updatedMs: e.bucket.updatedMs };
    }
  }

  /** Forgets idle users with full buckets and gateways silent for long. */
  sweep(now: number): void {
    for (const [key, e] of this.#local) {
      if (now - e.lastGrant < this.#idleMs || e.changed) continue;
      if (refill(e.bucket, now, this.#config).units >= this.#config.burst * UNITS_PER_TOKEN)
        this.#local.delete(key);
    }
    // Remote totals outlive the sender's own forgetting, so a total is never debited twice.
    for (const [node, r] of this.#remote) {
      for (const [key, k] of r.keys) if (now - k.seen > 2 * this.#idleMs) r.keys.delete(key);
      if (r.keys.size === 0 && now - r.seen > 2 * this.#idleMs) this.#remote.delete(node);
    }
  }

  /** Users currently tracked. */
  get size(): number {
    return this.#local.size;
  }

  #entry(key: string, now: number): Local {
    let e = this.#local.get(key);
    if (e === undefined) {
      e = {
        bucket: fullBucket(this.#config, now),
        own: 0,
        gen: this.#nextGen++,
        unflushed: 0,
        changed: false,
        lastGrant: now,
      };
      this.#local.set(key, e);
    }
    return e;
  }
}
