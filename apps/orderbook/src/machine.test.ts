import fc from 'fast-check';
import { type ApplyContext, DecodeError, Digest, encodeCbor, equalBytes } from 'mosaik';
import { describe, expect, it } from 'vitest';
import { type BookDump, OrderBook } from './machine.js';
import type { OrderRequest, Outcome, PlaceOrder, Side } from './types.js';

const ETH_USDC = { base: 'ETH', quote: 'USDC' };
const ctx = (index: number): ApplyContext => ({ index, term: 1, groupId: Digest.from('test-group') });

function place(trader: string, clientId: number, side: Side, price: bigint, quantity: bigint): PlaceOrder {
  return { kind: 'place', trader, clientId, pair: ETH_USDC, side, price, quantity };
}

function applyAll(machine: OrderBook, commands: readonly unknown[]): void {
  commands.forEach((c, i) => {
    machine.apply(c as OrderRequest, ctx(i + 1));
  });
}

/** What the book recorded for the request `clientId` of `trader`. */
function outcomeOf(book: OrderBook, trader: string, clientId: number): Outcome {
  return book.query({ t: 'outcome', trader, clientId }) as Outcome;
}

const REFERENCE_ORDERS = [
  place('alice', 1, 'ask', 300000n, 10n),
  place('alice', 2, 'ask', 301000n, 5n),
  place('bob', 1, 'bid', 299000n, 8n),
  place('bob', 2, 'bid', 300500n, 15n),
];

const requestArb: fc.Arbitrary<OrderRequest> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('place' as const),
      trader: fc.constantFrom('alice', 'bob', 'carol'),
      clientId: fc.nat({ max: 30 }),
      pair: fc.constant(ETH_USDC),
      side: fc.constantFrom<Side>('bid', 'ask'),
      price: fc.bigInt({ min: 98n, max: 102n }),
      quantity: fc.bigInt({ min: 1n, max: 10n }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('cancel' as const),
      trader: fc.constantFrom('alice', 'bob', 'carol'),
      clientId: fc.nat({ max: 30 }),
      orderId: fc.integer({ min: 1, max: 40 }),
    }),
  },
);

