import { linkSignals, type StreamId } from '@mosaik/id';
import type { ResolvedProducerOptions } from '../def.js';
import { ProducerError } from '../errors.js';
import type { ChannelInfo } from '../status/channel.js';
import type { When } from '../status/conditions.js';
import type { ProducerStats, Sink, SubscriptionInfo } from './sink.js';

/** Options of {@link Producer.send}. */
export interface SendOptions {
  /** Stops waiting (for online or for queue space); the promise rejects with the signal's reason. */
  readonly signal?: AbortSignal;
}

/** A snapshot of a producer. */
export interface ProducerInfo {
  readonly streamId: StreamId;
  readonly online: boolean;
  readonly closed: boolean;
  readonly consumers: readonly ChannelInfo[];
}

/** While a subscriber queue is fuller than this, `send` lets the writers run first. */
const HIGH_WATER = 0.5;
/**
 * The longest a `send` waits for the writers, so a slow subscriber delays the producer a little at
 * most; stalled ones stop counting after `STALL_MS` and are dropped as too slow once full.
 */
const MAX_SEND_WAIT_MS = 10;

/**
 * A handle to the producer sink of one stream on this node. All handles of a stream share the
 * sink: datums from several handles interleave in call order.
 *
 * @example
 * ```ts
 * const producer = net.streams.produce(Prices);
 * await producer.when.online();
 * await producer.send({ symbol: 'ETH', price: 3100 });
 * ```
 */
export class Producer<T> implements AsyncDisposable {
  /** @internal */
  constructor(
    /** @internal The shared sink of the stream. */
    readonly sink: Sink<T>,
  ) {}

  get streamId(): StreamId {
    return this.sink.def.id;
  }

  /** The options the sink was created with (the first producer's wins). */
  get options(): Readonly<ResolvedProducerOptions<T>> {
    return this.sink.options;
  }

  /** Online status and subscription conditions. */
  get when(): When {
    return this.sink.when;
  }

  get isOnline(): boolean {
    return this.sink.flag.get();
  }

  /** Current subscriptions (the consumer entry is as it was when accepted). */
  consumers(): ChannelInfo[] {
    return this.sink.channels.values();
  }

  info(): ProducerInfo {
    return {
      streamId: this.streamId,
      online: this.isOnline,
      closed: this.sink.isClosed,
      consumers: this.consumers(),
    };
  }

  stats(): ProducerStats {
    return this.sink.stats();
  }

  /** Every current subscriber with its counters, queue depth and drops. */
  subscriptions(): SubscriptionInfo[] {
    return this.sink.subscriptions();
  }

  /**
   * Publishes now. Success means "queued for every subscriber that had room", not delivered.
   *
   * @throws {@link ProducerError} (carrying `datum`) with code `producer_offline` when the
   *   `onlineWhen` condition does not hold, `producer_closed` after {@link close}, and
   *   `producer_oversized` when the encoded datum exceeds `maxDatumSize`.
   */
  trySend(datum: T): void {
    if (!this.sink.flag.get()) throw new ProducerError('offline', datum, 'producer is offline');
    if (this.sink.isClosed) throw new ProducerError('closed', datum, 'producer is closed');
    this.sink.publish(datum);
  }

  /**
   * Waits until the producer is online (forever if it never is: pass a `signal`), publishes, then,
   * while any subscriber that is not stalled has its queue more than half full or more than 16 KiB
   * waiting, waits for the writers' progress (10 ms at most per call).
   *
   * @throws {@link ProducerError} (carrying `datum`) with code `producer_closed` when the producer
   *   closes meanwhile, and `producer_oversized` when the encoded datum exceeds `maxDatumSize`.
   * @throws `signal.reason` when `signal` aborted.
   */
  async send(datum: T, options: SendOptions = {}): Promise<void> {
    const { signal } = options;
    signal?.throwIfAborted();
    while (!this.sink.flag.get()) {
      if (this.sink.isClosed) throw new ProducerError('closed', datum, 'producer is closed');
      // Not AbortSignal.any: it would leave an entry on the producer's signal for every wait.
      const wait = linkSignals([signal, this.sink.closedSignal]);
      try {
        await this.sink.when.online(wait.signal);
      } catch (error) {
        if (signal?.aborted) throw error;
      } finally {
        wait.dispose();
      }
    }
    if (this.sink.isClosed) throw new ProducerError('closed', datum, 'producer is closed');
    this.sink.publish(datum);
    if (this.sink.pressure() <= HIGH_WATER) return;
    const deadline = performance.now() + MAX_SEND_WAIT_MS;
    for (;;) {
      const left = deadline - performance.now();
      if (left <= 0) return;
      await this.sink.progress(left);
      signal?.throwIfAborted();
      if (this.sink.pressure() <= HIGH_WATER) return;
    }
  }

  /**
   * Closes the stream on this node (every handle): consumers are disconnected with
   * `GracefulShutdown` and the stream is withdrawn from the local discovery entry. A later
   * `produce` starts a fresh sink.
   */
  close(): Promise<void> {
    return this.sink.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
