/**
 * The orderbook's domain types: trading pairs, sides, the requests traders send, the fills the
 * book produces and the acknowledgements matchers send back. Prices and quantities are `bigint`
 * (prices in hundredths of the quote currency, quantities in base units): money never goes
 * through a float.
 */

/** A market, e.g. ETH/USDC. */
export interface TradingPair {
  readonly base: string;
  readonly quote: string;
}

/** `bid` buys the base currency, `ask` sells it. */
export type Side = 'bid' | 'ask';

/** Largest price or quantity accepted: the unsigned 64-bit range, as in the original. */
export const MAX_AMOUNT = (1n << 64n) - 1n;

/**
 * A limit order. `trader` and `clientId` identify the request: the trader picks a fresh
 * `clientId` per request and re-sends the same one on retries, so the book applies it once.
 */
export interface PlaceOrder {
  readonly kind: 'place';
  readonly trader: string;
  readonly clientId: number;
  readonly pair: TradingPair;
  readonly side: Side;
  /** Limit price in hundredths (300000 = 3000.00). */
  readonly price: bigint;
  readonly quantity: bigint;
}

/** Cancels a resting order of the same trader, by the order id the book assigned. */
export interface CancelOrder {
  readonly kind: 'cancel';
  readonly trader: string;
  readonly clientId: number;
  readonly orderId: number;
}

/** What traders publish on the `Order` stream and what matchers commit to the group. */
export type OrderRequest = PlaceOrder | CancelOrder;

/** A request before the trader adds its identity. */
export type NewRequest = Omit<PlaceOrder, 'trader' | 'clientId'> | Omit<CancelOrder, 'trader' | 'clientId'>;

/** One execution between a resting (maker) order and an incoming (taker) order, at the maker's price. */
export interface Fill {
  /** 1-based position in the book's history of fills. */
  readonly seq: number;
  readonly bidOrderId: number;
  readonly askOrderId: number;
  readonly pair: TradingPair;
  readonly price: bigint;
  readonly quantity: bigint;
  /** The side of the incoming order. */
  readonly taker: Side;
}

/**
 * How the book decided a request, recorded at its first application and returned for every
 * later copy of it.
 */
export type Outcome =
  | {
      readonly kind: 'placed';
      readonly orderId: number;
      /** Quantity that matched at once. */
      readonly filled: bigint;
      /** Quantity left resting in the book. */
      readonly resting: bigint;
    }
  | { readonly kind: 'cancelled'; readonly orderId: number; readonly remaining: bigint }
  | { readonly kind: 'rejected'; readonly reason: string };

/** A matcher's acknowledgement: the request is committed by the group (and how it was decided). */
export interface OrderAck {
  readonly trader: string;
  readonly clientId: number;
  readonly outcome: Outcome;
  /** The log index at which the acknowledging matcher read the outcome. */
  readonly index: number;
}

/** `BASE/QUOTE`. */
export function pairName(pair: TradingPair): string {
  return `${pair.base}/${pair.quote}`;
}

/** `BID` / `ASK`. */
export function sideName(side: Side): string {
  return side === 'bid' ? 'BID' : 'ASK';
}

/** A price in hundredths as decimal text: 300050n → `3000.50`. */
export function formatPrice(price: bigint): string {
  const sign = price < 0n ? '-' : '';
  const abs = price < 0n ? -price : price;
  return `${sign}${abs / 100n}.${(abs % 100n).toString().padStart(2, '0')}`;
}

/**
 * Decimal price text to hundredths without floats: `3000`, `3000.5`, `3000.50` → 300050n style.
 * Returns `undefined` for anything else (signs, exponents, more than two decimals).
 */
export function parsePrice(text: string): bigint | undefined {
  const m = /^(\d{1,18})(?:\.(\d{1,2}))?$/.exec(text.trim());
  if (m === null) return undefined;
  const price = BigInt(m[1]!) * 100n + BigInt((m[2] ?? '0').padEnd(2, '0'));
  return price > 0n && price <= MAX_AMOUNT ? price : undefined;
}

/** The original's display of a fill, with the raw price: `Fill(bid=4, ask=1, ETH/USDC@300000, qty=10)`. */
export function formatFill(fill: Fill): string {
  return `Fill(bid=${fill.bidOrderId}, ask=${fill.askOrderId}, ${pairName(fill.pair)}@${fill.price}, qty=${fill.quantity})`;
}

/** Human text of an outcome. */
export function formatOutcome(outcome: Outcome): string {
  switch (outcome.kind) {
    case 'placed':
      return `order ${outcome.orderId} (filled ${outcome.filled}, resting ${outcome.resting})`;
    case 'cancelled':
      return `cancelled order ${outcome.orderId} (${outcome.remaining} unfilled)`;
    case 'rejected':
      return `rejected: ${outcome.reason}`;
  }
}

/** Human text of a request. */
export function formatRequest(request: OrderRequest | NewRequest): string {
  if (request.kind === 'cancel') return `CANCEL order ${request.orderId}`;
  return `${sideName(request.side)} ${request.quantity} ${pairName(request.pair)} @ ${formatPrice(request.price)}`;
}
