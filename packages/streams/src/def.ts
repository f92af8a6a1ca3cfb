/**
 * `defineStream`: one value that both sides import, so a producer and its consumers
 * cannot disagree on the id, the codec or the schema. A definition
 * names a stream, fixes its codec and optional schema, and bakes in producer and consumer options.
 */
import type { PeerInfo } from '@mosaik/discovery';
import { type Codec, cborCodec, type Digest, id, type StreamId, withSchema } from '@mosaik/id';
import type { TicketValidator } from '@mosaik/tickets';
import type { StandardSchemaV1 } from '@standard-schema/spec';
import type { BackoffPolicy } from './backoff.js';
import { StreamsConfigError } from './errors.js';
import type { ChannelConditions, OnlineWhen } from './status/conditions.js';

/** A predicate on a remote peer (its entry plus the local RTT estimate). */
export type PeerPredicate = (peer: PeerInfo) => boolean;

/**
 * Which eligible producers a consumer subscribes to:
 *
 * - `'all'` (the default and the reference behaviour): every eligible producer;
 * - `'lowest-rtt'`: the one with the smallest RTT; `{ best: n }`: the `n` smallest. A producer
 *   the consumer has measured ranks by its smoothed RTT; one it never measured ranks by the RTT
 *   estimated from both network coordinates (discovery's Vivaldi coordinates), so a consumer
 *   can choose among many producers without pinging each (its `require` predicates see such a
 *   producer with `rtt` undefined). Producers with neither rank last.
 * - `'same-region'`: every producer whose entry has the consumer's `region` (discovery config);
 *   all of them when none does or the consumer has no region.
 * - `{ nearest: n }`: the `n` producers closest by great-circle distance between the entries'
 *   `location`s; producers without a location (or all, if the consumer has none) rank last,
 *   ordered by RTT as above.
 *
 * Rankings are refreshed as RTTs, coordinates and entries change (see `rerankIntervalMs`).
 */
export type ProducerPreference =
  | 'all'
  | 'lowest-rtt'
  | 'same-region'
  | { readonly best: number }
  | { readonly nearest: number };

/**
 * Options a producer applies. `require` / `requireTicket` are checked on the **consumers** that
 * subscribe (the builder side's requirement on its remote peers).
 */
export interface ProducerOptions<T = unknown> {
  /** Capacity of each subscriber's queue. Default 1024. */
  readonly bufferSize?: number;
  /** Subscriptions beyond this are refused with `NoCapacity`. Default unlimited. */
  readonly maxConsumers?: number;
  /** On a full subscriber queue: `true` drops the datum and disconnects it with `TooSlow`; `false` only drops. Default true. */
  readonly disconnectLagging?: boolean;
  /** When the producer may publish. Default: at least one connected consumer. */
  readonly onlineWhen?: OnlineWhen;
  /** Consumers must satisfy every predicate (AND). */
  readonly require?: PeerPredicate | readonly PeerPredicate[];
  /** Consumers must carry tickets passing every validator; expiry disconnects them. */
  readonly requireTicket?: TicketValidator | readonly TicketValidator[];
  /** Receives datums that no subscription took (nobody subscribed, or encoding failed). */
  readonly undelivered?: (datum: T) => void;
}

/**
 * Options a consumer applies. `require` / `requireTicket` are checked on the **producers** it
 * subscribes to.
 */
export interface ConsumerOptions {
  /** Producers must satisfy every predicate (AND); re-checked against their latest entry. */
  readonly require?: PeerPredicate | readonly PeerPredicate[];
  /** Producers must carry tickets passing every validator; expiry disconnects them. */
  readonly requireTicket?: TicketValidator | readonly TicketValidator[];
  /** When the consumer counts as online. Default: immediately (`c => c.minimumOf(0)`). */
  readonly onlineWhen?: OnlineWhen;
  /** Reconnect policy of each receiver (fresh state per receiver). */
  readonly backoff?: Partial<BackoffPolicy>;
  /** Which producers to subscribe to. Default `'all'`. */
  readonly prefer?: ProducerPreference;
}

/** Options of {@link defineStream}. */
export interface StreamOptions<T> {
  /** Explicit id (a 64-hex string is decoded, other strings hashed); default `id(name)`. */
  readonly id?: string | Digest;
  /** Datum codec; default CBOR. */
  readonly codec?: Codec<T>;
  /** Standard Schema (zod, valibot, arktype…) validating every received datum. */
  readonly schema?: StandardSchemaV1<unknown, T>;
  /**
   * Largest encoded datum in bytes. Producers refuse bigger ones (`ProducerError` `oversized`,
   * counted); consumers close a link that carries one. Default 16 MiB.
   */
  readonly maxDatumSize?: number;
  /** `require` applied on both sides (each side checks its remote peers). */
  readonly require?: PeerPredicate | readonly PeerPredicate[];
  /** `requireTicket` applied on both sides. */
  readonly requireTicket?: TicketValidator | readonly TicketValidator[];
  /** `onlineWhen` applied on both sides (a side-specific one wins). */
  readonly onlineWhen?: OnlineWhen;
  /** Producer-side options. */
  readonly producer?: ProducerOptions<T>;
  /** Consumer-side options. */
  readonly consumer?: ConsumerOptions;
}

