/**
 * @mosaik/raft: a pure, deterministic Raft core (PreVote, CheckQuorum, learners, single-server
 * membership changes, ReadIndex and lease reads, chunked snapshots, leader transfer, flow
 * control), its storage (in memory and on disk) and its message codec.
 *
 * The simulator and the linearizability checker live in `@mosaik/raft/testing`.
 *
 * @packageDocumentation
 * @module index
 */

export {
  entryCodec,
  messageCodec,
  toConfState,
  toEntry,
  toHardState,
  toMessage,
  toSnapshot,
  toSnapshotMeta,
} from './codec.js';
export { isMember, isVoter, quorum } from './core/config.js';
export { createPrng, type Prng } from './core/prng.js';
export { RaftNode, type RaftOptions, type RaftStatus } from './core/raft.js';
export {
  CompactedError,
  ConfChangeError,
  InvalidConfigError,
  LogGapError,
  NotLeaderError,
  ProposalDroppedError,
  type RaftErrorCode,
  RaftInvariantError,
  SnapshotOutOfDateError,
  StorageCorruptError,
  UnavailableError,
} from './errors.js';
export { type CompactionPolicy, maybeCompact } from './storage/compaction.js';
export { FileStorage, type FileStorageOptions } from './storage/file.js';
export { MemoryStorage } from './storage/memory.js';
export { entrySize, type Storage } from './storage/storage.js';
export * from './types.js';
