/**
 * How far behind this process runs, and how much slack that earns the peers it judges (pure: time
 * is passed in).
 *
 * Discovery purges a peer whose heartbeat is older than `purgeAfter`, pings it first, and drops a
 * gossip neighbour that went silent. All three judge other peers by when their messages arrive
 * here. When our own process is starved of CPU, messages wait in its queues, heartbeats of live
 * peers arrive late or bunched, and the peers look dead. Purging and pinging them then costs
 * handshakes and catalog syncs, the extra work delays the next heartbeats further, and a busy
 * host slides into a state where it keeps forgetting and re-learning live peers (measured: a
 * 30-node swarm in one process stayed there for over 20 s after a CPU hog stopped).
 *
 * So, as Lifeguard does for SWIM's failure detector, a node that sees itself running late holds
 * others to a looser deadline: each judgement gets a grace of a few times the worst lateness of
 * our own timers over the last window. A healthy process is a few ms late at most, which changes
 * nothing; dead peers of a starved node are purged later, and never more than `purgeAfter` later.
 */

/** A heartbeat crosses several hops, each of which may wait about as long as our own timers do. */
export const LAG_GRACE_FACTOR = 4;

/**
 * The worst timer lateness over a sliding window, kept in two buckets of half a window each, so
 * a late timer counts for between half and all of the window.
 */
export class LocalLag {
  readonly #halfMs: number;
  /** Index of the current bucket (time divided by half the window). */
  #bucket = Number.NEGATIVE_INFINITY;
  #currentWorst = 0;
  #previousWorst = 0;

  /** @param windowMs how long a late timer is remembered, at most. */
  constructor(windowMs: number) {
    this.#halfMs = Math.max(1, windowMs / 2);
  }

  /** A timer due at `now - latenessMs` fired at `now`. */
  observe(now: number, latenessMs: number): void {
    this.#rotate(now);
    if (latenessMs > this.#currentWorst) this.#currentWorst = latenessMs;
  }

  /** The worst lateness seen in the last window, ms (0 when none). */
  worst(now: number): number {
    this.#rotate(now);
    return Math.max(this.#currentWorst, this.#previousWorst);
  }

  /**
   * Extra time granted to a peer judged at `now` against a `deadlineMs` (purge horizon, silence
   * limit): {@link LAG_GRACE_FACTOR} times the worst lateness, at most the deadline itself.
   */
  graceMs(now: number, deadlineMs: number): number {
    return Math.min(deadlineMs, LAG_GRACE_FACTOR * this.worst(now));
  }

  #rotate(now: number): void {
    const bucket = Math.floor(now / this.#halfMs);
    if (bucket <= this.#bucket) return;
    // The next bucket: the current one becomes the previous one. Any later: both are too old.
    this.#previousWorst = bucket === this.#bucket + 1 ? this.#currentWorst : 0;
    this.#currentWorst = 0;
    this.#bucket = bucket;
  }
}
