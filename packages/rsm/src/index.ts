/**
 * @mosaik/rsm: consensus groups over the network. Bonds on `/mosaik/groups/1` (with a nonce-based
 * proof of the group key), a driver for the `@mosaik/raft` core, replicated state machines, and
 * the autopilot that decides who votes.
 *
 * @packageDocumentation
 * @module index
 */
export { type AutopilotInput, type MemberView, nextChange, oddFloor } from './autopilot.js';
export type { Bond } from './bond.js';
export { Bonds } from './bonds.js';
export {
  type ConsensusConfig,
  consensusDigest,
  DEFAULT_CONSENSUS,
  DEFAULT_GROUPS_CONFIG,
  deriveGroupId,
  type GroupsConfig,
  resolveConsensus,
} from './config.js';
export { GroupTerminatedError, NoCommandsError, OfflineError, type RsmErrorCode } from './errors.js';
export {
  type Consistency,
  Group,
  type GroupCallOptions,
  type GroupStatus,
  type IndexRange,
  type QueryResultAt,
} from './group.js';
export { GroupBuilder, Groups } from './groups.js';
export { GroupKey } from './key.js';
export type { BondLink, LinkWrapper } from './link.js';
export { bondProof, type Nonces, verifyBondProof } from './proof.js';
export {
  type ApplyContext,
  type CommandOf,
  LeadershipPreference,
  type MachineDescription,
  NoOp,
  type QueryOf,
  type ResultOf,
  type SnapshotSink,
  type SnapshotView,
  type StateMachine,
  snapshotBytes,
  snapshotChunks,
} from './state-machine.js';
export { type OpenStorage, type StorageSpec, storage } from './storage.js';
export { IndexWatcher, type ResetEvent, When } from './when.js';
export { GROUPS_ALPN, type PeerStatus, type WirePreference, WireType } from './wire.js';
