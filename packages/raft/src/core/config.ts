import type { ConfState, Entry, NodeId } from '../types.js';
import { EntryType } from '../types.js';

/**
 * Tracks the configuration in force, which is always the latest configuration entry in the log,
 * committed or not (Raft thesis §4.1). Because a follower may truncate an uncommitted
 * configuration entry, the tracker remembers every configuration entry after the snapshot so
 * it can roll back.
 */
export class ConfTracker {
  #base: ConfState;
  #baseIndex: number;
  #records: { index: number; conf: ConfState }[] = [];

  constructor(base: ConfState, baseIndex: number) {
    this.#base = base;
    this.#baseIndex = baseIndex;
  }

  current(): ConfState {
    return this.#records.length > 0 ? this.#records[this.#records.length - 1]!.conf : this.#base;
  }

  /** Index of the entry that set the current configuration (the snapshot index for the base). */
  currentIndex(): number {
    return this.#records.length > 0 ? this.#records[this.#records.length - 1]!.index : this.#baseIndex;
  }

  /** Entries starting at `entries[0].index` replace everything from there on. */
  onAppend(entries: readonly Entry[]): void {
    if (entries.length === 0) return;
    const from = entries[0]!.index;
    while (this.#records.length > 0 && this.#records[this.#records.length - 1]!.index >= from) {
      this.#records.pop();
    }
    for (const e of entries) {
      if (e.type === EntryType.Conf && e.conf !== undefined)
        this.#records.push({ index: e.index, conf: e.conf });
    }
  }

  /** The log was replaced by a snapshot. */
  restore(conf: ConfState, index: number): void {
    this.#base = conf;
    this.#baseIndex = index;
    this.#records = [];
  }

  /** Forget records at or below `index` (committed and compacted), keeping the newest as base. */
  prune(index: number): void {
    let n = 0;
    while (n < this.#records.length && this.#records[n]!.index <= index) n++;
    if (n === 0) return;
    const last = this.#records[n - 1]!;
    this.#base = last.conf;
    this.#baseIndex = last.index;
    this.#records = this.#records.slice(n);
  }
}

/** True when `id` votes in `conf`. */
export function isVoter(conf: ConfState, id: NodeId): boolean {
  return conf.voters.includes(id);
}

/** True when `id` is a voter or a learner of `conf`. */
export function isMember(conf: ConfState, id: NodeId): boolean {
  return conf.voters.includes(id) || conf.learners.includes(id);
}

/** Votes needed for a majority of `n` voters. */
export function quorum(n: number): number {
  return Math.floor(n / 2) + 1;
}
