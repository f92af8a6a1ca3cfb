/**
 * The worker behind a `Group` handle: it wires a bond layer (network), the Raft driver
 * (consensus), a directory (who the members are) and a clock to the group's pure policies —
 * founding (`founding.ts`), cluster merge (`cluster-merge.ts`), forwarding (`forwarding.ts`),
 * admission (`admission.ts`) and the autopilot (`autopilot.ts`, `autopilot-view.ts`). Every
 * decision is a call into one of those with what the member observed and `clock.now()`, so the
 * same member runs on QUIC bonds and the wall clock in production, and on simulated bonds and
 * virtual time in the group simulator (`testing/group-sim.ts`).
 */
import {
  type Clock,
  type Codec,
  cborCodec,
  DecodeError,
  EncodeError,
  every,
  type GroupId,
  PeerId,
  Watch,
} from '@mosaik/id';
import type { Logger } from '@mosaik/metrics';
import { isMember, type Message, messageCodec, type NodeId, type RaftRole } from '@mosaik/raft';
import type { Expiration, TicketValidator } from '@mosaik/tickets';
import { CloseCode, type CloseInfo } from '@mosaik/transport';
import { bondQuiet, bondWanted, dialPlan } from './admission.js';
import { type Admission, admissionContext } from './admissions.js';
import { nextChange } from './autopilot.js';
import { handoffTarget, memberViews } from './autopilot-view.js';
import type { Authorization } from './bonds.js';
import { type ClusterViews, clusterViews, mergeTarget, raftVerdict } from './cluster-merge.js';
import type { ConsensusConfig } from './config.js';
import type { MemberDirectory } from './directory.js';
import { RaftDriver } from './driver.js';
import { GroupTerminatedError, NoCommandsError, OfflineError } from './errors.js';
import { ForwardTable } from './forwarding.js';
import { type FoundingInput, foundingMembers, shouldFound } from './founding.js';
import type { GroupStatus } from './group.js';
import type { GroupKey } from './key.js';
import { MemberAdmission } from './member-admission.js';
import type { GroupsMetrics } from './metrics.js';
import type { MachineDescription, StateMachine } from './state-machine.js';
import type { OpenStorage, StorageSpec } from './storage.js';
import type { ResetEvent } from './when.js';
import { type BondMessage, type PeerStatus, type WirePreference, WireType } from './wire.js';

/** Everything a group is built from (see `GroupBuilder`). */
export interface GroupSpec<C, Q, R> {
  readonly key: GroupKey;
  readonly id: GroupId;
  readonly machine: StateMachine<C, Q, R>;
  readonly storage: StorageSpec;
  readonly consensus: ConsensusConfig;
  readonly validators: readonly TicketValidator[];
}

/** A bond as the member uses it (a `Bond`, or a simulated one). */
export interface MemberBond {
  readonly peer: PeerId;
  /** The peer's last reported status. */
  readonly status: PeerStatus | undefined;
  readonly isClosed: boolean;
  send(message: BondMessage): void;
  /** Sends our status now. */
  ping(): void;
  close(code?: number): Promise<void>;
  /** Resolves once the bond is closed. */
  terminated(): Promise<unknown>;
  /** The peer's tickets passed again, with a new earliest expiry. */
  reauthorized(expires: Expiration | undefined): void;
}

/** The member's bonds: one per peer (a `BondSet`, or a simulated one). */
export interface MemberBonds {
  get(peer: PeerId | string): MemberBond | undefined;
  /** Sorted by peer id. */
  list(): readonly MemberBond[];
  /** Bonds with `peer`; rejects when that fails. */
  dial(peer: PeerId): Promise<unknown>;
}

/** What the member tells its bond layer (the callbacks of a `BondSet`). */
export interface BondHandlers {
  authorize(peer: PeerId): Authorization;
  /** Whether a bond with `peer` is worth holding: an acceptor refuses the others. */
  wanted(peer: PeerId): boolean;
  /** Whether the bond with `peer` may ping only every few heartbeat periods (see `bondQuiet`). */
  quiet(peer: PeerId): boolean;
  status(): PeerStatus;
  /** Peers a new bond partner is bonded with: candidates to bond with. */
  learned(peers: readonly PeerId[]): void;
  up(bond: MemberBond): void;
  down(bond: MemberBond, info: CloseInfo): void;
  message(bond: MemberBond, message: BondMessage): void;
}

