import {
  ConfChangeError,
  InvalidConfigError,
  NotLeaderError,
  ProposalDroppedError,
  RaftInvariantError,
} from '../errors.js';
import { entrySize, type Storage } from '../storage/storage.js';
import type {
  AppendMessage,
  AppendRespMessage,
  ConfChange,
  ConfState,
  Entry,
  HardState,
  HeartbeatMessage,
  HeartbeatRespMessage,
  Message,
  NodeId,
  RaftRole,
  ReadState,
  Ready,
  RelayedAppendMessage,
  RelayMessage,
  SnapshotChunk,
  SnapshotMessage,
  SnapshotMeta,
  SnapshotRespMessage,
  SoftState,
  VoteMessage,
} from '../types.js';
import { EntryType, MessageType } from '../types.js';
import { ConfTracker, isMember, isVoter, quorum } from './config.js';
import { RaftLog } from './log.js';
import { createPrng } from './prng.js';
import { Progress } from './progress.js';

/** Options of a `RaftNode`. Times are in ticks: the caller decides how long a tick is. */
export interface RaftOptions {
  /** This node's id. */
  readonly id: NodeId;
  /** Durable state; a restarted node resumes from it. */
  readonly storage: Storage;
  /** Minimum election timeout; the actual one is uniform in [electionTick, 2·electionTick). Default 10. */
  readonly electionTick?: number;
  /** Heartbeat interval of a leader. Default 1. */
  readonly heartbeatTick?: number;
  /**
   * Uniform random numbers in [0, 1) for the election timeout jitter. Default: a PRNG seeded from
   * the node id, so the core stays deterministic.
   */
  readonly random?: () => number;
  /** Run a pre-vote round before bumping the term (thesis §9.6). Default true. */
  readonly preVote?: boolean;
  /** A leader that has not heard from a quorum for an election timeout steps down. Default true. */
  readonly checkQuorum?: boolean;
  /**
   * Serve `readIndex` from a leader lease instead of a heartbeat round when the lease is valid.
   * Safe only if every node enables it, `checkQuorum` is on, and tick rates differ by at most
   * `maxClockDrift`. Default false.
   */
  readonly leaseReads?: boolean;
  /** Bound on the relative tick-rate difference between nodes (0.1 = 10 %). Default 0.1. */
  readonly maxClockDrift?: number;
  /** Maximum bytes of entries in one AppendEntries. Default 1 MiB. */
  readonly maxSizePerMsg?: number;
  /** Maximum unacknowledged AppendEntries per follower. Default 256. */
  readonly maxInflightMsgs?: number;
  /** Maximum unacknowledged bytes per follower. Default 16 MiB. */
  readonly maxInflightBytes?: number;
  /** Bytes per InstallSnapshot chunk. Default 1 MiB. */
  readonly snapshotChunkSize?: number;
  /** Maximum bytes of committed entries in one `Ready`. Default 16 MiB. */
  readonly maxCommittedSizePerReady?: number;
  /**
   * Leader: when an acknowledgement advances the commit index, do not send the followers an
   * AppendEntries just to tell them: the next one (a new proposal's) carries it, or
   * `flushCommit()` sends it. Lets a caller that proposes again at once (a lone client) save a
   * message and its answer per commit; it must call `flushCommit()` soon after `commitNoticeDue`
   * turns true. Default false (the notice goes out with the next `ready()`).
   */
  readonly deferCommitNotice?: boolean;
  /**
   * With more learners than this in the configuration, the leader replicates to each of them
   * once per heartbeat period (all that was appended since, and the commit index), the learners
   * spread evenly over the ticks of the period, instead of on every proposal and every commit
   * advance; such an append stands in for that learner's heartbeat, and a learner with nothing
   * to receive gets a heartbeat at its slot every third period only. A learner counts toward no
   * quorum, so this never delays a commit; it bounds what a crowd of learners costs the leader
   * per second, whatever the commit rate, and keeps it from arriving in one burst that would
   * hold up the voters' messages, at the price of learners applying up to a heartbeat period
   * later. A learner far behind is still sent to as fast as it acknowledges, and one that asked
   * for a read index is sent what it lacks with the answer. Voters are never paced. Default:
   * never.
   */
  readonly paceLearnersAbove?: number;
  /**
   * Leader: a paced learner's append (see `paceLearnersAbove`) goes out through a voter that
   * already holds its entries, the learners spread over the voters, instead of from the leader:
   * the leader sends the voter a few numbers (a `Relay`), and the voter sends the learner the very
   * append the leader would have sent. That takes the bytes of every entry times the number of
   * learners off the leader, whose own fan-out otherwise bounds a wide group's rate; the voters
   * share them. The learner answers the leader as usual. Each learner keeps one relay; when it
   * was not heard from lately, the leader sends directly, and when the learner acknowledges
   * nothing for a few slots, the leader sends it an empty append directly, which it refuses if
   * appends were lost (then the leader sends what it lacks). Every member must run a version that
   * knows these messages. Default false.
   */
  readonly relayPacedLearners?: boolean;
  /** Index the caller's state machine has already applied (on restart). Default: the snapshot index. */
  readonly applied?: number;
  /**
   * The node may have lost entries it acknowledged in an earlier life (it restarted without its
   * storage, under the same id): it never campaigns, and its votes are weak (they count only
   * where the candidate's full votes already meet every majority; see `VoteRespMessage.weak`),
   * until the caller calls `setAbstaining(false)`, which it may do once the leader has
   * re-admitted it and it holds the log up to that point. A voter that forgets its log and votes
   * as before can elect a leader without a committed entry. Default false.
   */
  readonly abstain?: boolean;
  /**
   * Configuration of a brand-new cluster. Used only if the storage is empty; every founding node
   * must pass the same value. A node joining an existing cluster passes nothing and waits to be
   * added by the leader.
   */
  readonly bootstrap?: ConfState;
  /** The context of the bootstrap configuration entry (its `data`); the same on every founding node. */
  readonly bootstrapContext?: Uint8Array;
}

/** A summary of the node's state, for callers, metrics and tests. */
export interface RaftStatus {
  readonly id: NodeId;
  readonly role: RaftRole;
  readonly term: number;
  readonly vote: NodeId;
  readonly lead: NodeId;
  readonly commit: number;
  readonly applied: number;
  readonly lastIndex: number;
  readonly firstIndex: number;
  readonly conf: ConfState;
  /** Leader only: match index of each follower. */
  readonly progress: ReadonlyMap<
    NodeId,
    { readonly match: number; readonly next: number; readonly state: string }
  >;
  readonly leadTransferee: NodeId;
}

interface ReadRequest {
  readonly ctx: string;
  readonly from: NodeId;
  readonly index: number;
  readonly acks: Set<NodeId>;
}

/** A snapshot being received: its chunks go to the caller as they come, nothing is kept here. */
interface IncomingSnapshot {
  readonly meta: SnapshotMeta;
  readonly total: number;
  /** Bytes received in order so far (the next expected offset). */
  received: number;
  /** Some of its chunks already went out in a `Ready`: dropping it must tell the caller. */
  handedOut: boolean;
}

const MiB = 1024 * 1024;
/**
 * InstallSnapshot chunks in flight to one follower, and a cap on their bytes (one chunk always
 * goes). More than one keeps a large transfer from paying a round trip per chunk; the follower
 * takes them in order and says where it is. The cap keeps one round's messages to a peer well
 * within a transport frame.
 */
const SNAPSHOT_WINDOW = 4;
const SNAPSHOT_WINDOW_BYTES = 4 * MiB;
/**
 * A paced learner (see `paceLearnersAbove`) this many entries or more behind is sent to as fast
 * as it acknowledges, not once per heartbeat period: it is catching up, and a message per period
 * would hold it back.
 */
const PACED_CATCHUP_ENTRIES = 1024;
/**
 * Heartbeat periods between two heartbeats to a paced learner that has nothing to receive. In a
 * wide group that writes nothing, the learners' heartbeats and their answers were most of the
 * leader's messages; a learner needs them only to keep its bond alive and to hear of the leader.
 */
const PACED_HEARTBEAT_PERIODS = 3;
/**
 * Slots in a row in which a paced learner acknowledged nothing while appends to it were in
 * flight, before the leader sends to it directly (and finds out whether appends were lost).
 */
