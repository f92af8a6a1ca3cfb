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
export { SnapshotAssembler } from './core/assembler.js';
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
  SnapshotTransferError,
  StorageCorruptError,
  UnavailableError,
} from './errors.js';
export { type CompactionPolicy, maybeCompact } from './storage/compaction.js';
export {
  FileStorage,
  type FileStorageOptions,
  type StorageFaultPoint,
  storageFaultPoints,
} from './storage/file.js';
export { MemoryStorage } from './storage/memory.js';
export { entrySize, type SnapshotWriter, type Storage } from './storage/storage.js';
export {
  type AppendMessage,
  type AppendRespMessage,
  type ConfChange,
  type ConfState,
  type Entry,
  EntryType,
  emptyConf,
  emptyHardState,
  type HardState,
  type HeartbeatMessage,
  type HeartbeatRespMessage,
  type Message,
  MessageType,
  type NodeId,
  type RaftRole,
  type ReadIndexMessage,
  type ReadIndexRespMessage,
  type ReadState,
  type Ready,
  type RelayedAppendMessage,
  type RelayMessage,
  type Snapshot,
  type SnapshotChunk,
  type SnapshotMessage,
  type SnapshotMeta,
  type SnapshotRespMessage,
  type SoftState,
  type TimeoutNowMessage,
  type VoteMessage,
  type VoteRespMessage,
} from './types.js';
