/**
 * Collection definitions: the TypeScript form of the original's `collection!` macro. A
 * definition fixes the kind, the store id (from a name), the codecs, schemas, ticket validators
 * and consensus settings; `writer(net)` / `reader(net)` open a handle on a node.
 */
import {
  type Codec,
  Digest,
  encodeCanonical,
  type GroupId,
  InvalidArgumentError,
  type StoreId,
  withSchema,
} from '@mosaik/id';
import type { Logger } from '@mosaik/metrics';
import {
  type ConsensusConfig,
  deriveGroupId,
  GroupKey,
  type Groups,
  resolveConsensus,
  type StorageSpec,
} from '@mosaik/rsm';
import type { TicketValidator } from '@mosaik/tickets';
import type { StandardSchemaV1 } from '@standard-schema/spec';
import type { ByteMachine, CollectionKind, Guard } from './machines/common.js';
import { CollectionMetrics } from './metrics.js';
import { openReplica, type Replica } from './replica.js';

/**
 * A node to open collections on: a `mosaik` `Network`, or anything else with the node's groups
 * subsystem (collections never import the facade, so any such object works).
 */
export interface CollectionNetwork {
  readonly groups: Groups;
}

/** Options every kind of collection takes. */
export interface CollectionOptions {
  /**
   * Members must hold tickets these validators accept (all of them, checked in order). They are
   * part of the group id: differently gated collections never meet.
   */
  readonly requireTicket?: TicketValidator | readonly TicketValidator[];
  /**
   * Consensus settings of the collection's group (`@mosaik/rsm`'s `ConsensusConfig`): every
   * member must use the same. Those that split a group (heartbeat, missed beats, `maxVoters`)
   * are part of the group id.
   */
  readonly consensus?: Partial<ConsensusConfig>;
  /** Changes a `watch` buffers for a slow consumer before it gets `lagged` (default 4096). */
  readonly watchBuffer?: number;
}

/** Per-open options. */
export interface OpenOptions {
  /** Where this node keeps the group's log (default in memory); file storage survives restarts. */
  readonly storage?: StorageSpec;
}

/** Per-open options of `onlineReader` / `onlineWriter`. */
export interface OnlineOptions extends OpenOptions {
  /** Gives up waiting (the handle is closed and the promise rejects with the signal's reason). */
  readonly signal?: AbortSignal;
}

/** The reader side of a definition. */
export interface ReaderDef<R> {
  /** Opens a reader: it replicates and serves reads, never votes or leads. */
  reader(net: CollectionNetwork, options?: OpenOptions): R;
  /** `reader(net)`, then waits until it is online. */
  onlineReader(net: CollectionNetwork, options?: OnlineOptions): Promise<R>;
}

/** The writer side of a definition. */
export interface WriterDef<W> {
  /** Opens a writer: it votes, may lead, and writes. */
  writer(net: CollectionNetwork, options?: OpenOptions): W;
  /** `writer(net)`, then waits until it is online. */
  onlineWriter(net: CollectionNetwork, options?: OnlineOptions): Promise<W>;
}

/** A collection definition. Export `asReader()` or `asWriter()` to let other modules open one side only. */
export interface CollectionDef<R, W> extends ReaderDef<R>, WriterDef<W> {
  readonly kind: CollectionKind;
  /** The name the store id was derived from (or its hex). */
  readonly name: string;
  readonly storeId: StoreId;
  /** The group every writer and reader of this definition joins. */
  readonly groupId: GroupId;
  asReader(): ReaderDef<R>;
  asWriter(): WriterDef<W>;
}

/** What a kind contributes to its definition. */
export interface KindSpec<C, Ch, R, W> {
  readonly kind: CollectionKind;
  readonly name: string | Digest;
  readonly typeNames: readonly string[];
  /** Semantic configuration (e.g. a capacity), part of the group id. */
  readonly config?: unknown;
  readonly options: CollectionOptions;
  readonly machine: (guard: Guard) => ByteMachine<C, Ch>;
  readonly checks: { key?: Check; value?: Check; priority?: Check };
  readonly reader: (init: HandleInit<C, Ch>) => R;
  readonly writer: (init: HandleInit<C, Ch>) => W;
}

/** What a handle is built from. */
export interface HandleInit<C, Ch> {
  readonly groups: Groups;
  readonly replica: Replica<C, Ch>;
  readonly writer: boolean;
  readonly watchBuffer: number;
}

/** A validity check of encoded bytes (decodes, and passes the schema if there is one). */
export type Check = (bytes: Uint8Array) => boolean;