const PACED_STALL_SLOTS = 3;
/** Heartbeat rounds without an acknowledged chunk before the window is sent again. */
const SNAPSHOT_STALL_ROUNDS = 3;

/**
 * A Raft node driven entirely by its caller, in the style of etcd's raft library: no timers, no
 * I/O, no promises. Feed it `tick()`, `step(message)`, `propose(...)`, `readIndex(...)`; collect
 * work with `ready()`; persist, send, apply; then `advance(ready)`.
 */
export class RaftNode {
  readonly id: NodeId;
  readonly #log: RaftLog;
  readonly #conf: ConfTracker;
  readonly #electionTick: number;
  readonly #heartbeatTick: number;
  readonly #random: () => number;
  readonly #preVote: boolean;
  #abstaining: boolean;
  readonly #checkQuorum: boolean;
  readonly #leaseReads: boolean;
  readonly #leaseTicks: number;
  readonly #maxSizePerMsg: number;
  readonly #maxInflightMsgs: number;
  readonly #maxInflightBytes: number;
  readonly #chunkSize: number;
  readonly #maxCommittedSize: number;

  #term = 0;
  #vote: NodeId = '';
  #lead: NodeId = '';
  #role: RaftRole = 'follower';
  #prs = new Map<NodeId, Progress>();
  #votes = new Map<NodeId, boolean>();
  /** Voters whose grant in `#votes` is weak (see `VoteRespMessage.weak`). */
  readonly #weakVotes = new Set<NodeId>();
  #msgs: Message[] = [];
  #readStates: ReadState[] = [];
  #electionElapsed = 0;
  #heartbeatElapsed = 0;
  #randomizedTimeout = 0;
  /** Ticks since this node object was created (the leader's clock for leases). */
  #now = 0;
  /** Ticks since we last heard from a leader of our term. */
  #sinceLeader: number;
  #leadTransferee: NodeId = '';
  #pendingConfIndex = 0;
  #reads: ReadRequest[] = [];
  #readsByCtx = new Map<string, ReadRequest>();
  /** Reads received before the leader committed an entry of its term. */
  #deferredReads: { ctx: string; from: NodeId }[] = [];
  #leaseDisabled = false;
  /** The `Progress.order` of the next follower the leader starts tracking. */
  #nextOrder = 0;
  #incoming: IncomingSnapshot | undefined;
  /** Chunks of `#incoming` received but not handed out yet. */
  #chunks: SnapshotChunk[] = [];
  /** A snapshot whose chunks were handed out was dropped: the next `Ready` says so. */
  #abandoned = false;
  /** Leader: appended entries not broadcast yet (proposals are batched until `ready()`). */
  #appendDirty = false;
  readonly #deferCommitNotice: boolean;
  readonly #paceLearnersAbove: number;
  readonly #relayPacedLearners: boolean;
  /** Leader, with `deferCommitNotice`: the commit index advanced and some follower may not know. */
  #commitNoticeDue = false;
  #prevSoft: SoftState;
  #prevHard: HardState;

