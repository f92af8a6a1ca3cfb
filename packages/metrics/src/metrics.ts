/**
 * A per-node metrics facade on prom-client. Every instrument carries the node's `network` label
 * (the short network id) without the caller passing it, and asking twice for the same name gives
 * the same instrument, so the subsystems of one node share one registry.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { MetricsError } from './errors.js';

/** Label values of one observation (the `network` label is added by the facade). */
export type Labels = Readonly<Record<string, string | number>>;

/** A monotonically increasing count. Name it `…_total`. */
export interface CounterHandle {
  /** Adds `value` (default 1, must be ≥ 0). */
  inc(value?: number): void;
  /** Adds `value` (default 1) to the series with these extra labels. */
  inc(labels: Labels, value?: number): void;
  /** The underlying prom-client metric (shared by every facade on the same registry). */
  readonly metric: Counter<string>;
}

/** A value that goes up and down. */
export interface GaugeHandle {
  set(value: number): void;
  set(labels: Labels, value: number): void;
  inc(value?: number): void;
  inc(labels: Labels, value?: number): void;
  dec(value?: number): void;
  dec(labels: Labels, value?: number): void;
  readonly metric: Gauge<string>;
}

/** A distribution (latencies in seconds, sizes in bytes). */
export interface HistogramHandle {
  observe(value: number): void;
  observe(labels: Labels, value: number): void;
  /** Starts a timer; calling the result observes the elapsed seconds and returns them. */
  startTimer(labels?: Labels): () => number;
  readonly metric: Histogram<string>;
}

/** Options of {@link Metrics.histogram}. */
export interface HistogramOptions {
  /** Extra label names (beyond `network`). */
  readonly labelNames?: readonly string[];
  /** Upper bounds of the buckets (default: prom-client's, suited to seconds). */
  readonly buckets?: readonly number[];
}

/** Options of {@link createMetrics}. */
export interface MetricsOptions {
  /** The `network` label value put on every metric: the short network id (10 hex chars). */
  readonly network?: string;
  /** Registry to register into (default: a new one per facade, i.e. per node). */
  readonly registry?: Registry;
  /** Prepended to every metric name, e.g. `'myapp_'`. Default none (names already start with `mosaik_`). */
  readonly prefix?: string;
}

/** The facade one node's subsystems register their metrics with. */
export interface Metrics {
  /** The prom-client registry (serve it with `startPrometheusExporter`). */
  readonly registry: Registry;
  /** The `network` label value, if any. */
  readonly network: string | undefined;
  counter(name: string, help: string, labelNames?: readonly string[]): CounterHandle;
  gauge(name: string, help: string, labelNames?: readonly string[]): GaugeHandle;
  histogram(name: string, help: string, options?: HistogramOptions): HistogramHandle;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/**
 * The Prometheus form of a metric name: dots (the reference's `mosaik.network.egress.bytes`
 * style) become underscores. Throws `MetricsError` (`'invalid_metric'`) if the result is not a
 * valid Prometheus name.
 */
export function metricName(name: string, prefix = ''): string {
  const out = prefix + name.replaceAll('.', '_');
  if (!NAME.test(out)) throw new MetricsError('invalid_metric', `invalid metric name ${JSON.stringify(out)}`);
  return out;
}

type Kind = 'counter' | 'gauge' | 'histogram';
type AnyMetric = Counter<string> | Gauge<string> | Histogram<string>;
const classes = { counter: Counter, gauge: Gauge, histogram: Histogram } as const;

function sameLabels(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const sa = [...a].sort();
  const sb = [...b].sort();
  return sa.every((x, i) => x === sb[i]);
}

/**
 * Creates the metrics facade of one node.
 *
 * ```ts
 * const metrics = createMetrics({ network: networkId.short() });
 * const sent = metrics.counter('mosaik_network_bytes_sent_total', 'Frame bytes sent on links');
 * sent.inc(1500);
 * ```
 */
export function createMetrics(options: MetricsOptions = {}): Metrics {
  const registry = options.registry ?? new Registry();
  const network = options.network;
  const prefix = options.prefix ?? '';
  const base: readonly string[] = network === undefined ? [] : ['network'];
  const baseLabels: Record<string, string> = network === undefined ? {} : { network };

  const full = (labels: Labels | undefined): Record<string, string | number> =>
    labels === undefined ? baseLabels : { ...labels, ...baseLabels };

  function obtain(
    kind: Kind,
    rawName: string,
    help: string,
    extra: readonly string[],
    buckets?: readonly number[],
  ) {
    const name = metricName(rawName, prefix);
    for (const l of extra) {
      if (!LABEL.test(l) || l.startsWith('__'))
        throw new MetricsError('invalid_metric', `invalid label name ${l}`);
      if (l === 'network')
        throw new MetricsError('invalid_metric', 'the network label is added by the facade');
    }
    const labelNames = [...base, ...extra];
    const existing = registry.getSingleMetric(name) as AnyMetric | undefined;
    if (existing !== undefined) {
      if (!(existing instanceof classes[kind])) {
        throw new MetricsError('metric_conflict', `metric ${name} is already registered with another type`);
      }
      const have = ((existing as unknown as { labelNames?: string[] }).labelNames ?? []) as string[];
      if (!sameLabels(have, labelNames)) {
        throw new MetricsError(
          'metric_conflict',
          `metric ${name} is already registered with labels [${have.join(', ')}], not [${labelNames.join(', ')}]`,
        );
      }
      return existing;
    }
    const config = { name, help, labelNames, registers: [registry] };
    if (kind === 'counter') return new Counter(config);
    if (kind === 'gauge') return new Gauge(config);
    return new Histogram(buckets === undefined ? config : { ...config, buckets: [...buckets] });
  }

  // `inc(5)` and `inc({ stream }, 5)` both work.
  const split = (
    a: Labels | number | undefined,
    b: number | undefined,
  ): [Labels | undefined, number | undefined] => (typeof a === 'object' ? [a, b] : [undefined, a]);

  return {
    registry,
    network,
    counter(name, help, labelNames = []) {
      const metric = obtain('counter', name, help, labelNames) as Counter<string>;
      return {
        metric,
        inc(a?: Labels | number, b?: number) {
          const [labels, value] = split(a, b);
          metric.inc(full(labels), value ?? 1);
        },
      };
    },
    gauge(name, help, labelNames = []) {
      const metric = obtain('gauge', name, help, labelNames) as Gauge<string>;
      return {
        metric,
        set(a: Labels | number, b?: number) {
          const [labels, value] = split(a, b);
          metric.set(full(labels), value ?? 0);
        },
        inc(a?: Labels | number, b?: number) {
          const [labels, value] = split(a, b);
          metric.inc(full(labels), value ?? 1);
        },
        dec(a?: Labels | number, b?: number) {
          const [labels, value] = split(a, b);
          metric.dec(full(labels), value ?? 1);
        },
      };
    },
    histogram(name, help, options = {}) {
      const metric = obtain(
        'histogram',
        name,
        help,
        options.labelNames ?? [],
        options.buckets,
      ) as Histogram<string>;
      return {
        metric,
        observe(a: Labels | number, b?: number) {
          const [labels, value] = split(a, b);
          metric.observe(full(labels), value ?? 0);
        },
        startTimer(labels?: Labels) {
          const start = process.hrtime.bigint();
          return () => {
            const seconds = Number(process.hrtime.bigint() - start) / 1e9;
            metric.observe(full(labels), seconds);
            return seconds;
          };
        },
      };
    },
  };
}
