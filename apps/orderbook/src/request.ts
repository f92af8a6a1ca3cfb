/**
 * Validation of requests as they arrive from the network or from the log. Anything a remote peer
 * sends is `unknown` until these checks pass; the state machine runs them again in `apply`
 * because the log only holds what some member chose to write.
 */
import { MAX_AMOUNT, type OrderRequest, type TradingPair } from './types.js';

/** Longest trader name accepted. */
export const MAX_TRADER_LENGTH = 64;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isAmount(value: unknown): value is bigint {
  return typeof value === 'bigint' && value > 0n && value <= MAX_AMOUNT;
}

/** The request's identity, if it has one: a non-empty trader name and a non-negative safe-integer client id. */
export function requestKey(value: unknown): { trader: string; clientId: number } | undefined {
  if (!isObject(value)) return undefined;
  const { trader, clientId } = value;
  if (typeof trader !== 'string' || trader.length === 0 || trader.length > MAX_TRADER_LENGTH)
    return undefined;
  if (typeof clientId !== 'number' || !Number.isSafeInteger(clientId) || clientId < 0) return undefined;
  return { trader, clientId };
}

function isPair(value: unknown): value is TradingPair {
  return (
    isObject(value) &&
    typeof value.base === 'string' &&
    typeof value.quote === 'string' &&
    value.base.length > 0 &&
    value.quote.length > 0 &&
    value.base.length <= 16 &&
    value.quote.length <= 16
  );
}

/**
 * `value` as a well-formed request (fresh object, no extra fields), or the reason it is not one.
 * A well-formed request may still be refused by the book (wrong pair, unknown order).
 */
export function parseRequest(
  value: unknown,
): { ok: true; request: OrderRequest } | { ok: false; reason: string } {
  const key = requestKey(value);
  if (key === undefined || !isObject(value)) return { ok: false, reason: 'missing trader or client id' };
  if (value.kind === 'cancel') {
    const { orderId } = value;
    if (typeof orderId !== 'number' || !Number.isSafeInteger(orderId) || orderId <= 0)
      return { ok: false, reason: 'order id must be a positive integer' };
    return { ok: true, request: { kind: 'cancel', ...key, orderId } };
  }
  if (value.kind !== 'place') return { ok: false, reason: 'kind must be place or cancel' };
  const { pair, side, price, quantity } = value;
  if (!isPair(pair)) return { ok: false, reason: 'malformed pair' };
  if (side !== 'bid' && side !== 'ask') return { ok: false, reason: 'side must be bid or ask' };
  if (!isAmount(price)) return { ok: false, reason: 'price must be an integer in 1..2^64-1' };
  if (!isAmount(quantity)) return { ok: false, reason: 'quantity must be an integer in 1..2^64-1' };
  return {
    ok: true,
    request: { kind: 'place', ...key, pair: { base: pair.base, quote: pair.quote }, side, price, quantity },
  };
}