/** A frozen stream definition; pass it to `streams.produce` / `streams.consume`. */
export interface StreamDef<T> {
  /** The name given to {@link defineStream}. */
  readonly name: string;
  /** The stream id. */
  readonly id: StreamId;
  /** Encodes datums (the producer side). */
  readonly codec: Codec<T>;
  /** Decodes and, with a schema, validates datums (the consumer side). */
  readonly decoder: Codec<T>;
  /** Largest datum a consumer accepts. */
  readonly maxDatumSize: number;
  /** Producer options with the shared ones folded in. */
  readonly producer: Readonly<ResolvedProducerOptions<T>>;
  /** Consumer options with the shared ones folded in. */
  readonly consumer: Readonly<ResolvedConsumerOptions>;
}

/** Producer options after merging the definition's shared and producer options ({@link StreamDef.producer}). */
export interface ResolvedProducerOptions<T> {
  bufferSize: number;
  maxConsumers: number;
  disconnectLagging: boolean;
  onlineWhen: OnlineWhen;
  require: PeerPredicate[];
  requireTicket: TicketValidator[];
  undelivered: ((datum: T) => void) | undefined;
}

/** Consumer options after merging the definition's shared and consumer options ({@link StreamDef.consumer}). */
export interface ResolvedConsumerOptions {
  require: PeerPredicate[];
  requireTicket: TicketValidator[];
  onlineWhen: OnlineWhen;
  backoff: Partial<BackoffPolicy>;
  prefer: ProducerPreference;
}

/** The default datum codec, shared so that definitions by name agree with each other. */
export const DEFAULT_CODEC: Codec<unknown> = cborCodec<unknown>();

/** Default frame cap, as the transport's. */
export const DEFAULT_MAX_DATUM_SIZE = 16 * 1024 * 1024;

function list<X>(v: X | readonly X[] | undefined): X[] {
  if (v === undefined) return [];
  return Array.isArray(v) ? [...(v as readonly X[])] : [v as X];
}

/** Checks a preference and returns it. */
export function checkPreference(p: ProducerPreference): ProducerPreference {
  if (p === 'all' || p === 'lowest-rtt' || p === 'same-region') return p;
  if (typeof p === 'object' && p !== null) {
    const keys = Object.keys(p);
    const n = 'best' in p ? p.best : 'nearest' in p ? p.nearest : undefined;
    if (keys.length === 1 && Number.isInteger(n) && (n as number) >= 1) return p;
  }
  throw new StreamsConfigError(`invalid prefer option ${JSON.stringify(p)}`);
}

/**
 * Declares a stream of `T`. The id is `id(name)` (a 64-hex name is decoded as the id) unless
 * `options.id` is given.
 *
 * @example
 * ```ts
 * const Prices = defineStream<{ symbol: string; price: number }>('prices', {
 *   producer: { maxConsumers: 100 },
 *   consumer: { prefer: 'lowest-rtt' },
 * });
 * const producer = net.streams.produce(Prices);
 * ```
 */
export function defineStream<T>(name: string, options: StreamOptions<T> = {}): StreamDef<T> {
  if (typeof name !== 'string' || name.length === 0)
    throw new StreamsConfigError('a stream needs a non-empty name');
  const streamId =
    options.id === undefined ? id(name) : typeof options.id === 'string' ? id(options.id) : options.id;
  const codec = options.codec ?? (DEFAULT_CODEC as Codec<T>);
  const decoder = options.schema ? (withSchema(codec as Codec<unknown>, options.schema) as Codec<T>) : codec;
  const p = options.producer ?? {};
  const c = options.consumer ?? {};
  const bufferSize = p.bufferSize ?? 1024;
  if (!Number.isInteger(bufferSize) || bufferSize < 1) throw new StreamsConfigError('bufferSize must be ≥ 1');
  const maxConsumers = p.maxConsumers ?? Number.POSITIVE_INFINITY;
  if (!(maxConsumers >= 0)) throw new StreamsConfigError('maxConsumers must be ≥ 0');
  const maxDatumSize = options.maxDatumSize ?? DEFAULT_MAX_DATUM_SIZE;
  if (!Number.isInteger(maxDatumSize) || maxDatumSize < 1)
    throw new StreamsConfigError('maxDatumSize must be ≥ 1');
  const def: StreamDef<T> = {
    name,
    id: streamId,
    codec,
    decoder,
    maxDatumSize,
    producer: Object.freeze({
      bufferSize,
      maxConsumers,
      disconnectLagging: p.disconnectLagging ?? true,
      onlineWhen: p.onlineWhen ?? options.onlineWhen ?? ((s: ChannelConditions) => s),
      require: [...list(options.require), ...list(p.require)],
      requireTicket: [...list(options.requireTicket), ...list(p.requireTicket)],
      undelivered: p.undelivered,
    }),
    consumer: Object.freeze({
      require: [...list(options.require), ...list(c.require)],
      requireTicket: [...list(options.requireTicket), ...list(c.requireTicket)],
      onlineWhen: c.onlineWhen ?? options.onlineWhen ?? ((s: ChannelConditions) => s.minimumOf(0)),
      backoff: { ...(c.backoff ?? {}) },
      prefer: checkPreference(c.prefer ?? 'all'),
    }),
  };
  return Object.freeze(def);
}

/** A definition, or a name for a default (CBOR) definition. */
export type StreamRef<T> = StreamDef<T> | string;

/** @internal */
export function resolveDef<T>(ref: StreamRef<T>): StreamDef<T> {
  return typeof ref === 'string' ? defineStream<T>(ref) : ref;
}
