import { randomBytes, toHex } from '@mosaik/id';
import type { ConfState, Entry, HardState, Snapshot, SnapshotMeta } from '../types.js';

/**
 * Durable state of one Raft node, as the core sees it.
 *
 * The core only reads: `hardState`, `entries`, `term`, `firstIndex`, `lastIndex` and `snapshot`.
 * The caller writes what a `Ready` tells it to (`setHardState`, `append`, `applySnapshot`) and
 * decides when to take snapshots (`createSnapshot`) and drop the log prefix (`compact`).
 *
 * Index model: everything up to and including the compaction boundary `firstIndex() - 1` is gone;
 * `term(firstIndex() - 1)` is still known so the log-matching check works at the boundary.
 */
export interface Storage {
  /**
   * The life of this store: an id drawn when it was created empty and kept as long as its
   * contents are (a restart on the same store keeps it; a new or wiped store gets another).
   * Lets a member tell "restarted with my log" from "back under the same id with nothing".
   * `undefined` for a store that cannot tell (one created by an earlier version).
   */
  readonly incarnation?: string;
  /** The last persisted term, vote and commit index. */
  hardState(): HardState;
  /**
   * Entries in `[lo, hi)`, stopping early once `maxBytes` would be exceeded (but always at least
   * one). Throws `CompactedError` if `lo < firstIndex()`, `UnavailableError` if `hi > lastIndex() + 1`.
   */
  entries(lo: number, hi: number, maxBytes?: number): Entry[];
  /** Term of entry `i`, for `firstIndex() - 1 <= i <= lastIndex()`; otherwise `undefined`. */
  term(i: number): number | undefined;
  /** Index of the first entry still in the log (compaction boundary + 1). */
  firstIndex(): number;
  /** Index of the last entry (the compaction boundary if the log is empty). */
  lastIndex(): number;
  /** The latest snapshot (index 0 and empty data if none was ever taken). */
  snapshot(): Snapshot;

  /** Persist the hard state. */
  setHardState(state: HardState): void;
  /**
   * Append entries, first truncating any existing entries at or after `entries[0].index`.
   * Entries at or below the compaction boundary are ignored (they are committed already).
   */
  append(entries: readonly Entry[]): void;
  /**
   * Record a snapshot of the state machine at applied index `index` (which must be in the log).
   * Does not drop entries: call `compact` for that.
   */
  createSnapshot(index: number, conf: ConfState, data: Uint8Array): Snapshot;
  /**
   * Optional form of `createSnapshot` for large snapshots, which a durable store writes without
   * blocking the event loop; resolves once the snapshot is durable and recorded. Other writes
   * may happen meanwhile. Rejects with `SnapshotOutOfDateError` if a snapshot at or past `index`
   * was recorded first (then nothing changed).
   */
  createSnapshotAsync?(index: number, conf: ConfState, data: Uint8Array): Promise<Snapshot>;
  /** Drop entries up to and including `index`, which must not be past the latest snapshot. */
  compact(index: number): void;
  /** Replace the whole log with a snapshot received from the leader. */
  applySnapshot(snapshot: Snapshot): void;
  /**
   * Optional streamed form of `applySnapshot`, for snapshots received in chunks
   * (`Ready.snapshotChunks`): the bytes are stored as they arrive, and nothing replaces the
   * current snapshot or log until `finish`. A store without it gets the whole snapshot through
   * `applySnapshot`, assembled by the caller.
   * @throws SnapshotOutOfDateError if a snapshot at or past `meta.index` is recorded already.
   */
  receiveSnapshot?(meta: SnapshotMeta, total: number): SnapshotWriter;
  /** Make everything written so far durable. */
  sync(): void;
  /**
   * Optional form of `sync` that waits for the disk off the event loop: resolves once everything
   * written before the call is durable. Writes may happen meanwhile (they are not covered). A
   * leader uses it to keep its thread free while its own write reaches the disk, so the entries
   * it just sent leave at once.
   */
  syncAsync?(): Promise<void>;
}

/** A snapshot being stored piece by piece (see `Storage.receiveSnapshot`). */
export interface SnapshotWriter {
  /** The next bytes, in order. @throws SnapshotTransferError past the announced total. */
  write(data: Uint8Array): void;
  /**
   * All bytes were written: make the snapshot durable and replace the whole log with it, as
   * `applySnapshot` does. @throws SnapshotTransferError if bytes are missing (nothing changes).
   */
  finish(): void;
  /** Gives up: nothing written is kept, the current snapshot and log stay. Idempotent. */
  abort(): void;
}

/** The bytes an entry accounts for in flow control and size limits. */
export function entrySize(entry: Entry): number {
  // A fixed overhead keeps empty entries (no-ops, configuration) from being free.
  return entry.data.length + 24;
}

/** Entries from `entries` whose cumulative size fits in `maxBytes` (at least one). */
export function limitSize(entries: Entry[], maxBytes: number | undefined): Entry[] {
  if (maxBytes === undefined || entries.length <= 1) return entries;
  let size = entrySize(entries[0]!);
  let n = 1;
  while (n < entries.length) {
    size += entrySize(entries[n]!);
    if (size > maxBytes) break;
    n++;
  }
  return n === entries.length ? entries : entries.slice(0, n);
}

/** A new store life id (see `Storage.incarnation`): 8 random bytes, hex. */
export function newIncarnation(): string {
  return toHex(randomBytes(8));
}
