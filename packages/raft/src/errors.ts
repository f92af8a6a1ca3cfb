import { MosaikError } from '@mosaik/id';
import type { NodeId } from './types.js';

/** Every code `@mosaik/raft` raises (`closed`: an operation on a closed `FileStorage`). */
export type RaftErrorCode =
  | 'not_leader'
  | 'proposal_dropped'
  | 'conf_change_rejected'
  | 'compacted'
  | 'unavailable'
  | 'snapshot_out_of_date'
  | 'snapshot_transfer'
  | 'log_gap'
  | 'invalid_config'
  | 'storage_corrupt'
  | 'raft_invariant'
  | 'closed';

/** A proposal or read was made on a node that is not the leader. Retry on `leader` if known. */
export class NotLeaderError extends MosaikError<'not_leader'> {
  /** The leader this node knows of, or `''`. */
  readonly leader: NodeId;
  constructor(leader: NodeId) {
    super('not_leader', leader === '' ? 'not the leader; no leader known' : `not the leader; try ${leader}`);
    this.leader = leader;
  }
}

/** A proposal was refused (leadership transfer in progress, empty command, ...). */
export class ProposalDroppedError extends MosaikError<'proposal_dropped'> {
  constructor(reason: string) {
    super('proposal_dropped', `proposal dropped: ${reason}`);
  }
}

/** A membership change was refused (another change pending, no-op change, last voter, ...). */
export class ConfChangeError extends MosaikError<'conf_change_rejected'> {
  constructor(reason: string) {
    super('conf_change_rejected', `configuration change rejected: ${reason}`);
  }
}

/** The requested log position is before the storage's first index (compacted into a snapshot). */
export class CompactedError extends MosaikError<'compacted'> {
  constructor(index: number, firstIndex: number) {
    super('compacted', `index ${index} is compacted (first index ${firstIndex})`);
  }
}

/** The requested log position is beyond the storage's last index. */
export class UnavailableError extends MosaikError<'unavailable'> {
  constructor(index: number, lastIndex: number) {
    super('unavailable', `index ${index} is not available (last index ${lastIndex})`);
  }
}

/** A snapshot older than the one already held was offered. */
export class SnapshotOutOfDateError extends MosaikError<'snapshot_out_of_date'> {
  constructor(index: number, current: number) {
    super('snapshot_out_of_date', `snapshot at ${index} is older than the current one at ${current}`);
  }
}

/** Entries appended to storage leave a gap or overwrite compacted entries. */
export class LogGapError extends MosaikError<'log_gap'> {
  constructor(message: string) {
    super('log_gap', message);
  }
}

/** A configuration passed to the core or storage is invalid. */
export class InvalidConfigError extends MosaikError<'invalid_config'> {
  constructor(message: string) {
    super('invalid_config', message);
  }
}

/** A storage file is corrupt beyond its tail (a checksum failed on a record that was followed by others). */
export class StorageCorruptError extends MosaikError<'storage_corrupt'> {
  constructor(message: string, options?: { cause?: unknown }) {
    super('storage_corrupt', message, options);
  }
}

/** A storage invariant was violated by the core: a bug, never caused by remote input. */
export class RaftInvariantError extends MosaikError<'raft_invariant'> {
  constructor(message: string) {
    super('raft_invariant', message);
  }
}

/**
 * The pieces of a snapshot received from the leader do not add up: out of order, past its end,
 * or short of it when it was to be installed. Nothing of it was installed.
 */
export class SnapshotTransferError extends MosaikError<'snapshot_transfer'> {
  constructor(reason: string) {
    super('snapshot_transfer', `snapshot transfer: ${reason}`);
  }
}
