/**
 * What the app prints on stdout: text for people, or with `--json` one JSON object per line for
 * scripts (bigints as decimal strings). Logs never go here; they go to stderr.
 */
import type { TopOfBook } from './book.js';
import { formatPrice, pairName, type TradingPair } from './types.js';

/** JSON with bigints as strings. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}

/** Prints events as text or JSON lines. */
export class Printer {
  constructor(
    /** JSON lines instead of text. */
    readonly json: boolean,
    readonly write: (line: string) => void = (line) => {
      process.stdout.write(`${line}\n`);
    },
  ) {}

  /** One event: `text` for people (may span lines), `fields` for `--json`. */
  event(event: string, fields: Record<string, unknown>, text: string): void {
    this.write(this.json ? toJson({ event, ...fields }) : text);
  }

  /** Text that only people want (banners, hints); nothing in JSON mode. */
  say(text: string): void {
    if (!this.json) this.write(text);
  }
}

/** The book as a ladder: asks from the highest down, a `---` line, then bids from the highest down. */
export function formatBook(pair: TradingPair, top: TopOfBook, depth: number): string {
  const row = (side: string, [price, quantity]: readonly [bigint, bigint]) =>
    `  ${side} ${formatPrice(price).padStart(10)}  ${quantity.toString().padStart(6)}`;
  return [
    `book ${pairName(pair)} (top ${depth}):`,
    ...[...top.asks].reverse().map((l) => row('ASK', l)),
    '  ---',
    ...top.bids.map((l) => row('BID', l)),
  ].join('\n');
}
