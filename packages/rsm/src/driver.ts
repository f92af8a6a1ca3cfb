/**
 * Drives one `@mosaik/raft` core: ticks it on a timer, and for every `Ready` persists first,
 * then sends (batched per peer), then applies committed entries to the state machine, then
 * advances; takes snapshots and compacts the log; tracks proposals and ReadIndex requests.
 */
import { type Codec, type GroupId, randomBytes, toHex, Watch } from '@mosaik/id';
import type { Logger } from '@mosaik/metrics';
import {
  type ConfState,
  type Entry,
  EntryType,
  emptyConf,
  entrySize,
  type Message,
  MessageType,
  messageCodec,
  type NodeId,
  RaftInvariantError,
  RaftNode,
  type RaftRole,
  type Ready,
  type Snapshot,
  type SnapshotMeta,
  SnapshotOutOfDateError,
  type SnapshotWriter,
  type Storage,
} from '@mosaik/raft';
import { AdmissionRecord, admissionContext } from './admissions.js';
import type { ConsensusConfig } from './config.js';
import { ticksOf } from './config.js';
import type { GroupsMetrics } from './metrics.js';
import {
  compressSliced,
  EnvelopeReader,
  encodeEnvelope,
  feedSliced,
  Inflater,
  openEnvelope,
  type SnapshotHeader,
} from './snapshot.js';
import { type SnapshotSink, type SnapshotView, type StateMachine, snapshotBytes } from './state-machine.js';
import { commitTrace } from './trace.js';

/** What the driver needs from its group. */
export interface DriverHost {
  /** Sends the encoded Raft messages of one round to a peer (one frame). */
  send(to: NodeId, messages: Uint8Array[]): void;
  /** Leader or role changed. */
  softState(lead: NodeId, role: RaftRole): void;
  /** This member's current life was admitted: it votes again (its peers should hear so now). */
  admitted(): void;
}

/**
 * A snapshot being received from the leader: each chunk goes to the storage (before it is
 * acknowledged) and then to the machine, so it is never held whole.
 */
interface Receiving {
  readonly meta: SnapshotMeta;
  readonly total: number;
  readonly store: SnapshotWriter;
  readonly envelope: EnvelopeReader;
  /** For a compressed state, once the header said so. */
  inflater: Inflater | undefined;
  readonly sink: SnapshotSink;
  /** Bytes of the (uncompressed) state fed to the sink. */
  stateBytes: number;
}

/** A proposal waiting for its last entry to be applied. */
interface Proposal {
  readonly term: number;
  readonly settle: (ok: boolean) => void;
}

/**
 * A new snapshot is taken only once the log applied since the last one holds at least this
 * fraction of the last one's size (besides `snapshotThreshold` entries): each snapshot then
 * costs a bounded multiple of the bytes written, however large the state grows. Without it, a
 * large state with a small threshold would be re-encoded over and over, one snapshot after
 * another.
 */
const SNAPSHOT_GROWTH = 0.5;
/**
 * While a follower is being sent a snapshot, one fresh snapshot is taken as soon as the log since
 * the last one holds this fraction of its size: the leader switches the transfer to it (if not
 * too far along), and the follower skips that log, which crosses the network more slowly than a
 * compressed snapshot.
 */
const SNAPSHOT_GROWTH_CATCHUP = 0.1;

/** A new cluster id: the founder's short id and 8 random bytes, so a refounded cluster never reuses one. */
export function newClusterId(founder: NodeId): string {
  return `${founder.slice(0, 16)}-${toHex(randomBytes(8))}`;
}

/** What a member discarded when its cluster lost a merge. */
export interface Discarded {
  /** The cluster it left. */
  readonly cluster: string;
  /** Its last committed-and-applied index there. */
  readonly committed: number;
}

/** Options of a {@link RaftDriver}. */
export interface DriverOptions<C> {
  readonly id: NodeId;
  readonly groupId: GroupId;
  /** The storage opened at join; replaced by `reset`. */
  readonly storage: Storage;
  readonly machine: StateMachine<C, unknown, unknown>;
  readonly codec: Codec<C>;
  readonly consensus: ConsensusConfig;
  /** Multiplies the election timeout (reluctant members). */
  readonly electionFactor: number;
  readonly host: DriverHost;
  readonly metrics: GroupsMetrics;
  readonly logger: Logger;
}

