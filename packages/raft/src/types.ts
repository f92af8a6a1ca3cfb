/**
 * Plain data types shared by the Raft core, its storage and its codec.
 *
 * Everything here is a plain object (no classes) so it can be persisted and sent as CBOR as-is.
 * Terms and indices are JS numbers: 2^53 entries is far beyond any log we will ever hold.
 */

/** An opaque node id (for mosaik: the hex PeerId). Compared by string equality only. */
export type NodeId = string;

/** The members of one configuration. A node is in at most one of the two lists. */
export interface ConfState {
  /** Nodes that vote and count toward quorum. */
  readonly voters: readonly NodeId[];
  /** Nodes that receive the log but never vote nor count toward quorum. */
  readonly learners: readonly NodeId[];
}

/** Kinds of log entries. */
export const EntryType = {
  /** A user command (empty `data` marks the leader's no-op at the start of a term). */
  Normal: 0,
  /** A configuration entry: `conf` holds the complete new configuration. */
  Conf: 1,
} as const;
export type EntryType = (typeof EntryType)[keyof typeof EntryType];

/** One log entry. */
export interface Entry {
  readonly term: number;
  readonly index: number;
  readonly type: EntryType;
  /** The command bytes (empty for no-ops); for a configuration entry, the context its proposer gave. */
  readonly data: Uint8Array;
  /** Only for `EntryType.Conf`: the configuration in force from this entry on. */
  readonly conf?: ConfState;
}

/** The state that must be persisted before any message of the same `Ready` is sent. */
export interface HardState {
  readonly term: number;
  /** The node voted for in `term`, or `''` for none. */
  readonly vote: NodeId;
  readonly commit: number;
}

/** Describes the log prefix a snapshot replaces. */
export interface SnapshotMeta {
  /** Index of the last entry covered by the snapshot. */
  readonly index: number;
  /** Term of that entry. */
  readonly term: number;
  /** The configuration in force at `index`. */
  readonly conf: ConfState;
}

/** A state machine snapshot: opaque bytes plus the log position they stand for. */
export interface Snapshot {
  readonly meta: SnapshotMeta;
  readonly data: Uint8Array;
}

/** Message type tags (the `t` field). Stable: they are on the wire. */
export const MessageType = {
  Append: 1,
  AppendResp: 2,
  Vote: 3,
  VoteResp: 4,
  PreVote: 5,
  PreVoteResp: 6,
  Heartbeat: 7,
  HeartbeatResp: 8,
  Snapshot: 9,
  SnapshotResp: 10,
  TimeoutNow: 11,
  ReadIndex: 12,
  ReadIndexResp: 13,
  Relay: 14,
  RelayedAppend: 15,
} as const;
export type MessageType = (typeof MessageType)[keyof typeof MessageType];

interface Envelope {
  readonly from: NodeId;
  readonly to: NodeId;
  readonly term: number;
}

/** Leader → follower: entries after (`index`, `logTerm`), and the leader's commit index. */
export interface AppendMessage extends Envelope {
  readonly t: typeof MessageType.Append;
  readonly index: number;
  readonly logTerm: number;
  readonly entries: readonly Entry[];
  readonly commit: number;
}

/**
 * Follower → leader. On success `index` is the follower's last matching index. On reject `index`
 * echoes the rejected probe, and (`hint`, `hintTerm`) let the leader skip a whole term at once.
 */
export interface AppendRespMessage extends Envelope {
  readonly t: typeof MessageType.AppendResp;
  readonly index: number;
  readonly reject: boolean;
  readonly hint: number;
  readonly hintTerm: number;
}

/** Candidate (or pre-candidate) → voter; `index`/`logTerm` are the candidate's last entry. */
export interface VoteMessage extends Envelope {
  readonly t: typeof MessageType.Vote | typeof MessageType.PreVote;
  readonly index: number;
  readonly logTerm: number;
  /** Set by a leadership transfer: voters skip their leader-lease check. */
  readonly force: boolean;
}

/** Voter → candidate: whether the (pre-)vote was granted. */
export interface VoteRespMessage extends Envelope {
  readonly t: typeof MessageType.VoteResp | typeof MessageType.PreVoteResp;
  readonly reject: boolean;
  /**
   * Granted by a voter that lost its log (it abstains, see `RaftOptions.abstain`): it does not
   * object, but cannot vouch that the candidate holds every committed entry.
   */
  readonly weak?: boolean;
}

/** Leader → follower keep-alive; `ctx` carries the newest pending ReadIndex request. */
export interface HeartbeatMessage extends Envelope {
  readonly t: typeof MessageType.Heartbeat;
  readonly commit: number;
  /** The leader's tick counter when sent, echoed back: used for the read lease. */
  readonly round: number;
  readonly ctx: string;
}

/** Follower → leader: the heartbeat's answer, echoing its context and tick. */
export interface HeartbeatRespMessage extends Envelope {
  readonly t: typeof MessageType.HeartbeatResp;
  readonly round: number;
  readonly ctx: string;
}

/** One chunk of an InstallSnapshot transfer, starting at byte `offset` of `total`. */
export interface SnapshotMessage extends Envelope {
  readonly t: typeof MessageType.Snapshot;
  readonly meta: SnapshotMeta;
  readonly offset: number;
  readonly total: number;
  readonly data: Uint8Array;
}

/** Follower → leader: the next byte it expects; `reject` asks to restart from 0. */
export interface SnapshotRespMessage extends Envelope {
  readonly t: typeof MessageType.SnapshotResp;
  readonly index: number;
  readonly offset: number;
  readonly reject: boolean;
}