  constructor(options: RaftOptions) {
    this.id = options.id;
    if (this.id === '') throw new InvalidConfigError('node id must not be empty');
    this.#electionTick = options.electionTick ?? 10;
    this.#heartbeatTick = options.heartbeatTick ?? 1;
    if (this.#heartbeatTick < 1 || this.#electionTick <= this.#heartbeatTick) {
      throw new InvalidConfigError('need 1 <= heartbeatTick < electionTick');
    }
    this.#random = options.random ?? createPrng(options.id);
    this.#preVote = options.preVote ?? true;
    this.#abstaining = options.abstain ?? false;
    this.#checkQuorum = options.checkQuorum ?? true;
    this.#leaseReads = options.leaseReads ?? false;
    if (this.#leaseReads && !this.#checkQuorum) throw new InvalidConfigError('leaseReads needs checkQuorum');
    const drift = options.maxClockDrift ?? 0.1;
    // Followers ignore votes for electionTick of their own ticks after hearing from the leader;
    // with drift that is at least electionTick / (1 + drift) leader ticks. One tick of margin
    // covers the tick granularity.
    this.#leaseTicks = Math.floor(this.#electionTick / (1 + drift)) - 1;
    // With lease reads a restarted node may have acknowledged a lease just before it crashed:
    // it starts inside that lease and must not vote for an election timeout.
    this.#sinceLeader = this.#leaseReads ? 0 : this.#electionTick;
    this.#maxSizePerMsg = options.maxSizePerMsg ?? MiB;
    this.#deferCommitNotice = options.deferCommitNotice ?? false;
    this.#paceLearnersAbove = options.paceLearnersAbove ?? Number.POSITIVE_INFINITY;
    this.#relayPacedLearners = options.relayPacedLearners ?? false;
    this.#maxInflightMsgs = options.maxInflightMsgs ?? 256;
    this.#maxInflightBytes = options.maxInflightBytes ?? 16 * MiB;
    this.#chunkSize = options.snapshotChunkSize ?? MiB;
    this.#maxCommittedSize = options.maxCommittedSizePerReady ?? 16 * MiB;

    const storage = options.storage;
    const hs = storage.hardState();
    const snap = storage.snapshot();
    this.#log = new RaftLog(storage, options.applied ?? snap.meta.index);
    this.#conf = new ConfTracker(snap.meta.conf, snap.meta.index);
    const first = storage.firstIndex();
    const last = storage.lastIndex();
    if (last >= first) this.#conf.onAppend(storage.entries(first, last + 1));
    this.#term = hs.term;
    this.#vote = hs.vote;

    const fresh = hs.term === 0 && last === 0 && snap.meta.index === 0;
    if (fresh && options.bootstrap !== undefined) {
      if (options.bootstrap.voters.length === 0) throw new InvalidConfigError('bootstrap needs a voter');
      // Every founding node writes the same entry (1, 1), so logs match; it counts as committed.
      this.#term = 1;
      const entry: Entry = {
        term: 1,
        index: 1,
        type: EntryType.Conf,
        data: options.bootstrapContext ?? new Uint8Array(0),
        conf: normalizeConf(options.bootstrap),
      };
      this.#appendLocal([entry]);
      this.#log.commitTo(1);
    }
    this.#prevHard = hs;
    this.#prevSoft = { lead: '', role: 'follower' };
    this.#becomeFollower(this.#term, '');
  }

  // ---------------------------------------------------------------- inspection

  get role(): RaftRole {
    return this.#role;
  }

  get term(): number {
    return this.#term;
  }

  get lead(): NodeId {
    return this.#lead;
  }

  /** The configuration in force (the latest one in the log, committed or not). */
  get conf(): ConfState {
    return this.#conf.current();
  }

  status(): RaftStatus {
    const progress = new Map<NodeId, { match: number; next: number; state: string }>();
    for (const [id, pr] of this.#prs) progress.set(id, { match: pr.match, next: pr.next, state: pr.state });
    return {
      id: this.id,
      role: this.#role,
      term: this.#term,
      vote: this.#vote,
      lead: this.#lead,
      commit: this.#log.committed,
      applied: this.#log.applied,
      lastIndex: this.#log.lastIndex(),
      firstIndex: this.#log.firstIndex(),
      conf: this.#conf.current(),
      progress,
      leadTransferee: this.#leadTransferee,
    };
  }

  /** Term of entry `i` in this node's log (including unpersisted entries), if present. */
  termAt(i: number): number | undefined {
    return this.#log.term(i);
  }

  /** Entries `[lo, hi)` of this node's log (including unpersisted entries); `lo` must not be compacted. */
  entriesAt(lo: number, hi: number): Entry[] {
    return this.#log.slice(lo, hi);
  }

  // ---------------------------------------------------------------- inputs

  /** Advance the logical clock by one tick. */
  tick(): void {
    this.#now++;
    if (this.#role === 'leader') this.#tickHeartbeat();
    else this.#tickElection();
  }

  /** Whether this node votes only weakly and never campaigns (see `RaftOptions.abstain`). */
  get abstaining(): boolean {
    return this.#abstaining;
  }

  /** Lets the node vote and campaign again, or stops it (see `RaftOptions.abstain`). */
  setAbstaining(abstain: boolean): void {
    this.#abstaining = abstain;
  }

  /** Start an election now (if this node is a voter). */
  campaign(): void {
    if (this.#role === 'leader' || !this.#promotable()) return;
    this.#campaign(this.#preVote ? 'pre' : 'real', false);
  }

  /**
   * Append commands to the log. Only a leader accepts proposals.
   * @returns the index range the commands were given.
   * @throws NotLeaderError, ProposalDroppedError
   */
  propose(commands: readonly Uint8Array[]): { first: number; last: number } {
    if (this.#role !== 'leader') throw new NotLeaderError(this.#lead);
    if (this.#leadTransferee !== '') throw new ProposalDroppedError('leadership transfer in progress');
    if (!isMember(this.#conf.current(), this.id)) throw new ProposalDroppedError('leader is being removed');
    const first = this.#log.lastIndex() + 1;
    if (commands.length === 0) return { first, last: first - 1 };
    const entries: Entry[] = [];
    for (let i = 0; i < commands.length; i++) {
      const data = commands[i]!;
      if (data.length === 0) throw new ProposalDroppedError('empty command (reserved for no-ops)');
      entries.push({ term: this.#term, index: first + i, type: EntryType.Normal, data });
    }
    this.#appendLeader(entries);
    return { first, last: first + commands.length - 1 };
  }

  /**
   * Propose a single-server membership change (or a batch of new learners, which leaves the
   * voters alone). It takes effect as soon as it is appended; only
   * one change may be uncommitted at a time, and a new leader must first commit its no-op.
   * `context` travels as the configuration entry's `data`, for the caller (the core ignores it).
   * @returns the index of the configuration entry.
   * @throws NotLeaderError, ConfChangeError
   */
  proposeConfChange(change: ConfChange, context: Uint8Array = new Uint8Array(0)): number {
    if (this.#role !== 'leader') throw new NotLeaderError(this.#lead);
    if (this.#leadTransferee !== '') throw new ProposalDroppedError('leadership transfer in progress');
    if (this.#pendingConfIndex > this.#log.committed) {
      throw new ConfChangeError('a previous change (or the no-op of this term) is not committed yet');
    }
    const cur = this.#conf.current();
    if (change.type === 'add-learners') {
      if (change.nodes.length === 0) throw new ConfChangeError('no learners to add');
      const voters = new Set(cur.voters);
      const learners = new Set(cur.learners);
      for (const node of change.nodes) {
        if (node === '') throw new ConfChangeError('empty node id');
        if (voters.has(node)) throw new ConfChangeError(`${node} is a voter: demote it on its own`);
        if (learners.has(node)) throw new ConfChangeError(`${node} is already a learner`);
        learners.add(node);
      }
      return this.#appendConf({ voters: cur.voters, learners: [...learners] }, context);
    }
    if (change.node === '') throw new ConfChangeError('empty node id');
    const voters = cur.voters.filter((v) => v !== change.node);
    const learners = cur.learners.filter((l) => l !== change.node);
    switch (change.type) {
      case 'add-voter':
        if (cur.voters.includes(change.node)) throw new ConfChangeError(`${change.node} is already a voter`);
        voters.push(change.node);
        break;
      case 'add-learner':
        if (cur.learners.includes(change.node))
          throw new ConfChangeError(`${change.node} is already a learner`);
        learners.push(change.node);
        break;
      case 'remove':
        if (!isMember(cur, change.node)) throw new ConfChangeError(`${change.node} is not a member`);
        break;
    }
    if (voters.length === 0) throw new ConfChangeError('the last voter cannot be removed');
    return this.#appendConf({ voters, learners }, context);
  }

  /** Leader: appends the configuration entry of a checked change; no other may follow until it commits. */
  #appendConf(next: ConfState, context: Uint8Array): number {
    const index = this.#log.lastIndex() + 1;
    const conf = normalizeConf(next);
    this.#appendLeader([{ term: this.#term, index, type: EntryType.Conf, data: context, conf }]);
    this.#pendingConfIndex = index;
    return index;
  }

  /**
   * Ask for a linearizable read point. When confirmed, a `ReadState { index, ctx }` appears in a
   * later `Ready`: the read may be served once the local state machine has applied `index`.
   * A follower forwards the request to its leader. `ctx` must be unique among pending reads.
   * Requests may be lost (leader change, message loss): callers time out and retry.
   * @throws NotLeaderError when no leader is known
   */
  readIndex(ctx: string): void {
    if (this.#role === 'leader') {
      this.#handleReadRequest(ctx, this.id);
    } else if (this.#lead !== '') {
      this.#send({ t: MessageType.ReadIndex, from: this.id, to: this.#lead, term: this.#term, ctx });
    } else {
      throw new NotLeaderError('');
    }
  }

  /** Hand leadership to `target` (a voter), once it has caught up. Aborted after an election timeout. */
  transferLeadership(target: NodeId): void {
    if (this.#role !== 'leader') throw new NotLeaderError(this.#lead);
    if (target === this.id) return;
    const pr = this.#prs.get(target);
    if (pr === undefined || pr.isLearner) throw new InvalidConfigError(`${target} is not a voter`);
    if (this.#leadTransferee === target) return;
    this.#leadTransferee = target;
    this.#electionElapsed = 0;
    // The target will campaign with `force`, bypassing the followers' lease: ours is void for good.
    this.#leaseDisabled = true;
    if (pr.match === this.#log.lastIndex()) this.#sendTimeoutNow(target);
    else this.#sendAppend(target);
  }

  /** Process a message from a peer. Stale, misaddressed and unknown-sender messages are ignored. */
  step(message: Message): void {
    const m = message.t === MessageType.RelayedAppend ? this.#unrelay(message) : message;
    if (m === undefined || m.to !== this.id || m.from === this.id || m.from === '') return;
    if (m.term > this.#term) {
      if (m.t === MessageType.Vote || m.t === MessageType.PreVote) {
        if (!m.force && this.#inLease()) return;
      }
      if (m.t === MessageType.PreVote) {
        // A pre-vote never changes our term.
      } else if (m.t === MessageType.PreVoteResp && !m.reject) {
        // A granted pre-vote carries the term the candidate will use; not ours yet.
      } else if (
        m.t === MessageType.Append ||
        m.t === MessageType.Heartbeat ||
        m.t === MessageType.Snapshot ||
        m.t === MessageType.Relay
      ) {
        this.#becomeFollower(m.term, m.from);
      } else {
        this.#becomeFollower(m.term, '');
      }
    } else if (m.term < this.#term) {
      if (
        (this.#checkQuorum || this.#preVote) &&
        (m.t === MessageType.Append || m.t === MessageType.Heartbeat)
      ) {
        // A stale leader (e.g. back from a partition) learns our term and steps down; without this
        // it could keep us from ever hearing from it with pre-vote on.
        this.#send({
          t: MessageType.AppendResp,
          from: this.id,
          to: m.from,
          term: this.#term,
          index: 0,
          reject: false,
          hint: 0,
          hintTerm: 0,
        });
      } else if (m.t === MessageType.PreVote) {
        this.#send({ t: MessageType.PreVoteResp, from: this.id, to: m.from, term: this.#term, reject: true });
      }
      return;
    }

    if (m.t === MessageType.Vote || m.t === MessageType.PreVote) {
      this.#handleVote(m);
      return;
    }
    if (m.t === MessageType.Relay) {
      this.#relay(m);
      return;
    }
    switch (this.#role) {
      case 'leader':
        this.#stepLeader(m);
        break;
      case 'candidate':
      case 'pre-candidate':
        this.#stepCandidate(m);
        break;
      case 'follower':
        this.#stepFollower(m);
        break;
    }
  }

  // ---------------------------------------------------------------- ready / advance

  /** Whether `ready()` has anything to hand out. */
  hasReady(): boolean {
    if (this.#appendDirty) return true;
    if (this.#msgs.length > 0 || this.#readStates.length > 0) return true;
    if (this.#chunks.length > 0 || this.#abandoned) return true;
    if (this.#log.unstableEntries().length > 0 || this.#log.unstableSnapshot() !== undefined) return true;
    if (this.#log.hasNextCommitted()) return true;
    const soft = this.#prevSoft;
    if (soft.lead !== this.#lead || soft.role !== this.#role) return true;
    const hard = this.#prevHard;
    return hard.term !== this.#term || hard.vote !== this.#vote || hard.commit !== this.#log.committed;
  }

  /**
   * Collect pending work. Committed entries handed out here count as applied: the caller must
   * apply them (after persisting) and call `advance` before the next `ready()`.
   */
  ready(): Ready {
    if (this.#appendDirty) {
      this.#appendDirty = false;
      if (this.#role === 'leader') this.#bcastAppend();
    }
    const entries = this.#log.unstableEntries().slice();
    const snapshot = this.#log.unstableSnapshot();
    const committedEntries = this.#log.nextCommitted(this.#maxCommittedSize);
    if (snapshot !== undefined) this.#log.applied = Math.max(this.#log.applied, snapshot.index);
    if (committedEntries.length > 0)
      this.#log.appliedTo(committedEntries[committedEntries.length - 1]!.index);
    const hard: HardState = { term: this.#term, vote: this.#vote, commit: this.#log.committed };
    const prevHard = this.#prevHard;
    const hardChanged =
      hard.term !== prevHard.term || hard.vote !== prevHard.vote || hard.commit !== prevHard.commit;
    const soft: SoftState = { lead: this.#lead, role: this.#role };
    const softChanged = soft.lead !== this.#prevSoft.lead || soft.role !== this.#prevSoft.role;
    const rd: Ready = {
      ...(softChanged ? { softState: soft } : {}),
      ...(hardChanged ? { hardState: hard } : {}),
      entries,
      snapshotAbandoned: this.#abandoned,
      snapshotChunks: this.#chunks,
      ...(snapshot !== undefined ? { snapshot } : {}),
      committedEntries,
      messages: this.#msgs,
      readStates: this.#readStates,
      mustSync:
        entries.length > 0 ||
        snapshot !== undefined ||
        hard.term !== prevHard.term ||
        hard.vote !== prevHard.vote,
    };
    this.#msgs = [];
    this.#readStates = [];
    if (this.#chunks.length > 0 && this.#incoming !== undefined) this.#incoming.handedOut = true;
    this.#chunks = [];
    this.#abandoned = false;
    if (hardChanged) this.#prevHard = hard;
    if (softChanged) this.#prevSoft = soft;
    return rd;
  }

  /** The caller has persisted (and synced) everything in `rd`. */
  advance(rd: Ready): void {
    if (rd.snapshot !== undefined) this.#log.stableSnapTo(rd.snapshot.index);
    const last = rd.entries[rd.entries.length - 1];
    if (last !== undefined) this.#log.stableTo(last.index, last.term);
    // Configuration records are not needed below the compaction boundary.
    this.#conf.prune(Math.min(this.#log.firstIndex() - 1, this.#log.committed));
  }

  // ---------------------------------------------------------------- roles

  #promotable(): boolean {
    return (
      !this.#abstaining &&
      isVoter(this.#conf.current(), this.id) &&
      this.#log.unstableSnapshot() === undefined
    );
  }

  /**
   * Whether we have heard from a live leader recently enough to ignore vote requests (leader
   * stickiness; with lease reads this is what makes the leader's lease safe). Tracked apart from
   * `#lead`, which a higher-term message can clear without any leader having been elected.
   */
  #inLease(): boolean {
    if (!this.#checkQuorum) return false;
    return this.#role === 'leader' || this.#sinceLeader < this.#electionTick;
  }

  #reset(term: number): void {
    if (term !== this.#term) {
      this.#term = term;
      this.#vote = '';
    }
    this.#lead = '';
    this.#electionElapsed = 0;
    this.#heartbeatElapsed = 0;
    this.#randomizedTimeout = this.#electionTick + Math.floor(this.#random() * this.#electionTick);
    this.#leadTransferee = '';
    this.#votes.clear();
    this.#weakVotes.clear();
    this.#prs.clear();
    this.#reads = [];
    this.#readsByCtx.clear();
    this.#deferredReads = [];
    this.#leaseDisabled = false;
    this.#appendDirty = false;
  }

  #becomeFollower(term: number, lead: NodeId): void {
    this.#reset(term);
    this.#lead = lead;
    this.#role = 'follower';
  }

  #becomePreCandidate(): void {
    // Neither the term nor the vote changes: a failed pre-vote leaves no trace.
    this.#votes.clear();
    this.#weakVotes.clear();
    this.#lead = '';
    this.#role = 'pre-candidate';
  }

  #becomeCandidate(): void {
    this.#reset(this.#term + 1);
    this.#vote = this.id;
    this.#role = 'candidate';
  }

  #becomeLeader(): void {
    this.#reset(this.#term);
    this.#lead = this.id;
    this.#role = 'leader';
    this.#syncProgress();
    // Entries of earlier terms commit only once an entry of ours does: append a no-op now.
    // Membership changes wait for it too (the single-server change bug, thesis §4.1 errata).
    const index = this.#log.lastIndex() + 1;
    this.#appendLeader([{ term: this.#term, index, type: EntryType.Normal, data: new Uint8Array(0) }]);
    this.#pendingConfIndex = index;
  }

  /** Leader: make the progress map match the configuration. */
  #syncProgress(): void {
    const conf = this.#conf.current();
    const next = this.#log.lastIndex() + 1;
    const members = new Set<NodeId>();
    for (const v of conf.voters) members.add(v);
    for (const l of conf.learners) members.add(l);
    members.delete(this.id);
    for (const id of this.#prs.keys()) if (!members.has(id)) this.#prs.delete(id);
    const learners = new Set(conf.learners);
    for (const id of members) {
      const learner = learners.has(id);
      const pr = this.#prs.get(id);
      if (pr === undefined) {
        const p = new Progress(next, learner, this.#maxInflightMsgs, this.#maxInflightBytes);
        // A new member counts as active until the next CheckQuorum round can judge it.
        p.recentActive = true;
        p.order = this.#nextOrder++;
        this.#prs.set(id, p);
      } else {
        pr.isLearner = learner;
      }
    }
    if (this.#leadTransferee !== '' && !this.#prs.has(this.#leadTransferee)) this.#leadTransferee = '';
  }

  #tickElection(): void {
    this.#electionElapsed++;
    this.#sinceLeader++;
    if (this.#promotable() && this.#electionElapsed >= this.#randomizedTimeout) {
      this.#electionElapsed = 0;
      this.#campaign(this.#preVote ? 'pre' : 'real', false);
    }
  }

  #tickHeartbeat(): void {
    this.#heartbeatElapsed++;
    this.#electionElapsed++;
    if (this.#electionElapsed >= this.#electionTick) {
      this.#electionElapsed = 0;
      if (this.#checkQuorum) {
        if (!this.#quorumActive()) {
          this.#becomeFollower(this.#term, '');
          return;
        }
      }
      if (this.#leadTransferee !== '') this.#leadTransferee = '';
    }
    // The paced learners first: one whose append goes out this tick needs no heartbeat.
    this.#sendPacedLearners();
    if (this.#heartbeatElapsed >= this.#heartbeatTick) {
      this.#heartbeatElapsed = 0;
      this.#bcastHeartbeat();
    }
  }

  /** Whether `pr` is a learner replicated once per heartbeat period (see `paceLearnersAbove`). */
  #paced(pr: Progress): boolean {
    return pr.isLearner && this.#conf.current().learners.length > this.#paceLearnersAbove;
  }

  /**
   * Leader, each tick: the paced learners whose slot this tick is get what was appended or
   * committed since their last append (each learner once per heartbeat period), through a relay
   * with `relayPacedLearners`. A learner that acknowledged nothing for `PACED_STALL_SLOTS` slots
   * while appends were in flight gets an empty append (see `#sendEmptyAppend`): those appends
   * may have been lost. Without that, a learner whose appends were lost waited for the next
   * commit, forever in a group that writes nothing (its heartbeat answers do not trigger an
   * append, as they do for other followers: the slot does).
   * A learner sent nothing for `PACED_HEARTBEAT_PERIODS` periods (nothing new, or its window
   * is full) gets a heartbeat at its slot.
   */
  #sendPacedLearners(): void {
    const last = this.#log.lastIndex();
    const commit = this.#log.committed;
    const idleGap = PACED_HEARTBEAT_PERIODS * this.#heartbeatTick;
    for (const [id, pr] of this.#prs) {
      if (!this.#paced(pr) || (this.#now + pr.order) % this.#heartbeatTick !== 0) continue;
      // What was sent stopped being acknowledged: lost on the way (relayed or not), or the
      // learner is slow. Answers late by a period or two are no reason to think so: a relayed
      // append takes one more hop than a direct one, through a voter that may be busy.
      const waiting = pr.match < pr.next - 1 && pr.match === pr.matchAtSlot;
      pr.stalledSlots = waiting ? pr.stalledSlots + 1 : 0;
      pr.matchAtSlot = pr.match;
      if (pr.stalledSlots >= PACED_STALL_SLOTS) {
        pr.stalledSlots = 0;
        this.#sendEmptyAppend(id, pr);
      } else if (pr.next <= last) {
        this.#sendAppend(id, true, true);
      } else if (pr.match === last && pr.commitSent < commit) {
        this.#sendAppend(id); // nothing new: the commit index
      }
      // Also when the append could not go (flow control paused): the answer frees the window.
      if (this.#heartbeatSpared(pr) && this.#now - Math.max(pr.appendSentAt, pr.heartbeatSentAt) >= idleGap)
        this.#sendHeartbeat(id, pr, '');
    }
  }

  /** A paced learner waits for its slot, unless it is far behind (catching up) or being probed. */
  #waitsForSlot(pr: Progress): boolean {
    return (
      this.#paced(pr) && pr.state === 'replicate' && this.#log.lastIndex() - pr.match < PACED_CATCHUP_ENTRIES
    );
  }

  /**
   * A paced learner in the replicate state is left out of the leader's heartbeat rounds: its
   * slot serves it (see `#sendPacedLearners`). It answers no read quorum and never campaigns, so
   * it only needs to hear of the leader and the commit index now and then. One being probed
   * keeps its heartbeats: their answers are what resend a lost probe.
   */
  #heartbeatSpared(pr: Progress): boolean {
    return pr.state === 'replicate' && this.#paced(pr);
  }

  /** CheckQuorum: did a quorum of voters (counting us) talk to us this round? Resets the marks. */
  #quorumActive(): boolean {
    const conf = this.#conf.current();
    let active = 0;
    for (const v of conf.voters) {
      if (v === this.id) active++;
      else if (this.#prs.get(v)?.recentActive === true) active++;
    }
    for (const pr of this.#prs.values()) pr.recentActive = false;
    return active >= quorum(conf.voters.length);
  }

  #campaign(kind: 'pre' | 'real', force: boolean): void {
    let voteTerm: number;
    if (kind === 'pre') {
      this.#becomePreCandidate();
      voteTerm = this.#term + 1;
    } else {
      this.#becomeCandidate();
      voteTerm = this.#term;
    }
    if (this.#poll(this.id, true) === 'won') {
      // A single-voter cluster.
      if (kind === 'pre') this.#campaign('real', force);
      else this.#becomeLeader();
      return;
    }
    const t = kind === 'pre' ? MessageType.PreVote : MessageType.Vote;
    const index = this.#log.lastIndex();
    const logTerm = this.#log.lastTerm();
    for (const v of this.#conf.current().voters) {
      if (v === this.id) continue;
      this.#send({ t, from: this.id, to: v, term: voteTerm, index, logTerm, force });
    }
  }

  #poll(from: NodeId, granted: boolean, weak = false): 'won' | 'lost' | 'pending' {
    const voters = this.#conf.current().voters;
    if (!voters.includes(from)) return 'pending';
    if (!this.#votes.has(from)) {
      this.#votes.set(from, granted);
      if (granted && weak) this.#weakVotes.add(from);
    }
    let yes = 0;
    let weakYes = 0;
    let no = 0;
    for (const v of voters) {
      const g = this.#votes.get(v);
      if (g === true) {
        yes++;
        if (this.#weakVotes.has(v)) weakYes++;
      } else if (g === false) no++;
    }
    const q = quorum(voters.length);
    // Weak grants complete a quorum only when the full ones alone meet every majority that may
    // have committed an entry (n - q + 1 of them): then one of them holds it, and the log check
    // made the candidate hold it too. With an odd count that is a quorum already; with an even
    // one (say 2 voters, one back without its log) it lets the group elect again.
    if (yes >= q && yes - weakYes >= voters.length - q + 1) return 'won';
    if (no > voters.length - q) return 'lost';
    return 'pending';
  }

  #handleVote(m: VoteMessage): void {
    const pre = m.t === MessageType.PreVote;
    const canVote =
      this.#vote === m.from || (this.#vote === '' && this.#lead === '') || (pre && m.term > this.#term);
    const respT = pre ? MessageType.PreVoteResp : MessageType.VoteResp;
    if (canVote && this.#log.isUpToDate(m.index, m.logTerm)) {
      // A granted pre-vote answers with the candidate's future term so it can count it. A node
      // that lost its log only says it does not object.
      this.#send({
        t: respT,
        from: this.id,
        to: m.from,
        term: m.term,
        reject: false,
        ...(this.#abstaining ? { weak: true } : {}),
      });
      if (!pre) {
        this.#electionElapsed = 0;
        this.#vote = m.from;
      }
    } else {
      this.#send({ t: respT, from: this.id, to: m.from, term: this.#term, reject: true });
    }
  }

  #stepLeader(m: Message): void {
    if (m.t === MessageType.ReadIndex) {
      if (this.#prs.has(m.from)) this.#handleReadRequest(m.ctx, m.from);
      return;
    }
    const pr = this.#prs.get(m.from);
    if (pr === undefined) return; // not a member (anymore)
    switch (m.t) {
      case MessageType.AppendResp:
        pr.recentActive = true;
        pr.heardAt = this.#now;
        this.#handleAppendResp(m, pr);
        break;
      case MessageType.HeartbeatResp:
        pr.recentActive = true;
        pr.heardAt = this.#now;
        this.#handleHeartbeatResp(m, pr);
        break;
      case MessageType.SnapshotResp:
        pr.recentActive = true;
        pr.heardAt = this.#now;
        this.#handleSnapshotResp(m, pr);
        break;
      default:
        // Votes for a term we already won, a second leader in our term (impossible), ...
        break;
    }
  }

  #stepCandidate(m: Message): void {
    switch (m.t) {
      case MessageType.Append:
      case MessageType.Heartbeat:
      case MessageType.Snapshot:
        // Someone won this term.
        this.#becomeFollower(m.term, m.from);
        this.#stepFollower(m);
        break;
      case MessageType.VoteResp:
      case MessageType.PreVoteResp: {
        const mine = this.#role === 'pre-candidate' ? MessageType.PreVoteResp : MessageType.VoteResp;
        if (m.t !== mine) return;
        const r = this.#poll(m.from, !m.reject, m.weak === true);
        if (r === 'won') {
          if (this.#role === 'pre-candidate') this.#campaign('real', false);
          else this.#becomeLeader();
        } else if (r === 'lost') {
          this.#becomeFollower(this.#term, '');
        }
        break;
      }
      default:
        break;
    }
  }

  #stepFollower(m: Message): void {
    switch (m.t) {
      case MessageType.Append:
        this.#electionElapsed = 0;
        this.#sinceLeader = 0;
        this.#lead = m.from;
        this.#handleAppend(m);
        break;
      case MessageType.Heartbeat:
        this.#electionElapsed = 0;
        this.#sinceLeader = 0;
        this.#lead = m.from;
        this.#handleHeartbeat(m);
        break;
      case MessageType.Snapshot:
        this.#electionElapsed = 0;
        this.#sinceLeader = 0;
        this.#lead = m.from;
        this.#handleSnapshotChunk(m);
        break;
      case MessageType.TimeoutNow:
        // Only our leader may hand over; the forced campaign skips pre-vote and the followers' lease.
        if (m.from === this.#lead && this.#promotable()) this.#campaign('real', true);
        break;
      case MessageType.ReadIndexResp:
        if (m.from === this.#lead) this.#readStates.push({ index: m.index, ctx: m.ctx });
        break;
      default:
        break;
    }
  }

  // ---------------------------------------------------------------- follower side

  /**
   * A relayed append, as the leader's own. Taken only from a voter, for the leader we follow in
   * our term: a relay never tells us of a new term or leader (the leader itself does), and no
   * member can pass off an append as the leader's to one that follows another. One that starts
   * beyond our log (an earlier relayed append was lost) is dropped unanswered: refusing it would
   * set the leader probing while the appends relayed after it are still arriving, each of them
   * refused in turn; the leader finds the gap when our acknowledgements stall.
   */
  #unrelay(m: RelayedAppendMessage): AppendMessage | undefined {
    if (
      this.#role !== 'follower' ||
      m.term !== this.#term ||
      m.leader === '' ||
      m.leader !== this.#lead ||
      !isVoter(this.#conf.current(), m.from) ||
      m.index > this.#log.lastIndex()
    )
      return undefined;
    return {
      t: MessageType.Append,
      from: m.leader,
      to: m.to,
      term: m.term,
      index: m.index,
      logTerm: m.logTerm,
      entries: m.entries,
      commit: m.commit,
    };
  }

  /**
   * The leader asks us to send a learner an append of its. Our log holding its entry `last` with
   * the leader's term makes our entries up to there the leader's (Log Matching), so what we send
   * is the leader's append. Anything else (entries compacted or not received yet, or more than
   * one append may carry: a leader cuts its appends at `maxSizePerMsg`, and so do we) is dropped,
   * as a network may drop any message; the leader finds out when the learner's answers stall.
   */
  #relay(m: RelayMessage): void {
    if (
      m.last > this.#log.lastIndex() ||
      this.#log.term(m.last) !== m.lastTerm ||
      this.#log.term(m.index) !== m.logTerm
    )
      return;
    const entries = this.#log.slice(m.index + 1, m.last + 1, this.#maxSizePerMsg);
    if (entries.length !== m.last - m.index) return;
    this.#send({
      t: MessageType.RelayedAppend,
      from: this.id,
      to: m.target,
      term: m.term,
      leader: m.from,
      index: m.index,
      logTerm: m.logTerm,
      entries,
      commit: m.commit,
    });
  }

  #handleAppend(m: AppendMessage): void {
    // Malformed batches (misplaced indices, entries from a future term) are ignored outright.
    for (let i = 0; i < m.entries.length; i++) {
      const e = m.entries[i]!;
      if (e.index !== m.index + 1 + i || e.term > m.term) return;
    }
    if (m.index < this.#log.committed) {
      this.#sendAppendResp(m.from, this.#log.committed, false, 0, 0);
      return;
    }
    const r = this.#log.maybeAppend(m.index, m.logTerm, m.commit, m.entries);
    if (r.last >= 0) {
      if (r.from !== 0) this.#conf.onAppend(m.entries.slice(r.from - m.index - 1));
      this.#sendAppendResp(m.from, r.last, false, 0, 0);
      return;
    }
    const hint = this.#log.findConflictByTerm(Math.min(m.index, this.#log.lastIndex()), m.logTerm);
    this.#sendAppendResp(m.from, m.index, true, hint, this.#log.term(hint) ?? 0);
  }

  #sendAppendResp(to: NodeId, index: number, reject: boolean, hint: number, hintTerm: number): void {
    this.#send({
      t: MessageType.AppendResp,
      from: this.id,
      to,
      term: this.#term,
      index,
      reject,
      hint,
      hintTerm,
    });
  }

  #handleHeartbeat(m: HeartbeatMessage): void {
    // The leader sends min(match, commit), never past what we acknowledged. A log that ends
    // before it lost entries (storage gone, same id): say so as a rejected probe at that index,
    // or an idle leader would never resend them.
    const last = this.#log.lastIndex();
    if (m.commit > last) this.#sendAppendResp(m.from, m.commit, true, last, this.#log.term(last) ?? 0);
    this.#log.commitTo(Math.min(m.commit, last));
    this.#send({
      t: MessageType.HeartbeatResp,
      from: this.id,
      to: m.from,
      term: this.#term,
      round: m.round,
      ctx: m.ctx,
    });
  }

  /**
   * Takes the next chunk of a snapshot from the leader. Chunks are handed to the caller as they
   * arrive (`Ready.snapshotChunks`); only the position is kept here, so a transfer of any size
   * costs the core nothing. The last chunk replaces the log (`Ready.snapshot`).
   */
  #handleSnapshotChunk(m: SnapshotMessage): void {
    const respond = (offset: number, reject: boolean) =>
      this.#send({
        t: MessageType.SnapshotResp,
        from: this.id,
        to: m.from,
        term: this.#term,
        index: m.meta.index,
        offset,
        reject,
      });
    if (m.meta.index <= this.#log.committed) {
      // Nothing to learn; tell the leader where we are instead.
      this.#dropIncoming();
      this.#sendAppendResp(m.from, this.#log.committed, false, 0, 0);
      return;
    }
    if (m.offset + m.data.length > m.total) {
      // Inconsistent (the codec refuses these; a caller feeding messages directly may not).
      respond(0, true);
      return;
    }
    let cur = this.#incoming;
    const same =
      cur !== undefined &&
      cur.meta.index === m.meta.index &&
      cur.meta.term === m.meta.term &&
      cur.total === m.total;
    if (!same) {
      if (m.offset !== 0) {
        respond(0, true);
        return;
      }
      this.#dropIncoming();
      cur = { meta: m.meta, total: m.total, received: 0, handedOut: false };
      this.#incoming = cur;
    }
    const inc = cur!;
    if (m.offset !== inc.received) {
      // A duplicate or a gap: say what we expect.
      respond(inc.received, false);
      return;
    }
    if (m.data.length > 0 || inc.total === 0) {
      this.#chunks.push({ meta: inc.meta, offset: m.offset, total: inc.total, data: m.data });
    }
    inc.received += m.data.length;
    if (inc.received < inc.total) {
      respond(inc.received, false);
      return;
    }
    this.#incoming = undefined;
    const restored = this.#restore(inc.meta);
    if (!restored) this.#abandon(inc);
    this.#sendAppendResp(m.from, restored ? this.#log.lastIndex() : this.#log.committed, false, 0, 0);
  }

  /** Forgets the snapshot being received, telling the caller if it saw any of it. */
  #dropIncoming(): void {
    const inc = this.#incoming;
    if (inc === undefined) return;
    this.#incoming = undefined;
    this.#abandon(inc);
  }

  #abandon(inc: IncomingSnapshot): void {
    this.#chunks = this.#chunks.filter((c) => c.meta !== inc.meta);
    if (inc.handedOut) this.#abandoned = true;
  }

  /** Install a snapshot from the leader. Returns false if our log already covers it. */
  #restore(meta: SnapshotMeta): boolean {
    const { index, term } = meta;
    if (index <= this.#log.committed) return false;
    if (this.#log.matchTerm(index, term)) {
      // Our log already holds the snapshot's last entry: just fast-forward the commit.
      this.#log.commitTo(index);
      return false;
    }
    this.#log.restore(meta);
    this.#conf.restore(meta.conf, index);
    return true;
  }

  // ---------------------------------------------------------------- leader side

  /** Leader: append our own entries; they are broadcast at the next `ready()`. */
  #appendLeader(entries: Entry[]): void {
    this.#appendLocal(entries);
    this.#appendDirty = true;
    // A single-voter cluster commits on its own.
    this.#maybeCommit();
  }

  #appendLocal(entries: Entry[]): void {
    this.#log.append(entries);
    this.#conf.onAppend(entries);
    // Only a configuration entry changes whom the leader tracks: sparing the walk over every
    // member on each proposal matters in a wide group.
    if (this.#role === 'leader' && entries.some((e) => e.type === EntryType.Conf)) this.#syncProgress();
  }

  #handleAppendResp(m: AppendRespMessage, pr: Progress): void {
    if (m.reject) {
      if (m.hint < pr.match && m.index >= pr.match) {
        // An answer to a current probe says the log ends before what it acknowledged: it lost
        // it. (Without this the probe could never go below its match and would repeat forever.)
        pr.forgetTo(m.hint);
        this.#sendAppend(m.from);
        return;
      }
      let next = m.hint;
      if (m.hintTerm > 0) next = this.#log.findConflictByTerm(m.hint, m.hintTerm);
      if (pr.maybeDecrTo(m.index, next)) {
        if (pr.state === 'replicate') pr.becomeProbe();
        this.#sendAppend(m.from);
      }
      return;
    }
    if (m.index > this.#log.lastIndex()) return; // cannot be ours: ignore
    const wasPaused = pr.isPaused();
    if (!pr.maybeUpdate(m.index)) return;
    if (pr.state === 'probe') {
      pr.becomeReplicate();
    } else if (pr.state === 'snapshot' && pr.match >= pr.pendingSnapshot) {
      pr.becomeProbe();
      pr.becomeReplicate();
    } else if (pr.state === 'replicate') {
      pr.inflights.freeLE(m.index);
    }
    const waits = this.#waitsForSlot(pr);
    if (this.#maybeCommit()) {
      if (!this.#deferCommitNotice) this.#bcastAppend();
      else {
        this.#commitNoticeDue = true;
        if (wasPaused && !waits) this.#sendAppend(m.from);
      }
    } else if (wasPaused && !waits) {
      this.#sendAppend(m.from);
    }
    // Fill the pipeline.
    while (
      !waits &&
      this.#role === 'leader' &&
      this.#prs.get(m.from) === pr &&
      this.#sendAppend(m.from, false)
    ) {}
    if (this.#role === 'leader' && m.from === this.#leadTransferee && pr.match === this.#log.lastIndex()) {
      this.#sendTimeoutNow(m.from);
    }
  }

  #handleHeartbeatResp(m: HeartbeatRespMessage, pr: Progress): void {
    pr.probeSent = false;
    if (m.round > pr.ackedRound && m.round <= this.#now) pr.ackedRound = m.round;
    if (pr.state === 'replicate' && pr.inflights.full()) pr.inflights.freeFirst();
    if (pr.state === 'snapshot') {
      const tr = pr.transfer;
      // Resend only after a few rounds brought no progress (a chunk was lost): a slow link that
      // needs longer than one round for a chunk must not be flooded with copies of it.
      if (tr !== undefined && !this.#renewTransfer(m.from, pr)) {
        tr.stalledRounds = tr.acked === tr.ackedAtHeartbeat ? tr.stalledRounds + 1 : 0;
        tr.ackedAtHeartbeat = tr.acked;
        if (tr.stalledRounds >= SNAPSHOT_STALL_ROUNDS) {
          tr.stalledRounds = 0;
          this.#sendChunks(m.from, pr, true);
        }
      }
    } else if (pr.match < this.#log.lastIndex() && !this.#waitsForSlot(pr)) this.#sendAppend(m.from);
    if (m.ctx !== '') this.#recvReadAck(m.from, m.ctx);
  }

  #handleSnapshotResp(m: SnapshotRespMessage, pr: Progress): void {
    const tr = pr.transfer;
    if (pr.state !== 'snapshot' || tr === undefined || m.index !== tr.snapshot.meta.index) return;
    if (this.#renewTransfer(m.from, pr)) return;
    if (m.reject) {
      tr.acked = 0;
      this.#sendChunks(m.from, pr, true);
    } else if (m.offset > tr.acked && m.offset <= tr.snapshot.data.length) {
      tr.acked = m.offset;
      tr.sent = Math.max(tr.sent, tr.acked);
      this.#sendChunks(m.from, pr, false);
    }
  }

  /**
   * Switches a transfer to a newer snapshot recorded since it began, from its first byte, while
   * less than half of the older one went through: the follower then skips the log between the
   * two, which crosses the network much more slowly than a snapshot (and often uncompressed). At
   * most once per transfer, so a leader snapshotting often cannot keep a slow follower from
   * ever finishing.
   */
  #renewTransfer(to: NodeId, pr: Progress): boolean {
    const tr = pr.transfer;
    if (tr === undefined || tr.renewed || tr.acked * 2 >= tr.snapshot.data.length) return false;
    const latest = this.#log.storage.snapshot();
    if (latest.meta.index <= tr.snapshot.meta.index) return false;
    pr.becomeSnapshot({ meta: latest.meta, data: latest.data }, true);
    this.#sendChunks(to, pr, true);
    return true;
  }

  #maybeCommit(): boolean {
    const conf = this.#conf.current();
    const matches: number[] = [];
    for (const v of conf.voters) {
      if (v === this.id) matches.push(this.#log.lastIndex());
      else matches.push(this.#prs.get(v)?.match ?? 0);
    }
    if (matches.length === 0) return false;
    matches.sort((a, b) => b - a);
    const mci = matches[quorum(matches.length) - 1]!;
    // Only entries of our own term commit by counting (Raft §5.4.2).
    if (mci <= this.#log.committed || this.#log.term(mci) !== this.#term) return false;
    const firstOfTerm = this.#log.term(this.#log.committed) !== this.#term;
    this.#log.commitTo(mci);
    if (firstOfTerm) this.#releaseDeferredReads();
    // A leader that removed itself steps down once the change is committed (thesis §4.2.2).
    if (!isVoter(conf, this.id) && this.#conf.currentIndex() <= mci) {
      this.#becomeFollower(this.#term, '');
    }
    return true;
  }

  #bcastAppend(): void {
    for (const [id, pr] of this.#prs) if (!this.#paced(pr)) this.#sendAppend(id);
  }

  /** Leader with `deferCommitNotice`: a commit advance was not sent to every follower yet. */
  get commitNoticeDue(): boolean {
    return this.#commitNoticeDue;
  }

  /**
   * Leader with `deferCommitNotice`: tells every follower that was not sent the current commit
   * index yet (an empty AppendEntries; a paused one learns it from the next heartbeat).
   */
  flushCommit(): void {
    if (!this.#commitNoticeDue) return;
    this.#commitNoticeDue = false;
    if (this.#role !== 'leader') return;
    const commit = this.#log.committed;
    for (const [id, pr] of this.#prs) if (pr.commitSent < commit && !this.#paced(pr)) this.#sendAppend(id);
  }

  /**
   * Sends `to` what follows its `next` if flow control allows; returns whether something was
   * sent. With `mayRelay` (a paced learner's slot, with `relayPacedLearners`), the entries go
   * through its relay when the relay holds them.
   */
  #sendAppend(to: NodeId, sendIfEmpty = true, mayRelay = false): boolean {
    const pr = this.#prs.get(to);
    if (pr === undefined || pr.isPaused()) return false;
    const prevIndex = pr.next - 1;
    const prevTerm = this.#log.term(prevIndex);
    if (prevTerm === undefined || pr.next < this.#log.firstIndex()) return this.#startSnapshot(to, pr);
    const last = this.#log.lastIndex();
    const relay =
      mayRelay && this.#relayPacedLearners && pr.state === 'replicate' && pr.next <= last
        ? this.#relayOf(pr)
        : undefined;
    // The relay has not acknowledged anything the learner lacks yet: the learner waits for its
    // next slot rather than take the bytes from us.
    if (relay !== undefined && relay.match < pr.next) return false;
    const via = relay?.id;
    // What a relay can carry ends where its acknowledged log does; the rest goes at the next slot.
    const upTo = relay === undefined ? last : Math.min(last, relay.match);
    const entries = pr.next <= upTo ? this.#log.slice(pr.next, upTo + 1, this.#maxSizePerMsg) : [];
    if (entries.length === 0 && !sendIfEmpty) return false;
    const lastEntry = entries[entries.length - 1];
    if (via !== undefined && lastEntry !== undefined) {
      this.#send({
        t: MessageType.Relay,
        from: this.id,
        to: via,
        term: this.#term,
        target: to,
        index: prevIndex,
        logTerm: prevTerm,
        last: lastEntry.index,
        lastTerm: lastEntry.term,
        commit: this.#log.committed,
      });
    } else {
      this.#sendEntries(to, prevIndex, prevTerm, entries);
    }
    pr.commitSent = this.#log.committed;
    pr.appendSentAt = this.#now;
    if (pr.state === 'replicate') {
      if (entries.length > 0) {
        const lastSent = entries[entries.length - 1]!.index;
        let bytes = 0;
        for (const e of entries) bytes += entrySize(e);
        pr.next = lastSent + 1;
        pr.inflights.add(lastSent, bytes);
      }
    } else {
      pr.probeSent = true;
    }
    return true;
  }

  /**
   * An append of no entries after `next − 1`, directly: a learner that holds all that was sent
   * acknowledges it, and one that lost appends refuses it, and the leader probes it and sends
   * what it lacks. Cheaper than sending again what may only be late (through a busy relay).
   */
  #sendEmptyAppend(to: NodeId, pr: Progress): void {
    const prevIndex = pr.next - 1;
    const prevTerm = this.#log.term(prevIndex);
    if (prevTerm === undefined) return; // compacted away: the next append starts a snapshot
    this.#sendEntries(to, prevIndex, prevTerm, []);
    pr.commitSent = this.#log.committed;
    pr.appendSentAt = this.#now;
  }

  /** An AppendEntries of `entries` after (`prevIndex`, `prevTerm`), with our commit index. */
  #sendEntries(to: NodeId, prevIndex: number, prevTerm: number, entries: readonly Entry[]): void {
    this.#send({
      t: MessageType.Append,
      from: this.id,
      to,
      term: this.#term,
      index: prevIndex,
      logTerm: prevTerm,
      entries,
      commit: this.#log.committed,
    });
  }

  /**
   * The voter (not us) that relays `pr`'s appends, when it is in the replicate state and was
   * heard from within an election timeout. Each learner keeps one relay (the learners spread over
   * the voters by the order they joined in): appends through one relay arrive in order, and
   * appends through two could overtake each other and be refused.
   */
  #relayOf(pr: Progress): { id: NodeId; match: number } | undefined {
    const relays = this.#conf.current().voters.filter((v) => v !== this.id);
    const id = relays[pr.order % relays.length];
    const rp = id === undefined ? undefined : this.#prs.get(id);
    if (rp === undefined || rp.state !== 'replicate' || this.#now - rp.heardAt >= this.#electionTick)
      return undefined;
    return { id: id!, match: rp.match };
  }

  #startSnapshot(to: NodeId, pr: Progress): boolean {
    if (!pr.recentActive) return false; // don't push a snapshot to a node that may be gone
    const snap = this.#log.storage.snapshot();
    if (snap.meta.index === 0) throw new RaftInvariantError('log compacted without a snapshot');
    // Read the data once per transfer: a durable store may keep it on disk, not in memory.
    pr.becomeSnapshot({ meta: snap.meta, data: snap.data });
    this.#sendChunks(to, pr, true);
    return true;
  }

