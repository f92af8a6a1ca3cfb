import {
  CompactedError,
  InvalidConfigError,
  LogGapError,
  SnapshotOutOfDateError,
  SnapshotTransferError,
  UnavailableError,
} from '../errors.js';
import type { ConfState, Entry, HardState, Snapshot, SnapshotMeta } from '../types.js';
import { emptyConf, emptyHardState } from '../types.js';
import { limitSize, newIncarnation, type SnapshotWriter, type Storage } from './storage.js';

const emptySnapshot: Snapshot = { meta: { index: 0, term: 0, conf: emptyConf }, data: new Uint8Array(0) };

/**
 * A `Storage` kept entirely in memory. Used by tests and the simulator (where a "crash" keeps the
 * object, standing in for a disk), and as the in-memory half of `FileStorage`.
 */
export class MemoryStorage implements Storage {
  /** A memory store lives as long as the object: every new one is a new life. */
  readonly incarnation: string = newIncarnation();
  #hard: HardState = emptyHardState;
  #snap: Snapshot = emptySnapshot;
  /** Index of the compaction boundary: `#ents[0]` has index `#offset + 1`. */
  #offset = 0;
  #boundaryTerm = 0;
  #ents: Entry[] = [];

  /**
   * A storage holding exactly the given state: `entries` must start right after `boundary.index`
   * and be contiguous. Used to rebuild the in-memory half of a durable store on recovery.
   */
  static restore(state: {
    hardState: HardState;
    snapshot: Snapshot;
    boundary: { index: number; term: number };
    entries: Entry[];
  }): MemoryStorage {
    const m = new MemoryStorage();
    state.entries.forEach((e, i) => {
      if (e.index !== state.boundary.index + 1 + i) throw new LogGapError(`entry ${e.index} is out of place`);
    });
    m.#hard = state.hardState;
    m.#snap = state.snapshot;
    m.#offset = state.boundary.index;
    m.#boundaryTerm = state.boundary.term;
    m.#ents = state.entries;
    return m;
  }

  hardState(): HardState {
    return this.#hard;
  }

  setHardState(state: HardState): void {
    this.#hard = state;
  }

  firstIndex(): number {
    return this.#offset + 1;
  }

  lastIndex(): number {
    return this.#offset + this.#ents.length;
  }

  term(i: number): number | undefined {
    if (i === this.#offset) return this.#boundaryTerm;
    if (i < this.#offset || i > this.lastIndex()) return undefined;
    return this.#ents[i - this.#offset - 1]!.term;
  }

  entries(lo: number, hi: number, maxBytes?: number): Entry[] {
    if (lo <= this.#offset) throw new CompactedError(lo, this.firstIndex());
    if (hi > this.lastIndex() + 1) throw new UnavailableError(hi - 1, this.lastIndex());
    if (lo >= hi) return [];
    return limitSize(this.#ents.slice(lo - this.#offset - 1, hi - this.#offset - 1), maxBytes);
  }

  snapshot(): Snapshot {
    return this.#snap;
  }

  append(entries: readonly Entry[]): void {
    if (entries.length === 0) return;
    const last = this.lastIndex();
    let first = entries[0]!.index;
    if (first > last + 1) throw new LogGapError(`append at ${first} leaves a gap after ${last}`);
    let add = entries;
    if (first <= this.#offset) {
      // Already compacted, hence committed and identical: skip.
      add = entries.slice(this.#offset + 1 - first);
      if (add.length === 0) return;
      first = this.#offset + 1;
    }
    if (first <= last) this.#ents.length = first - this.#offset - 1;
    for (const e of add) this.#ents.push(e);
  }

  createSnapshot(index: number, conf: ConfState, data: Uint8Array): Snapshot {
    if (index <= this.#snap.meta.index) throw new SnapshotOutOfDateError(index, this.#snap.meta.index);
    const term = this.term(index);
    if (term === undefined || index > this.lastIndex()) throw new UnavailableError(index, this.lastIndex());
    this.#snap = { meta: { index, term, conf }, data };
    return this.#snap;
  }

  compact(index: number): void {
    if (index <= this.#offset) return;
    if (index > this.#snap.meta.index) {
      throw new InvalidConfigError(
        `compact(${index}) is past the latest snapshot at ${this.#snap.meta.index}`,
      );
    }
    this.#boundaryTerm = this.term(index)!;
    this.#ents = this.#ents.slice(index - this.#offset);
    this.#offset = index;
  }

  applySnapshot(snapshot: Snapshot): void {
    if (snapshot.meta.index <= this.#snap.meta.index) {
      throw new SnapshotOutOfDateError(snapshot.meta.index, this.#snap.meta.index);
    }
    this.#snap = snapshot;
    this.#offset = snapshot.meta.index;
    this.#boundaryTerm = snapshot.meta.term;
    this.#ents = [];
  }

  /** Collects the pieces in one buffer of the announced size: the copy this store keeps. */
  receiveSnapshot(meta: SnapshotMeta, total: number): SnapshotWriter {
    if (meta.index <= this.#snap.meta.index)
      throw new SnapshotOutOfDateError(meta.index, this.#snap.meta.index);
    let data: Uint8Array | undefined = new Uint8Array(total);
    let written = 0;
    const open = (): Uint8Array => {
      if (data === undefined) throw new SnapshotTransferError('the snapshot was finished or abandoned');
      return data;
    };
    return {
      write: (piece) => {
        const buf = open();
        if (written + piece.length > total)
          throw new SnapshotTransferError(`${written + piece.length} bytes is past the total ${total}`);
        buf.set(piece, written);
        written += piece.length;
      },
      finish: () => {
        const buf = open();
        if (written !== total) throw new SnapshotTransferError(`${written} of ${total} bytes received`);
        data = undefined;
        this.applySnapshot({ meta, data: buf });
      },
      abort: () => {
        data = undefined;
      },
    };
  }

  sync(): void {}
}
