import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Book, type IncomingOrder, type Match, smaller } from './book.js';
import type { Side } from './types.js';

type Op =
  | { readonly op: 'place'; readonly side: Side; readonly price: bigint; readonly quantity: bigint }
  | { readonly op: 'cancel'; readonly pick: number };

// A narrow price band makes crossing, partial fills and shared levels frequent.
const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant('place' as const),
      side: fc.constantFrom<Side>('bid', 'ask'),
      price: fc.bigInt({ min: 95n, max: 105n }),
      quantity: fc.bigInt({ min: 1n, max: 20n }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('cancel' as const), pick: fc.nat() }) },
);

/**
 * The obvious, slow model of price-time priority: all resting orders in one list, the
 * candidates sorted by price then arrival at every step.
 */
class NaiveBook {
  readonly orders: { id: number; side: Side; price: bigint; remaining: bigint }[] = [];

  place(o: IncomingOrder): Match[] {
    const matches: Match[] = [];
    let remaining = o.quantity;
    for (;;) {
      const candidates = this.orders
        .filter((r) => r.side !== o.side && (o.side === 'bid' ? r.price <= o.price : r.price >= o.price))
        .sort((a, b) => {
          if (a.price !== b.price) return (o.side === 'bid' ? a.price < b.price : a.price > b.price) ? -1 : 1;
          return a.id - b.id;
        });
      const maker = candidates[0];
      if (remaining === 0n || maker === undefined) break;
      const q = smaller(maker.remaining, remaining);
      matches.push({ makerOrderId: maker.id, takerOrderId: o.orderId, price: maker.price, quantity: q });
      maker.remaining -= q;
      remaining -= q;
      if (maker.remaining === 0n) this.orders.splice(this.orders.indexOf(maker), 1);
    }
    if (remaining > 0n) this.orders.push({ id: o.orderId, side: o.side, price: o.price, remaining });
    return matches;
  }

  cancel(id: number): void {
    const i = this.orders.findIndex((r) => r.id === id);
    if (i >= 0) this.orders.splice(i, 1);
  }
}

interface Run {
  readonly book: Book;
  readonly placed: Map<number, IncomingOrder>;
  readonly matches: Match[];
  readonly cancelled: Map<number, bigint>;
}

/** Plays `ops` on a Book, checking after every step that the book is not crossed and levels are FIFO. */
function play(ops: readonly Op[], model?: NaiveBook): Run {
  const book = new Book();
  const placed = new Map<number, IncomingOrder>();
  const matches: Match[] = [];
  const cancelled = new Map<number, bigint>();
  let nextId = 1;
  for (const op of ops) {
    if (op.op === 'place') {
      const order: IncomingOrder = { orderId: nextId++, trader: 't', clientId: 0, ...op };
      placed.set(order.orderId, order);
      const result = book.place(order);
      matches.push(...result.matches);
      if (model) expect(result.matches).toEqual(model.place(order));
    } else {
      const ids = [...placed.keys()];
      const id = ids.length === 0 ? 1 : ids[op.pick % ids.length]!;
      const removed = book.cancel(id);
      if (removed !== undefined) cancelled.set(id, removed.remaining);
      model?.cancel(id);
    }
    const bestBid = book.bids[0]?.price;
    const bestAsk = book.asks[0]?.price;
    if (bestBid !== undefined && bestAsk !== undefined) expect(bestBid).toBeLessThan(bestAsk);
    for (const side of ['bid', 'ask'] as const) {
      const levels = book.levels(side);
      for (let i = 1; i < levels.length; i++) {
        if (side === 'bid') expect(levels[i]!.price).toBeLessThan(levels[i - 1]!.price);
        else expect(levels[i]!.price).toBeGreaterThan(levels[i - 1]!.price);
      }
      for (const level of levels) {
        expect(level.orders.length).toBeGreaterThan(0);
        const ids = level.orders.map((o) => o.orderId);
        expect(ids).toEqual([...ids].sort((a, b) => a - b));
      }
    }
  }
  return { book, placed, matches, cancelled };
}