  /**
   * Fills the window of chunks in flight to `to`; `restart` sends again from the last
   * acknowledged byte (a chunk was lost or the follower asked to start over).
   */
  #sendChunks(to: NodeId, pr: Progress, restart: boolean): void {
    const tr = pr.transfer;
    if (tr === undefined) return;
    if (restart) tr.sent = tr.acked;
    const data = tr.snapshot.data;
    const chunk = (offset: number): number => {
      const part = data.subarray(offset, Math.min(data.length, offset + this.#chunkSize));
      this.#send({
        t: MessageType.Snapshot,
        from: this.id,
        to,
        term: this.#term,
        meta: tr.snapshot.meta,
        offset,
        total: data.length,
        data: part,
      });
      return part.length;
    };
    // An empty snapshot is one empty chunk.
    if (data.length === 0) {
      if (restart) chunk(0);
      return;
    }
    const window = Math.max(
      this.#chunkSize,
      Math.min(SNAPSHOT_WINDOW * this.#chunkSize, SNAPSHOT_WINDOW_BYTES),
    );
    const limit = Math.min(data.length, tr.acked + window);
    while (tr.sent < limit) tr.sent += chunk(tr.sent);
  }

  /**
   * Heartbeats every follower; `votersOnly` for a read's confirmation round, which only the
   * voters' answers can complete (the learners still get the periodic ones).
   */
  #bcastHeartbeat(votersOnly = false): void {
    const ctx = this.#reads.length > 0 ? this.#reads[this.#reads.length - 1]!.ctx : '';
    for (const [id, pr] of this.#prs) {
      if (pr.isLearner ? votersOnly || this.#heartbeatSpared(pr) : false) continue;
      this.#sendHeartbeat(id, pr, ctx);
    }
  }

