/**
 * A matcher: a member of the book's Raft group that turns trader requests into commands.
 *
 * Every matcher consumes the `Orders` stream and executes each request it receives; the group
 * commits it (to a majority) and every member applies it. Only then does the matcher acknowledge
 * it on `Acks`. When the leader dies, `execute` fails with `OfflineError` and the matcher retries the
 * same request until a new leader commits it: the book applies a `(trader, clientId)` once, so
 * copies that did get committed before the failure, or that another matcher submitted too,
 * change nothing. Every matcher also publishes the book's fills on `Fills`, in order.
 */
import type { Logger } from '@mosaik/metrics';
import {
  type ConsensusConfig,
  type Consumer,
  type Group,
  GroupTerminatedError,
  type Network,
  OfflineError,
  type Producer,
  type StorageSpec,
  sleep,
  storage as storages,
} from 'mosaik';
import { unlessAborted } from './deadline.js';
import { type BookQuery, type BookResult, type BookResults, OrderBook } from './machine.js';
import type { OrderbookMetrics } from './metrics.js';
import { Acks, Fills, Orders } from './streams.js';
import type { Fill, OrderAck, OrderRequest, TradingPair } from './types.js';

/** The group of a book: what matchers and observers join. */
export type BookGroup = Group<OrderRequest, BookQuery, BookResult>;

/** Options of {@link joinBook}. */
export interface BookGroupOptions {
  /** Group secret shared by every member. */
  readonly key: string;
  readonly pair: TradingPair;
  /** Default: in memory. */
  readonly storage?: StorageSpec;
  readonly consensus?: Partial<ConsensusConfig>;
  /** Replicate and answer queries, never vote or lead. */
  readonly observer?: boolean;
}

/** Joins the book's group on `net`. */
export function joinBook(net: Network, options: BookGroupOptions): BookGroup {
  return net.groups
    .withKey(options.key)
    .withStateMachine(new OrderBook(options.pair, { observer: options.observer ?? false }))
    .withStorage(options.storage ?? storages.memory())
    .withConsensus(options.consensus ?? {})
    .join();
}

/** A typed query on the book's group. */
export async function queryBook<K extends BookQuery['t']>(
  group: BookGroup,
  query: Extract<BookQuery, { t: K }>,
  consistency: 'weak' | 'strong' = 'weak',
): Promise<{ result: BookResults[K]; at: number }> {
  const { result, at } = await group.query(query, consistency);
  return { result: result as BookResults[K], at };
}

/** Options of {@link Matcher.start}. */
export interface MatcherOptions extends BookGroupOptions {
  readonly logger: Logger;
  readonly metrics?: OrderbookMetrics | undefined;
  /** How long a request is retried while the group has no leader, in ms. Default 60 000. */
  readonly retryFor?: number;
  /** Called with every fill this matcher applies, in order. */
  readonly onFill?: (fill: Fill) => void;
  /** Called with every request this matcher got committed. */
  readonly onCommitted?: (ack: OrderAck) => void;
}

/** A matcher node's part of the book: the group membership and the three streams. */
export class Matcher implements AsyncDisposable {
  readonly group: BookGroup;
  readonly #orders: Consumer<OrderRequest>;
  readonly #acks: Producer<OrderAck>;
  readonly #fills: Producer<Fill>;
  readonly #options: MatcherOptions;
  readonly #log: Logger;
  readonly #stop = new AbortController();
  readonly #loops: Promise<void>[];

  private constructor(net: Network, options: MatcherOptions) {
    this.#options = options;
    this.#log = options.logger.child({ subsystem: 'orderbook-matcher' });
    this.group = joinBook(net, options);
    this.#orders = net.streams.consume(Orders);
    this.#acks = net.streams.produce(Acks);
    this.#fills = net.streams.produce(Fills);
    this.#loops = [this.#consumeOrders(), this.#publishFills()].map((loop) =>
      loop.catch((error: unknown) => {
        if (!this.#stop.signal.aborted && !(error instanceof GroupTerminatedError))
          this.#log.error({ err: error }, 'matcher loop failed');
      }),
    );
  }

