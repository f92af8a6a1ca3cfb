/**
 * `OrderBook`: the replicated state machine of one trading pair. Commands are the traders'
 * requests; every member applies them in log order to the same {@link Book}, so the book, the
 * fills and the order ids agree everywhere.
 *
 * Each request carries `(trader, clientId)`. The first application decides it and records the
 * outcome; later copies (a trader's retry, or the same order submitted by several matchers) change
 * nothing and read the recorded outcome. That is what makes retrying after `OfflineError` safe.
 */
import {
  type ApplyContext,
  blake3,
  DecodeError,
  Digest,
  decodeCbor,
  encodeCanonical,
  LeadershipPreference,
  type StateMachine,
  toHex,
} from 'mosaik';
import { Book, type Level, type TopOfBook } from './book.js';
import { parseRequest, requestKey } from './request.js';
import {
  type Fill,
  type OrderRequest,
  type Outcome,
  pairName,
  type Side,
  type TradingPair,
} from './types.js';

/** Questions the book answers (locally, never through the log). */
export type BookQuery =
  | { readonly t: 'top'; readonly depth: number }
  | { readonly t: 'fills' /** only fills with a larger `seq` */; readonly after?: number }
  | { readonly t: 'order-count' }
  | { readonly t: 'stats' }
  | { readonly t: 'outcome'; readonly trader: string; readonly clientId: number }
  | { readonly t: 'dump' };

/** Size of each side of the book. */
export type BookStats = Readonly<
  Record<Side, { readonly orders: number; readonly levels: number; readonly quantity: bigint }>
>;

/** A resting order as listed by a dump. */
export interface RestingView {
  readonly orderId: number;
  readonly trader: string;
  readonly clientId: number;
  readonly side: Side;
  readonly price: bigint;
  readonly remaining: bigint;
}

/** The whole book in a form that is easy to print or compare. */
export interface BookDump {
  readonly pair: TradingPair;
  readonly orders: readonly RestingView[];
  readonly fills: readonly Fill[];
  /** Decided requests, sorted by trader then client id. */
  readonly outcomes: readonly (readonly [trader: string, clientId: number, outcome: Outcome])[];
  /** blake3 of the snapshot bytes: equal on members that applied the same log prefix. */
  readonly digest: string;
}

/**
 * Results, by query: `top` → TopOfBook, `fills` → Fill[], `order-count` → number, `stats` →
 * BookStats, `outcome` → Outcome | undefined, `dump` → BookDump.
 */
export type BookResult = TopOfBook | readonly Fill[] | number | BookStats | Outcome | undefined | BookDump;

/** The result type of each query kind. */
export interface BookResults {
  readonly top: TopOfBook;
  readonly fills: readonly Fill[];
  readonly 'order-count': number;
  readonly stats: BookStats;
  readonly outcome: Outcome | undefined;
  readonly dump: BookDump;
}

const SNAPSHOT_VERSION = 1;

/** The snapshot layout (canonical CBOR): levels best first, orders oldest first, outcomes in key byte order. */
interface SnapshotV1 {
  readonly v: typeof SNAPSHOT_VERSION;
  readonly pair: TradingPair;
  readonly next: number;
  readonly bids: readonly (readonly [bigint, readonly (readonly [number, string, number, bigint])[]])[];
  readonly asks: readonly (readonly [bigint, readonly (readonly [number, string, number, bigint])[]])[];
  readonly fills: readonly (readonly [number, number, bigint, bigint, Side])[];
  readonly outcomes: readonly (readonly [string, number, Outcome])[];
}

type OutcomeMap = Map<string, { trader: string; clientId: number; outcome: Outcome }>;

/** Map key of a request identity; `\u0000` cannot occur in a trader name that round-trips as text. */
function keyOf(trader: string, clientId: number): string {
  return `${trader}\u0000${clientId}`;
}

/** The replicated order book of one pair. */
export class OrderBook implements StateMachine<OrderRequest, BookQuery, BookResult> {
  readonly signature: Digest;
  readonly pair: TradingPair;
  readonly #book = new Book();
  #fills: Fill[] = [];
  #outcomes: OutcomeMap = new Map();
  #nextOrderId = 1;

