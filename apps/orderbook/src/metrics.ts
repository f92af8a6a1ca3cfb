/** The orderbook's own Prometheus metrics, registered on the node's registry (next to mosaik's). */
import type { Metrics } from '@mosaik/metrics';
import type { BookStats } from './machine.js';
import type { Fill, Outcome } from './types.js';

/** Counters, gauges and the commit latency histogram of one matcher or observer. */
export class OrderbookMetrics {
  readonly #fills;
  readonly #filledQuantity;
  readonly #requests;
  readonly #orders;
  readonly #levels;
  readonly #quantity;
  readonly #commit;

  constructor(metrics: Metrics) {
    this.#fills = metrics.counter('orderbook_fills_total', 'Fills applied by this replica');
    this.#filledQuantity = metrics.counter(
      'orderbook_filled_quantity_total',
      'Base quantity filled, as applied by this replica',
    );
    this.#requests = metrics.counter(
      'orderbook_requests_total',
      'Requests this matcher committed, by outcome (placed, cancelled, rejected)',
      ['outcome'],
    );
    this.#orders = metrics.gauge('orderbook_book_orders', 'Resting orders per side', ['side']);
    this.#levels = metrics.gauge('orderbook_book_levels', 'Price levels per side (book depth)', ['side']);
    this.#quantity = metrics.gauge('orderbook_book_quantity', 'Resting base quantity per side', ['side']);
    this.#commit = metrics.histogram(
      'orderbook_request_commit_seconds',
      'From a request reaching this matcher to its commit by the group, retries included',
      { buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] },
    );
  }

  /** Starts timing one request; call the result once it is committed. */
  startCommit(): () => void {
    const stop = this.#commit.startTimer();
    return () => {
      stop();
    };
  }

  committed(outcome: Outcome): void {
    this.#requests.inc({ outcome: outcome.kind });
  }

  fill(fill: Fill): void {
    this.#fills.inc();
    this.#filledQuantity.inc(Number(fill.quantity));
  }

  book(stats: BookStats): void {
    for (const side of ['bid', 'ask'] as const) {
      this.#orders.set({ side }, stats[side].orders);
      this.#levels.set({ side }, stats[side].levels);
      this.#quantity.set({ side }, Number(stats[side].quantity));
    }
  }
}