describe('Book (matching engine)', () => {
  it('matches the reference scenario: one fill at the maker price, the rest rests', () => {
    const book = new Book();
    const order = (orderId: number, side: Side, price: bigint, quantity: bigint): IncomingOrder => ({
      orderId,
      trader: side === 'ask' ? 'alice' : 'bob',
      clientId: orderId,
      side,
      price,
      quantity,
    });
    expect(book.place(order(1, 'ask', 300000n, 10n)).matches).toEqual([]);
    expect(book.place(order(2, 'ask', 301000n, 5n)).matches).toEqual([]);
    expect(book.place(order(3, 'bid', 299000n, 8n)).matches).toEqual([]);
    expect(book.place(order(4, 'bid', 300500n, 15n))).toEqual({
      matches: [{ makerOrderId: 1, takerOrderId: 4, price: 300000n, quantity: 10n }],
      resting: 5n,
    });
    expect(book.top(5)).toEqual({
      bids: [
        [300500n, 5n],
        [299000n, 8n],
      ],
      asks: [[301000n, 5n]],
    });
    expect(book.size).toBe(3);
  });

  it('cancels by id, drops the emptied level and ignores unknown ids', () => {
    const book = new Book();
    book.place({ orderId: 1, trader: 'a', clientId: 1, side: 'bid', price: 10n, quantity: 3n });
    book.place({ orderId: 2, trader: 'a', clientId: 2, side: 'bid', price: 10n, quantity: 4n });
    expect(book.cancel(1)?.remaining).toBe(3n);
    expect(book.top(1).bids).toEqual([[10n, 4n]]);
    expect(book.cancel(1)).toBeUndefined();
    expect(book.cancel(2)?.remaining).toBe(4n);
    expect(book.bids).toEqual([]);
    expect(book.size).toBe(0);
  });

  it('agrees with a naive price-time model on every match, and the book is never crossed', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 80 }), (ops) => {
        const model = new NaiveBook();
        const { book } = play(ops, model);
        const ours = [...book.bids, ...book.asks].flatMap((l) =>
          l.orders.map((o) => [o.orderId, o.remaining]),
        );
        expect(ours.sort((a, b) => Number(a[0]) - Number(b[0]))).toEqual(
          model.orders.map((o) => [o.id, o.remaining]).sort((a, b) => Number(a[0]) - Number(b[0])),
        );
      }),
      { numRuns: 300 },
    );
  });

  it('conserves quantity: every order is filled, resting or cancelled, never more or less', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 80 }), (ops) => {
        const { book, placed, matches, cancelled } = play(ops);
        const filled = new Map<number, bigint>();
        for (const m of matches) {
          filled.set(m.makerOrderId, (filled.get(m.makerOrderId) ?? 0n) + m.quantity);
          filled.set(m.takerOrderId, (filled.get(m.takerOrderId) ?? 0n) + m.quantity);
        }
        for (const [id, order] of placed) {
          const resting = book.get(id)?.remaining ?? 0n;
          expect((filled.get(id) ?? 0n) + resting + (cancelled.get(id) ?? 0n)).toBe(order.quantity);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('fills at the maker price, within the taker limit, and the oldest order of a level first', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 80 }), (ops) => {
        const { placed, matches } = play(ops);
        for (const m of matches) {
          const maker = placed.get(m.makerOrderId)!;
          const taker = placed.get(m.takerOrderId)!;
          expect(m.price).toBe(maker.price);
          expect(m.makerOrderId).toBeLessThan(m.takerOrderId);
          if (taker.side === 'bid') expect(m.price).toBeLessThanOrEqual(taker.price);
          else expect(m.price).toBeGreaterThanOrEqual(taker.price);
          expect(m.quantity).toBeGreaterThan(0n);
        }
        // Within one taker's sweep, makers at the same price are taken oldest first.
        for (let i = 1; i < matches.length; i++) {
          const [a, b] = [matches[i - 1]!, matches[i]!];
          if (a.takerOrderId === b.takerOrderId && a.price === b.price)
            expect(a.makerOrderId).toBeLessThan(b.makerOrderId);
        }
      }),
      { numRuns: 300 },
    );
  });
});