  /** Joins the book's group on `net` and starts serving the streams. */
  static start(net: Network, options: MatcherOptions): Matcher {
    return new Matcher(net, options);
  }

  /** The `Orders` consumer (its `when` tells which traders are connected). */
  get orders(): Consumer<OrderRequest> {
    return this.#orders;
  }

  /** The `Acks` producer. */
  get acks(): Producer<OrderAck> {
    return this.#acks;
  }

  /** The `Fills` producer. */
  get fills(): Producer<Fill> {
    return this.#fills;
  }

  async #consumeOrders(): Promise<void> {
    const signal = this.#stop.signal;
    // One request at a time, in arrival order: a trader's requests reach the book in the order it sent them.
    for (;;) {
      const request = await this.#orders.recv(signal).catch(() => undefined);
      if (request === undefined || signal.aborted) return;
      try {
        await this.#handle(request);
      } catch (error) {
        if (signal.aborted || error instanceof GroupTerminatedError) return;
        this.#log.warn({ err: error, trader: request.trader, clientId: request.clientId }, 'request dropped');
      }
    }
  }

  async #handle(request: OrderRequest): Promise<void> {
    const signal = this.#stop.signal;
    const stop = this.#options.metrics?.startCommit();
    const deadline = Date.now() + (this.#options.retryFor ?? 60_000);
    let delay = 50;
    for (;;) {
      try {
        await this.group.execute(request);
        break;
      } catch (error) {
        // OfflineError: no leader took it, or leadership changed before it committed. It may still be
        // in the log; submitting it again is safe because the book applies a request once.
        if (!(error instanceof OfflineError) || Date.now() > deadline) throw error;
        this.#log.debug(
          { trader: request.trader, clientId: request.clientId, err: error.message },
          'retrying',
        );
        await sleep(delay, signal);
        delay = Math.min(delay * 2, 1000);
      }
    }
    stop?.();
    const { result: outcome, at } = await queryBook(this.group, {
      t: 'outcome',
      trader: request.trader,
      clientId: request.clientId,
    });
    if (outcome === undefined) return; // only requests with no identity, which the schema keeps out
    const ack: OrderAck = { trader: request.trader, clientId: request.clientId, outcome, index: at };
    this.#options.metrics?.committed(outcome);
    this.#options.onCommitted?.(ack);
    try {
      this.#acks.trySend(ack);
    } catch {
      // No trader listening right now: the trader re-sends and gets the recorded outcome then.
    }
  }

  async #publishFills(): Promise<void> {
    const signal = this.#stop.signal;
    let published = 0;
    const committed = this.group.when.committed();
    while (!signal.aborted) {
      const { result: fills, at } = await queryBook(this.group, { t: 'fills', after: published });
      for (const fill of fills) {
        published = fill.seq;
        this.#options.metrics?.fill(fill);
        this.#options.onFill?.(fill);
        try {
          this.#fills.trySend(fill);
        } catch {
          // Fills are live: nobody subscribed means nobody to tell.
        }
      }
      if (this.#options.metrics)
        this.#options.metrics.book((await queryBook(this.group, { t: 'stats' })).result);
      // Commit runs ahead of apply; poll briefly until this replica applied what is committed.
      if (at < committed.value) await sleep(5, signal).catch(() => {});
      else await unlessAborted(committed.advanced(), signal);
    }
  }

  /** Stops serving, leaves the group (handing leadership over first) and closes the streams. */
  async close(): Promise<void> {
    if (this.#stop.signal.aborted) return;
    this.#stop.abort();
    await Promise.allSettled(this.#loops);
    await this.group.close();
    await Promise.allSettled([this.#orders.close(), this.#acks.close(), this.#fills.close()]);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