describe('OrderBook state machine', () => {
  it('plays the reference run: one fill at 300000 and the expected book', () => {
    const book = new OrderBook(ETH_USDC);
    applyAll(book, REFERENCE_ORDERS);
    expect(book.query({ t: 'fills' })).toEqual([
      { seq: 1, bidOrderId: 4, askOrderId: 1, pair: ETH_USDC, price: 300000n, quantity: 10n, taker: 'bid' },
    ]);
    expect(book.query({ t: 'top', depth: 5 })).toEqual({
      bids: [
        [300500n, 5n],
        [299000n, 8n],
      ],
      asks: [[301000n, 5n]],
    });
    expect(book.query({ t: 'order-count' })).toBe(3);
    expect(outcomeOf(book, 'bob', 2)).toEqual({ kind: 'placed', orderId: 4, filled: 10n, resting: 5n });
  });

  it('applies a request once: a retried or re-submitted copy changes nothing and keeps the first outcome', () => {
    const book = new OrderBook(ETH_USDC);
    const order = place('alice', 7, 'bid', 100n, 3n);
    applyAll(book, [order, order, { ...order, quantity: 99n }]);
    expect(book.query({ t: 'order-count' })).toBe(1);
    expect(book.query({ t: 'top', depth: 1 })).toEqual({ bids: [[100n, 3n]], asks: [] });
    expect(outcomeOf(book, 'alice', 7)).toEqual({ kind: 'placed', orderId: 1, filled: 0n, resting: 3n });
  });

  it('cancels only the owner’s resting orders and rejects what it cannot do', () => {
    const book = new OrderBook(ETH_USDC);
    applyAll(book, [
      place('alice', 1, 'ask', 100n, 5n),
      { kind: 'cancel', trader: 'bob', clientId: 1, orderId: 1 },
      { kind: 'cancel', trader: 'alice', clientId: 2, orderId: 1 },
      { kind: 'cancel', trader: 'alice', clientId: 3, orderId: 1 },
      place('alice', 4, 'ask', 100n, 5n),
      { ...place('alice', 5, 'ask', 100n, 5n), pair: { base: 'BTC', quote: 'USDC' } },
      { ...place('alice', 6, 'ask', 100n, 5n), price: 0n },
      { ...place('alice', 8, 'ask', 100n, 5n), quantity: 2.5 },
    ]);
    const outcome = (trader: string, clientId: number) => outcomeOf(book, trader, clientId);
    expect(outcome('bob', 1)).toEqual({ kind: 'rejected', reason: 'order 1 belongs to another trader' });
    expect(outcome('alice', 2)).toEqual({ kind: 'cancelled', orderId: 1, remaining: 5n });
    expect(outcome('alice', 3)).toEqual({ kind: 'rejected', reason: 'order 1 is not resting' });
    expect(outcome('alice', 4)).toMatchObject({ kind: 'placed', orderId: 2 });
    expect(outcome('alice', 5)).toMatchObject({
      kind: 'rejected',
      reason: expect.stringContaining('BTC/USDC'),
    });
    expect(outcome('alice', 6)).toMatchObject({ kind: 'rejected', reason: expect.stringContaining('price') });
    expect(outcome('alice', 8)).toMatchObject({
      kind: 'rejected',
      reason: expect.stringContaining('quantity'),
    });
    expect(book.query({ t: 'order-count' })).toBe(1);
  });

  it('never throws on malformed log entries, and skips those with no identity', () => {
    fc.assert(
      fc.property(fc.array(fc.anything(), { maxLength: 20 }), (junk) => {
        const book = new OrderBook(ETH_USDC);
        applyAll(book, junk);
        expect(book.query({ t: 'order-count' })).toBe(0);
      }),
    );
  });

  it('snapshots deterministically: replicas and restored copies give the same bytes', () => {
    fc.assert(
      fc.property(fc.array(requestArb, { maxLength: 60 }), (requests) => {
        const a = new OrderBook(ETH_USDC);
        const b = new OrderBook(ETH_USDC);
        applyAll(a, requests);
        applyAll(b, requests);
        const snap = a.snapshot();
        expect(equalBytes(snap, b.snapshot())).toBe(true);
        const c = new OrderBook(ETH_USDC);
        c.restore(snap);
        expect(equalBytes(c.snapshot(), snap)).toBe(true);
        expect(c.dump()).toEqual(a.dump());
        // The restored machine keeps deduplicating and matching like the original.
        const more = requests.map((r) => ({ ...r }));
        applyAll(a, more);
        applyAll(c, more);
        expect(equalBytes(c.snapshot(), a.snapshot())).toBe(true);
        expect((c.dump() as BookDump).digest).toBe(a.dump().digest);
      }),
      { numRuns: 150 },
    );
  });

  it('refuses bad snapshots with a DecodeError and keeps its state', () => {
    const book = new OrderBook(ETH_USDC);
    applyAll(book, REFERENCE_ORDERS);
    const before = book.snapshot();
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 64 }),
          fc
            // Anything but a (possibly empty) list of well-formed levels.
            .oneof(
              fc.anything().filter((v) => !Array.isArray(v) || v.length > 0),
              fc.constant([[1n]]),
              fc.constant([['300000', []]]),
              fc.constant([[1n, [[1, 'a', 1, -1n]]]]),
            )
            .filter((v) => !Array.isArray(v) || !v.every((l) => Array.isArray(l) && l.length === 0))
            .map((v) =>
              encodeCbor({ v: 1, pair: ETH_USDC, next: 1, bids: v, asks: [], fills: [], outcomes: [] }),
            ),
          fc.nat({ max: before.length - 1 }).map((n) => before.slice(0, n)),
        ),
        (bytes) => {
          expect(() => book.restore(bytes)).toThrow(DecodeError);
          expect(equalBytes(book.snapshot(), before)).toBe(true);
        },
      ),
    );
    const other = new OrderBook({ base: 'BTC', quote: 'USDC' });
    expect(() => other.restore(before)).toThrow(/another pair/);
  });

  it('has a signature per pair, so books of different pairs never share a group', () => {
    expect(new OrderBook(ETH_USDC).signature.equals(new OrderBook(ETH_USDC).signature)).toBe(true);
    expect(
      new OrderBook(ETH_USDC).signature.equals(new OrderBook({ base: 'BTC', quote: 'USDC' }).signature),
    ).toBe(false);
  });
});