  #sendHeartbeat(to: NodeId, pr: Progress, ctx: string): void {
    pr.heartbeatSentAt = this.#now;
    this.#send({
      t: MessageType.Heartbeat,
      from: this.id,
      to,
      term: this.#term,
      commit: Math.min(pr.match, this.#log.committed),
      round: this.#now,
      ctx,
    });
  }

  #sendTimeoutNow(to: NodeId): void {
    this.#send({ t: MessageType.TimeoutNow, from: this.id, to, term: this.#term });
  }

  // ---------------------------------------------------------------- reads

  #handleReadRequest(ctx: string, from: NodeId): void {
    const conf = this.#conf.current();
    if (conf.voters.length === 1 && conf.voters[0] === this.id) {
      this.#respondRead(ctx, from, this.#log.committed);
      return;
    }
    if (this.#log.term(this.#log.committed) !== this.#term) {
      // Our commit index may lag the true one until our no-op commits.
      this.#deferredReads.push({ ctx, from });
      return;
    }
    if (this.#leaseReads && this.#leaseValid()) {
      this.#respondRead(ctx, from, this.#log.committed);
      return;
    }
    if (this.#readsByCtx.has(ctx)) return;
    const req: ReadRequest = { ctx, from, index: this.#log.committed, acks: new Set([this.id]) };
    this.#reads.push(req);
    this.#readsByCtx.set(ctx, req);
    this.#bcastHeartbeat(true);
  }

  #releaseDeferredReads(): void {
    const deferred = this.#deferredReads;
    this.#deferredReads = [];
    for (const r of deferred) this.#handleReadRequest(r.ctx, r.from);
  }

  #recvReadAck(from: NodeId, ctx: string): void {
    const req = this.#readsByCtx.get(ctx);
    if (req === undefined) return;
    req.acks.add(from);
    const voters = this.#conf.current().voters;
    let n = 0;
    for (const v of voters) if (req.acks.has(v)) n++;
    if (n < quorum(voters.length)) return;
    // A quorum answered a heartbeat sent after every earlier request was queued: release them too.
    const pos = this.#reads.indexOf(req);
    const done = this.#reads.splice(0, pos + 1);
    for (const r of done) {
      this.#readsByCtx.delete(r.ctx);
      this.#respondRead(r.ctx, r.from, r.index);
    }
  }

  #respondRead(ctx: string, from: NodeId, index: number): void {
    if (from === this.id) {
      this.#readStates.push({ index, ctx });
      return;
    }
    this.#send({ t: MessageType.ReadIndexResp, from: this.id, to: from, term: this.#term, index, ctx });
    // A paced learner would otherwise wait for its slot to learn the entries its read waits for.
    const pr = this.#prs.get(from);
    if (pr !== undefined && this.#paced(pr) && (pr.next <= index || pr.commitSent < index))
      this.#sendAppend(from);
  }

  /** The lease: a quorum acknowledged a heartbeat sent less than `#leaseTicks` ago. */
  #leaseValid(): boolean {
    if (this.#leaseDisabled || this.#leadTransferee !== '') return false;
    const voters = this.#conf.current().voters;
    const rounds: number[] = [];
    for (const v of voters) {
      if (v === this.id) rounds.push(this.#now);
      else rounds.push(this.#prs.get(v)?.ackedRound ?? -1);
    }
    rounds.sort((a, b) => b - a);
    const start = rounds[quorum(voters.length) - 1] ?? -1;
    return start >= 0 && this.#now < start + this.#leaseTicks;
  }

  #send(m: Message): void {
    this.#msgs.push(m);
  }
}

function normalizeConf(conf: ConfState): ConfState {
  const voters = [...new Set(conf.voters)].sort();
  const learners = [...new Set(conf.learners)].filter((l) => !voters.includes(l)).sort();
  return { voters, learners };
}