/** One member's Raft loop. */
export class RaftDriver<C> {
  readonly #o: DriverOptions<C>;
  #storage: Storage;
  #raft: RaftNode;
  /** The machine's state before anything was applied: what a reset member starts again from. */
  readonly #genesis: Uint8Array;
  /** Bumped by every reset: log positions of an older epoch belong to a discarded history. */
  #epoch = 0;
  readonly #label: { group: string };
  /** Highest index applied to the state machine. */
  readonly applied = new Watch(0);
  /** Last index in the local log. */
  readonly lastIndex = new Watch(0);
  /** The configuration as of `applied` (what a snapshot at `applied` must record). */
  #appliedConf: ConfState = emptyConf;
  /** The founder of the cluster this member belongs to (hex peer id), `''` before it has one. */
  #cluster = '';
  /** The life each member was admitted in, as of `applied` (see admissions.ts). */
  readonly #admissions = new AdmissionRecord();
  readonly #proposals = new Map<number, Proposal>();
  readonly #reads = new Map<string, (index: number) => void>();
  #pumpQueued = false;
  #draining = false;
  /**
   * A leader's `Ready` is being synced off the event loop: messages and ticks wait in `#held`
   * until it is advanced, so nothing is stepped between a `Ready` and its `advance` (as when the
   * sync blocks). In particular no acknowledgement counts toward a commit before the leader's
   * own entries are durable.
   */
  #holding: RaftNode | undefined;
  #held: Message[] = [];
  #heldTicks = 0;
  /** A commit notice for the followers is scheduled (see `#noticeCommit`). */
  #noticeQueued = false;
  #stopped = false;
  /** A snapshot is being encoded and written in the background. */
  #snapshotting = false;
  /** Bytes of the entries applied since the snapshot (being) taken last (see SNAPSHOT_GROWTH). */
  #appliedBytes = 0;
  /** Bytes of the machine's state in the latest snapshot (its data may live on disk only). */
  #snapshotBytes = 0;
  /** The snapshot being received from the leader, if any. */
  #receiving: Receiving | undefined;
  /** An early snapshot was taken for the followers now receiving one (see SNAPSHOT_GROWTH_CATCHUP). */
  #catchupSnapshotTaken = false;

  constructor(options: DriverOptions<C>) {
    this.#o = options;
    this.#storage = options.storage;
    this.#label = { group: options.groupId.short() };
    this.#genesis = snapshotBytes(options.machine.snapshot());
    const snap = options.storage.snapshot();
    if (snap.meta.index > 0) this.#restore(snap);
    const s = options.storage;
    const from = Math.max(s.firstIndex(), snap.meta.index + 1);
    if (from <= s.lastIndex())
      for (const e of s.entries(from, s.lastIndex() + 1)) this.#appliedBytes += entrySize(e);
    // A log without a snapshot: a founder that stopped before its first snapshot (which names
    // the cluster). Nobody joined it yet (joiners start from that snapshot): name it anew.
    if (this.#cluster === '' && options.storage.lastIndex() > 0) {
      this.#cluster = newClusterId(options.id);
      // Its log is its own (no one else ever had it): nothing was lost.
      const life = options.storage.incarnation;
      if (life !== undefined) this.#admissions.restore([[options.id, life]]);
    }
    this.#raft = this.#newNode(undefined);
  }

