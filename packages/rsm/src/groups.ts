/**
 * The groups subsystem of one node (`network.groups`): registers `/mosaik/groups/1` and builds
 * groups with `withKey(key)…join()`.
 */
import type { Discovery } from '@mosaik/discovery';
import type { Digest } from '@mosaik/id';
import type { Logger } from '@mosaik/metrics';
import type { TicketValidator } from '@mosaik/tickets';
import type { LocalNode } from '@mosaik/transport';
import {
  type ConsensusConfig,
  DEFAULT_GROUPS_CONFIG,
  deriveGroupId,
  type GroupsConfig,
  resolveConsensus,
} from './config.js';
import { Group } from './group.js';
import { GroupKey } from './key.js';
import { GroupsMetrics } from './metrics.js';
import { GroupsRouter } from './router.js';
import { NoOp, type StateMachine } from './state-machine.js';
import { type StorageSpec, storage } from './storage.js';

/**
 * Consensus groups on one node. `Network.create` makes one and exposes it as `network.groups`.
 *
 * ```ts
 * const groups = new Groups(node, discovery);
 * const group = groups.withKey('my-secret').withStateMachine(new Counter()).join();
 * await group.when.online();
 * await group.execute({ add: 1 });
 * ```
 */
export class Groups implements AsyncDisposable {
  /** The effective configuration. */
  readonly config: GroupsConfig;
  readonly #node: LocalNode;
  readonly #discovery: Discovery | undefined;
  readonly #router: GroupsRouter;
  readonly #metrics: GroupsMetrics;
  readonly #logger: Logger;
  readonly #groups = new Map<string, Group<unknown, unknown, unknown>>();
  #closing: Promise<void> | undefined;

  /**
   * @param node - the transport node (the groups ALPN is registered on it)
   * @param discovery - finds the members; without it, bonds must be made with `group.bondWith`
   * @param config - subsystem settings
   */
  constructor(node: LocalNode, discovery: Discovery | undefined, config: Partial<GroupsConfig> = {}) {
    this.config = { ...DEFAULT_GROUPS_CONFIG, ...config };
    this.#node = node;
    this.#discovery = discovery;
    this.#metrics = new GroupsMetrics(node.metrics);
    this.#logger = node.logger.child({ subsystem: 'groups' });
    this.#router = new GroupsRouter(
      node,
      this.#metrics,
      this.#logger,
      this.config.handshakeTimeout,
      this.config.wrapLink,
    );
    node.onClose(() => this.close());
  }

  /** The transport node the groups run on (its metrics and logger serve layers built on groups). */
  get node(): LocalNode {
    return this.#node;
  }

  /** Starts building a group from its key (a `GroupKey`, a secret digest or string, or a ticket validator). */
  withKey(key: GroupKey | Digest | TicketValidator | string): GroupBuilder<null, null, null> {
    return new GroupBuilder(this, GroupKey.from(key), new NoOp(), storage.memory(), {}, []);
  }

  /** The groups joined on this node. */
  list(): Group<unknown, unknown, unknown>[] {
    return [...this.#groups.values()];
  }

  /** @internal */
  join<C, Q, R>(
    key: GroupKey,
    machine: StateMachine<C, Q, R>,
    storageSpec: StorageSpec,
    consensus: Partial<ConsensusConfig>,
    validators: readonly TicketValidator[],
  ): Group<C, Q, R> {
    if (this.#closing !== undefined) throw new Error('groups closed');
    const resolved = resolveConsensus(consensus);
    const id = deriveGroupId(key, resolved, machine.signature, validators);
    const existing = this.#groups.get(id.toString());
    if (existing !== undefined) return existing as unknown as Group<C, Q, R>;
    const group = new Group<C, Q, R>(
      {
        node: this.#node,
        discovery: this.#discovery,
        router: this.#router,
        metrics: this.#metrics,
        logger: this.#logger,
        handshakeTimeout: this.config.handshakeTimeout,
        wrapLink: this.config.wrapLink,
        closed: (g) => {
          if (this.#groups.get(g.id.toString()) === g) this.#groups.delete(g.id.toString());
        },
      },
      { key, id, machine, storage: storageSpec, consensus: resolved, validators },
    );
    this.#groups.set(id.toString(), group as unknown as Group<unknown, unknown, unknown>);
    return group;
  }

  /** Leaves every group. Called when the node closes. */
  close(): Promise<void> {
    this.#closing ??= Promise.allSettled([...this.#groups.values()].map((g) => g.close())).then(() => {});
    return this.#closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/**
 * Fluent configuration of a group; every method returns a new builder. Only the key, the
 * machine's signature, the shared consensus parameters and the validators (in order) make the
 * group id; storage never does.
 */
export class GroupBuilder<C, Q, R> {
  readonly #groups: Groups;
  readonly #key: GroupKey;
  readonly #machine: StateMachine<C, Q, R>;
  readonly #storage: StorageSpec;
  readonly #consensus: Partial<ConsensusConfig>;
  readonly #validators: readonly TicketValidator[];

  /** @internal */
  constructor(
    groups: Groups,
    key: GroupKey,
    machine: StateMachine<C, Q, R>,
    storageSpec: StorageSpec,
    consensus: Partial<ConsensusConfig>,
    validators: readonly TicketValidator[],
  ) {
    this.#groups = groups;
    this.#key = key;
    this.#machine = machine;
    this.#storage = storageSpec;
    this.#consensus = consensus;
    this.#validators = validators;
  }

  /** The replicated state machine (default `NoOp`). */
  withStateMachine<C2, Q2, R2>(machine: StateMachine<C2, Q2, R2>): GroupBuilder<C2, Q2, R2> {
    return new GroupBuilder(
      this.#groups,
      this.#key,
      machine,
      this.#storage,
      this.#consensus,
      this.#validators,
    );
  }

  /** Where the log lives: `storage.memory()` (default) or `storage.file(dir)`. */
  withStorage(spec: StorageSpec): GroupBuilder<C, Q, R> {
    return new GroupBuilder(this.#groups, this.#key, this.#machine, spec, this.#consensus, this.#validators);
  }

  /** Overrides consensus parameters (merged over earlier overrides and the defaults). */
  withConsensus(config: Partial<ConsensusConfig>): GroupBuilder<C, Q, R> {
    return new GroupBuilder(
      this.#groups,
      this.#key,
      this.#machine,
      this.#storage,
      { ...this.#consensus, ...config },
      this.#validators,
    );
  }

  /** Requires members to hold a ticket this validator accepts. Repeatable: all must pass. */
  requireTicket(validator: TicketValidator): GroupBuilder<C, Q, R> {
    return new GroupBuilder(this.#groups, this.#key, this.#machine, this.#storage, this.#consensus, [
      ...this.#validators,
      validator,
    ]);
  }

  /** The group id this builder would join. */
  groupId(): Digest {
    return deriveGroupId(
      this.#key,
      resolveConsensus(this.#consensus),
      this.#machine.signature,
      this.#validators,
    );
  }

  /**
   * Joins the group: synchronous, all networking happens in the background. Joining a group
   * already joined on this node returns the same handle.
   */
  join(): import('./group.js').Group<C, Q, R> {
    return this.#groups.join(this.#key, this.#machine, this.#storage, this.#consensus, this.#validators);
  }
}
