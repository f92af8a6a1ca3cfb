/**
 * Streams metrics (the Rust implementation's series, Prometheus names). Per-stream series are resolved once per
 * stream into prom-client children. The per-datum series (items/bytes sent and received, delivery
 * latency) are batched: a prom-client child still hashes its labels on every call, which cost
 * ~10 % of a consumer's CPU at 60k datums/s, so they accumulate in plain numbers and are handed
 * to prom-client once per event-loop turn.
 */
import type { StreamId } from '@mosaik/id';
import type { Metrics } from '@mosaik/metrics';

interface Inc {
  inc(n?: number): void;
}
interface Set_ {
  set(n: number): void;
  inc(n?: number): void;
  dec(n?: number): void;
}
interface Observe {
  observe(n: number): void;
}

/** Hot series flushed together once per event-loop turn. */
class Batcher {
  readonly #dirty: (() => void)[] = [];
  #scheduled = false;

  /** Registers `flush` to run at the end of this turn (`setImmediate`, unref'd). */
  mark(flush: () => void): void {
    this.#dirty.push(flush);
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => this.flush()).unref();
  }

  flush(): void {
    this.#scheduled = false;
    const dirty = this.#dirty.splice(0);
    for (const f of dirty) f();
  }
}

/** A counter whose increments reach prom-client in one call per turn. */
class BatchedCounter implements Inc {
  #pending = 0;
  #marked = false;
  readonly #flush = () => {
    this.#marked = false;
    const n = this.#pending;
    this.#pending = 0;
    if (n !== 0) this.target.inc(n);
  };

  constructor(
    private readonly target: Inc,
    private readonly batcher: Batcher,
  ) {}

  inc(n = 1): void {
    this.#pending += n;
    if (this.#marked) return;
    this.#marked = true;
    this.batcher.mark(this.#flush);
  }
}

/** A histogram whose samples reach prom-client at the end of the turn. */
class BatchedHistogram implements Observe {
  #pending: number[] = [];
  readonly #flush = () => {
    const samples = this.#pending;
    this.#pending = [];
    for (const v of samples) this.target.observe(v);
  };

  constructor(
    private readonly target: Observe,
    private readonly batcher: Batcher,
  ) {}

  observe(n: number): void {
    if (this.#pending.push(n) === 1) this.batcher.mark(this.#flush);
  }
}

/** Why a subscription or a connection was refused (label `reason`). */
export type RejectReason =
  | 'unknown_peer'
  | 'different_network'
  | 'stream_not_found'
  | 'protocol'
  | 'capacity'
  | 'require'
  | 'ticket';

/** Delivery latency buckets in seconds: 50 µs … 5 s. */
const LATENCY_BUCKETS = [
  0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
];

/** Series of one stream on one node. */
export interface StreamMetrics {
  readonly producerConsumers: Set_;
  readonly consumersAccepted: Inc;
  consumersRejected(reason: RejectReason): Inc;
  readonly itemsSent: Inc;
  readonly bytesSent: Inc;
  readonly itemsDropped: Inc;
  readonly itemsOversized: Inc;
  readonly laggingDisconnects: Inc;
  readonly protocolViolations: Inc;
  readonly receiversActive: Set_;
  readonly consumerProducers: Set_;
  readonly itemsReceived: Inc;
  readonly bytesReceived: Inc;
  invalid(reason: 'decode' | 'schema' | 'oversized'): Inc;
  readonly datumsTotal: Inc;
  readonly bytesTotal: Inc;
  readonly latency: Observe;
}

/** The streams metrics of one node. */
export class StreamsMetrics {
  readonly #m: Metrics;
  readonly #base: Record<string, string>;
  readonly #streams = new Map<string, StreamMetrics>();
  readonly producersActive: Set_;
  readonly #accepted: Inc;
  readonly #rejected;
  readonly #batcher = new Batcher();

  constructor(metrics: Metrics) {
    this.#m = metrics;
    this.#base = metrics.network === undefined ? {} : { network: metrics.network };
    this.producersActive = this.#gauge('mosaik_streams_producers_active', 'Producer sinks on this node', {});
    this.#accepted = this.#counter(
      'mosaik_streams_connections_accepted_total',
      'Stream connections past the network and stream checks',
      {},
    );
    this.#rejected = metrics.counter(
      'mosaik_streams_connections_rejected_total',
      'Stream connections refused by the acceptor',
      ['reason'],
    );
  }

  /** Hands every batched increment to prom-client now (before a scrape or in tests). */
  flush(): void {
    this.#batcher.flush();
  }

  connectionAccepted(): void {
    this.#accepted.inc();
  }

  connectionRejected(reason: RejectReason): void {
    this.#rejected.inc({ reason });
  }

  /** The series of `stream` (label `stream` = short id). */
  stream(stream: StreamId): StreamMetrics {
    const key = stream.toString();
    let s = this.#streams.get(key);
    if (s !== undefined) return s;
    const l = { stream: stream.short() };
    const m = this.#m;
    const rejected = m.counter(
      'mosaik_streams_producer_consumers_rejected_total',
      'Subscriptions refused by a producer',
      ['stream', 'reason'],
    );
    const invalid = m.counter(
      'mosaik_streams_consumer_items_invalid_total',
      'Received datums dropped as undecodable, schema-invalid or oversized',
      ['stream', 'reason'],
    );
    const latency = m.histogram(
      'mosaik_streams_delivery_latency_seconds',
      'Producer send to consumer receipt (wall clocks of both nodes)',
      { labelNames: ['stream'], buckets: LATENCY_BUCKETS },
    );
    s = {
      producerConsumers: this.#gauge(
        'mosaik_streams_producer_consumers',
        'Active subscriptions of a producer',
        l,
      ),
      consumersAccepted: this.#counter(
        'mosaik_streams_producer_consumers_accepted_total',
        'Subscriptions admitted by a producer',
        l,
      ),
      consumersRejected: (reason) => rejected.metric.labels({ ...l, reason, ...this.#base }),
      itemsSent: this.#hot('mosaik_streams_producer_items_sent_total', 'Datums queued to subscribers', l),
      bytesSent: this.#hot(
        'mosaik_streams_producer_bytes_sent_total',
        'Datum bytes queued to subscribers',
        l,
      ),
      itemsDropped: this.#counter(
        'mosaik_streams_producer_items_dropped_total',
        'Datums dropped for a subscriber whose queue was full or closed',
        l,
      ),
      itemsOversized: this.#counter(
        'mosaik_streams_producer_items_oversized_total',
        'Datums refused by send/trySend as larger than maxDatumSize',
        l,
      ),
      laggingDisconnects: this.#counter(
        'mosaik_streams_producer_lagging_disconnects_total',
        'Subscribers disconnected with TooSlow',
        l,
      ),
      protocolViolations: this.#counter(
        'mosaik_streams_producer_protocol_violations_total',
        'Subscriptions closed with ProtocolViolation: the consumer sent data after its handshake',
        l,
      ),
      receiversActive: this.#gauge(
        'mosaik_streams_consumers_active',
        'Consumer receivers (one per producer)',
        l,
      ),
      consumerProducers: this.#gauge(
        'mosaik_streams_consumer_producers',
        'Producers a consumer is attached to',
        l,
      ),
      itemsReceived: this.#hot(
        'mosaik_streams_consumer_items_received_total',
        'Datums pulled by the application',
        l,
      ),
      bytesReceived: this.#hot(
        'mosaik_streams_consumer_bytes_received_total',
        'Datum bytes pulled by the application',
        l,
      ),
      invalid: (reason) => invalid.metric.labels({ ...l, reason, ...this.#base }),
      datumsTotal: this.#hot('mosaik_streams_datums_total', 'Datums counted by any channel', l),
      bytesTotal: this.#hot('mosaik_streams_bytes_total', 'Datum bytes counted by any channel', l),
      latency: new BatchedHistogram(latency.metric.labels({ ...l, ...this.#base }), this.#batcher),
    };
    this.#streams.set(key, s);
    return s;
  }

  #counter(name: string, help: string, labels: Record<string, string>): Inc {
    return this.#m.counter(name, help, Object.keys(labels)).metric.labels({ ...labels, ...this.#base });
  }

  #hot(name: string, help: string, labels: Record<string, string>): Inc {
    return new BatchedCounter(this.#counter(name, help, labels), this.#batcher);
  }

  #gauge(name: string, help: string, labels: Record<string, string>): Set_ {
    return this.#m.gauge(name, help, Object.keys(labels)).metric.labels({ ...labels, ...this.#base });
  }
}
