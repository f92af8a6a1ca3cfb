/**
 * A seeded random order flow for the trader role: limit orders around a drifting mid price, on
 * both sides and often crossing, with an occasional cancel of one of the trader's resting
 * orders. The same seed gives the same sequence of decisions.
 */
import type { NewRequest, TradingPair } from './types.js';

/** mulberry32: a small, fast, seeded PRNG (not for cryptography). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Random orders for one pair. Tell it which orders rest (`resting`/`gone`) to get cancels. */
export class RandomFlow {
  readonly #random: () => number;
  readonly #pair: TradingPair;
  readonly #resting: number[] = [];
  #mid: bigint;

  constructor(seed: number, pair: TradingPair, mid = 300000n) {
    this.#random = prng(seed);
    this.#pair = pair;
    this.#mid = mid;
  }

  #int(min: number, max: number): number {
    return min + Math.floor(this.#random() * (max - min + 1));
  }

  /** The next request. */
  next(): NewRequest {
    if (this.#resting.length > 0 && this.#random() < 0.1) {
      const [orderId] = this.#resting.splice(this.#int(0, this.#resting.length - 1), 1);
      return { kind: 'cancel', orderId: orderId! };
    }
    this.#mid += BigInt(this.#int(-20, 20));
    if (this.#mid < 1000n) this.#mid = 1000n;
    const side = this.#random() < 0.5 ? 'bid' : 'ask';
    // Bids mostly below the mid and asks mostly above, with an overlap so that some orders cross.
    const offset = BigInt(side === 'bid' ? this.#int(-150, 50) : this.#int(-50, 150));
    return {
      kind: 'place',
      pair: this.#pair,
      side,
      price: this.#mid + offset,
      quantity: BigInt(this.#int(1, 20)),
    };
  }

  /** An order of this trader now rests in the book. */
  resting(orderId: number): void {
    this.#resting.push(orderId);
  }
}
