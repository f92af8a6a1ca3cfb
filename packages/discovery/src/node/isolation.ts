/**
 * When a node must keep re-syncing on its own: before its first catalog sync, and again after it
 * lost every gossip neighbour, until a sync completes. Pure (no clock, no timers), so the policy
 * is tested without a network.
 *
 * Why both cases: a node whose first syncs were lost (a starved seed) knows at most what gossip
 * happened to bring. A node that later loses every neighbour (its neighbours died together, or it
 * was starved long enough for all of them to drop it) stops hearing heartbeats: its catalog ages
 * out and the others purge it. Joining a neighbour again is not enough there, because a
 * neighbour that comes back is not synced with a second time, so nothing would re-fill what was
 * purged in between except heartbeats trickling in one announce interval after another.
 */
export class IsolationPolicy {
  readonly #minMs: number;
  readonly #maxMs: number;
  #synced = false;
  /** Whether a retry loop is running (the worker starts one at creation). */
  #looping = true;
  #delayMs: number;

  /** Retry rounds back off from `minMs`, doubling, up to `maxMs`. */
  constructor(minMs: number, maxMs: number) {
    if (!(minMs > 0) || !(maxMs >= minMs)) throw new RangeError(`bad backoff bounds ${minMs}..${maxMs}`);
    this.#minMs = minMs;
    this.#maxMs = maxMs;
    this.#delayMs = minMs;
  }

  /** Whether the node is isolated: retry rounds must go on. */
  get isolated(): boolean {
    return !this.#synced;
  }

  /** A catalog sync completed (either direction): the node is connected again. */
  synced(): void {
    this.#synced = true;
    this.#delayMs = this.#minMs;
  }

  /**
   * The neighbour count changed. Returns `true` when the node just became isolated again (it had
   * synced, and has no neighbour left) and no retry loop runs: the caller must start one. While a
   * loop runs (never synced yet, isolated since, or a loop whose next round has not come yet),
   * this returns `false`, so there is never more than one loop.
   */
  neighbours(count: number): boolean {
    if (count > 0 || !this.#synced) return false;
    this.#synced = false;
    this.#delayMs = this.#minMs;
    if (this.#looping) return false;
    this.#looping = true;
    return true;
  }

  /** A retry round is due: `true` to run it (and schedule the next), `false` when the loop ends. */
  round(): boolean {
    if (this.#synced) this.#looping = false;
    return this.#looping;
  }

  /** The wait before the next retry round: the backoff, jittered by `random()` ∈ [0, 1) to ±50 %. */
  nextDelay(random: number): number {
    const base = this.#delayMs;
    this.#delayMs = Math.min(this.#maxMs, this.#delayMs * 2);
    return base * (0.5 + random);
  }
}
