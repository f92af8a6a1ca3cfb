import type { Snapshot } from '../types.js';

/**
 * A sliding window of in-flight AppendEntries (their last index and byte size), for flow control:
 * the leader stops sending to a follower once `maxMsgs` messages or `maxBytes` bytes are unacked.
 */
export class Inflights {
  #idx: number[] = [];
  #bytes: number[] = [];
  #head = 0;
  #total = 0;
  constructor(
    readonly maxMsgs: number,
    readonly maxBytes: number,
  ) {}

  get count(): number {
    return this.#idx.length - this.#head;
  }

  add(index: number, bytes: number): void {
    this.#idx.push(index);
    this.#bytes.push(bytes);
    this.#total += bytes;
  }

  /** Frees every message whose last index is `<= index`. */
  freeLE(index: number): void {
    while (this.#head < this.#idx.length && this.#idx[this.#head]! <= index) {
      this.#total -= this.#bytes[this.#head]!;
      this.#head++;
    }
    this.#compactIfSparse();
  }

  freeFirst(): void {
    if (this.#head < this.#idx.length) {
      this.#total -= this.#bytes[this.#head]!;
      this.#head++;
      this.#compactIfSparse();
    }
  }

  full(): boolean {
    return this.count >= this.maxMsgs || this.#total >= this.maxBytes;
  }

  reset(): void {
    this.#idx = [];
    this.#bytes = [];
    this.#head = 0;
    this.#total = 0;
  }

  #compactIfSparse(): void {
    if (this.#head === this.#idx.length) {
      this.reset();
    } else if (this.#head > 1024 && this.#head * 2 > this.#idx.length) {
      this.#idx = this.#idx.slice(this.#head);
      this.#bytes = this.#bytes.slice(this.#head);
      this.#head = 0;
    }
  }
}

/** How the leader currently replicates to one follower. */
export type ProgressState = 'probe' | 'replicate' | 'snapshot';

/** An InstallSnapshot transfer in progress: the snapshot and the bytes the follower confirmed. */
export interface SnapshotTransfer {
  readonly snapshot: Snapshot;
  acked: number;
  /** Bytes sent so far (from `acked` on, a few chunks are in flight at once). */
  sent: number;
  /** `acked` at the previous heartbeat response, to detect a stalled transfer. */
  ackedAtHeartbeat: number;
  /** Heartbeat responses in a row that came with no progress. */
  stalledRounds: number;
  /** This transfer replaced an older one for a newer snapshot (which happens once at most). */
  readonly renewed: boolean;
}

/** The leader's view of one follower (Raft's nextIndex/matchIndex plus flow control). */
export class Progress {
  match = 0;
  next: number;
  state: ProgressState = 'probe';
  /** In probe state: a message was sent and we wait for its answer (or a heartbeat response). */
  probeSent = false;
  /** In snapshot state: the index of the snapshot being sent. */
  pendingSnapshot = 0;
  transfer: SnapshotTransfer | undefined;
  /** Heard from this follower since the last CheckQuorum round. */
  recentActive = false;
  /** The newest heartbeat round this follower answered (for the read lease). */
  ackedRound = -1;
  /** The commit index the last AppendEntries to this follower carried. */
  commitSent = 0;
  /** The leader's tick (`RaftNode`'s clock) when it last sent this follower an AppendEntries. */
  appendSentAt = Number.NEGATIVE_INFINITY;
  /** The leader's tick when it last sent this follower a heartbeat. */
  heartbeatSentAt = Number.NEGATIVE_INFINITY;
  /**
   * The order in which the leader started tracking this follower. A paced learner is served on
   * the ticks where `(tick + order) % heartbeatTick === 0` (consecutive orders spread a crowd of
   * learners evenly over a heartbeat period), and the learners spread over relays by it too.
   */
  order = 0;
  /** A paced learner's `match` at its previous slot: whether its acknowledgements stalled. */
  matchAtSlot = 0;
  /** A paced learner's slots in a row with appends in flight and no acknowledgement. */
  stalledSlots = 0;
  /** The leader's tick when this follower last answered. */
  heardAt = Number.NEGATIVE_INFINITY;
  isLearner: boolean;
  readonly inflights: Inflights;

  constructor(next: number, isLearner: boolean, maxMsgs: number, maxBytes: number) {
    this.next = next;
    this.isLearner = isLearner;
    this.inflights = new Inflights(maxMsgs, maxBytes);
  }

  becomeProbe(): void {
    if (this.state === 'snapshot') {
      this.next = Math.max(this.match + 1, this.pendingSnapshot + 1);
    } else {
      this.next = this.match + 1;
    }
    this.#reset('probe');
  }

  becomeReplicate(): void {
    this.next = this.match + 1;
    this.#reset('replicate');
  }

  becomeSnapshot(snapshot: Snapshot, renewed = false): void {
    this.#reset('snapshot');
    this.pendingSnapshot = snapshot.meta.index;
    this.transfer = { snapshot, acked: 0, sent: 0, ackedAtHeartbeat: 0, stalledRounds: 0, renewed };
  }

  #reset(state: ProgressState): void {
    this.state = state;
    this.probeSent = false;
    this.pendingSnapshot = 0;
    this.transfer = undefined;
    this.inflights.reset();
  }

  /**
   * The follower's log ends at `last`, before entries it acknowledged: it lost its storage and
   * came back under the same id. Nothing it acknowledged counts any more (a lower match only
   * delays commits); probing starts again after `last`.
   */
  forgetTo(last: number): void {
    this.match = 0;
    this.#reset('probe');
    this.next = last + 1;
  }

  /** A successful append response up to `n`. Returns false if it told us nothing new. */
  maybeUpdate(n: number): boolean {
    let updated = false;
    if (this.match < n) {
      this.match = n;
      updated = true;
      this.probeSent = false;
    }
    this.next = Math.max(this.next, n + 1);
    return updated;
  }

  /**
   * A rejection of the probe at `rejected`; `hint` is where the follower suggests to continue.
   * Returns false for a stale rejection (already superseded).
   */
  maybeDecrTo(rejected: number, hint: number): boolean {
    if (this.state === 'replicate') {
      if (rejected <= this.match) return false;
      this.next = this.match + 1;
      return true;
    }
    if (this.next - 1 !== rejected) return false;
    this.next = Math.max(Math.min(rejected, hint + 1), this.match + 1);
    this.probeSent = false;
    return true;
  }

  /** Whether the leader must hold back new appends to this follower. */
  isPaused(): boolean {
    switch (this.state) {
      case 'probe':
        return this.probeSent;
      case 'replicate':
        return this.inflights.full();
      case 'snapshot':
        return true;
    }
  }
}
