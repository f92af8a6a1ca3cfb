/**
 * The matching engine: a limit order book with price-time priority, as a pure data structure
 * (no I/O, no clock, no randomness), so the replicated state machine can run it on every
 * member and reach the same state.
 *
 * ```ts
 * const book = new Book();
 * book.place({ orderId: 1, trader: 'a', clientId: 1, side: 'ask', price: 300000n, quantity: 10n });
 * const { matches } = book.place({ orderId: 2, trader: 'b', clientId: 1, side: 'bid', price: 300500n, quantity: 15n });
 * // matches = [{ makerOrderId: 1, takerOrderId: 2, price: 300000n, quantity: 10n }]: at the maker's price
 * book.top(5); // { bids: [[300500n, 5n]], asks: [] }
 * ```
 */
import type { Side } from './types.js';

/** An order waiting in the book. */
export interface RestingOrder {
  readonly orderId: number;
  readonly trader: string;
  readonly clientId: number;
  remaining: bigint;
}

/** The orders at one price, oldest first. */
export interface Level {
  readonly price: bigint;
  readonly orders: RestingOrder[];
}

/** An incoming limit order. */
export interface IncomingOrder {
  readonly orderId: number;
  readonly trader: string;
  readonly clientId: number;
  readonly side: Side;
  readonly price: bigint;
  readonly quantity: bigint;
}

/** One execution: the maker is the resting order, and sets the price. */
export interface Match {
  readonly makerOrderId: number;
  readonly takerOrderId: number;
  readonly price: bigint;
  readonly quantity: bigint;
}

/** A price with the total quantity resting there. */
export type DepthLevel = readonly [price: bigint, quantity: bigint];

/** The best levels of both sides: bids highest first, asks lowest first. */
export interface TopOfBook {
  readonly bids: readonly DepthLevel[];
  readonly asks: readonly DepthLevel[];
}

/** The smaller of two amounts (`Math.min` does not take bigints). */
export function smaller(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}

/** Whether a resting price on `restingSide` can trade with an incoming limit of `limit`. */
function crosses(restingSide: Side, restingPrice: bigint, limit: bigint): boolean {
  return restingSide === 'ask' ? restingPrice <= limit : restingPrice >= limit;
}

/** Whether `a` is a better price than `b` on `side` (higher bids, lower asks come first). */
function better(side: Side, a: bigint, b: bigint): boolean {
  return side === 'bid' ? a > b : a < b;
}

/** A limit order book. Levels are kept best-first per side. */
export class Book {
  /** Bid levels, highest price first. */
  readonly bids: Level[] = [];
  /** Ask levels, lowest price first. */
  readonly asks: Level[] = [];
  /** Where each resting order is: its side and price (lookup only, never iterated). */
  readonly #where = new Map<number, { side: Side; price: bigint }>();

  /** The levels of `side`, best first. */
  levels(side: Side): Level[] {
    return side === 'bid' ? this.bids : this.asks;
  }

  /**
   * Matches `order` against the opposite side (best price first, oldest first within a price),
   * each match at the resting order's price, then rests what is left at the order's limit.
   */
  place(order: IncomingOrder): { matches: Match[]; resting: bigint } {
    const opposite = this.levels(order.side === 'bid' ? 'ask' : 'bid');
    const oppositeSide: Side = order.side === 'bid' ? 'ask' : 'bid';
    const matches: Match[] = [];
    let remaining = order.quantity;
    while (remaining > 0n && opposite.length > 0) {
      const level = opposite[0]!;
      if (!crosses(oppositeSide, level.price, order.price)) break;
      while (remaining > 0n && level.orders.length > 0) {
        const maker = level.orders[0]!;
        const quantity = smaller(maker.remaining, remaining);
        matches.push({
          makerOrderId: maker.orderId,
          takerOrderId: order.orderId,
          price: level.price,
          quantity,
        });
        maker.remaining -= quantity;
        remaining -= quantity;
        if (maker.remaining === 0n) {
          level.orders.shift();
          this.#where.delete(maker.orderId);
        }
      }
      if (level.orders.length === 0) opposite.shift();
    }
    if (remaining > 0n) this.#rest(order, remaining);
    return { matches, resting: remaining };
  }

  #rest(order: IncomingOrder, remaining: bigint): void {
    const levels = this.levels(order.side);
    // Binary search for the first level that is not better than the order's price.
    let lo = 0;
    let hi = levels.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (better(order.side, levels[mid]!.price, order.price)) lo = mid + 1;
      else hi = mid;
    }
    const resting: RestingOrder = {
      orderId: order.orderId,
      trader: order.trader,
      clientId: order.clientId,
      remaining,
    };
    const at = levels[lo];
    if (at !== undefined && at.price === order.price) at.orders.push(resting);
    else levels.splice(lo, 0, { price: order.price, orders: [resting] });
    this.#where.set(order.orderId, { side: order.side, price: order.price });
  }

  /** The resting order with this id, if any. */
  get(orderId: number): (RestingOrder & { readonly side: Side; readonly price: bigint }) | undefined {
    const where = this.#where.get(orderId);
    if (where === undefined) return undefined;
    const order = this.#level(where.side, where.price)?.orders.find((o) => o.orderId === orderId);
    return order === undefined ? undefined : { ...order, side: where.side, price: where.price };
  }

  /** Removes a resting order; returns it, or `undefined` if it is not in the book. Drops an emptied level. */
  cancel(orderId: number): RestingOrder | undefined {
    const where = this.#where.get(orderId);
    if (where === undefined) return undefined;
    const levels = this.levels(where.side);
    const index = levels.findIndex((l) => l.price === where.price);
    const level = levels[index];
    if (level === undefined) return undefined;
    const at = level.orders.findIndex((o) => o.orderId === orderId);
    if (at < 0) return undefined;
    const [removed] = level.orders.splice(at, 1);
    if (level.orders.length === 0) levels.splice(index, 1);
    this.#where.delete(orderId);
    return removed;
  }

  #level(side: Side, price: bigint): Level | undefined {
    return this.levels(side).find((l) => l.price === price);
  }

  /** Up to `depth` best levels per side with their total quantity. */
  top(depth: number): TopOfBook {
    const summarize = (levels: Level[]): DepthLevel[] =>
      levels
        .slice(0, Math.max(0, depth))
        .map((l) => [l.price, l.orders.reduce((sum, o) => sum + o.remaining, 0n)] as const);
    return { bids: summarize(this.bids), asks: summarize(this.asks) };
  }

  /** Number of resting orders. */
  get size(): number {
    return this.#where.size;
  }

  /** Replaces the content with `bids` and `asks` (best first), as read from a snapshot. */
  load(bids: Level[], asks: Level[]): void {
    this.bids.splice(0, this.bids.length, ...bids);
    this.asks.splice(0, this.asks.length, ...asks);
    this.#where.clear();
    for (const [side, levels] of [
      ['bid', bids],
      ['ask', asks],
    ] as const) {
      for (const level of levels) {
        for (const order of level.orders) this.#where.set(order.orderId, { side, price: level.price });
      }
    }
  }
}
