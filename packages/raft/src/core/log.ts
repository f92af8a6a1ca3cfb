import { RaftInvariantError } from '../errors.js';
import { limitSize, type Storage } from '../storage/storage.js';
import type { Entry, SnapshotMeta } from '../types.js';

/**
 * The node's view of its log: what storage holds, plus what the core has accepted but the caller
 * has not persisted yet (the "unstable" tail, and possibly a snapshot to install).
 *
 * Unstable entries start at `#offset` and shadow storage from there on: after a truncation the
 * storage may still hold the old suffix until the caller persists the new one.
 */
export class RaftLog {
  readonly storage: Storage;
  #unstableSnap: SnapshotMeta | undefined;
  #unstable: Entry[] = [];
  #offset: number;
  /** Highest index known committed. */
  committed: number;
  /** Highest index handed to the caller for application. */
  applied: number;

  constructor(storage: Storage, applied: number) {
    this.storage = storage;
    this.#offset = storage.lastIndex() + 1;
    this.committed = storage.hardState().commit;
    const first = storage.firstIndex();
    // A snapshot (and the compacted log behind it) holds only committed entries, but after a
    // crash the hard state saying so may not have been written: the snapshot file goes first.
    const covered = Math.max(first - 1, storage.snapshot().meta.index);
    if (this.committed < covered) this.committed = covered;
    this.applied = Math.max(applied, first - 1);
    if (this.applied > this.committed) throw new RaftInvariantError('applied index is past commit');
  }

  firstIndex(): number {
    return this.#unstableSnap !== undefined ? this.#unstableSnap.index + 1 : this.storage.firstIndex();
  }

