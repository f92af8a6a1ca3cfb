/**
 * A joined group: the public `Group` handle. It builds the member's bond set on the node, wires
 * it to discovery and the wall clock, and serves `execute`, `feed` and `query`; consensus,
 * membership and merging run in the {@link GroupMember} behind it, whose decisions are the pure
 * policies beside this file.
 */
import type { Discovery } from '@mosaik/discovery';
import { abortable, type GroupId, type PeerId, systemClock } from '@mosaik/id';
import type { Logger } from '@mosaik/metrics';
import type { LocalNode } from '@mosaik/transport';
import { BondSet, Bonds } from './bonds.js';
import { discoveryDirectory } from './directory.js';
import { GroupTerminatedError, OfflineError } from './errors.js';
import type { LinkWrapper } from './link.js';
import { GroupMember, type GroupSpec } from './member.js';
import type { GroupsMetrics } from './metrics.js';
import type { GroupsRouter } from './router.js';
import type { MachineDescription } from './state-machine.js';
import { type ResetEvent, When } from './when.js';

export type { GroupSpec } from './member.js';

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
  /**
   * Non-voting members that never vote nor lead (collection readers, observer machines), told by
   * the preference they report over their bond. Once the group has `maxVoters` voters,
   * non-voters no longer bond with each other: a learner or observer then lists the other
   * non-voters under `learners` (a voter sees the exact split).
   */
  readonly observers: readonly string[];
  /** This member's cluster id, `''` while it has none. */
  readonly cluster: string;
  /** This member's leadership preference. */
  readonly preference: 'normal' | 'reluctant' | 'observer';
  /** The state machine's own summary, when it has `describe()`. */
  readonly machine: MachineDescription | undefined;
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
  readonly #member: GroupMember<C>;
  readonly #set: BondSet;
  readonly #label: { group: string };
  #closing: Promise<void> | undefined;

  /** @internal Use `GroupBuilder.join()`. */
  constructor(env: GroupEnv, spec: GroupSpec<C, Q, R>) {
    this.#env = env;
    this.#spec = spec;
    this.id = spec.id;
    this.#label = { group: spec.id.short() };
    const logger = env.logger.child({ group: spec.id.short() });
    const discovery = env.discovery;
    let set: BondSet | undefined;
    this.#member = new GroupMember<C>({
      self: env.node.peerId,
      spec: spec as GroupSpec<C, unknown, unknown>,
      directory: discovery === undefined ? undefined : discoveryDirectory(discovery, spec.id),
      clock: systemClock,
      metrics: env.metrics,
      logger,
      offline: () => env.node.isClosed,
      bonds: (handlers) => {
        set = new BondSet({
          node: env.node,
          groupId: spec.id,
          key: spec.key,
          handshakeTimeout: env.handshakeTimeout,
          wrapLink: env.wrapLink,
          heartbeatInterval: spec.consensus.heartbeatInterval,
          maxMissedHeartbeats: spec.consensus.maxMissedHeartbeats,
          metrics: env.metrics,
          logger,
          ...handlers,
          ...(discovery === undefined
            ? {}
            : { introduce: (peer: PeerId) => discovery.syncWith(peer).catch(() => {}) }),
        });
        return set;
      },
    });
    this.#set = set as unknown as BondSet;
    const m = this.#member;
    this.when = new When(
      env.node.peerId,
      m.leader,
      m.online,
      m.driver.applied,
      m.driver.lastIndex,
      m.lastReset,
    );
    env.router.register(spec.id, this.#set);
    env.metrics.active.inc();
    env.metrics.bondsActive.set(this.#label, 0);
    discovery?.addGroups(spec.id);
    m.start();
  }

  // ------------------------------------------------------------------ status

  /** This member's peer id. */
  get peerId(): PeerId {
    return this.#env.node.peerId;
  }

  /** The current leader, if known. */
  leader(): PeerId | undefined {
    return this.#member.leader.get();
  }

  /** Whether this member leads. */
  isLeader(): boolean {
    return this.#member.leader.get()?.equals(this.peerId) === true;
  }

  /** The committed-and-applied index. */
  committed(): number {
    return this.#member.driver.applied.get();
  }

  /** The voters and learners of the configuration this member knows (hex peer ids). */
  members(): { voters: readonly string[]; learners: readonly string[] } {
    return this.#member.driver.raft.conf;
  }

  /**
   * The cluster this member belongs to, `''` while it has none. A cluster id is chosen by the
   * member that founds the cluster (its short peer id and random bytes) and travels in snapshots.
   * Two clusters of one group (founded while the network was split) merge when their members
   * bond: see {@link lastReset}.
   */
  get cluster(): string {
    return this.#member.cluster;
  }

  /**
   * The last time this member's cluster lost a merge: it discarded its state (the cluster and
   * last committed index it gave up are in the event) and re-joined the winning cluster.
   * `when.reset()` waits for the next one.
   */
  lastReset(): ResetEvent | undefined {
    return this.#member.lastReset.get();
  }

  /**
   * A snapshot of this member's consensus state, for dashboards and the `mosaik` CLI: role,
   * term, leader, commit and applied indices, the configuration it knows, and its cluster.
   * Observers are the learners whose own status says they never lead.
   */
  status(): GroupStatus {
    return this.#member.status();
  }

  /** Live view of the bonds. */
  bonds(): Bonds {
    return new Bonds(this.#set);
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
    const r = await abortable(this.#member.submit(commands), signal);
    const ok = await abortable(this.#member.driver.awaitApplied(r.last, r.term, r.epoch), signal);
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
    const r = await this.#member.submit(commands);
    return { first: r.first, last: r.last };
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
    const applied = this.#member.driver.applied;
    if (consistency === 'strong') {
      const index = await this.#member.readIndex(query, signal);
      await applied.until((a) => a >= index || this.#closing !== undefined, signal ? { signal } : {});
      if (this.#closing !== undefined) throw new GroupTerminatedError();
    }
    return { result: this.#spec.machine.query(query), at: applied.get() };
  }

  // ------------------------------------------------------------------ lifecycle

  /**
   * Leaves the group: a leader first hands leadership to the most caught-up reachable voter (so
   * the others need not wait for an election timeout), then every bonded peer is told, the group
   * id is withdrawn from discovery and everything is released.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await this.#member.stop();
      this.#env.router.unregister(this.id, this.#set);
      try {
        this.#env.discovery?.removeGroups(this.id);
      } catch (error) {
        this.#env.logger.debug({ err: String(error) }, 'could not withdraw the group id');
      }
      await this.#set.close(!this.#env.node.isClosed);
      this.#member.release();
      this.#env.metrics.active.dec();
      this.#env.closed(this as Group<unknown, unknown, unknown>);
    })();
    return this.#closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
