/**
 * A joined group: the public `Group` handle and the worker behind it. The worker wires the bond
 * set (network), the Raft driver (consensus), discovery (who the members are) and the autopilot
 * (who votes), and serves `execute`, `feed` and `query`.
 */
import type { Discovery } from '@mosaik/discovery';
import { SignedPeerEntry } from '@mosaik/discovery';
import {
  abortable,
  type Codec,
  cborCodec,
  DecodeError,
  EncodeError,
  type GroupId,
  PeerId,
  Watch,
} from '@mosaik/id';
import type { Logger } from '@mosaik/metrics';
import { isMember, type Message, messageCodec, type NodeId, type RaftRole } from '@mosaik/raft';
import type { TicketValidator } from '@mosaik/tickets';
import { CloseCode, type CloseInfo, type LocalNode } from '@mosaik/transport';
import { type MemberView, nextChange } from './autopilot.js';
import type { Bond } from './bond.js';
import { type Authorization, BondSet } from './bonds.js';
import type { ConsensusConfig } from './config.js';
import { RaftDriver } from './driver.js';
import { GroupTerminatedError, NoCommandsError, OfflineError } from './errors.js';
import type { GroupKey } from './key.js';
import type { LinkWrapper } from './link.js';
import type { GroupsMetrics } from './metrics.js';
import type { GroupsRouter } from './router.js';
import type { MachineDescription, StateMachine } from './state-machine.js';
import type { OpenStorage, StorageSpec } from './storage.js';
import { type ResetEvent, When } from './when.js';
import { type BondMessage, type PeerStatus, type WirePreference, WireType } from './wire.js';

/** A range of log indices, both ends included. */
export interface IndexRange {
  readonly first: number;
  readonly last: number;
}

/**
 * Options of {@link Group.execute}, {@link Group.executeMany} and {@link Group.query}. Aborting
 * stops the wait (the promise rejects with `signal.reason`); a command already handed to the
 * leader may still commit.
 */
export interface GroupCallOptions {
  readonly signal?: AbortSignal;
}

/** A query result and the applied index it was read at. */
export interface QueryResultAt<R> {
  readonly result: R;
  readonly at: number;
}

/** `weak`: local state, possibly stale. `strong`: linearizable (ReadIndex through the leader). */
export type Consistency = 'weak' | 'strong';

/** Everything a group is built from (see `GroupBuilder`). */
export interface GroupSpec<C, Q, R> {
  readonly key: GroupKey;
  readonly id: GroupId;
  readonly machine: StateMachine<C, Q, R>;
  readonly storage: StorageSpec;
  readonly consensus: ConsensusConfig;
  readonly validators: readonly TicketValidator[];
}

/** The node-level services a group runs on. */
export interface GroupEnv {
  readonly node: LocalNode;
  readonly discovery: Discovery | undefined;
  readonly router: GroupsRouter;
  readonly metrics: GroupsMetrics;
  readonly logger: Logger;
  readonly handshakeTimeout: number;
  readonly wrapLink?: LinkWrapper | undefined;
  readonly closed: (group: Group<unknown, unknown, unknown>) => void;
}

/** Live view of a group's bonds. */
export class Bonds {
  readonly #set: BondSet;
  /** @internal */
  constructor(set: BondSet) {
    this.#set = set;
  }
  get size(): number {
    return this.#set.size;
  }
  /** Peers currently bonded, sorted by id. */
  peers(): PeerId[] {
    return this.#set.list().map((b) => b.peer);
  }
  has(peer: PeerId): boolean {
    return this.#set.get(peer) !== undefined;
  }
  get(peer: PeerId): Bond | undefined {
    return this.#set.get(peer);
  }
  list(): readonly Bond[] {
    return this.#set.list();
  }
  /** Resolves on the next change of the bond set. */
  async changed(): Promise<void> {
    await this.#set.watch.changed();
  }
}

interface PendingForward {
  readonly resolve: (r: { first: number; last: number; term: number }) => void;
  readonly reject: (e: Error) => void;
  readonly timer: NodeJS.Timeout;
}

const PREF: Record<string, WirePreference> = { normal: 0, reluctant: 1, observer: 2 };

/** A member's consensus state, as returned by {@link Group.status}. Peer ids are hex. */
export interface GroupStatus {
  readonly role: 'follower' | 'pre-candidate' | 'candidate' | 'leader';
  readonly term: number;
  /** The leader this member follows, if any. */
  readonly leader: string | undefined;
  /** Highest index known committed. */
  readonly commit: number;
  /** Highest index applied to the local state machine. */
  readonly applied: number;
  /** Last index of the local log. */
  readonly lastIndex: number;
  readonly voters: readonly string[];
  /** Non-voting members that may be promoted. */
  readonly learners: readonly string[];
  /** Non-voting members that never vote nor lead (collection readers, observer machines). */
  readonly observers: readonly string[];
  /** This member's cluster id, `''` while it has none. */
  readonly cluster: string;
  /** This member's leadership preference. */
  readonly preference: 'normal' | 'reluctant' | 'observer';
  /** The state machine's own summary, when it has `describe()`. */
  readonly machine: MachineDescription | undefined;
}

/** What the bonded members tell about one cluster: its best commit and whom its members yield to. */
interface ClusterView {
  commit: number;
  readonly yields: Set<string>;
}