/** Leader → transfer target: campaign now. */
export interface TimeoutNowMessage extends Envelope {
  readonly t: typeof MessageType.TimeoutNow;
}

/** Follower → leader: a forwarded ReadIndex request. */
export interface ReadIndexMessage extends Envelope {
  readonly t: typeof MessageType.ReadIndex;
  readonly ctx: string;
}

/** Leader → follower: the read index of a forwarded ReadIndex request. */
export interface ReadIndexRespMessage extends Envelope {
  readonly t: typeof MessageType.ReadIndexResp;
  readonly index: number;
  readonly ctx: string;
}

/**
 * Leader → voter: send `target` (a paced learner) the append the leader would have sent it: the
 * entries after (`index`, `logTerm`) up to `last`, whose term is `lastTerm`, and the leader's
 * commit index. The voter sends it only if its own log holds entry `last` with term `lastTerm`:
 * then its entries up to there are the leader's (Log Matching), and what it sends is the very
 * append the leader would have sent. Otherwise it drops it, as a network may drop any message.
 */
export interface RelayMessage extends Envelope {
  readonly t: typeof MessageType.Relay;
  readonly target: NodeId;
  readonly index: number;
  readonly logTerm: number;
  readonly last: number;
  readonly lastTerm: number;
  readonly commit: number;
}

/**
 * Voter → learner: an append of `leader`'s, relayed (see {@link RelayMessage}). The learner takes
 * it as the leader's own and answers the leader.
 */
export interface RelayedAppendMessage extends Envelope {
  readonly t: typeof MessageType.RelayedAppend;
  readonly leader: NodeId;
  readonly index: number;
  readonly logTerm: number;
  readonly entries: readonly Entry[];
  readonly commit: number;
}

/** Every message the core sends or accepts. */
export type Message =
  | AppendMessage
  | AppendRespMessage
  | VoteMessage
  | VoteRespMessage
  | HeartbeatMessage
  | HeartbeatRespMessage
  | SnapshotMessage
  | SnapshotRespMessage
  | TimeoutNowMessage
  | ReadIndexMessage
  | ReadIndexRespMessage
  | RelayMessage
  | RelayedAppendMessage;

/** A completed ReadIndex request: reads for `ctx` are linearizable once `index` is applied. */
export interface ReadState {
  readonly index: number;
  readonly ctx: string;
}

/** The role of a node. */
export type RaftRole = 'follower' | 'pre-candidate' | 'candidate' | 'leader';

/** Volatile state worth showing to the caller. */
export interface SoftState {
  readonly lead: NodeId;
  readonly role: RaftRole;
}

/**
 * A piece of a snapshot a follower is receiving from its leader: bytes `[offset, offset +
 * data.length)` of the `total` bytes of the snapshot described by `meta`. Pieces are handed out
 * in order and without gaps; a piece at offset 0 starts a snapshot anew (whatever was received
 * of another one is discarded).
 */
export interface SnapshotChunk {
  readonly meta: SnapshotMeta;
  readonly offset: number;
  readonly total: number;
  readonly data: Uint8Array;
}

/**
 * A batch of work produced by the core. The caller must, in this order: drop a partly received
 * snapshot if `snapshotAbandoned`, store `snapshotChunks`, install `snapshot` (once its last
 * chunk is stored), persist `entries` and `hardState` (and sync when `mustSync`), then send
 * `messages`, then apply `committedEntries` in order, then call `advance(ready)`.
 *
 * A snapshot from the leader arrives in pieces and is never reassembled by the core: the caller
 * streams the chunks to its storage and state machine as they come (see `SnapshotAssembler` for
 * callers that want the whole snapshot at once).
 */
export interface Ready {
  readonly softState?: SoftState;
  readonly hardState?: HardState;
  readonly entries: readonly Entry[];
  /**
   * The snapshot whose chunks were handed out so far will not be completed (the log caught up
   * otherwise, or its chunks were inconsistent): discard them. Comes before this Ready's chunks.
   */
  readonly snapshotAbandoned: boolean;
  /** Further pieces of the snapshot being received, in order. */
  readonly snapshotChunks: readonly SnapshotChunk[];
  /**
   * The snapshot being received is complete (its last chunk is in `snapshotChunks`, here or in
   * an earlier Ready): make it durable, replacing the log (`Storage.receiveSnapshot`), and
   * restore the state machine from it.
   */
  readonly snapshot?: SnapshotMeta;
  readonly committedEntries: readonly Entry[];
  readonly messages: readonly Message[];
  readonly readStates: readonly ReadState[];
  readonly mustSync: boolean;
}

/** A single-server membership change. */
export type ConfChange =
  /** Add a learner, or demote a voter to learner. */
  | { readonly type: 'add-learner'; readonly node: NodeId }
  /** Add a voter, or promote a learner. */
  | { readonly type: 'add-voter'; readonly node: NodeId }
  | { readonly type: 'remove'; readonly node: NodeId }
  /**
   * Add several new learners in one entry. Learners never vote, so the quorum is the same before
   * and after: a batch is as safe as a single change, and a wide group takes in a crowd of
   * newcomers with one commit instead of one per member. None of them may be a voter.
   */
  | { readonly type: 'add-learners'; readonly nodes: readonly NodeId[] };

/** The hard state of a node that has never run: term 0, no vote, nothing committed. */
export const emptyHardState: HardState = { term: 0, vote: '', commit: 0 };
/** A configuration with no members. */
export const emptyConf: ConfState = { voters: [], learners: [] };
