import type { ConfState } from '../types.js';
import type { Storage } from './storage.js';

/** When and how much to compact (see `maybeCompact`). */
export interface CompactionPolicy {
  /** Take a snapshot once this many entries were applied since the last one. Default 10,000. */
  readonly threshold?: number;
  /**
   * Entries to keep behind the snapshot, so followers that are only slightly behind still get
   * entries instead of a whole snapshot. Default 1,000.
   */
  readonly keep?: number;
}

/**
 * The caller's side of log compaction: once `threshold` entries were applied since the last
 * snapshot, snapshot the state machine at `applied` (with `conf`, the configuration in force at
 * that index) and drop the log up to `applied - keep`. The core never calls this itself: only
 * the caller knows its state machine.
 * @returns whether a snapshot was taken.
 */
export function maybeCompact(
  storage: Storage,
  applied: number,
  conf: ConfState,
  snapshotData: () => Uint8Array,
  policy: CompactionPolicy = {},
): boolean {
  const threshold = policy.threshold ?? 10_000;
  const keep = policy.keep ?? 1_000;
  const snapIndex = storage.snapshot().meta.index;
  if (applied - snapIndex < Math.max(1, threshold)) return false;
  if (storage.term(applied) === undefined) return false;
  storage.createSnapshot(applied, conf, snapshotData());
  const upTo = applied - keep;
  if (upTo >= storage.firstIndex()) storage.compact(upTo);
  return true;
}