  lastIndex(): number {
    if (this.#unstable.length > 0) return this.#offset + this.#unstable.length - 1;
    if (this.#unstableSnap !== undefined) return this.#unstableSnap.index;
    return this.storage.lastIndex();
  }

  lastTerm(): number {
    return this.term(this.lastIndex()) ?? 0;
  }

  /** Term of entry `i`, or `undefined` if compacted or beyond the end. */
  term(i: number): number | undefined {
    const dummy = this.firstIndex() - 1;
    if (i < dummy || i > this.lastIndex()) return undefined;
    if (this.#unstable.length > 0 && i >= this.#offset) return this.#unstable[i - this.#offset]!.term;
    if (this.#unstableSnap !== undefined) {
      // Everything below the unstable snapshot is gone from our view of the log.
      return i === this.#unstableSnap.index ? this.#unstableSnap.term : undefined;
    }
    return this.storage.term(i);
  }

  matchTerm(i: number, term: number): boolean {
    return this.term(i) === term;
  }

  /** Entries in `[lo, hi)`, limited by `maxBytes`; the caller checks `lo >= firstIndex()`. */
  slice(lo: number, hi: number, maxBytes?: number): Entry[] {
    if (lo >= hi) return [];
    let out: Entry[] = [];
    if (lo < this.#offset) {
      out = this.storage.entries(lo, Math.min(hi, this.#offset), maxBytes);
      if (out.length < Math.min(hi, this.#offset) - lo) return out; // size-limited
    }
    if (hi > this.#offset) {
      const from = Math.max(lo, this.#offset) - this.#offset;
      const un = this.#unstable.slice(from, hi - this.#offset);
      out = out.length === 0 ? un : out.concat(un);
    }
    return limitSize(out, maxBytes);
  }

  /** True if a log ending at (`index`, `term`) is at least as up to date as ours (Raft §5.4.1). */
  isUpToDate(index: number, term: number): boolean {
    const lt = this.lastTerm();
    return term > lt || (term === lt && index >= this.lastIndex());
  }

  /**
   * The index of the first entry in `entries` that is not already in the log with the same term,
   * or 0 if all are present.
   */
  findConflict(entries: readonly Entry[]): number {
    for (const e of entries) {
      if (!this.matchTerm(e.index, e.term)) return e.index;
    }
    return 0;
  }

  /**
   * The largest index `<= index` whose term is `<= term` (or the lowest index we can still see).
   * Lets a leader and follower skip a whole divergent term per round trip.
   */
  findConflictByTerm(index: number, term: number): number {
    let i = Math.min(index, this.lastIndex());
    for (; i > 0; i--) {
      const t = this.term(i);
      if (t === undefined || t <= term) return i;
    }
    return 0;
  }

  /**
   * Appends the entries of an AppendEntries after (`index`, `logTerm`) if the log matches there.
   * Returns the index of the last new entry, or -1 on mismatch. Returns also the truncation point
   * (first index replaced), 0 if nothing was truncated or appended.
   */
  maybeAppend(
    index: number,
    logTerm: number,
    commit: number,
    entries: readonly Entry[],
  ): { last: number; from: number } {
    if (!this.matchTerm(index, logTerm)) return { last: -1, from: 0 };
    const last = index + entries.length;
    const ci = this.findConflict(entries);
    if (ci !== 0) {
      if (ci <= this.committed) {
        throw new RaftInvariantError(`conflict at ${ci} is at or below commit ${this.committed}`);
      }
      this.append(entries.slice(ci - index - 1));
    }
    this.commitTo(Math.min(commit, last));
    return { last, from: ci };
  }

  /** Appends entries (truncating from `entries[0].index`); returns the new last index. */
  append(entries: readonly Entry[]): number {
    if (entries.length === 0) return this.lastIndex();
    const after = entries[0]!.index;
    if (after - 1 < this.committed) {
      throw new RaftInvariantError(`append at ${after} would overwrite committed ${this.committed}`);
    }
    const end = this.#offset + this.#unstable.length;
    if (after === end) {
      for (const e of entries) this.#unstable.push(e);
    } else if (after <= this.#offset) {
      // Replaces all unstable entries, and (once persisted) part of storage.
      this.#offset = after;
      this.#unstable = entries.slice();
    } else {
      this.#unstable = this.#unstable.slice(0, after - this.#offset).concat(entries);
    }
    return this.lastIndex();
  }

  commitTo(index: number): boolean {
    if (index <= this.committed) return false;
    if (index > this.lastIndex()) {
      throw new RaftInvariantError(`commit ${index} is past the last index ${this.lastIndex()}`);
    }
    this.committed = index;
    return true;
  }

  /** Replaces the log with a snapshot (to be installed and persisted by the caller). */
  restore(meta: SnapshotMeta): void {
    this.committed = meta.index;
    this.#unstableSnap = meta;
    this.#unstable = [];
    this.#offset = meta.index + 1;
  }

  unstableEntries(): readonly Entry[] {
    return this.#unstable;
  }

  unstableSnapshot(): SnapshotMeta | undefined {
    return this.#unstableSnap;
  }

  /** The caller persisted entries up to (`index`, `term`). */
  stableTo(index: number, term: number): void {
    if (index < this.#offset) return;
    const pos = index - this.#offset;
    // A stale acknowledgement (the entry was truncated and replaced since) changes nothing.
    if (pos >= this.#unstable.length || this.#unstable[pos]!.term !== term) return;
    this.#unstable = this.#unstable.slice(pos + 1);
    this.#offset = index + 1;
  }

  stableSnapTo(index: number): void {
    if (this.#unstableSnap !== undefined && this.#unstableSnap.index === index) {
      this.#unstableSnap = undefined;
    }
  }

  hasNextCommitted(): boolean {
    return this.committed > this.applied && this.applied + 1 >= this.firstIndex();
  }

  /** Committed entries not yet handed out, limited by `maxBytes`. */
  nextCommitted(maxBytes: number): Entry[] {
    if (!this.hasNextCommitted()) return [];
    return this.slice(this.applied + 1, this.committed + 1, maxBytes);
  }

  appliedTo(index: number): void {
    if (index > this.committed)
      throw new RaftInvariantError(`applied ${index} is past commit ${this.committed}`);
    if (index > this.applied) this.applied = index;
  }
}
