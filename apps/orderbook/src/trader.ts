/**
 * A trader: publishes requests on `Orders` and waits for each to be acknowledged on `Acks`.
 *
 * An acknowledgement means the group committed the request, so it survives the loss of any
 * minority of matchers. Until then the trader re-sends the same request (same `clientId`) every
 * `ackTimeout`: a request that was committed but whose acknowledgement got lost is not placed
 * twice, the book answers the copy with the recorded outcome.
 */
import type { Logger } from '@mosaik/metrics';
import { type Consumer, linkSignals, MosaikError, type Network, type Producer } from 'mosaik';
import { Acks, Fills, Orders } from './streams.js';
import type { Fill, NewRequest, OrderAck, OrderRequest } from './types.js';

/** Options of {@link Trader.start}. */
export interface TraderOptions {
  /** The trader's name (its identity in the book). */
  readonly name: string;
  /**
   * First client id. Default 1; a trader that restarts under the same name must not reuse ids
   * (the book would answer them with the old outcomes), so the CLI starts from the clock.
   */
  readonly firstClientId?: number;
  /** Re-send a request after this long without acknowledgement, in ms. Default 2000. */
  readonly ackTimeout?: number;
  /** Give up on a request after this long, in ms. Default 120 000. */
  readonly giveUpAfter?: number;
  readonly logger: Logger;
  /** Called once per fill (copies from several matchers are dropped). */
  readonly onFill?: (fill: Fill) => void;
}

/** A request that was never acknowledged in time. */
export class NotAcknowledgedError extends MosaikError<'not_acknowledged'> {
  constructor(
    message: string,
    /** The request. */
    readonly request: OrderRequest,
  ) {
    super('not_acknowledged', message);
  }
}

/** How many recent fill numbers a trader remembers to drop the copies other matchers send. */
const SEEN_FILLS = 10_000;

interface Pending {
  readonly request: OrderRequest;
  readonly resolve: (ack: OrderAck) => void;
}

/** A trader node's part of the book: the `Orders` producer and the `Acks` and `Fills` consumers. */
export class Trader implements AsyncDisposable {
  readonly name: string;
  readonly orders: Producer<OrderRequest>;
  readonly acks: Consumer<OrderAck>;
  readonly fills: Consumer<Fill>;
  readonly #options: TraderOptions;
  readonly #log: Logger;
  readonly #pending = new Map<number, Pending>();
  readonly #seenFills = new Set<number>();
  #forgottenBelow = 0;
  readonly #stop = new AbortController();
  readonly #loops: Promise<void>[];
  #nextClientId: number;

  private constructor(net: Network, options: TraderOptions) {
    this.name = options.name;
    this.#options = options;
    this.#log = options.logger.child({ subsystem: 'orderbook-trader', trader: options.name });
    this.#nextClientId = options.firstClientId ?? 1;
    this.orders = net.streams.produce(Orders);
    this.acks = net.streams.consume(Acks);
    this.fills = net.streams.consume(Fills);
    this.#loops = [this.#consumeAcks(), this.#consumeFills()];
  }

  /** Starts a trader on `net`. */
  static start(net: Network, options: TraderOptions): Trader {
    return new Trader(net, options);
  }

  /** Requests sent and not yet acknowledged. */
  get pending(): number {
    return this.#pending.size;
  }

  /**
   * Sends `request` and resolves with its acknowledgement, once the group committed it.
   * Rejects with {@link NotAcknowledgedError} after `giveUpAfter`, or when the trader closes.
   */
  async submit(request: NewRequest, signal?: AbortSignal): Promise<OrderAck> {
    const full = { ...request, trader: this.name, clientId: this.#nextClientId++ } as OrderRequest;
    // Not AbortSignal.any: it would leave an entry per order on the trader's signal (Node 20).
    const closing = linkSignals([this.#stop.signal, signal]);
    const stop = closing.signal;
    const acked = new Promise<OrderAck>((resolve) => {
      this.#pending.set(full.clientId, { request: full, resolve });
    });
    const giveUpAt = Date.now() + (this.#options.giveUpAfter ?? 120_000);
    try {
      for (let attempt = 1; ; attempt++) {
        if (stop.aborted) throw new NotAcknowledgedError('trader closed before the acknowledgement', full);
        // `send` waits until at least one matcher subscribed (bounded by the give-up time).
        const sending = linkSignals([stop, AbortSignal.timeout(Math.max(1, giveUpAt - Date.now()))]);
        await this.orders
          .send(full, { signal: sending.signal })
          .catch((error: unknown) => {
            if (!stop.aborted) this.#log.debug({ err: error, clientId: full.clientId }, 'send failed');
          })
          .finally(sending.dispose);
        const timeout = Math.min(this.#options.ackTimeout ?? 2000, Math.max(0, giveUpAt - Date.now()));
        const ack = await Promise.race([acked, abortableDelay(timeout, stop)]);
        if (ack !== undefined) return ack;
        if (Date.now() >= giveUpAt)
          throw new NotAcknowledgedError(`no acknowledgement after ${attempt} attempts`, full);
        this.#log.info(
          { clientId: full.clientId, attempt },
          'no acknowledgement yet: sending the request again',
        );
      }
    } finally {
      closing.dispose();
      this.#pending.delete(full.clientId);
    }
  }

  async #consumeAcks(): Promise<void> {
    const signal = this.#stop.signal;
    for (;;) {
      const ack = await this.acks.recv(signal).catch(() => undefined);
      if (ack === undefined) return;
      if (ack.trader !== this.name) continue;
      this.#pending.get(ack.clientId)?.resolve(ack);
    }
  }

  async #consumeFills(): Promise<void> {
    const signal = this.#stop.signal;
    for (;;) {
      const fill = await this.fills.recv(signal).catch(() => undefined);
      if (fill === undefined) return;
      if (this.#seenFills.has(fill.seq) || fill.seq <= this.#forgottenBelow) continue;
      this.#seenFills.add(fill.seq);
      // Every matcher publishes the fills in order, so copies arrive close together: only the
      // recent sequence numbers need remembering.
      if (this.#seenFills.size > 2 * SEEN_FILLS) {
        const keep = [...this.#seenFills].sort((a, b) => a - b).slice(-SEEN_FILLS);
        this.#forgottenBelow = keep[0]! - 1;
        this.#seenFills.clear();
        for (const seq of keep) this.#seenFills.add(seq);
      }
      this.#options.onFill?.(fill);
    }
  }

  /** Stops waiting for acknowledgements and closes the streams. */
  async close(): Promise<void> {
    if (this.#stop.signal.aborted) return;
    this.#stop.abort();
    await Promise.allSettled(this.#loops);
    await Promise.allSettled([this.orders.close(), this.acks.close(), this.fills.close()]);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/** Resolves with `undefined` after `ms`, or at once when `signal` aborts; leaves no timer behind. */
function abortableDelay(ms: number, signal: AbortSignal): Promise<undefined> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(undefined);
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve(undefined);
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
