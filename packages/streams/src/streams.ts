/**
 * The streams subsystem of a node: owns the sinks (one per stream id),
 * the consumers, the `/mosaik/streams/1.0` acceptor, and their shutdown.
 */
import type { Discovery } from '@mosaik/discovery';
import type { StreamId } from '@mosaik/id';
import type { TicketValidator } from '@mosaik/tickets';
import { CloseCode, type Link, LinkClosedError, type LocalNode } from '@mosaik/transport';
import type { BackoffPolicy } from './backoff.js';
import { Consumer } from './consumer/consumer.js';
import { errorText, type StreamsConfig, type StreamsContext } from './context.js';
import {
  checkPreference,
  type PeerPredicate,
  type ProducerPreference,
  type ResolvedConsumerOptions,
  type ResolvedProducerOptions,
  resolveDef,
  type StreamDef,
  type StreamRef,
} from './def.js';
import { AlreadyExistsError, StreamsConfigError } from './errors.js';
import { StreamsMetrics } from './metrics.js';
import { Producer } from './producer/producer.js';
import { Sink } from './producer/sink.js';
import type { OnlineWhen } from './status/conditions.js';
import { decodeHandshake, STREAMS_ALPN } from './wire.js';

/** How long an accepted connection may take to send its handshake. */
const HANDSHAKE_TIMEOUT_MS = 10_000;

/**
 * Typed pub/sub on one node. `Network.create` builds it as `net.streams`; standalone:
 *
 * @example
 * ```ts
 * const node = await LocalNode.bind('my-app', { preset: 'local' });
 * const discovery = await Discovery.start(node);
 * const streams = new Streams(node, discovery);
 * const producer = streams.produce<string>('greetings');
 * ```
 */
export class Streams implements AsyncDisposable {
  readonly #ctx: StreamsContext;
  readonly #abort = new AbortController();
  readonly #sinks = new Map<string, Sink<unknown>>();
  readonly #consumers = new Set<Consumer<unknown>>();
  readonly #unwatch: () => void;
  #scanQueued = false;
  #closing: Promise<void> | undefined;

  constructor(
    readonly node: LocalNode,
    readonly discovery: Discovery,
    config: StreamsConfig = {},
  ) {
    this.#ctx = {
      node,
      discovery,
      metrics: new StreamsMetrics(node.metrics),
      log: node.logger.child({ subsystem: 'streams' }),
      config: {
        backoff: { ...(config.backoff ?? {}) },
        rerankIntervalMs: config.rerankIntervalMs ?? 1000,
        rttSampleIntervalMs: config.rttSampleIntervalMs ?? 1000,
      },
      signal: this.#abort.signal,
    };
    node.handle(STREAMS_ALPN, (link) => this.#accept(link));
    this.#unwatch = discovery.catalogWatch.subscribe(() => this.#queueScan());
    node.onClose(() => this.close());
  }