  #newNode(bootstrap: ConfState | undefined): RaftNode {
    const { electionTick, heartbeatTick } = ticksOf(this.#o.consensus);
    const life = this.#storage.incarnation;
    return new RaftNode({
      id: this.#o.id,
      storage: this.#storage,
      electionTick: Math.max(electionTick * this.#o.electionFactor, heartbeatTick + 1),
      heartbeatTick,
      snapshotChunkSize: this.#o.consensus.snapshotChunkSize,
      random: Math.random,
      deferCommitNotice: true,
      // A wide group (more learners than it may have voters) replicates to each learner once
      // per heartbeat period: with dozens of them, a message each per commit (or per tick)
      // would cost the leader more than the commits themselves.
      paceLearnersAbove: this.#o.consensus.maxVoters,
      // And the voters carry those appends (the leader sends each a few numbers): the leader's
      // cost per entry is then its voters', not its voters' and every learner's.
      relayPacedLearners: this.#o.consensus.relayLearners,
      // Until the entries replayed on start (or sent by the leader) show this life admitted.
      abstain: bootstrap === undefined && !this.#admittedInThisLife(),
      ...(bootstrap === undefined
        ? {}
        : {
            bootstrap,
            ...(life === undefined ? {} : { bootstrapContext: admissionContext([[this.#o.id, life]]) }),
          }),
    });
  }

  /**
   * The life of this member's storage (see `Storage.incarnation`); `undefined` for a storage
   * that cannot tell, which never abstains.
   */
  get incarnation(): string | undefined {
    return this.#storage.incarnation;
  }

  /** The life `node` was admitted in, as of `applied`. */
  admittedAs(node: NodeId): string | undefined {
    return this.#admissions.of(node);
  }

  #admittedInThisLife(): boolean {
    const life = this.#storage.incarnation;
    return life === undefined || this.#admissions.of(this.#o.id) === life;
  }

  /** Lets the core vote once the applied state admits this life (never takes it back). */
  #checkAdmitted(): void {
    if (!this.#raft.abstaining || !this.#admittedInThisLife()) return;
    this.#raft.setAbstaining(false);
    this.#o.logger.info({ incarnation: this.#storage.incarnation }, 'admitted in this life: votes again');
    this.#o.host.admitted();
  }

  get raft(): RaftNode {
    return this.#raft;
  }

  /** The cluster this member belongs to, `''` before it has one. */
  get cluster(): string {
    return this.#cluster;
  }

  /** Incremented by every `reset`. */
  get epoch(): number {
    return this.#epoch;
  }

  /** True while this member has no configuration at all (never bootstrapped nor added). */
  get isFresh(): boolean {
    const s = this.#storage;
    const conf = this.#raft.conf;
    return (
      s.hardState().term === 0 &&
      s.lastIndex() === 0 &&
      s.snapshot().meta.index === 0 &&
      conf.voters.length === 0 &&
      conf.learners.length === 0
    );
  }

  /** Founds a new cluster with this member as its only voter. Only on fresh storage. */
  bootstrap(): boolean {
    if (!this.isFresh || this.#cluster !== '') return false;
    this.#cluster = newClusterId(this.#o.id);
    this.#raft = this.#newNode({ voters: [this.#o.id], learners: [] });
    this.#raft.campaign();
    this.pump();
    return true;
  }

  tick(): void {
    if (this.#holding === this.#raft) {
      this.#heldTicks++;
      return;
    }
    this.#raft.tick();
    this.pump();
  }

  /** Feeds received messages (already validated) to the core. */
  step(messages: readonly Message[]): void {
    if (commitTrace !== undefined) traceReceived(messages);
    if (this.#holding === this.#raft) {
      for (const m of messages) this.#held.push(m);
      return;
    }
    for (const m of messages) this.#raft.step(m);
    this.pump();
  }

  /** Steps what arrived while a `Ready` was syncing (dropped if the core was replaced meanwhile). */
  #release(raft: RaftNode): void {
    this.#holding = undefined;
    const held = this.#held;
    const ticks = this.#heldTicks;
    this.#held = [];
    this.#heldTicks = 0;
    if (this.#stopped || raft !== this.#raft) return;
    for (let i = 0; i < ticks; i++) raft.tick();
    for (const m of held) raft.step(m);
    if (ticks > 0 || held.length > 0) this.pump();
  }

  /**
   * A fresh member joins the cluster whose leader first reaches it (the group checked that this
   * cluster is the one to join). No-op once it has a cluster.
   */
  adopt(cluster: string): void {
    if (this.#cluster === '') this.#cluster = cluster;
  }

  /**
   * Gives up a fresh member's tentative cluster (adopted, but nothing ever arrived from it), so
   * it may join or found another.
   */
  forgetCluster(): void {
    if (this.isFresh) this.#cluster = '';
  }

  /**
   * This member's cluster lost a merge (when two clusters of one group
   * meet, the one with the longer committed log wins): discard the log, the hard state and the
   * machine's state, continue on the empty `storage` as a fresh member of `cluster`, which will
   * send its snapshot. Pending proposals and reads fail.
   */
  reset(storage: Storage, cluster: string): Discarded {
    const discarded: Discarded = { cluster: this.#cluster, committed: this.applied.get() };
    this.#epoch++;
    this.#snapshotting = false;
    this.#appliedBytes = 0;
    this.#snapshotBytes = 0;
    this.#dropReceiving();
    this.#storage = storage;
    this.#o.machine.restore(this.#genesis);
    this.#cluster = cluster;
    this.#appliedConf = emptyConf;
    this.#admissions.restore([]);
    for (const p of this.#proposals.values()) p.settle(false);
    this.#proposals.clear();
    this.#reads.clear();
    this.#held = [];
    this.#heldTicks = 0;
    this.#raft = this.#newNode(undefined);
    this.applied.set(0);
    this.lastIndex.set(0);
    this.#o.metrics.committed.set(this.#label, 0);
    this.#o.host.softState('', 'follower');
    return discarded;
  }

  /**
   * Proposes encoded commands (leader only; throws `NotLeaderError`/`ProposalDroppedError`).
   * Returns the assigned range, term and epoch.
   */
  propose(commands: readonly Uint8Array[]): { first: number; last: number; term: number; epoch: number } {
    const range = this.#raft.propose(commands);
    commitTrace?.markRange('propose', range.first, range.last);
    const term = this.#raft.term;
    this.pump();
    return { ...range, term, epoch: this.#epoch };
  }

  /**
   * Resolves `true` once entry `last` is applied with `term`, `false` if another term's entry
   * took its place (or a snapshot skipped over it, so the outcome is unknown, or a reset since
   * `epoch` discarded the log it was in).
   */
  awaitApplied(last: number, term: number, epoch: number): Promise<boolean> {
    if (epoch !== this.#epoch) return Promise.resolve(false);
    if (this.applied.get() >= last) {
      const t = this.#raft.termAt(last);
      return Promise.resolve(t === undefined ? false : t === term);
    }
    return new Promise((resolve) => {
      const previous = this.#proposals.get(last);
      this.#proposals.set(last, {
        term,
        settle: (ok) => {
          // `ok` says whether *this* term's entry was applied at `last`; an earlier proposal
          // placed there in another term was replaced, so it must not be reported committed.
          previous?.settle(ok && previous.term === term);
          resolve(ok);
        },
      });
    });
  }

  /** Starts a ReadIndex request; `onIndex` gets the read index once the leader confirmed it. */
  readIndex(ctx: string, onIndex: (index: number) => void): void {
    this.#raft.readIndex(ctx);
    this.#reads.set(ctx, onIndex);
    this.pump();
  }

  cancelRead(ctx: string): void {
    this.#reads.delete(ctx);
  }

  /** Processes pending `Ready`s after the current synchronous work. */
  pump(): void {
    if (this.#pumpQueued || this.#stopped) return;
    this.#pumpQueued = true;
    queueMicrotask(() => {
      this.#pumpQueued = false;
      // A running drain re-checks for work after every `Ready`: it picks this up.
      if (this.#stopped || this.#draining) return;
      this.#draining = true;
      this.#drain().catch((error: unknown) => {
        // A storage failure or a throwing state machine is divergence: stop this member.
        this.#o.logger.error({ err: String(error) }, 'raft driver stopped');
        this.stop();
      });
    });
  }

  /**
   * Handles `Ready`s until there are none: persist, send, install, apply, advance. A leader
   * sends its appends before it syncs (Raft thesis §10.2.1), so the followers write in parallel.
   * With a storage that syncs off the event loop the leader waits for its disk with its thread
   * free: frames queued behind a write still in flight (the commit notice of the previous entry)
   * leave at once instead of after the sync. Safe because the leader only counts a follower's
   * acknowledgement once it is stepped, which is after its own sync (see `#holding`). Everyone
   * else syncs first: no acknowledgement, vote or term leaves before it is durable.
   */
  async #drain(): Promise<void> {
    const raft = this.#raft;
    try {
      while (!this.#stopped && raft === this.#raft && raft.hasReady()) {
        const rd = raft.ready();
        commitTrace?.count('ready');
        let held = false;
        let applied = false;
        if (this.#leaderFirst(raft, rd)) {
          this.#send(rd.messages);
          if (commitTrace !== undefined) traceSent(rd);
          const storage = this.#storage;
          if (storage.syncAsync !== undefined) {
            this.#holding = raft;
            held = true;
            // The frames leave before the disk write and the applying below, which would
            // otherwise hold them on this thread: the transport writes on a microtask.
            await null;
            if (this.#stopped || raft !== this.#raft) return;
            this.#write(rd);
            const synced = storage.syncAsync();
            if (durableBefore(rd)) {
              // Committed entries this leader synced in an earlier Ready: applying them (and
              // answering their clients) need not wait for the disk to take this Ready's.
              try {
                this.#apply(rd.committedEntries);
              } catch (error) {
                synced.catch(() => {}); // the member stops on `error`; the sync's outcome no longer matters
                throw error;
              }
              applied = true;
            }
            await synced;
            if (commitTrace !== undefined) traceSynced(rd);
          } else {
            await null; // the transport flushes its queued frames on a microtask
          }
          // Reset or stopped meanwhile: this Ready belongs to a history that was thrown away.
          if (this.#stopped || raft !== this.#raft) return;
          if (!held) this.#persist(rd);
        } else {
          this.#persist(rd);
          this.#send(rd.messages);
          if (commitTrace !== undefined) traceSent(rd);
        }
        if (rd.snapshotChunks.length > 0 || rd.snapshot !== undefined) {
          await this.#restoreChunks(raft, rd);
          // Reset or stopped while installing: the rest of this Ready belongs to a discarded history.
          if (this.#stopped || raft !== this.#raft) return;
        }
        if (!applied) this.#apply(rd.committedEntries);
        for (const rs of rd.readStates) {
          const cb = this.#reads.get(rs.ctx);
          this.#reads.delete(rs.ctx);
          cb?.(rs.index);
        }
        if (rd.softState !== undefined) this.#o.host.softState(rd.softState.lead, rd.softState.role);
        raft.advance(rd);
        this.lastIndex.set(this.#storage.lastIndex());
        if (held) this.#release(raft);
      }
      if (!this.#stopped && raft === this.#raft) {
        this.#compact();
        if (raft.commitNoticeDue) this.#noticeCommit(raft);
      }
    } finally {
      if (this.#holding === raft) this.#release(raft);
      this.#draining = false;
      if (!this.#stopped && this.#raft !== raft && this.#raft.hasReady()) this.pump();
    }
  }

  /**
   * Tells the followers of a commit advance one event-loop turn later, unless the next proposal's
   * AppendEntries (which carries the commit index) went out first: a client that proposes again as
   * soon as its command is applied, saves a message to every follower and its answer per commit.
   */
  #noticeCommit(raft: RaftNode): void {
    if (this.#noticeQueued) return;
    this.#noticeQueued = true;
    setImmediate(() => {
      this.#noticeQueued = false;
      if (this.#stopped || raft !== this.#raft) return;
      raft.flushCommit();
      this.pump();
    });
  }

  /** Whether this `Ready` may go out before it is synced: a leader's, with no new term or vote. */
  #leaderFirst(raft: RaftNode, rd: Ready): boolean {
    if (
      raft.role !== 'leader' ||
      !rd.mustSync ||
      rd.snapshot !== undefined ||
      rd.snapshotChunks.length > 0 ||
      rd.messages.length === 0
    )
      return false;
    const hs = rd.hardState;
    if (hs === undefined) return true;
    const durable = this.#storage.hardState();
    return hs.term === durable.term && hs.vote === durable.vote;
  }

  #persist(rd: Ready): void {
    this.#write(rd);
    if (rd.mustSync) this.#storage.sync();
    if (commitTrace !== undefined) traceSynced(rd);
  }

  /** Writes what `rd` says to persist, without syncing. */
  #write(rd: Ready): void {
    const s = this.#storage;
    this.#storeChunks(rd);
    if (rd.entries.length > 0) s.append(rd.entries);
    if (rd.hardState !== undefined) s.setHardState(rd.hardState);
  }

  #send(messages: readonly Message[]): void {
    if (messages.length === 0) return;
    const byPeer = new Map<NodeId, Uint8Array[]>();
    for (const m of messages) {
      const list = byPeer.get(m.to) ?? [];
      if (list.length === 0) byPeer.set(m.to, list);
      list.push(messageCodec.encode(m));
    }
    for (const [to, list] of byPeer) this.#o.host.send(to, list);
    commitTrace?.count('frames', byPeer.size);
    commitTrace?.count('messagesOut', messages.length);
  }

  /** Installs a snapshot at once (on start, from storage). */
  #restore(snap: Snapshot): void {
    const envelope = openEnvelope(snap.data);
    this.#o.machine.restore(envelope.state);
    this.#snapshotBytes = envelope.state.length;
    this.#restored(snap.meta, envelope);
  }

  #restored(meta: SnapshotMeta, header: SnapshotHeader): void {
    this.#cluster = header.cluster;
    this.#appliedConf = meta.conf;
    this.#admissions.restore(header.admitted);
    this.#appliedBytes = 0;
    this.applied.set(meta.index);
  }

  /**
   * Stores the snapshot chunks of `rd` (before they are acknowledged), and makes the snapshot
   * durable once it is complete. A chunk at offset 0 starts a new snapshot.
   */
  #storeChunks(rd: Ready): void {
    if (rd.snapshotAbandoned) this.#dropReceiving();
    for (const chunk of rd.snapshotChunks) {
      if (chunk.offset === 0) {
        this.#dropReceiving();
        this.#receiving = this.#startReceiving(chunk.meta, chunk.total);
      }
      const rec = this.#receiving;
      if (rec === undefined || rec.meta !== chunk.meta)
        throw new RaftInvariantError(`snapshot chunk at ${chunk.offset} without its beginning`);
      rec.store.write(chunk.data);
    }
    if (rd.snapshot !== undefined) {
      const rec = this.#receiving;
      if (rec === undefined || rec.meta.index !== rd.snapshot.index)
        throw new RaftInvariantError(`snapshot at ${rd.snapshot.index} completed without its chunks`);
      rec.store.finish();
    }
  }

  #startReceiving(meta: SnapshotMeta, total: number): Receiving {
    const storage = this.#storage;
    const store = storage.receiveSnapshot?.(meta, total) ?? assembling(storage, meta, total);
    const machine = this.#o.machine;
    return {
      meta,
      total,
      store,
      envelope: new EnvelopeReader(),
      inflater: undefined,
      sink: machine.restoreChunks?.() ?? gathering((state) => machine.restore(state)),
      stateBytes: 0,
    };
  }

  /** Gives up the snapshot being received: the storage drops its pieces, the machine's sink is let go. */
  #dropReceiving(): void {
    const rec = this.#receiving;
    this.#receiving = undefined;
    rec?.store.abort();
    rec?.inflater?.destroy();
  }

  /**
   * Feeds the chunks of `rd` to the machine, in slices between other work so a large state does
   * not hold the event loop; once the snapshot is complete (`rd.snapshot`, already durable),
   * installs it. Abandoned if this member is reset or stopped meanwhile, or another snapshot
   * starts (the machine keeps its state until the sink's `end`).
   */
  async #restoreChunks(raft: RaftNode, rd: Ready): Promise<void> {
    const rec = this.#receiving;
    if (rec === undefined) return;
    const abandoned = () => this.#stopped || raft !== this.#raft || this.#receiving !== rec;
    /** Hands state bytes (compressed or not, as the envelope says) to the machine. */
    const feed = async (state: Uint8Array, last: boolean): Promise<boolean> => {
      let pieces = [state];
      if (rec.envelope.deflated) {
        rec.inflater ??= new Inflater();
        pieces = await rec.inflater.write(state);
        if (last) pieces.push(...(await rec.inflater.end()));
        if (abandoned()) return false;
      }
      for (const piece of pieces) {
        rec.stateBytes += piece.length;
        if (!(await feedSliced(rec.sink, piece, abandoned))) return false;
      }
      return true;
    };
    for (const chunk of rd.snapshotChunks) {
      if (chunk.meta !== rec.meta) continue; // a snapshot abandoned within this Ready
      if (!(await feed(rec.envelope.write(chunk.data), false))) return;
    }
    const done = rd.snapshot;
    if (done === undefined || done.index !== rec.meta.index) return;
    const { state, ...header } = rec.envelope.end();
    if (!(await feed(state, true))) return;
    this.#receiving = undefined;
    rec.sink.end();
    this.#snapshotBytes = rec.stateBytes;
    this.#restored(done, header);
    this.#checkAdmitted();
    // Proposals the snapshot skipped over have an unknown fate.
    for (const [index, p] of this.#proposals) {
      if (index <= done.index) {
        this.#proposals.delete(index);
        p.settle(false);
      }
    }
  }

  #apply(entries: readonly Entry[]): void {
    const { machine, codec } = this.#o;
    let i = 0;
    while (i < entries.length) {
      const e = entries[i]!;
      if (e.type === EntryType.Conf) {
        this.#appliedConf = e.conf ?? emptyConf;
        this.#admissions.apply(e.data, this.#appliedConf);
        this.#checkAdmitted();
        this.#applied(e);
        i++;
        continue;
      }
      if (e.data.length === 0) {
        this.#applied(e); // the leader's no-op
        i++;
        continue;
      }
      // A run of commands of one term goes to the machine as one batch.
      let j = i;
      const commands: C[] = [];
      while (j < entries.length) {
        const x = entries[j]!;
        if (x.type !== EntryType.Normal || x.data.length === 0 || x.term !== e.term) break;
        try {
          commands.push(codec.decode(x.data));
        } catch (error) {
          // Every member decodes the same bytes with the same codec, so skipping stays deterministic.
          this.#o.logger.error(
            { index: x.index, err: String(error) },
            'undecodable committed command skipped',
          );
          break;
        }
        j++;
      }
      if (commands.length > 0) {
        const ctx = { index: e.index, term: e.term, groupId: this.#o.groupId };
        if (machine.applyBatch !== undefined) machine.applyBatch(commands, ctx);
        else
          for (let k = 0; k < commands.length; k++)
            machine.apply(commands[k]!, { ...ctx, index: e.index + k });
        this.#o.metrics.applyBatch.observe(this.#label, commands.length);
      }
      const end = Math.max(j, i + 1);
      for (let k = i; k < end; k++) this.#applied(entries[k]!);
      i = end;
    }
  }

  #applied(e: Entry): void {
    this.#appliedBytes += entrySize(e);
    this.applied.set(e.index);
    commitTrace?.mark('applied', e.index);
    this.#o.metrics.committed.set(this.#label, e.index);
    const p = this.#proposals.get(e.index);
    if (p !== undefined) {
      this.#proposals.delete(e.index);
      p.settle(p.term === e.term);
    }
  }

  #compact(): void {
    const { consensus, machine } = this.#o;
    const storage = this.#storage;
    const applied = this.applied.get();
    if (this.#appliedConf.voters.length === 0 || this.#snapshotting) return;
    if (storage.snapshot().meta.index === 0 && this.#cluster !== '' && storage.term(applied) !== undefined) {
      // The founder snapshots its first entries at once: the cluster id lives only in snapshots,
      // so every member (they all start from one) knows it, also after a restart.
      const state = snapshotBytes(machine.snapshot());
      storage.createSnapshot(applied, this.#appliedConf, encodeEnvelope(this.#snapshotHeader(), state));
      this.#snapshotBytes = state.length;
      storage.compact(applied);
      this.#appliedBytes = 0;
      return;
    }
    const last = storage.snapshot();
    if (applied - last.meta.index < Math.max(1, consensus.snapshotThreshold)) return;
    if (this.#appliedBytes < this.#snapshotBytes * SNAPSHOT_GROWTH) {
      const catchingUp = this.#followerAwaitsSnapshot();
      if (!catchingUp) this.#catchupSnapshotTaken = false;
      if (!catchingUp || this.#catchupSnapshotTaken) return;
      if (this.#appliedBytes < this.#snapshotBytes * SNAPSHOT_GROWTH_CATCHUP) return;
      if (storage.term(applied) === undefined) return;
      this.#catchupSnapshotTaken = true;
    }
    if (storage.term(applied) === undefined) return;
    this.#appliedBytes = 0;
    this.#snapshotInBackground(storage, applied, machine.snapshot());
  }

  /** What a snapshot at `applied` records beside the state. */
  #snapshotHeader(): SnapshotHeader {
    return { cluster: this.#cluster, admitted: this.#admissions.pairs() };
  }

  /** Whether this member leads and some follower is being sent a snapshot. */
  #followerAwaitsSnapshot(): boolean {
    if (this.#raft.role !== 'leader') return false;
    for (const p of this.#raft.status().progress.values()) if (p.state === 'snapshot') return true;
    return false;
  }

  /**
   * Encodes and compresses `view` (the machine's state at `index`) in slices, has the storage write it (off the
   * event loop if it can), and only then drops the log up to `index - snapshotKeep`: until the
   * snapshot is recorded, the log it replaces is still needed. Given up if this member is reset
   * or stopped meanwhile, or a newer snapshot was installed first.
   */
  #snapshotInBackground(storage: Storage, index: number, view: Uint8Array | SnapshotView): void {
    const conf = this.#appliedConf;
    const header = this.#snapshotHeader();
    const epoch = this.#epoch;
    const stale = () => this.#stopped || this.#epoch !== epoch || this.#storage !== storage;
    this.#snapshotting = true;
    const started = performance.now();
    const run = async (): Promise<void> => {
      const taken = await compressSliced(header, view, stale);
      if (taken === undefined) return;
      const { data, stateBytes } = taken;
      if (storage.createSnapshotAsync !== undefined) {
        await storage.createSnapshotAsync(index, conf, data);
      } else {
        if (index <= storage.snapshot().meta.index) return;
        storage.createSnapshot(index, conf, data);
      }
      if (stale()) return;
      this.#snapshotBytes = stateBytes;
      const upTo = Math.min(index - this.#o.consensus.snapshotKeep, storage.snapshot().meta.index);
      if (upTo >= storage.firstIndex()) storage.compact(upTo);
      this.#o.logger.debug(
        { index, bytes: data.length, stateBytes, ms: Math.round(performance.now() - started) },
        'snapshot taken',
      );
    };
    run()
      .catch((error: unknown) => {
        // Overtaken by a snapshot from the leader, or this member went away: nothing is lost.
        if (error instanceof SnapshotOutOfDateError || stale()) return;
        this.#o.logger.warn({ index, err: String(error) }, 'snapshot failed; the log stays uncompacted');
      })
      .finally(() => {
        if (this.#epoch === epoch) this.#snapshotting = false;
      });
  }

  /** Stops processing; pending proposals and reads are dropped (their callers are told by the group). */
  stop(): void {
    this.#stopped = true;
    this.#held = [];
    this.#heldTicks = 0;
    this.#dropReceiving();
    for (const p of this.#proposals.values()) p.settle(false);
    this.#proposals.clear();
    this.#reads.clear();
  }
}

/**
 * Whether every entry `rd` hands out to apply was in the log before this Ready, hence synced by
 * an earlier one. Not so for a single voter, which commits its entries as it appends them.
 */
function durableBefore(rd: Ready): boolean {
  const committed = rd.committedEntries;
  if (committed.length === 0) return false;
  const firstNew = rd.entries[0]?.index ?? Number.POSITIVE_INFINITY;
  return committed[committed.length - 1]!.index < firstNew;
}

/** Trace hooks (see `trace.ts`): what arrived, per log index. */
function traceReceived(messages: readonly Message[]): void {
  const t = commitTrace!;
  t.count('messagesIn', messages.length);
  for (const m of messages) {
    if (m.t === MessageType.Append) {
      for (const e of m.entries) t.mark('received', e.index);
    } else if (m.t === MessageType.AppendResp && !m.reject) {
      t.mark(`ack:${m.from}`, m.index);
    }
  }
}

/** Trace hooks: a `Ready` was persisted. */
function traceSynced(rd: Ready): void {
  const t = commitTrace!;
  if (rd.mustSync) t.count('fsync');
  if (rd.hardState !== undefined) t.count('hardStateWrites');
  for (const e of rd.entries) t.mark('synced', e.index);
}

/** Trace hooks: a `Ready`'s messages were handed to the bonds. */
function traceSent(rd: Ready): void {
  if (rd.messages.length === 0) return;
  for (const e of rd.entries) commitTrace!.mark('sent', e.index);
}

/** A storage without `receiveSnapshot` gets the whole snapshot, put together here. */
function assembling(storage: Storage, meta: SnapshotMeta, total: number): SnapshotWriter {
  let data: Uint8Array | undefined = new Uint8Array(total);
  let written = 0;
  return {
    write: (piece) => {
      if (data === undefined || written + piece.length > total)
        throw new RaftInvariantError(`snapshot chunk past its total ${total}`);
      data.set(piece, written);
      written += piece.length;
    },
    finish: () => {
      if (data === undefined || written !== total)
        throw new RaftInvariantError(`snapshot finished at ${written} of ${total} bytes`);
      storage.applySnapshot({ meta, data });
      data = undefined;
    },
    abort: () => {
      data = undefined;
    },
  };
}

/** A sink for a machine without `restoreChunks`: gathers the state and restores it at `end`. */
function gathering(restore: (state: Uint8Array) => void): SnapshotSink {
  const pieces: Uint8Array[] = [];
  return {
    write: (piece) => pieces.push(piece),
    end: () => restore(snapshotBytes({ chunks: () => pieces })),
  };
}