  /** `observer` for replicas that follow the book but never vote or lead (the observer role). */
  readonly leadershipPreference: LeadershipPreference;

  constructor(pair: TradingPair, options: { readonly observer?: boolean } = {}) {
    this.pair = { base: pair.base, quote: pair.quote };
    this.leadershipPreference = options.observer
      ? LeadershipPreference.observer()
      : LeadershipPreference.normal();
    // The pair is part of the group id: books of different pairs never share a group.
    this.signature = Digest.from(`mosaik.example.orderbook/v1/${pairName(pair)}`);
  }

  apply(command: OrderRequest, _ctx: ApplyContext): void {
    // The log holds whatever a member wrote; an entry with no identity cannot be answered and is skipped.
    const key = requestKey(command);
    if (key === undefined) return;
    const k = keyOf(key.trader, key.clientId);
    if (this.#outcomes.has(k)) return;
    this.#outcomes.set(k, { ...key, outcome: this.#decide(command) });
  }

  #decide(command: unknown): Outcome {
    const parsed = parseRequest(command);
    if (!parsed.ok) return { kind: 'rejected', reason: parsed.reason };
    const request = parsed.request;
    if (request.kind === 'cancel') {
      const resting = this.#book.get(request.orderId);
      if (resting === undefined)
        return { kind: 'rejected', reason: `order ${request.orderId} is not resting` };
      if (resting.trader !== request.trader)
        return { kind: 'rejected', reason: `order ${request.orderId} belongs to another trader` };
      this.#book.cancel(request.orderId);
      return { kind: 'cancelled', orderId: request.orderId, remaining: resting.remaining };
    }
    if (request.pair.base !== this.pair.base || request.pair.quote !== this.pair.quote)
      return {
        kind: 'rejected',
        reason: `this book trades ${pairName(this.pair)}, not ${pairName(request.pair)}`,
      };
    const orderId = this.#nextOrderId++;
    const { matches, resting } = this.#book.place({ ...request, orderId });
    let filled = 0n;
    for (const m of matches) {
      filled += m.quantity;
      this.#fills.push({
        seq: this.#fills.length + 1,
        bidOrderId: request.side === 'bid' ? m.takerOrderId : m.makerOrderId,
        askOrderId: request.side === 'ask' ? m.takerOrderId : m.makerOrderId,
        pair: this.pair,
        price: m.price,
        quantity: m.quantity,
        taker: request.side,
      });
    }
    return { kind: 'placed', orderId, filled, resting };
  }

  query(query: BookQuery): BookResult {
    switch (query.t) {
      case 'top':
        return this.#book.top(query.depth);
      case 'fills':
        return this.#fills.slice(Math.max(0, query.after ?? 0));
      case 'order-count':
        return this.#book.size;
      case 'stats':
        return this.stats();
      case 'outcome':
        return this.#outcomes.get(keyOf(query.trader, query.clientId))?.outcome;
      case 'dump':
        return this.dump();
    }
  }

  /** Orders, levels and quantity resting on each side. */
  stats(): BookStats {
    const side = (levels: readonly Level[]) => ({
      orders: levels.reduce((n, l) => n + l.orders.length, 0),
      levels: levels.length,
      quantity: levels.reduce((q, l) => l.orders.reduce((sum, o) => sum + o.remaining, q), 0n),
    });
    return { bid: side(this.#book.bids), ask: side(this.#book.asks) };
  }

  /** Every resting order (bids best first, then asks best first), every fill and every decided request. */
  dump(): BookDump {
    const orders: RestingView[] = [];
    for (const side of ['bid', 'ask'] as const) {
      for (const level of this.#book.levels(side)) {
        for (const o of level.orders) orders.push({ ...o, side, price: level.price });
      }
    }
    return {
      pair: this.pair,
      orders,
      fills: [...this.#fills],
      outcomes: this.#sortedOutcomes().map((o) => [o.trader, o.clientId, o.outcome] as const),
      digest: toHex(blake3(this.snapshot())),
    };
  }

  #sortedOutcomes(): { trader: string; clientId: number; outcome: Outcome }[] {
    // Sorted by the canonical bytes of the key, never by insertion order, so every member
    // produces the same snapshot whatever order it learned the requests in.
    return [...this.#outcomes.values()]
      .map((o) => ({ o, key: toHex(encodeCanonical([o.trader, o.clientId])) }))
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
      .map(({ o }) => o);
  }

  snapshot(): Uint8Array {
    const levels = (side: Side) =>
      this.#book
        .levels(side)
        .map(
          (l) =>
            [l.price, l.orders.map((o) => [o.orderId, o.trader, o.clientId, o.remaining] as const)] as const,
        );
    const snapshot: SnapshotV1 = {
      v: SNAPSHOT_VERSION,
      pair: this.pair,
      next: this.#nextOrderId,
      bids: levels('bid'),
      asks: levels('ask'),
      fills: this.#fills.map((f) => [f.bidOrderId, f.askOrderId, f.price, f.quantity, f.taker] as const),
      outcomes: this.#sortedOutcomes().map((o) => [o.trader, o.clientId, o.outcome] as const),
    };
    return encodeCanonical(snapshot);
  }

  restore(bytes: Uint8Array): void {
    const state = decodeCbor(bytes) as Partial<SnapshotV1> | null;
    if (typeof state !== 'object' || state === null || state.v !== SNAPSHOT_VERSION)
      throw new DecodeError('not an orderbook snapshot of version 1');
    if (state.pair?.base !== this.pair.base || state.pair?.quote !== this.pair.quote)
      throw new DecodeError(`snapshot of another pair, not ${pairName(this.pair)}`);
    let restored: { bids: Level[]; asks: Level[]; fills: Fill[]; outcomes: OutcomeMap; next: number };
    try {
      restored = this.#read(state as SnapshotV1);
    } catch (cause) {
      throw new DecodeError(`malformed orderbook snapshot: ${(cause as Error)?.message ?? cause}`, { cause });
    }
    // Only a fully read snapshot replaces the state: a bad one leaves the machine as it was.
    this.#book.load(restored.bids, restored.asks);
    this.#fills = restored.fills;
    this.#outcomes = restored.outcomes;
    this.#nextOrderId = restored.next;
  }

  #read(state: SnapshotV1): {
    bids: Level[];
    asks: Level[];
    fills: Fill[];
    outcomes: OutcomeMap;
    next: number;
  } {
    const expect = (ok: boolean, what: string) => {
      if (!ok) throw new TypeError(what);
    };
    const amount = (v: unknown) => typeof v === 'bigint' && v >= 0n;
    const int = (v: unknown) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
    expect(int(state.next), 'next order id');
    const levels = (raw: unknown): Level[] => {
      expect(Array.isArray(raw), 'levels');
      return (raw as unknown[]).map((level) => {
        expect(Array.isArray(level) && amount(level[0]) && Array.isArray(level[1]), 'level');
        const [price, orders] = level as [bigint, unknown[]];
        return {
          price,
          orders: orders.map((o) => {
            expect(
              Array.isArray(o) && int(o[0]) && typeof o[1] === 'string' && int(o[2]) && amount(o[3]),
              'order',
            );
            const [orderId, trader, clientId, remaining] = o as [number, string, number, bigint];
            return { orderId, trader, clientId, remaining };
          }),
        };
      });
    };
    expect(Array.isArray(state.fills) && Array.isArray(state.outcomes), 'fills and outcomes');
    const fills = state.fills.map((f, i): Fill => {
      expect(Array.isArray(f) && int(f[0]) && int(f[1]) && amount(f[2]) && amount(f[3]), 'fill');
      expect(f[4] === 'bid' || f[4] === 'ask', 'fill taker');
      const [bidOrderId, askOrderId, price, quantity, taker] = f;
      return { seq: i + 1, bidOrderId, askOrderId, pair: this.pair, price, quantity, taker };
    });
    const outcomes: OutcomeMap = new Map();
    for (const o of state.outcomes) {
      expect(
        Array.isArray(o) && typeof o[0] === 'string' && int(o[1]) && typeof o[2] === 'object',
        'outcome',
      );
      outcomes.set(keyOf(o[0], o[1]), { trader: o[0], clientId: o[1], outcome: o[2] });
    }
    return { bids: levels(state.bids), asks: levels(state.asks), fills, outcomes, next: state.next };
  }
}