/** The check for one type: decodable with `codec` and, with a schema, accepted by it. */
export function checkOf<T>(codec: Codec<T>, schema: StandardSchemaV1 | undefined): Check {
  const strict = schema === undefined ? codec : withSchema(codec as Codec<unknown>, schema);
  return (bytes) => {
    try {
      strict.decode(bytes);
      return true;
    } catch {
      return false;
    }
  };
}

const metricsByGroups = new WeakMap<Groups, Map<CollectionKind, CollectionMetrics>>();

function metricsFor(groups: Groups, kind: CollectionKind): CollectionMetrics {
  let byKind = metricsByGroups.get(groups);
  if (byKind === undefined) {
    byKind = new Map();
    metricsByGroups.set(groups, byKind);
  }
  let m = byKind.get(kind);
  if (m === undefined) {
    m = new CollectionMetrics(groups.node.metrics, kind);
    byKind.set(kind, m);
  }
  return m;
}

function validatorsOf(options: CollectionOptions): readonly TicketValidator[] {
  const v = options.requireTicket;
  if (v === undefined) return [];
  return Array.isArray(v) ? [...(v as readonly TicketValidator[])] : [v as TicketValidator];
}

function guardOf(
  checks: KindSpec<unknown, unknown, unknown, unknown>['checks'],
  rejected: () => void,
): Guard {
  const yes = () => true;
  return { key: checks.key ?? yes, value: checks.value ?? yes, priority: checks.priority ?? yes, rejected };
}

/** Builds a definition from a kind's parts. */
export function defineKind<C, Ch, R extends { close(): Promise<void> }, W extends { close(): Promise<void> }>(
  spec: KindSpec<C, Ch, R, W>,
): CollectionDef<R, W> {
  const storeId = typeof spec.name === 'string' ? Digest.from(spec.name) : spec.name;
  const name = typeof spec.name === 'string' ? spec.name : spec.name.toString();
  const watchBuffer = spec.options.watchBuffer ?? 4096;
  if (!Number.isSafeInteger(watchBuffer) || watchBuffer < 1)
    throw new InvalidArgumentError(`watchBuffer must be a positive integer, got ${watchBuffer}`);
  const consensus = spec.options.consensus ?? {};
  const resolved = resolveConsensus(consensus);
  const validators = validatorsOf(spec.options);
  let signature = Digest.from(`mosaik_collections_${spec.kind}`).derive(storeId);
  for (const t of spec.typeNames) signature = signature.derive(t);
  signature = signature.derive(encodeCanonical(spec.config ?? null));
  const groupId = deriveGroupId(GroupKey.from(storeId), resolved, signature, validators);

  const open = <H>(
    net: CollectionNetwork,
    options: OpenOptions | undefined,
    writer: boolean,
    make: (i: HandleInit<C, Ch>) => H,
  ): H => {
    const groups = net?.groups;
    if (groups === undefined || typeof groups.withKey !== 'function')
      throw new InvalidArgumentError('expected a Network (or an object with its `groups`)');
    const replica = openReplica<C, Ch>(
      groups,
      {
        storeId,
        signature,
        consensus,
        validators,
        storage: options?.storage,
        metrics: (g) => metricsFor(g, spec.kind),
        makeMachine: (logger: Logger, metrics, label) =>
          spec.machine(
            guardOf(spec.checks, () => {
              metrics.invalid.inc(label);
              logger.warn('a committed command with an invalid key, value or priority was dropped');
            }),
          ),
      },
      writer,
    );
    return make({ groups, replica, writer, watchBuffer });
  };
  const online = async <
    H extends { close(): Promise<void>; when: { online(o?: { signal?: AbortSignal }): Promise<void> } },
  >(
    handle: H,
    options: OnlineOptions | undefined,
  ): Promise<H> => {
    try {
      await handle.when.online(options?.signal === undefined ? undefined : { signal: options.signal });
      return handle;
    } catch (error) {
      await handle.close();
      throw error;
    }
  };

  const readerDef: ReaderDef<R> = {
    reader: (net, options) => open(net, options, false, spec.reader),
    onlineReader: (net, options) =>
      online(open(net, options, false, spec.reader) as R & OnlineCapable, options),
  };
  const writerDef: WriterDef<W> = {
    writer: (net, options) => open(net, options, true, spec.writer),
    onlineWriter: (net, options) =>
      online(open(net, options, true, spec.writer) as W & OnlineCapable, options),
  };
  return Object.freeze({
    kind: spec.kind,
    name,
    storeId,
    groupId,
    ...readerDef,
    ...writerDef,
    asReader: () => Object.freeze({ ...readerDef }),
    asWriter: () => Object.freeze({ ...writerDef }),
  });
}

type OnlineCapable = {
  close(): Promise<void>;
  when: { online(o?: { signal?: AbortSignal }): Promise<void> };
};
