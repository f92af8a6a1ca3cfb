/**
 * The three streams of the orderbook network. Traders produce `Orders`; matchers consume them,
 * produce `Acks` (a request is committed, with its outcome) and `Fills` (executions, in book order).
 * Datums are checked on receipt: a peer sending something else loses its link.
 */
import { defineStream } from 'mosaik';
import { requestKey } from './request.js';
import type { Fill, OrderAck, OrderRequest, Outcome } from './types.js';

/** A Standard Schema (what `defineStream` validates received datums with) from a type guard. */
function schema<T>(what: string, guard: (value: unknown) => boolean) {
  return {
    '~standard': {
      version: 1 as const,
      vendor: 'mosaik-orderbook',
      validate: (value: unknown) =>
        guard(value) ? { value: value as T } : { issues: [{ message: `not ${what}` }] },
    },
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

function isOutcome(value: unknown): value is Outcome {
  if (!isObject(value)) return false;
  switch (value.kind) {
    case 'placed':
      return isInt(value.orderId) && typeof value.filled === 'bigint' && typeof value.resting === 'bigint';
    case 'cancelled':
      return isInt(value.orderId) && typeof value.remaining === 'bigint';
    case 'rejected':
      return typeof value.reason === 'string';
    default:
      return false;
  }
}

/**
 * Orders and cancels from traders. Only the identity is checked here: a request the book refuses
 * (a zero price, another pair) still goes through the group, so the trader gets a `rejected`
 * acknowledgement instead of silence.
 */
export const Orders = defineStream<OrderRequest>('mosaik.example.orderbook.orders', {
  schema: schema<OrderRequest>('an order request', (v) => requestKey(v) !== undefined),
  maxDatumSize: 4096,
});

/** Acknowledgements: sent by a matcher once the group committed the request. */
export const Acks = defineStream<OrderAck>('mosaik.example.orderbook.acks', {
  schema: schema<OrderAck>(
    'an acknowledgement',
    (v) => requestKey(v) !== undefined && isObject(v) && isOutcome(v.outcome) && isInt(v.index),
  ),
  maxDatumSize: 4096,
});

/** Fills, numbered by `seq` in the book's order. Every matcher publishes them: consumers keep the first copy. */
export const Fills = defineStream<Fill>('mosaik.example.orderbook.fills', {
  schema: schema<Fill>(
    'a fill',
    (v) =>
      isObject(v) &&
      isInt(v.seq) &&
      isInt(v.bidOrderId) &&
      isInt(v.askOrderId) &&
      typeof v.price === 'bigint' &&
      typeof v.quantity === 'bigint' &&
      isObject(v.pair) &&
      (v.taker === 'bid' || v.taker === 'ask'),
  ),
  maxDatumSize: 4096,
});