/** Options of a {@link GroupMember}. */
export interface MemberOptions<C> {
  readonly self: PeerId;
  /** The group (its key is the bond layer's business). */
  readonly spec: Omit<GroupSpec<C, unknown, unknown>, 'key'>;
  /** Builds the bond layer around the member's handlers. */
  readonly bonds: (handlers: BondHandlers) => MemberBonds;
  /** Who the members are; without one, only bonds tell. */
  readonly directory: MemberDirectory | undefined;
  readonly clock: Clock;
  readonly metrics: GroupsMetrics;
  readonly logger: Logger;
  /** Whether the node under the group is gone (no leader hand-off then). */
  readonly offline?: () => boolean;
}

/** An accepted submission: where the commands went, and in which reset epoch. */
export interface Submitted {
  readonly first: number;
  readonly last: number;
  readonly term: number;
  readonly epoch: number;
}

const PREF: Record<string, WirePreference> = { normal: 0, reluctant: 1, observer: 2 };

/** One member of one group: consensus, membership and merging, without the public API. */
export class GroupMember<C> {
  readonly driver: RaftDriver<C>;
  readonly bonds: MemberBonds;
  readonly leader = new Watch<PeerId | undefined>(undefined, {
    equals: (a, b) => a === b || a?.equals(b) === true,
  });
  readonly online = new Watch(false);
  readonly lastReset = new Watch<ResetEvent | undefined>(undefined);
  readonly #o: MemberOptions<C>;
  readonly #spec: Omit<GroupSpec<C, unknown, unknown>, 'key'>;
  readonly #self: PeerId;
  readonly #selfHex: string;
  readonly #label: { group: string };
  readonly #codec: Codec<C>;
  readonly #clock: Clock;
  #storage: OpenStorage;
  /** The cluster this member's cluster lost a merge to, `''` when not merging. */
  #yieldTo = '';
  readonly #forwards = new ForwardTable();
  readonly #readTimers = new Set<() => void>();
  readonly #lastSeen = new Map<NodeId, number>();
  readonly #departed = new Set<NodeId>();
  readonly #admission: MemberAdmission;
  readonly #startedAt: number;
  /** Founding members seen when the last founding wait was reported. */
  #foundingSeen = 0;
  #stopTicks: () => void = () => {};
  #unsubscribe: () => void = () => {};
  #ticks = 0;
  #reads = 0;
  #leaderLostAt: number | undefined;
  #handingOff = false;
  #stopping = false;

