/**
 * One collection replica on one node: the byte-level machine as an rsm state machine, its
 * change feed, and the group it replicates through. Every handle to the same collection on a
 * node shares one replica (a per-node registry keyed by group id); the group is left when the
 * last handle closes. The replica votes while at least one writer handle is open, and is an
 * observer (never votes, never leads) otherwise.
 */
import { type Codec, DecodeError, type Digest, decodeCbor, encodeCbor } from '@mosaik/id';
import type { Logger } from '@mosaik/metrics';
import {
  type ApplyContext,
  type ConsensusConfig,
  type Group,
  type Groups,
  LeadershipPreference,
  type SnapshotSink,
  type SnapshotView,
  type StateMachine,
  type StorageSpec,
  snapshotBytes,
} from '@mosaik/rsm';
import type { TicketValidator } from '@mosaik/tickets';
import { ChangeFeed } from './feed.js';
import type { ByteMachine } from './machines/common.js';
import type { CollectionMetrics } from './metrics.js';

const NORMAL = LeadershipPreference.normal();
const OBSERVER = LeadershipPreference.observer();

/** The rsm side of a replica. */
export class Replica<C, Ch> implements StateMachine<C, null, null> {
  readonly signature: Digest;
  readonly commandCodec: Codec<C>;
  readonly machine: ByteMachine<C, Ch>;
  readonly feed: ChangeFeed<Ch>;
  readonly metrics: CollectionMetrics;
  readonly label: { store: string };
  group!: Group<C, null, null>;
  /** Open handles, and how many of them write. */
  handles = 0;
  writers = 0;

  constructor(
    signature: Digest,
    machine: ByteMachine<C, Ch>,
    metrics: CollectionMetrics,
    label: { store: string },
  ) {
    this.signature = signature;
    this.machine = machine;
    this.metrics = metrics;
    this.label = label;
    this.feed = new ChangeFeed<Ch>(
      (on) => {
        machine.onChange = on ? this.feed.push : undefined;
      },
      () => metrics.watchLagged.inc(label),
    );
    this.commandCodec = {
      encode: (c) => encodeCbor(c),
      decode: (b) => machine.parse(decodeCbor(b)),
    };
  }

  get leadershipPreference(): LeadershipPreference {
    return this.writers > 0 ? NORMAL : OBSERVER;
  }

  apply(command: C, ctx: ApplyContext): void {
    this.machine.apply(command, ctx.index);
    this.metrics.size.set(this.label, this.machine.size());
  }

  applyBatch(commands: readonly C[], ctx: ApplyContext): void {
    for (let i = 0; i < commands.length; i++) this.machine.apply(commands[i]!, ctx.index + i);
    this.metrics.size.set(this.label, this.machine.size());
  }

  validate(command: C): void {
    if (!this.machine.valid(command))
      throw new DecodeError('schema', 'a key, value or priority failed the schema');
  }

  query(): null {
    return null;
  }

  snapshot(): Uint8Array | SnapshotView {
    this.metrics.snapshotsTaken.inc(this.label);
    return this.machine.snapshot();
  }

  restore(snapshot: Uint8Array): void {
    this.machine.restore(snapshot);
    this.#installed();
  }

  restoreChunks(): SnapshotSink {
    const machine = this.machine;
    if (machine.restoreChunks === undefined) {
      // A small machine (Cell, Once): gather the pieces, restore at once.
      const pieces: Uint8Array[] = [];
      return {
        write: (piece) => pieces.push(piece),
        end: () => this.restore(snapshotBytes({ chunks: () => pieces })),
      };
    }
    const sink = machine.restoreChunks();
    return {
      write: (piece) => sink.write(piece),
      end: () => {
        sink.end();
        this.#installed();
      },
    };
  }

  #installed(): void {
    this.metrics.snapshotsInstalled.inc(this.label);
    this.metrics.size.set(this.label, this.machine.size());
    this.feed.resync();
  }
}

/** What opening a replica needs. */
export interface ReplicaSpec<C, Ch> {
  readonly storeId: Digest;
  readonly signature: Digest;
  readonly makeMachine: (
    logger: Logger,
    metrics: CollectionMetrics,
    label: { store: string },
  ) => ByteMachine<C, Ch>;
  readonly metrics: (groups: Groups) => CollectionMetrics;
  readonly consensus: Partial<ConsensusConfig>;
  readonly validators: readonly TicketValidator[];
  readonly storage: StorageSpec | undefined;
}

const registries = new WeakMap<Groups, Map<string, Replica<unknown, unknown>>>();

/** The replica of a collection on the node of `groups`: the existing one, or a new one joined now. */
export function openReplica<C, Ch>(
  groups: Groups,
  spec: ReplicaSpec<C, Ch>,
  writer: boolean,
): Replica<C, Ch> {
  let registry = registries.get(groups);
  if (registry === undefined) {
    registry = new Map();
    registries.set(groups, registry);
  }
  let builder = groups.withKey(spec.storeId).withConsensus(spec.consensus);
  for (const v of spec.validators) builder = builder.requireTicket(v);
  const id = builder.withStateMachine(probeMachine(spec.signature)).groupId().toString();
  let replica = registry.get(id) as Replica<C, Ch> | undefined;
  if (replica === undefined || replica.group.isClosed) {
    const label = { store: spec.storeId.short() };
    const metrics = spec.metrics(groups);
    const logger = groups.node.logger.child({ subsystem: 'collections', store: label.store });
    replica = new Replica<C, Ch>(spec.signature, spec.makeMachine(logger, metrics, label), metrics, label);
    if (writer) replica.writers++;
    let b = builder.withStateMachine(replica);
    if (spec.storage !== undefined) b = b.withStorage(spec.storage);
    replica.group = b.join();
    registry.set(id, replica as Replica<unknown, unknown>);
  } else if (writer) {
    replica.writers++;
  }
  replica.handles++;
  return replica;
}

/** Releases one handle; the last one leaves the group. */
export async function releaseReplica(
  groups: Groups,
  replica: Replica<unknown, unknown>,
  writer: boolean,
): Promise<void> {
  if (writer) replica.writers--;
  replica.handles--;
  if (replica.handles > 0) return;
  const registry = registries.get(groups);
  const id = replica.group.id.toString();
  if (registry?.get(id) === replica) registry.delete(id);
  replica.feed.interruptAll();
  await replica.group.close();
}

/** A machine that only carries a signature, to compute a group id without joining. */
function probeMachine(signature: Digest): StateMachine<null, null, null> {
  return {
    signature,
    apply() {},
    query: () => null,
    snapshot: () => new Uint8Array(0),
    restore() {},
  };
}
