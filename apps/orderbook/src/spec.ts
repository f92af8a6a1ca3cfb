/** The trader's order syntax: `bid 10 @ 3000.50`, `ask 5 @ 3010`, `buy`/`sell` as synonyms, `cancel 4`. */
import { MAX_AMOUNT, type NewRequest, parsePrice, type TradingPair } from './types.js';

/** Parses one order line; `{ error }` says what is wrong. */
export function parseOrderSpec(text: string, pair: TradingPair): NewRequest | { error: string } {
  const words = text.trim().toLowerCase().replace('@', ' @ ').split(/\s+/).filter(Boolean);
  const [verb, amount, at, price, ...rest] = words;
  if (verb === 'cancel') {
    if (amount === undefined || !/^\d{1,15}$/.test(amount) || Number(amount) <= 0 || at !== undefined)
      return { error: 'expected: cancel <order id>' };
    return { kind: 'cancel', orderId: Number(amount) };
  }
  const side =
    verb === 'bid' || verb === 'buy' ? 'bid' : verb === 'ask' || verb === 'sell' ? 'ask' : undefined;
  const usage = 'expected: bid|ask <quantity> @ <price>, e.g. "bid 10 @ 3000.50", or "cancel <order id>"';
  if (side === undefined || amount === undefined || at !== '@' || price === undefined || rest.length > 0)
    return { error: usage };
  if (!/^\d{1,20}$/.test(amount) || BigInt(amount) <= 0n || BigInt(amount) > MAX_AMOUNT)
    return { error: `quantity must be a positive whole number, got ${amount}` };
  const parsed = parsePrice(price);
  if (parsed === undefined) return { error: `price must look like 3000 or 3000.50, got ${price}` };
  return { kind: 'place', pair, side, price: parsed, quantity: BigInt(amount) };
}

/** `ETH/USDC` → a pair. */
export function parsePair(text: string): TradingPair | undefined {
  const m = /^([A-Za-z0-9]{1,16})\/([A-Za-z0-9]{1,16})$/.exec(text.trim());
  return m === null ? undefined : { base: m[1]!.toUpperCase(), quote: m[2]!.toUpperCase() };
}