/** Whether cluster `a` (committed `ca`) wins a merge against `b` (`cb`): longer log, then lower id. */
function beats(a: string, ca: number, b: string, cb: number): boolean {
  return ca > cb || (ca === cb && a < b);
}

/**
 * A member's handle on a group. Obtained from `groups.withKey(key)…join()`; close it (or
 * `await using`) to leave: peers are told at once (`Departure`) and the group id is withdrawn
 * from the local discovery entry.
 *
 * @typeParam C - commands, Q - queries, R - query results of the state machine
 */
export class Group<C, Q, R> implements AsyncDisposable {
  /** The group id. */
  readonly id: GroupId;
  /** Reactive status. */
  readonly when: When;
  readonly #env: GroupEnv;
  readonly #spec: GroupSpec<C, Q, R>;
  readonly #self: PeerId;
  readonly #selfHex: string;
  readonly #codec: Codec<C>;
  #storage: OpenStorage;
  readonly #driver: RaftDriver<C>;
  readonly #bonds: BondSet;
  readonly #leader = new Watch<PeerId | undefined>(undefined, {
    equals: (a, b) => a === b || a?.equals(b) === true,
  });
  readonly #online = new Watch(false);
  readonly #lastReset = new Watch<ResetEvent | undefined>(undefined);
  /** The cluster this member's cluster lost a merge to, `''` when not merging. */
  #yieldTo = '';
  readonly #label: { group: string };
  readonly #forwards = new Map<number, PendingForward>();
  readonly #readTimers = new Set<NodeJS.Timeout>();
  readonly #lastSeen = new Map<NodeId, number>();
  readonly #departed = new Set<NodeId>();
  readonly #backoff = new Map<string, number>();
  readonly #startedAt = Date.now();
  readonly #tickTimer: NodeJS.Timeout;
  readonly #unsubscribe: () => void;
  #ticks = 0;
  #seq = 0;
  #leaderLostAt: number | undefined = Date.now();
  #handingOff = false;
  #lastLocalVersion: unknown;
  #closing: Promise<void> | undefined;

  /** @internal Use `GroupBuilder.join()`. */
  constructor(env: GroupEnv, spec: GroupSpec<C, Q, R>) {
    this.#env = env;
    this.#spec = spec;
    this.id = spec.id;
    this.#self = env.node.peerId;
    this.#selfHex = this.#self.toString();
    this.#label = { group: spec.id.short() };
    this.#codec = spec.machine.commandCodec ?? cborCodec<C>();
    const pref = spec.machine.leadershipPreference ?? { kind: 'normal' };
    const logger = env.logger.child({ group: spec.id.short() });
    this.#storage = spec.storage.open();
    this.#driver = new RaftDriver<C>({
      id: this.#selfHex,
      groupId: spec.id,
      storage: this.#storage,
      machine: spec.machine as StateMachine<C, unknown, unknown>,
      codec: this.#codec,
      consensus: spec.consensus,
      electionFactor: pref.kind === 'reluctant' ? Math.max(1, pref.factor) : 1,
      host: {
        send: (to, msgs) => this.#bonds.get(to)?.send({ t: WireType.Raft, c: this.#driver.cluster, msgs }),
        softState: (lead, role) => this.#onSoftState(lead, role),
      },
      metrics: env.metrics,
      logger,
    });
    this.#bonds = new BondSet({
      node: env.node,
      groupId: spec.id,
      key: spec.key,
      handshakeTimeout: env.handshakeTimeout,
      wrapLink: env.wrapLink,
      heartbeatInterval: spec.consensus.heartbeatInterval,
      maxMissedHeartbeats: spec.consensus.maxMissedHeartbeats,
      metrics: env.metrics,
      logger,
      authorize: (peer) => this.#authorize(peer),
      ...(env.discovery === undefined
        ? {}
        : { introduce: (peer: PeerId) => (env.discovery as Discovery).syncWith(peer).catch(() => {}) }),
      status: () => this.#status(),
      learned: (peers) => {
        for (const p of peers) if (this.#isMember(p)) this.#dial(p);
      },
      up: (bond) => this.#onBondUp(bond),
      down: (bond, info) => this.#onBondDown(bond, info),
      message: (bond, msg) => this.#onMessage(bond, msg),
    });
    this.when = new When(
      this.#self,
      this.#leader,
      this.#online,
      this.#driver.applied,
      this.#driver.lastIndex,
      this.#lastReset,
    );
    env.router.register(spec.id, this.#bonds);
    env.metrics.active.inc();
    env.metrics.bondsActive.set(this.#label, 0);
    this.#tickTimer = setInterval(() => this.#tick(), spec.consensus.tickInterval);
    if (env.discovery !== undefined) {
      const d = env.discovery;
      d.addGroups(spec.id);
      this.#lastLocalVersion = d.me().entry.version;
      this.#unsubscribe = d.catalogWatch.subscribe(() => this.#onCatalog());
      queueMicrotask(() => this.#onCatalog());
    } else {
      this.#unsubscribe = () => {};
    }
  }

  // ------------------------------------------------------------------ status

  /** This member's peer id. */
  get peerId(): PeerId {
    return this.#self;
  }

  /** The current leader, if known. */
  leader(): PeerId | undefined {
    return this.#leader.get();
  }

  /** Whether this member leads. */
  isLeader(): boolean {
    return this.#leader.get()?.equals(this.#self) === true;
  }

  /** The committed-and-applied index. */
  committed(): number {
    return this.#driver.applied.get();
  }

  /** The voters and learners of the configuration this member knows (hex peer ids). */
  members(): { voters: readonly string[]; learners: readonly string[] } {
    return this.#driver.raft.conf;
  }

  /**
   * The cluster this member belongs to, `''` while it has none. A cluster id is chosen by the
   * member that founds the cluster (its short peer id and random bytes) and travels in snapshots.
   * Two clusters of one group (founded while the network was split) merge when their members
   * bond: see {@link lastReset}.
   */
  get cluster(): string {
    return this.#driver.cluster;
  }

  /**
   * The last time this member's cluster lost a merge: it discarded its state (the cluster and
   * last committed index it gave up are in the event) and re-joined the winning cluster.
   * `when.reset()` waits for the next one.
   */
  lastReset(): ResetEvent | undefined {
    return this.#lastReset.get();
  }

  /**
   * A snapshot of this member's consensus state, for dashboards and the `mosaik` CLI: role,
   * term, leader, commit and applied indices, the configuration it knows, and its cluster.
   * Observers are the learners whose own status says they never lead.
   */
  status(): GroupStatus {
    const raft = this.#driver.raft;
    const st = raft.status();
    const observers = st.conf.learners.filter((id) =>
      id === this.#selfHex ? this.#pref === 2 : this.#bonds.get(id)?.status?.pref === 2,
    );
    return {
      role: st.role,
      term: st.term,
      leader: st.lead === '' ? undefined : st.lead,
      commit: st.commit,
      applied: this.#driver.applied.get(),
      lastIndex: st.lastIndex,
      voters: st.conf.voters,
      learners: st.conf.learners.filter((id) => !observers.includes(id)),
      observers,
      cluster: this.#driver.cluster,
      preference: (['normal', 'reluctant', 'observer'] as const)[this.#pref] ?? 'normal',
      machine: this.#describeMachine(),
    };
  }

  /** The machine's `describe()`, never throwing out of a status read. */
  #describeMachine(): MachineDescription | undefined {
    try {
      return this.#spec.machine.describe?.();
    } catch (error) {
      this.#env.logger.debug({ err: String(error) }, 'state machine describe() failed');
      return undefined;
    }
  }

  /** Live view of the bonds. */
  bonds(): Bonds {
    return new Bonds(this.#bonds);
  }

  /** True once `close()` was called. */
  get isClosed(): boolean {
    return this.#closing !== undefined;
  }

  // ------------------------------------------------------------------ commands

  /**
   * Appends `command` and resolves with its log index once it is committed and applied locally.
   *
   * @throws {@link OfflineError} when no leader took the commands in time, or leadership changed
   *   before they committed (a forwarded command may still commit: retry idempotently).
   * @throws {@link @mosaik/id!EncodeError | EncodeError} when the state machine's codec refuses a command.
   * @throws {@link GroupTerminatedError} when the group is closed or its node shut down.
   * @throws `signal.reason` when `signal` aborted (a command already proposed may still commit).
   */
  async execute(command: C, options: GroupCallOptions = {}): Promise<number> {
    return (await this.executeMany([command], options)).first;
  }

  /**
   * Appends `commands` (in order, consecutively) and resolves with their index range once the
   * last is committed and applied locally.
   *
   * @throws {@link OfflineError} when no leader took the commands in time, or leadership changed
   *   before they committed (a forwarded command may still commit: retry idempotently).
   * @throws {@link NoCommandsError} when `commands` is empty.
   * @throws {@link @mosaik/id!EncodeError | EncodeError} when the state machine's codec refuses a command.
   * @throws {@link GroupTerminatedError} when the group is closed or its node shut down.
   * @throws `signal.reason` when `signal` aborted (a command already proposed may still commit).
   */
  async executeMany(commands: readonly C[], options: GroupCallOptions = {}): Promise<IndexRange> {
    const { signal } = options;
    signal?.throwIfAborted();
    const stop = this.#env.metrics.commitLatency.startTimer(this.#label);
    const r = await abortable(this.#submit(commands), signal);
    const ok = await abortable(this.#driver.awaitApplied(r.last, r.term, r.epoch), signal);
    if (this.#closing !== undefined) throw new GroupTerminatedError();
    if (!ok) throw new OfflineError('leadership changed before the commands committed', commands);
    stop();
    return { first: r.first, last: r.last };
  }

  /** Appends `command`; resolves with its index as soon as the leader assigned it (not yet committed). */
  async feed(command: C): Promise<number> {
    return (await this.feedMany([command])).first;
  }

  /** Appends `commands`; resolves with their range once the leader assigned it. */
  async feedMany(commands: readonly C[]): Promise<IndexRange> {
    const r = await this.#submit(commands);
    return { first: r.first, last: r.last };
  }

  async #submit(
    commands: readonly C[],
  ): Promise<{ first: number; last: number; term: number; epoch: number }> {
    if (this.#closing !== undefined) throw new GroupTerminatedError();
    if (commands.length === 0) throw new NoCommandsError();
    if (this.#yieldTo !== '')
      throw new OfflineError('this member’s cluster is merging into another cluster of the group', commands);
    let encoded: Uint8Array[];
    try {
      encoded = commands.map((c) => this.#codec.encode(c));
    } catch (error) {
      throw new EncodeError('command could not be encoded', { cause: error });
    }
    if (this.#driver.raft.role === 'leader') {
      try {
        return this.#driver.propose(encoded);
      } catch (error) {
        throw new OfflineError(`proposal refused: ${String(error)}`, commands);
      }
    }
    const lead = this.#driver.raft.lead;
    const bond = lead === '' ? undefined : this.#bonds.get(lead);
    if (bond === undefined)
      throw new OfflineError(
        this.#notOnline(lead === '' ? 'no leader known' : 'no bond to the leader'),
        commands,
      );
    const id = ++this.#seq;
    const epoch = this.#driver.epoch;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#forwards.delete(id);
        reject(new OfflineError('the leader did not acknowledge in time', commands));
      }, this.#spec.consensus.forwardTimeout);
      this.#forwards.set(id, { resolve: (r) => resolve({ ...r, epoch }), reject, timer });
      bond.send({ t: WireType.Forward, id, cmds: encoded });
    });
  }

  // ------------------------------------------------------------------ queries

  /**
   * Evaluates `query`. `weak` reads local state at once. `strong` is linearizable: it obtains a
   * read index from the leader (a heartbeat round confirms leadership), waits until this member
   * applied it, then reads.
   *
   * @throws {@link OfflineError} (strong reads only) when no leader confirms within `queryTimeout`.
   * @throws {@link GroupTerminatedError} when the group is closed or its node shut down.
   * @throws `signal.reason` when `signal` aborted.
   */
  async query(
    query: Q,
    consistency: Consistency = 'weak',
    options: GroupCallOptions = {},
  ): Promise<QueryResultAt<R>> {
    const { signal } = options;
    signal?.throwIfAborted();
    if (this.#closing !== undefined) throw new GroupTerminatedError();
    if (consistency === 'strong') {
      const index = await this.#readIndex(query, signal);
      await this.#driver.applied.until(
        (a) => a >= index || this.#closing !== undefined,
        signal ? { signal } : {},
      );
      if (this.#closing !== undefined) throw new GroupTerminatedError();
    }
    return { result: this.#spec.machine.query(query), at: this.#driver.applied.get() };
  }

  #readIndex(query: Q, signal: AbortSignal | undefined): Promise<number> {
    const ctx = `${this.#selfHex.slice(0, 8)}-${++this.#seq}`;
    return new Promise((resolve, reject) => {
      const settle = () => {
        clearTimeout(timer);
        this.#readTimers.delete(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      const onAbort = () => {
        settle();
        this.#driver.cancelRead(ctx);
        reject(signal?.reason);
      };
      const timer = setTimeout(() => {
        settle();
        this.#driver.cancelRead(ctx);
        reject(new OfflineError('no read index from a leader in time', [query]));
      }, this.#spec.consensus.queryTimeout);
      this.#readTimers.add(timer);
      signal?.addEventListener('abort', onAbort, { once: true });
      try {
        this.#driver.readIndex(ctx, (index) => {
          settle();
          resolve(index);
        });
      } catch {
        settle();
        reject(new OfflineError(this.#notOnline('no leader known'), [query]));
      }
    });
  }

  /** Why a call needs the group online, and how to wait for that. */
  #notOnline(reason: string): string {
    return (
      `group ${this.id.short()} is not online yet (${reason}): ` +
      'wait with `await group.when.online()` before execute, feed or strong queries'
    );
  }

  // ------------------------------------------------------------------ lifecycle

  /**
   * Leaves the group: a leader first hands leadership to the most caught-up reachable voter (so
   * the others need not wait for an election timeout), then every bonded peer is told, the group
   * id is withdrawn from discovery and everything is released.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await this.#handOffLeadership();
      clearInterval(this.#tickTimer);
      this.#unsubscribe();
      for (const t of this.#readTimers) clearTimeout(t);
      this.#readTimers.clear();
      for (const f of this.#forwards.values()) {
        clearTimeout(f.timer);
        f.reject(new GroupTerminatedError());
      }
      this.#forwards.clear();
      this.#driver.stop();
      this.#env.router.unregister(this.id, this.#bonds);
      try {
        this.#env.discovery?.removeGroups(this.id);
      } catch (error) {
        this.#env.logger.debug({ err: String(error) }, 'could not withdraw the group id');
      }
      await this.#bonds.close(!this.#env.node.isClosed);
      this.#storage.close?.();
      this.#env.metrics.active.dec();
      this.#online.set(false);
      this.#env.closed(this as Group<unknown, unknown, unknown>);
    })();
    return this.#closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /**
   * Raft leader transfer before a graceful exit: the target gets the log, then `TimeoutNow`, and
   * campaigns at once. Waits (at most one election timeout) until another member leads.
   */
  async #handOffLeadership(): Promise<void> {
    const raft = this.#driver.raft;
    if (raft.role !== 'leader' || this.#env.node.isClosed) return;
    const status = raft.status();
    const target = status.conf.voters
      .filter((v) => v !== this.#selfHex)
      .map((id) => ({ id, bond: this.#bonds.get(id), match: status.progress.get(id)?.match ?? 0 }))
      .filter((c) => c.bond !== undefined && !c.bond.isClosed && c.bond.status?.pref !== 2)
      .sort(
        (a, b) =>
          (a.bond?.status?.pref ?? 0) - (b.bond?.status?.pref ?? 0) ||
          b.match - a.match ||
          (a.id < b.id ? -1 : 1),
      )[0];
    if (target === undefined) return;
    try {
      raft.transferLeadership(target.id);
      this.#driver.pump();
    } catch (error) {
      this.#env.logger.debug({ err: String(error) }, 'leader transfer not started');
      return;
    }
    this.#env.logger.info({ to: target.id.slice(0, 10) }, 'handing leadership over before leaving');
    // Done once another member leads; given up when the target goes away too (the whole group
    // shutting down at once) or after an election timeout (the core aborts the transfer then).
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), this.#spec.consensus.electionTimeout);
    const led = this.#leader.until((l) => l !== undefined && !l.equals(this.#self), { signal: abort.signal });
    led.catch(() => {});
    try {
      await Promise.race([led, target.bond!.terminated()]);
    } finally {
      clearTimeout(timer);
      abort.abort();
    }
  }

  // ------------------------------------------------------------------ worker

  /**
   * The machine's leadership preference, read afresh each time: a machine may change it while
   * joined (a collection replica whose last writer handle closed becomes an observer), and the
   * autopilot of the leader promotes or demotes the member accordingly.
   */
  get #pref(): WirePreference {
    return PREF[this.#spec.machine.leadershipPreference?.kind ?? 'normal'] ?? 0;
  }

  #status(): PeerStatus {
    const raft = this.#driver.raft;
    return {
      cluster: this.#driver.cluster,
      yield: this.#yieldTo,
      term: raft.term,
      commit: this.#driver.applied.get(),
      lead: raft.lead,
      pref: this.#pref,
    };
  }

  #tick(): void {
    this.#driver.tick();
    this.#ticks++;
    const every = Math.max(
      1,
      Math.round(this.#spec.consensus.heartbeatInterval / this.#spec.consensus.tickInterval),
    );
    if (this.#ticks % every !== 0) return;
    try {
      this.#maybeBootstrap();
      this.#evaluateMerge();
      if (this.#driver.raft.role === 'leader' && this.#yieldTo === '') this.#autopilot();
      this.#stepDownAsObserver();
      this.#updateOnline();
      this.#reconcile();
    } catch (error) {
      this.#env.logger.warn({ err: String(error) }, 'group housekeeping failed');
    }
  }

  /**
   * A leader whose machine became an observer (a collection replica whose last writer closed)
   * hands leadership to a voter; the new leader's autopilot then makes it a learner.
   */
  #stepDownAsObserver(): void {
    if (this.#pref !== 2 || this.#handingOff || this.#driver.raft.role !== 'leader') return;
    this.#handingOff = true;
    this.#handOffLeadership()
      .catch((error: unknown) => this.#env.logger.debug({ err: String(error) }, 'observer step-down failed'))
      .finally(() => {
        this.#handingOff = false;
      });
  }

  #updateOnline(): void {
    const raft = this.#driver.raft;
    this.#online.set(raft.lead !== '' && isMember(raft.conf, this.#selfHex));
  }

  /**
   * Founding rule: a member with no cluster, after `bootstrapDelay`, founds one only if it knows
   * the state of every member it can see and none of them belongs to a cluster, and every
   * visible member with a lower peer id is an observer. Founding beside an existing cluster is
   * repaired by a merge, but the losing side loses what it committed, so a member whose state is
   * unknown (not bonded yet, or bonded with no status received) blocks founding, whatever its
   * id, until it stayed unreachable for the longer of three bootstrap delays and
   * `deadMemberTimeout`.
   */
  #maybeBootstrap(): void {
    if (this.#pref === 2 || !this.#driver.isFresh || this.#driver.cluster !== '') return;
    const waited = Date.now() - this.#startedAt;
    const delay = this.#spec.consensus.bootstrapDelay;
    if (waited < delay) return;
    const patience = Math.max(3 * delay, this.#spec.consensus.deadMemberTimeout);
    const visible = new Set([
      ...this.#visibleMembers().map((p) => p.toString()),
      ...this.#bonds.list().map((b) => b.peer.toString()),
    ]);
    for (const p of visible) {
      const bond = this.#bonds.get(p);
      const status = bond?.status;
      if (status === undefined) {
        if (bond === undefined && waited >= patience) continue;
        return;
      }
      if (status.cluster !== '') return;
      if (p < this.#selfHex && status.pref !== 2) return;
    }
    if (this.#driver.bootstrap()) this.#env.logger.info({ group: this.id.short() }, 'founded a new cluster');
  }

  #autopilot(): void {
    const raft = this.#driver.raft;
    const status = raft.status();
    const now = Date.now();
    const members = new Map<NodeId, MemberView>();
    const ids = new Set<NodeId>([
      ...status.conf.voters,
      ...status.conf.learners,
      ...this.#bonds.list().map((b) => b.peer.toString()),
    ]);
    for (const id of ids) {
      const self = id === this.#selfHex;
      const bond = this.#bonds.get(id);
      const reachable = self || (bond !== undefined && !bond.isClosed);
      if (reachable || !this.#lastSeen.has(id)) this.#lastSeen.set(id, now);
      const st = bond?.status;
      members.set(id, {
        id,
        reachable,
        unreachableFor: now - (this.#lastSeen.get(id) ?? now),
        departed: this.#departed.has(id),
        pref: self ? this.#pref : st?.pref,
        match: self ? status.lastIndex : (status.progress.get(id)?.match ?? 0),
        joinable:
          st !== undefined &&
          (st.cluster === '' || st.cluster === this.#driver.cluster || st.yield === this.#driver.cluster),
        foreign:
          !self &&
          st !== undefined &&
          st.cluster !== '' &&
          st.cluster !== this.#driver.cluster &&
          st.yield !== this.#driver.cluster,
      });
    }
    const change = nextChange({
      self: this.#selfHex,
      conf: status.conf,
      commit: status.commit,
      members,
      maxVoters: this.#spec.consensus.maxVoters,
      deadMemberTimeout: this.#spec.consensus.deadMemberTimeout,
    });
    if (change === undefined) return;
    try {
      raft.proposeConfChange(change);
      this.#driver.pump();
      this.#env.logger.info(
        { change: change.type, node: change.node.slice(0, 10) },
        'membership change proposed',
      );
      if (change.type === 'remove') this.#departed.delete(change.node);
    } catch (error) {
      // Another change (or this term's no-op) is not committed yet: try again next round.
      this.#env.logger.debug({ err: String(error) }, 'membership change deferred');
    }
    const conf = raft.conf;
    this.#env.metrics.voters.set(this.#label, conf.voters.length);
    this.#env.metrics.nonVoters.set(this.#label, conf.learners.length);
    this.#env.metrics.committeeSize.set(this.#label, conf.voters.length + conf.learners.length);
  }

  // ------------------------------------------------------------------ merging clusters

  /**
   * Every cluster visible through the bonds (and our own): the highest commit any of its members
   * reported, and the clusters its members yield to.
   */
  #clusterView(): Map<string, ClusterView> {
    const view = new Map<string, ClusterView>();
    const note = (cluster: string, commit: number, yieldTo: string) => {
      if (cluster === '') return;
      let v = view.get(cluster);
      if (v === undefined) {
        v = { commit, yields: new Set() };
        view.set(cluster, v);
      }
      v.commit = Math.max(v.commit, commit);
      if (yieldTo !== '') v.yields.add(yieldTo);
    };
    note(this.#driver.cluster, this.#driver.applied.get(), this.#yieldTo);
    for (const b of this.#bonds.list()) {
      const st = b.status;
      if (st !== undefined && !b.isClosed) note(st.cluster, st.commit, st.yield);
    }
    return view;
  }

  /**
   * The cluster a fresh member should join: the one that wins against every other it sees,
   * among those not merging into another (whose leaders add nobody).
   */
  #bestCluster(view: Map<string, ClusterView>): string | undefined {
    let best: string | undefined;
    for (const settled of [true, false]) {
      for (const [c, v] of view) {
        if (settled && v.yields.size > 0) continue;
        if (best === undefined || beats(c, v.commit, best, view.get(best)!.commit)) best = c;
      }
      if (best !== undefined) return best;
    }
    return best;
  }

  /**
   * Merging clusters: when members of two clusters of this group bond, the cluster with the higher
   * committed index wins, ties go to the lower cluster id. Members of the losing cluster yield:
   * they stop taking commands and wait until the winner's leader adds them, and only then
   * discard their state (see `#acceptRaft`), so nothing is thrown away unless a winner takes the
   * member in. A decision, once some member of a cluster made it, is adopted by the others and
   * kept (a losing cluster's commit index can still move by an election's no-op; it must not
   * flip the outcome), unless both clusters claim to yield to each other, when the indices decide.
   */
  #evaluateMerge(): void {
    const mine = this.#driver.cluster;
    let target = '';
    if (mine !== '' && !this.#driver.isFresh) {
      const view = this.#clusterView();
      const me = view.get(mine)!;
      let best: { c: string; commit: number } | undefined;
      for (const [c, v] of view) {
        if (c === mine) continue;
        const weYield = me.yields.has(c);
        const theyYield = v.yields.has(mine);
        const lose =
          weYield && !theyYield ? true : theyYield && !weYield ? false : beats(c, v.commit, mine, me.commit);
        if (lose && (best === undefined || beats(c, v.commit, best.c, best.commit)))
          best = { c, commit: v.commit };
      }
      target = best?.c ?? '';
    }
    if (target === this.#yieldTo) return;
    this.#yieldTo = target;
    if (target !== '') {
      this.#env.logger.warn(
        { cluster: mine, winner: target },
        'another cluster of this group won the merge: waiting to be taken in, then discarding local state',
      );
    }
    for (const b of this.#bonds.list()) b.ping();
  }

  /**
   * Whether a Raft batch from cluster `c` may reach our core. Our own cluster's always; a fresh
   * member's first one decides which cluster it joins (the best it sees); a member that yields to
   * `c` has been added there by the winner's leader: it resets now.
   */
  #acceptRaft(c: string): boolean {
    const mine = this.#driver.cluster;
    if (c === '') return false;
    if (c === mine) return true;
    if (mine === '') {
      const best = this.#bestCluster(this.#clusterView());
      if (best !== undefined && best !== c) return false;
      this.#driver.adopt(c);
      for (const b of this.#bonds.list()) b.ping();
      return true;
    }
    if (this.#yieldTo === c && this.#closing === undefined) return this.#reset(c);
    return false;
  }

  /** Discards the local log and state and continues as a fresh member of cluster `winner`. */
  #reset(winner: string): boolean {
    let fresh: OpenStorage;
    try {
      fresh = this.#spec.storage.wipe(this.#storage);
    } catch (error) {
      this.#env.logger.error({ err: String(error) }, 'could not wipe storage for a cluster merge: stopping');
      this.#driver.stop();
      return false;
    }
    this.#storage = fresh;
    const discarded = this.#driver.reset(fresh, winner);
    this.#yieldTo = '';
    for (const [id, f] of this.#forwards) {
      clearTimeout(f.timer);
      this.#forwards.delete(id);
      f.reject(new OfflineError('this member’s cluster lost a merge and was reset'));
    }
    this.#lastSeen.clear();
    this.#env.metrics.resets.inc(this.#label);
    this.#env.logger.warn(
      { discarded: discarded.cluster, committed: discarded.committed, joined: winner },
      'cluster merge: local state discarded, joining the winning cluster',
    );
    this.#lastReset.set({ discarded, joined: winner, at: Date.now() });
    for (const b of this.#bonds.list()) b.ping();
    return true;
  }

  #onSoftState(lead: NodeId, role: RaftRole): void {
    const previous = this.#leader.get();
    const next = lead === '' ? undefined : this.#peerOf(lead);
    if (role === 'candidate') this.#env.metrics.elections.inc(this.#label);
    if (next === undefined) {
      this.#leaderLostAt ??= Date.now();
    } else {
      if (previous === undefined || !previous.equals(next)) this.#env.metrics.leaderChanges.inc(this.#label);
      if (this.#leaderLostAt !== undefined) {
        this.#env.metrics.electionDuration.observe(this.#label, (Date.now() - this.#leaderLostAt) / 1000);
        this.#leaderLostAt = undefined;
      }
    }
    if (role === 'leader') {
      // A new leader gives every member the full dead-member timeout before judging it.
      this.#lastSeen.clear();
    }
    this.#leader.set(next);
    this.#updateOnline();
  }

  #peerOf(hex: string): PeerId | undefined {
    if (hex === this.#selfHex) return this.#self;
    const bond = this.#bonds.get(hex);
    if (bond !== undefined) return bond.peer;
    try {
      return PeerId.parse(hex);
    } catch {
      return undefined;
    }
  }

  // ------------------------------------------------------------------ bonds

  #onBondUp(bond: Bond): void {
    const key = bond.peer.toString();
    // A member that departed and is back at once may have restarted with nothing (memory
    // storage): if it is still in the configuration, its old progress would make the leader
    // believe it holds a log it lost. It stays marked until the leader removed it; it then
    // joins again as a new learner.
    const conf = this.#driver.raft.conf;
    if (!conf.voters.includes(key) && !conf.learners.includes(key)) this.#departed.delete(key);
    this.#backoff.delete(key);
    // Tell the others, so they bond with the newcomer without waiting for discovery.
    const entry = this.#env.discovery?.catalog().getSigned(bond.peer);
    if (entry !== undefined) {
      for (const other of this.#bonds.list()) {
        if (other !== bond) other.send({ t: WireType.BondFormed, entry: entry.toWire() });
      }
    }
  }

  #onBondDown(bond: Bond, info: CloseInfo): void {
    this.#env.logger.debug({ peer: bond.peer.short(), code: info.code, reason: info.reason }, 'bond closed');
    // Forwards to that peer will not be answered.
    if (bond.peer.toString() === this.#driver.raft.lead) {
      for (const [id, f] of this.#forwards) {
        clearTimeout(f.timer);
        this.#forwards.delete(id);
        f.reject(new OfflineError('the leader went away'));
      }
    }
  }

  #onMessage(bond: Bond, msg: BondMessage): void {
    switch (msg.t) {
      case WireType.Raft:
        this.#onRaft(bond, msg.c, msg.msgs);
        return;
      case WireType.Forward: {
        try {
          if (this.#yieldTo !== '') throw new Error('this cluster is merging into another');
          if (!this.#validForward(bond, msg.cmds)) return;
          const r = this.#driver.propose(msg.cmds);
          bond.send({ t: WireType.ForwardAck, id: msg.id, first: r.first, last: r.last, term: r.term });
        } catch (error) {
          bond.send({ t: WireType.ForwardNack, id: msg.id, reason: String(error).slice(0, 200) });
        }
        return;
      }
      case WireType.ForwardAck: {
        const f = this.#forwards.get(msg.id);
        if (f === undefined) return;
        this.#forwards.delete(msg.id);
        clearTimeout(f.timer);
        f.resolve({ first: msg.first, last: msg.last, term: msg.term });
        return;
      }
      case WireType.ForwardNack: {
        const f = this.#forwards.get(msg.id);
        if (f === undefined) return;
        this.#forwards.delete(msg.id);
        clearTimeout(f.timer);
        f.reject(new OfflineError(`the leader refused: ${msg.reason}`));
        return;
      }
      case WireType.Departure:
        this.#departed.add(bond.peer.toString());
        void bond.close(CloseCode.Cancelled);
        return;
      case WireType.BondFormed:
      case WireType.PeerEntryUpdate:
        this.#onEntry(bond, msg.entry, msg.t === WireType.PeerEntryUpdate);
        return;
      case WireType.Ping:
        return; // the bond recorded the status
    }
  }

  #onRaft(bond: Bond, cluster: string, frames: readonly Uint8Array[]): void {
    const from = bond.peer.toString();
    const messages: Message[] = [];
    for (const bytes of frames) {
      let m: Message;
      try {
        m = messageCodec.decode(bytes);
      } catch (error) {
        if (!(error instanceof DecodeError)) throw error;
        this.#violation(bond, 'undecodable raft message');
        return;
      }
      if (m.from !== from || m.to !== this.#selfHex) {
        this.#violation(bond, 'raft message with forged ids');
        return;
      }
      messages.push(m);
    }
    if (this.#acceptRaft(cluster)) this.#driver.step(messages);
  }

  /**
   * A forwarded batch must decode with the machine's codec and pass its `validate` hook (a
   * collection's schemas). A member that forwards anything else is faulty or hostile: the batch
   * is refused whole and the bond closed with `ProtocolViolation`.
   */
  #validForward(bond: Bond, commands: readonly Uint8Array[]): boolean {
    const validate = this.#spec.machine.validate;
    if (validate === undefined) return true;
    for (const bytes of commands) {
      try {
        validate.call(this.#spec.machine, this.#codec.decode(bytes));
      } catch (error) {
        this.#env.logger.warn({ peer: bond.peer.short(), err: String(error) }, 'forwarded command refused');
        this.#env.metrics.refusedCommands.inc(this.#label);
        this.#violation(bond, 'invalid forwarded command');
        return false;
      }
    }
    return true;
  }

  #violation(bond: Bond, why: string): void {
    this.#env.metrics.rejected.inc({ reason: 'ProtocolViolation' });
    this.#env.logger.warn({ peer: bond.peer.short(), why }, 'bond protocol violation');
    void bond.close(CloseCode.ProtocolViolation);
  }

  #onEntry(bond: Bond, wire: unknown, fromOwner: boolean): void {
    const discovery = this.#env.discovery;
    if (discovery === undefined) return;
    let signed: SignedPeerEntry;
    try {
      signed = SignedPeerEntry.fromWire(wire);
    } catch {
      this.#violation(bond, 'invalid signed entry');
      return;
    }
    if (fromOwner && !signed.peerId.equals(bond.peer)) {
      this.#violation(bond, 'entry of another peer');
      return;
    }
    discovery.feed(signed);
    if (fromOwner) this.#revalidate();
    else if (signed.entry.hasGroup(this.id) && this.#isMember(signed.peerId)) this.#dial(signed.peerId);
  }

  // ------------------------------------------------------------------ discovery

  #authorize(peer: PeerId): Authorization {
    const validators = this.#spec.validators;
    if (validators.length === 0) return { ok: true, expires: undefined };
    const entry = this.#env.discovery?.catalog().get(peer);
    if (entry === undefined) return { ok: false, unknown: true, reason: 'not in the catalog' };
    try {
      return { ok: true, expires: entry.validateTickets(validators) };
    } catch (error) {
      return { ok: false, unknown: false, reason: String(error) };
    }
  }

  /** Peers whose discovery entry lists this group and passes the validators. */
  #visibleMembers(): PeerId[] {
    const discovery = this.#env.discovery;
    if (discovery === undefined) return [];
    return discovery
      .catalog()
      .signedPeers()
      .filter((s) => !s.peerId.equals(this.#self) && s.entry.hasGroup(this.id))
      .map((s) => s.peerId)
      .filter((p) => this.#authorize(p).ok);
  }

  #isMember(peer: PeerId): boolean {
    if (peer.equals(this.#self)) return false;
    return this.#authorize(peer).ok;
  }

  #onCatalog(): void {
    if (this.#closing !== undefined) return;
    const discovery = this.#env.discovery;
    if (discovery === undefined) return;
    // Our own entry changed (tickets): tell bonded peers so they re-validate at once.
    const me = discovery.me();
    if (me.entry.version !== this.#lastLocalVersion) {
      this.#lastLocalVersion = me.entry.version;
      for (const b of this.#bonds.list()) b.send({ t: WireType.PeerEntryUpdate, entry: me.toWire() });
    }
    this.#revalidate();
    this.#reconcile();
  }

  /** Bonded peers whose tickets no longer pass are disconnected with `NotAllowed`. */
  #revalidate(): void {
    if (this.#spec.validators.length === 0) return;
    for (const b of this.#bonds.list()) {
      const auth = this.#authorize(b.peer);
      if (auth.ok) b.reauthorized(auth.expires);
      else {
        this.#env.metrics.rejected.inc({ reason: 'NotAllowed' });
        void b.close(CloseCode.NotAllowed);
      }
    }
  }

  /** Dials every visible member we are not bonded with (with a backoff after failures). */
  #reconcile(): void {
    if (this.#closing !== undefined) return;
    for (const peer of this.#visibleMembers()) this.#dial(peer);
  }

  #dial(peer: PeerId): void {
    if (this.#closing !== undefined || this.#bonds.get(peer) !== undefined) return;
    const key = peer.toString();
    const notBefore = this.#backoff.get(key) ?? 0;
    if (Date.now() < notBefore) return;
    this.#bonds.dial(peer).then(
      () => this.#backoff.delete(key),
      (error: unknown) => {
        this.#backoff.set(key, Date.now() + this.#spec.consensus.heartbeatInterval * 2);
        this.#env.logger.debug({ peer: peer.short(), err: String(error) }, 'bond attempt failed');
      },
    );
  }
}