  /**
   * A producer for `stream` with the definition's options. If this node already produces the
   * stream, returns a handle to that producer (its original options stand).
   *
   * @throws {@link @mosaik/streams!StreamsConfigError | StreamsConfigError} when the existing producer
   *   uses another codec, or the streams subsystem (its node) is closed.
   */
  produce<T>(stream: StreamRef<T>): Producer<T> {
    const def = resolveDef(stream);
    const existing = this.#existing(def);
    if (existing) return existing;
    return this.#create(def, {
      ...def.producer,
      require: [...def.producer.require],
      requireTicket: [...def.producer.requireTicket],
    });
  }

  /**
   * A builder for a producer with per-call options.
   *
   * `build()` throws {@link AlreadyExistsError} when this node already produces the stream (the
   * error carries that producer), or {@link @mosaik/streams!StreamsConfigError | StreamsConfigError}
   * when the node is closed.
   */
  producer<T>(stream: StreamRef<T>): ProducerBuilder<T> {
    const def = resolveDef(stream);
    return new ProducerBuilder(def, (options) => {
      const existing = this.#existing(def);
      if (existing)
        throw new AlreadyExistsError(existing, `stream ${def.id.short()} is already produced on this node`);
      return this.#create(def, options);
    });
  }

  /**
   * A consumer of `stream` with the definition's options.
   *
   * @throws {@link @mosaik/streams!StreamsConfigError | StreamsConfigError} when the streams subsystem
   *   (its node) is closed.
   */
  consume<T>(stream: StreamRef<T>): Consumer<T> {
    const def = resolveDef(stream);
    return this.#consumer(def, { ...def.consumer });
  }

  /** A builder for a consumer with per-call options; `build()` throws like {@link Streams.consume}. */
  consumer<T>(stream: StreamRef<T>): ConsumerBuilder<T> {
    const def = resolveDef(stream);
    return new ConsumerBuilder(def, (options) => this.#consumer(def, options));
  }

  /** A handle on every producer of this node (one per stream). */
  producers(): Producer<unknown>[] {
    return [...this.#sinks.values()].map((s) => new Producer(s));
  }

  /** Every open consumer of this node. */
  consumers(): Consumer<unknown>[] {
    return [...this.#consumers];
  }

  /** Stream ids this node produces. */
  producedStreams(): StreamId[] {
    return [...this.#sinks.values()].map((s) => s.def.id);
  }

  #existing<T>(def: StreamDef<T>): Producer<T> | undefined {
    const sink = this.#sinks.get(def.id.toString());
    if (sink === undefined) return undefined;
    if (sink.def.codec !== def.codec)
      throw new StreamsConfigError(`stream ${def.id.short()} is already produced here with another codec`);
    return new Producer(sink as Sink<T>);
  }

  #create<T>(def: StreamDef<T>, options: ResolvedProducerOptions<T>): Producer<T> {
    this.#checkOpen();
    const key = def.id.toString();
    const sink = new Sink<T>(this.#ctx, def, Object.freeze(options), () => {
      if (this.#sinks.get(key) === (sink as Sink<unknown>)) this.#sinks.delete(key);
      if (!this.#abort.signal.aborted) {
        try {
          this.discovery.removeStreams(def.id);
        } catch (error) {
          this.#ctx.log.debug({ err: errorText(error) }, 'withdrawing the stream failed');
        }
      }
    });
    this.#sinks.set(key, sink as Sink<unknown>);
    this.#ctx.metrics.producersActive.inc();
    this.discovery.addStreams(def.id);
    return new Producer(sink);
  }

  #consumer<T>(def: StreamDef<T>, options: ResolvedConsumerOptions): Consumer<T> {
    this.#checkOpen();
    return new Consumer<T>(this.#ctx, def, Object.freeze(options), (c) => {
      this.#consumers.add(c as Consumer<unknown>);
      return () => this.#consumers.delete(c as Consumer<unknown>);
    });
  }

  #checkOpen(): void {
    if (this.#abort.signal.aborted) throw new StreamsConfigError('streams subsystem is closed');
  }

  /** Catalog changes arrive in bursts: one scan per tick. */
  #queueScan(): void {
    if (this.#scanQueued || this.#abort.signal.aborted) return;
    this.#scanQueued = true;
    queueMicrotask(() => {
      this.#scanQueued = false;
      if (this.#abort.signal.aborted) return;
      const catalog = this.discovery.catalog();
      for (const sink of this.#sinks.values()) {
        try {
          sink.reevaluate(catalog);
        } catch (error) {
          this.#ctx.log.warn({ err: errorText(error) }, 'producer re-evaluation failed');
        }
      }
      for (const c of this.#consumers) c.onCatalog(catalog);
    });
  }

  /**
   * Admits an inbound consumer: known peer, handshake within the timeout, same network, a sink for
   * the stream; the sink then applies its own checks ({@link Sink.accept}). Each refusal has its
   * close code, so the consumer knows whether to retry.
   */
  async #accept(link: Link<unknown>): Promise<void> {
    const { metrics, log } = this.#ctx;
    if (this.#abort.signal.aborted) {
      await link.close(CloseCode.Cancelled);
      return;
    }
    const entry = this.discovery.catalog().get(link.remoteId);
    if (entry === undefined) {
      metrics.connectionRejected('unknown_peer');
      await link.close(CloseCode.UnknownPeer);
      return;
    }
    let frame: Uint8Array;
    const timer = setTimeout(
      () => void link.close(CloseCode.Cancelled, 'handshake timeout'),
      HANDSHAKE_TIMEOUT_MS,
    );
    try {
      frame = await link.recvRaw();
    } catch (error) {
      if (!(error instanceof LinkClosedError)) metrics.connectionRejected('protocol');
      log.debug({ peer: link.remoteId.short(), err: errorText(error) }, 'no stream handshake');
      if (!link.isClosed) await link.close(CloseCode.ProtocolViolation);
      return;
    } finally {
      clearTimeout(timer);
    }
    let handshake: ReturnType<typeof decodeHandshake>;
    try {
      handshake = decodeHandshake(frame);
    } catch (error) {
      metrics.connectionRejected('protocol');
      log.debug({ peer: link.remoteId.short(), err: errorText(error) }, 'malformed stream handshake');
      await link.close(CloseCode.ProtocolViolation);
      return;
    }
    if (!handshake.network.equals(this.node.networkId)) {
      metrics.connectionRejected('different_network');
      await link.close(CloseCode.DifferentNetwork);
      return;
    }
    const sink = this.#sinks.get(handshake.stream.toString());
    if (sink === undefined) {
      metrics.connectionRejected('stream_not_found');
      await link.close(CloseCode.StreamNotFound);
      return;
    }
    metrics.connectionAccepted();
    await sink.accept(link, entry);
  }

  /** Closes every producer (consumers see `GracefulShutdown`) and consumer. Runs on node close. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#abort.abort();
      this.#unwatch();
      const consumers = [...this.#consumers].map((c) => c.close());
      const sinks = [...this.#sinks.values()].map((s) => s.close());
      this.#sinks.clear();
      await Promise.allSettled([...consumers, ...sinks]);
    })();
    return this.#closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/** @internal The options both builders carry: requirements on the remote peers and `onlineWhen`. */
export interface PeerRuleOptions {
  require: PeerPredicate[];
  requireTicket: TicketValidator[];
  onlineWhen: OnlineWhen;
}

/** A copy of `o` whose requirement lists can grow without touching `o`'s. */
function copyOptions<O extends PeerRuleOptions>(o: Readonly<O>): O {
  return { ...o, require: [...o.require], requireTicket: [...o.requireTicket] } as O;
}

/**
 * @internal What {@link ProducerBuilder} and {@link ConsumerBuilder} share: a copy of the
 * definition's options, the requirements on the remote peers, `onlineWhen` and `build`.
 */
export abstract class StreamBuilder<O extends PeerRuleOptions, R> {
  /** The options being built; `build` hands over a copy. */
  protected readonly options: O;
  readonly #make: (options: O) => R;

  constructor(defaults: Readonly<O>, make: (options: O) => R) {
    this.options = copyOptions<O>(defaults);
    this.#make = make;
  }

  /** Remote peers (a producer's consumers, a consumer's producers) must also satisfy `predicate` (AND). */
  require(predicate: PeerPredicate): this {
    this.options.require.push(predicate);
    return this;
  }

  /** Remote peers (a producer's consumers, a consumer's producers) must also carry a ticket passing `validator`. */
  requireTicket(validator: TicketValidator): this {
    this.options.requireTicket.push(validator);
    return this;
  }

  onlineWhen(f: OnlineWhen): this {
    this.options.onlineWhen = f;
    return this;
  }

  build(): R {
    return this.#make(copyOptions<O>(this.options));
  }
}

/** Per-call producer options; starts from the definition's. */
export class ProducerBuilder<T> extends StreamBuilder<ResolvedProducerOptions<T>, Producer<T>> {
  /** @internal */
  constructor(
    readonly def: StreamDef<T>,
    make: (options: ResolvedProducerOptions<T>) => Producer<T>,
  ) {
    super(def.producer, make);
  }

  disconnectLagging(on: boolean): this {
    this.options.disconnectLagging = on;
    return this;
  }

  bufferSize(n: number): this {
    if (!Number.isInteger(n) || n < 1) throw new StreamsConfigError('bufferSize must be ≥ 1');
    this.options.bufferSize = n;
    return this;
  }

  maxConsumers(n: number): this {
    if (!(n >= 0)) throw new StreamsConfigError('maxConsumers must be ≥ 0');
    this.options.maxConsumers = n;
    return this;
  }

  undelivered(sink: (datum: T) => void): this {
    this.options.undelivered = sink;
    return this;
  }

  /**
   * Creates the producer.
   *
   * @throws {@link AlreadyExistsError} when this node already produces the stream.
   * @throws {@link @mosaik/streams!StreamsConfigError | StreamsConfigError} when the streams subsystem
   *   (its node) is closed.
   */
  override build(): Producer<T> {
    return super.build();
  }
}

/** Per-call consumer options; starts from the definition's. */
export class ConsumerBuilder<T> extends StreamBuilder<ResolvedConsumerOptions, Consumer<T>> {
  /** @internal */
  constructor(
    readonly def: StreamDef<T>,
    make: (options: ResolvedConsumerOptions) => Consumer<T>,
  ) {
    super(def.consumer, make);
  }

  backoff(policy: Partial<BackoffPolicy>): this {
    this.options.backoff = { ...this.options.backoff, ...policy };
    return this;
  }

  /**
   * Which producers to subscribe to: `'all'`, `'lowest-rtt'`, `{ best: n }` (by measured RTT,
   * else the network-coordinate estimate), `'same-region'` or `{ nearest: n }` (by the entries'
   * locations). See {@link ProducerPreference}.
   * @throws {StreamsConfigError} for a malformed preference.
   */
  prefer(p: ProducerPreference): this {
    this.options.prefer = checkPreference(p);
    return this;
  }
}