  constructor(options: MemberOptions<C>) {
    this.#o = options;
    this.#spec = options.spec;
    this.#self = options.self;
    this.#selfHex = this.#self.toString();
    this.#clock = options.clock;
    this.#label = { group: options.spec.id.short() };
    this.#codec = options.spec.machine.commandCodec ?? cborCodec<C>();
    this.#startedAt = this.#clock.now();
    this.#leaderLostAt = this.#startedAt;
    const pref = options.spec.machine.leadershipPreference ?? { kind: 'normal' };
    this.#storage = options.spec.storage.open();
    this.driver = new RaftDriver<C>({
      id: this.#selfHex,
      groupId: options.spec.id,
      storage: this.#storage,
      machine: options.spec.machine,
      codec: this.#codec,
      consensus: options.spec.consensus,
      electionFactor: pref.kind === 'reluctant' ? Math.max(1, pref.factor) : 1,
      host: {
        send: (to, msgs) => this.bonds.get(to)?.send({ t: WireType.Raft, c: this.driver.cluster, msgs }),
        softState: (lead, role) => this.#onSoftState(lead, role),
        // The leader picks hand-off targets (and checks lives) from our status: send it now.
        admitted: () => {
          for (const b of this.bonds.list()) b.ping();
        },
      },
      metrics: options.metrics,
      logger: options.logger,
    });
    this.#admission = new MemberAdmission({
      self: this.#self,
      group: options.spec.id,
      validators: options.spec.validators,
      directory: options.directory,
      clock: this.#clock,
      retryDelay: options.spec.consensus.heartbeatInterval * 2,
      metrics: options.metrics,
      logger: options.logger,
      bonds: () => this.bonds,
      stopping: () => this.#stopping,
      wanted: (peer) => this.#wanted(peer),
      dialPlan: () =>
        dialPlan(
          this.driver.raft.conf,
          this.#selfHex,
          this.bonds.list().map((b) => b.status),
        ),
    });
    this.bonds = options.bonds({
      authorize: (peer) => this.#admission.authorize(peer),
      wanted: (peer) => this.#wanted(peer),
      quiet: (peer) => {
        const raft = this.driver.raft;
        return bondQuiet(
          raft.conf,
          this.#selfHex,
          peer.toString(),
          raft.lead,
          this.#spec.consensus.maxVoters,
        );
      },
      status: () => this.#status(),
      learned: (peers) => {
        for (const p of peers) if (this.#admission.isMember(p)) this.#admission.dial(p);
      },
      up: (bond) => this.#onBondUp(bond),
      down: (bond, info) => this.#onBondDown(bond, info),
      message: (bond, msg) => this.#onMessage(bond, msg),
    });
  }

  /** Starts the housekeeping ticks and follows the directory. */
  start(): void {
    this.#stopTicks = every(this.#clock, this.#spec.consensus.tickInterval, () => this.#tick());
    this.#unsubscribe = this.#admission.follow();
  }

  get cluster(): string {
    return this.driver.cluster;
  }

  /** The member is leaving: no new work is taken. */
  get stopping(): boolean {
    return this.#stopping;
  }

  /**
   * The machine's leadership preference, read afresh each time: a machine may change it while
   * joined (a collection replica whose last writer handle closed becomes an observer), and the
   * autopilot of the leader promotes or demotes the member accordingly.
   */
  get pref(): WirePreference {
    return PREF[this.#spec.machine.leadershipPreference?.kind ?? 'normal'] ?? 0;
  }

  /** This member's consensus state (see `Group.status`). */
  status(): GroupStatus {
    const st = this.driver.raft.status();
    const observers = st.conf.learners.filter((id) =>
      id === this.#selfHex ? this.pref === 2 : this.bonds.get(id)?.status?.pref === 2,
    );
    return {
      role: st.role,
      term: st.term,
      leader: st.lead === '' ? undefined : st.lead,
      commit: st.commit,
      applied: this.driver.applied.get(),
      lastIndex: st.lastIndex,
      voters: st.conf.voters,
      learners: st.conf.learners.filter((id) => !observers.includes(id)),
      observers,
      cluster: this.driver.cluster,
      preference: (['normal', 'reluctant', 'observer'] as const)[this.pref] ?? 'normal',
      machine: this.#describeMachine(),
    };
  }

  /** The machine's `describe()`, never throwing out of a status read. */
  #describeMachine(): MachineDescription | undefined {
    try {
      return this.#spec.machine.describe?.();
    } catch (error) {
      this.#o.logger.debug({ err: String(error) }, 'state machine describe() failed');
      return undefined;
    }
  }

  // ------------------------------------------------------------------ commands and reads

  /** Proposes `commands` (as leader) or forwards them to the leader. */
  async submit(commands: readonly C[]): Promise<Submitted> {
    if (this.#stopping) throw new GroupTerminatedError();
    if (commands.length === 0) throw new NoCommandsError();
    if (this.#yieldTo !== '')
      throw new OfflineError('this member’s cluster is merging into another cluster of the group', commands);
    let encoded: Uint8Array[];
    try {
      encoded = commands.map((c) => this.#codec.encode(c));
    } catch (error) {
      throw new EncodeError('command could not be encoded', { cause: error });
    }
    if (this.driver.raft.role === 'leader') {
      try {
        return this.driver.propose(encoded);
      } catch (error) {
        throw new OfflineError(`proposal refused: ${String(error)}`, commands);
      }
    }
    const lead = this.driver.raft.lead;
    const bond = lead === '' ? undefined : this.bonds.get(lead);
    if (bond === undefined)
      throw new OfflineError(
        this.notOnline(lead === '' ? 'no leader known' : 'no bond to the leader'),
        commands,
      );
    const epoch = this.driver.epoch;
    return new Promise((resolve, reject) => {
      const id = this.#forwards.open({ resolve: (r) => resolve({ ...r, epoch }), reject }, (fid) =>
        this.#clock.schedule(this.#spec.consensus.forwardTimeout, () =>
          this.#forwards.reject(fid, new OfflineError('the leader did not acknowledge in time', commands)),
        ),
      );
      bond.send({ t: WireType.Forward, id, cmds: encoded });
    });
  }

  /** A read index confirmed by the leader, `Offline` when none comes within `queryTimeout`. */
  readIndex(query: unknown, signal: AbortSignal | undefined): Promise<number> {
    const ctx = `${this.#selfHex.slice(0, 8)}-${++this.#reads}`;
    return new Promise((resolve, reject) => {
      const settle = () => {
        cancel();
        this.#readTimers.delete(cancel);
        signal?.removeEventListener('abort', onAbort);
      };
      const onAbort = () => {
        settle();
        this.driver.cancelRead(ctx);
        reject(signal?.reason);
      };
      const cancel = this.#clock.schedule(this.#spec.consensus.queryTimeout, () => {
        settle();
        this.driver.cancelRead(ctx);
        reject(new OfflineError('no read index from a leader in time', [query]));
      });
      this.#readTimers.add(cancel);
      signal?.addEventListener('abort', onAbort, { once: true });
      try {
        this.driver.readIndex(ctx, (index) => {
          settle();
          resolve(index);
        });
      } catch {
        settle();
        reject(new OfflineError(this.notOnline('no leader known'), [query]));
      }
    });
  }

  /** Why a call needs the group online, and how to wait for that. */
  notOnline(reason: string): string {
    return (
      `group ${this.#spec.id.short()} is not online yet (${reason}): ` +
      'wait with `await group.when.online()` before execute, feed or strong queries'
    );
  }

  // ------------------------------------------------------------------ lifecycle

  /**
   * Stops taking work: a leader hands leadership over first, then ticks, reads and forwards end
   * and the driver stops. The bonds and storage stay for the caller to close.
   */
  async stop(): Promise<void> {
    this.#stopping = true;
    await this.#handOffLeadership();
    this.#stopTicks();
    this.#unsubscribe();
    for (const cancel of this.#readTimers) cancel();
    this.#readTimers.clear();
    this.#forwards.rejectAll(() => new GroupTerminatedError());
    this.driver.stop();
  }

  /** Releases the storage (after the bonds closed). */
  release(): void {
    this.#storage.close?.();
    this.online.set(false);
  }

  /**
   * Raft leader transfer before a graceful exit: the target gets the log, then `TimeoutNow`, and
   * campaigns at once. Waits (at most one election timeout) until another member leads.
   */
  async #handOffLeadership(): Promise<void> {
    const raft = this.driver.raft;
    if (raft.role !== 'leader' || this.#o.offline?.() === true) return;
    const target =
      handoffTarget({
        self: this.#selfHex,
        status: raft.status(),
        bond: (id) => this.bonds.get(id),
      }) ?? (await this.#promoteSuccessor());
    const bond = target === undefined ? undefined : this.bonds.get(target);
    if (target === undefined || bond === undefined) return;
    try {
      raft.transferLeadership(target);
      this.driver.pump();
    } catch (error) {
      this.#o.logger.debug({ err: String(error) }, 'leader transfer not started');
      return;
    }
    this.#o.logger.info({ to: target.slice(0, 10) }, 'handing leadership over before leaving');
    // Done once another member leads; given up when the target goes away too (the whole group
    // shutting down at once) or after an election timeout (the core aborts the transfer then).
    const abort = new AbortController();
    const cancel = this.#clock.schedule(this.#spec.consensus.electionTimeout, () => abort.abort());
    const led = this.leader.until((l) => l !== undefined && !l.equals(this.#self), { signal: abort.signal });
    led.catch(() => {});
    try {
      await Promise.race([led, bond.terminated()]);
    } finally {
      cancel();
      abort.abort();
    }
  }

  /**
   * A sole voter about to leave makes the most caught-up learner that may lead a voter first
   * (otherwise the group it leaves behind has no voter and can never commit again). Waits at
   * most an election timeout for the change to commit; `undefined` when there is no such
   * learner or it did not commit.
   */
  async #promoteSuccessor(): Promise<NodeId | undefined> {
    const raft = this.driver.raft;
    const { conf, commit, progress } = raft.status();
    if (conf.voters.length !== 1 || conf.voters[0] !== this.#selfHex) return undefined;
    const successor = conf.learners
      .map((id) => ({ id, st: this.bonds.get(id)?.status, match: progress.get(id)?.match ?? 0 }))
      .filter((c) => c.st !== undefined && c.st.pref !== 2 && c.st.inc === '' && c.match >= commit)
      .sort((a, b) => a.st!.pref - b.st!.pref || b.match - a.match || (a.id < b.id ? -1 : 1))[0];
    if (successor === undefined) return undefined;
    let index: number;
    try {
      index = raft.proposeConfChange({ type: 'add-voter', node: successor.id });
      this.driver.pump();
    } catch (error) {
      this.#o.logger.debug({ err: String(error) }, 'no successor promoted before leaving');
      return undefined;
    }
    this.#o.logger.info({ to: successor.id.slice(0, 10) }, 'promoting a successor before leaving');
    const abort = new AbortController();
    const cancel = this.#clock.schedule(this.#spec.consensus.electionTimeout, () => abort.abort());
    try {
      await this.driver.applied.until((a) => a >= index, { signal: abort.signal });
      return successor.id;
    } catch {
      return undefined;
    } finally {
      cancel();
    }
  }

  // ------------------------------------------------------------------ housekeeping

  #status(): PeerStatus {
    const raft = this.driver.raft;
    return {
      cluster: this.driver.cluster,
      yield: this.#yieldTo,
      term: raft.term,
      commit: this.driver.applied.get(),
      lead: raft.lead,
      pref: this.pref,
      inc: raft.abstaining ? (this.driver.incarnation ?? '') : '',
    };
  }

  #tick(): void {
    this.driver.tick();
    this.#ticks++;
    const every = Math.max(
      1,
      Math.round(this.#spec.consensus.heartbeatInterval / this.#spec.consensus.tickInterval),
    );
    if (this.#ticks % every !== 0) return;
    try {
      this.#maybeFound();
      this.#evaluateMerge();
      if (this.driver.raft.role === 'leader' && this.#yieldTo === '') this.#autopilot();
      this.#stepDownAsObserver();
      this.#updateOnline();
      this.#admission.reconcile();
    } catch (error) {
      this.#o.logger.warn({ err: String(error) }, 'group housekeeping failed');
    }
  }

  /**
   * A leader whose machine became an observer (a collection replica whose last writer closed)
   * hands leadership to a voter; the new leader's autopilot then makes it a learner.
   */
  #stepDownAsObserver(): void {
    if (this.pref !== 2 || this.#handingOff || this.driver.raft.role !== 'leader') return;
    this.#handingOff = true;
    this.#handOffLeadership()
      .catch((error: unknown) => this.#o.logger.debug({ err: String(error) }, 'observer step-down failed'))
      .finally(() => {
        this.#handingOff = false;
      });
  }

  /**
   * See `bondWanted`: two learners of a configuration with all its voters need no bond. The
   * leader is always wanted, whoever our bonded peers report it to be: a member whose
   * configuration is too old to list the leader as a voter (one removed while away) could
   * otherwise refuse the one bond that lets the leader take it in again.
   */
  #wanted(peer: PeerId): boolean {
    const key = peer.toString();
    const raft = this.driver.raft;
    if (bondWanted(raft.conf, this.#selfHex, key, this.#spec.consensus.maxVoters) || key === raft.lead)
      return true;
    return this.bonds
      .list()
      .some((b) => b.status !== undefined && b.status.cluster !== '' && b.status.lead === key);
  }

  #updateOnline(): void {
    const raft = this.driver.raft;
    const lead = raft.lead;
    // A leader we hold no bond with cannot take our commands, whatever Raft still believes
    // until its election timeout: callers waiting for `online` should wait, not retry at once.
    const reachable = lead !== '' && (lead === this.#selfHex || this.bonds.get(lead)?.isClosed === false);
    this.online.set(reachable && isMember(raft.conf, this.#selfHex));
  }

  #maybeFound(): void {
    // Cheap checks first: the visible set scans the catalog.
    if (this.pref === 2 || !this.driver.isFresh || this.driver.cluster !== '') return;
    const visible = new Set([
      ...this.#admission.visible().map((p) => p.toString()),
      ...this.bonds.list().map((b) => b.peer.toString()),
    ]);
    const input: FoundingInput = {
      self: this.#selfHex,
      pref: this.pref,
      fresh: this.driver.isFresh,
      cluster: this.driver.cluster,
      now: this.#clock.now(),
      startedAt: this.#startedAt,
      bootstrapDelay: this.#spec.consensus.bootstrapDelay,
      bootstrapExpect: this.#spec.consensus.bootstrapExpect,
      deadMemberTimeout: this.#spec.consensus.deadMemberTimeout,
      visible: [...visible].map((id) => {
        const bond = this.bonds.get(id);
        return { id, bonded: bond !== undefined, status: bond?.status };
      }),
    };
    const found = shouldFound(input);
    this.#reportFoundingWait(input, found);
    if (found && this.driver.bootstrap())
      this.#o.logger.info({ group: this.#spec.id.short() }, 'founded a new cluster');
  }

  /** Says (once per change) how many members a founding still waits for, so a wait is never silent. */
  #reportFoundingWait(input: FoundingInput, found: boolean): void {
    const expect = input.bootstrapExpect;
    if (found || expect <= 1 || input.now - input.startedAt < input.bootstrapDelay) return;
    const seen = foundingMembers(input.visible);
    if (seen >= expect || seen === this.#foundingSeen) return;
    this.#foundingSeen = seen;
    this.#o.logger.info(
      { group: this.#spec.id.short(), members: seen, bootstrapExpect: expect },
      `waiting for ${expect} members to found the group (${seen} so far)`,
    );
  }

  #autopilot(): void {
    const raft = this.driver.raft;
    const status = raft.status();
    const change = nextChange({
      self: this.#selfHex,
      conf: status.conf,
      commit: status.commit,
      members: memberViews({
        self: this.#selfHex,
        selfPref: this.pref,
        cluster: this.driver.cluster,
        status,
        bonded: this.bonds.list().map((b) => b.peer.toString()),
        bond: (id) => this.bonds.get(id),
        departed: this.#departed,
        lastSeen: this.#lastSeen,
        now: this.#clock.now(),
        admittedAs: (id) => this.driver.admittedAs(id),
        admissionsCurrent: this.driver.applied.get() >= status.commit,
      }),
      maxVoters: this.#spec.consensus.maxVoters,
      deadMemberTimeout: this.#spec.consensus.deadMemberTimeout,
    });
    if (change !== undefined) {
      try {
        const nodes = change.type === 'add-learners' ? change.nodes : [change.node];
        raft.proposeConfChange(change, this.#admissionsOf(change.type === 'remove' ? [] : nodes));
        this.driver.pump();
        this.#o.logger.info(
          { change: change.type, nodes: nodes.map((n) => n.slice(0, 10)) },
          'membership change proposed',
        );
        if (change.type === 'remove') this.#departed.delete(change.node);
      } catch (error) {
        // Another change (or this term's no-op) is not committed yet: try again next round.
        this.#o.logger.debug({ err: String(error) }, 'membership change deferred');
      }
    }
    const conf = raft.conf;
    this.#o.metrics.voters.set(this.#label, conf.voters.length);
    this.#o.metrics.nonVoters.set(this.#label, conf.learners.length);
    this.#o.metrics.committeeSize.set(this.#label, conf.voters.length + conf.learners.length);
  }

  /**
   * The context of a change that adds `nodes`: the lives of those waiting to be admitted in the
   * one they run (see admissions.ts), as their heartbeats report it.
   */
  #admissionsOf(nodes: readonly NodeId[]): Uint8Array | undefined {
    const admissions: Admission[] = [];
    for (const node of nodes) {
      const life = this.bonds.get(node)?.status?.inc ?? '';
      if (life !== '') admissions.push([node, life]);
    }
    return admissions.length === 0 ? undefined : admissionContext(admissions);
  }

  // ------------------------------------------------------------------ merging clusters

  /** Every cluster visible through the bonds, and our own. */
  #clusterViews(): ClusterViews {
    const reports = [
      { cluster: this.driver.cluster, commit: this.driver.applied.get(), yield: this.#yieldTo },
    ];
    for (const b of this.bonds.list()) if (b.status !== undefined && !b.isClosed) reports.push(b.status);
    return clusterViews(reports);
  }

  #evaluateMerge(): void {
    const mine = this.driver.cluster;
    const target = mine === '' || this.driver.isFresh ? '' : mergeTarget(mine, this.#clusterViews());
    if (target === this.#yieldTo) return;
    this.#yieldTo = target;
    if (target !== '') {
      this.#o.logger.warn(
        { cluster: mine, winner: target },
        'another cluster of this group won the merge: waiting to be taken in, then discarding local state',
      );
    }
    for (const b of this.bonds.list()) b.ping();
  }

  /** Whether a Raft batch from cluster `c` may reach our core (adopting or resetting first). */
  #acceptRaft(c: string): boolean {
    const verdict = raftVerdict({
      from: c,
      mine: this.driver.cluster,
      yieldTo: this.#yieldTo,
      view: () => this.#clusterViews(),
    });
    switch (verdict) {
      case 'accept':
        return true;
      case 'adopt':
        this.driver.adopt(c);
        for (const b of this.bonds.list()) b.ping();
        return true;
      case 'reset':
        return !this.#stopping && this.#reset(c);
      case 'drop':
        return false;
    }
  }

  /** Discards the local log and state and continues as a fresh member of cluster `winner`. */
  #reset(winner: string): boolean {
    let fresh: OpenStorage;
    try {
      fresh = this.#spec.storage.wipe(this.#storage);
    } catch (error) {
      this.#o.logger.error({ err: String(error) }, 'could not wipe storage for a cluster merge: stopping');
      this.driver.stop();
      return false;
    }
    this.#storage = fresh;
    const discarded = this.driver.reset(fresh, winner);
    this.#yieldTo = '';
    this.#forwards.rejectAll(() => new OfflineError('this member’s cluster lost a merge and was reset'));
    this.#lastSeen.clear();
    this.#o.metrics.resets.inc(this.#label);
    this.#o.logger.warn(
      { discarded: discarded.cluster, committed: discarded.committed, joined: winner },
      'cluster merge: local state discarded, joining the winning cluster',
    );
    this.lastReset.set({ discarded, joined: winner, at: this.#clock.now() });
    for (const b of this.bonds.list()) b.ping();
    return true;
  }

  #onSoftState(lead: NodeId, role: RaftRole): void {
    const previous = this.leader.get();
    const next = lead === '' ? undefined : this.#peerOf(lead);
    if (role === 'candidate') this.#o.metrics.elections.inc(this.#label);
    if (next === undefined) {
      this.#leaderLostAt ??= this.#clock.now();
    } else {
      if (previous === undefined || !previous.equals(next)) this.#o.metrics.leaderChanges.inc(this.#label);
      if (this.#leaderLostAt !== undefined) {
        this.#o.metrics.electionDuration.observe(
          this.#label,
          (this.#clock.now() - this.#leaderLostAt) / 1000,
        );
        this.#leaderLostAt = undefined;
      }
    }
    // A new leader gives every member the full dead-member timeout before judging it.
    if (role === 'leader') this.#lastSeen.clear();
    this.leader.set(next);
    this.#updateOnline();
  }

  #peerOf(hex: string): PeerId | undefined {
    if (hex === this.#selfHex) return this.#self;
    const bond = this.bonds.get(hex);
    if (bond !== undefined) return bond.peer;
    try {
      return PeerId.parse(hex);
    } catch {
      return undefined;
    }
  }

  // ------------------------------------------------------------------ bonds

  #onBondUp(bond: MemberBond): void {
    const key = bond.peer.toString();
    // A member that departed and is back at once may have restarted with nothing (memory
    // storage): if it is still in the configuration, its old progress would make the leader
    // believe it holds a log it lost. It stays marked until the leader removed it; it then
    // joins again as a new learner.
    const conf = this.driver.raft.conf;
    if (!conf.voters.includes(key) && !conf.learners.includes(key)) this.#departed.delete(key);
    this.#admission.bonded(bond.peer);
    if (key === this.driver.raft.lead) this.#updateOnline();
    // Tell the others, so they bond with the newcomer without waiting for discovery.
    const entry = this.#o.directory?.wireOf(bond.peer);
    if (entry !== undefined) {
      for (const other of this.bonds.list()) {
        if (other !== bond) other.send({ t: WireType.BondFormed, entry });
      }
    }
  }

  #onBondDown(bond: MemberBond, info: CloseInfo): void {
    this.#o.logger.debug({ peer: bond.peer.short(), code: info.code, reason: info.reason }, 'bond closed');
    // Forwards to that peer will not be answered.
    if (bond.peer.toString() === this.driver.raft.lead) {
      this.#forwards.rejectAll(() => new OfflineError('the leader went away'));
      this.#updateOnline();
    }
  }

  #onMessage(bond: MemberBond, msg: BondMessage): void {
    switch (msg.t) {
      case WireType.Raft:
        this.#onRaft(bond, msg.c, msg.msgs);
        return;
      case WireType.Forward: {
        try {
          if (this.#yieldTo !== '') throw new Error('this cluster is merging into another');
          if (!this.#validForward(bond, msg.cmds)) return;
          const r = this.driver.propose(msg.cmds);
          bond.send({ t: WireType.ForwardAck, id: msg.id, first: r.first, last: r.last, term: r.term });
        } catch (error) {
          bond.send({ t: WireType.ForwardNack, id: msg.id, reason: String(error).slice(0, 200) });
        }
        return;
      }
      case WireType.ForwardAck:
        this.#forwards.resolve(msg.id, { first: msg.first, last: msg.last, term: msg.term });
        return;
      case WireType.ForwardNack:
        this.#forwards.reject(msg.id, new OfflineError(`the leader refused: ${msg.reason}`));
        return;
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

  #onRaft(bond: MemberBond, cluster: string, frames: readonly Uint8Array[]): void {
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
    if (this.#acceptRaft(cluster)) this.driver.step(messages);
  }

  /**
   * A forwarded batch must decode with the machine's codec and pass its `validate` hook (a
   * collection's schemas). A member that forwards anything else is faulty or hostile: the batch
   * is refused whole and the bond closed with `ProtocolViolation`. Decoding is checked even
   * without a hook, so bytes no replica could apply never reach the log.
   */
  #validForward(bond: MemberBond, commands: readonly Uint8Array[]): boolean {
    const validate = this.#spec.machine.validate;
    for (const bytes of commands) {
      try {
        const command = this.#codec.decode(bytes);
        validate?.call(this.#spec.machine, command);
      } catch (error) {
        this.#o.logger.warn({ peer: bond.peer.short(), err: String(error) }, 'forwarded command refused');
        this.#o.metrics.refusedCommands.inc(this.#label);
        this.#violation(bond, 'invalid forwarded command');
        return false;
      }
    }
    return true;
  }

  #violation(bond: MemberBond, why: string): void {
    this.#o.metrics.rejected.inc({ reason: 'ProtocolViolation' });
    this.#o.logger.warn({ peer: bond.peer.short(), why }, 'bond protocol violation');
    void bond.close(CloseCode.ProtocolViolation);
  }

  #onEntry(bond: MemberBond, wire: unknown, fromOwner: boolean): void {
    const why = this.#admission.onEntry(bond, wire, fromOwner);
    if (why !== undefined) this.#violation(bond, why);
  }
}
