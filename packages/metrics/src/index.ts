/**
 * @mosaik/metrics: per-node Prometheus metrics (prom-client) and structured logs (pino).
 *
 * - {@link createMetrics}: the facade subsystems register counters, gauges and histograms with;
 *   every metric carries the node's `network` label.
 * - {@link startPrometheusExporter}: serves a registry on `GET /metrics`.
 * - {@link createLogger}: pino loggers with `network`, `peer` and `subsystem` bindings, level from
 *   options or `MOSAIK_LOG`.
 */

export { Registry } from 'prom-client';
export { MetricsError, type MetricsErrorCode } from './errors.js';
export {
  type ExporterAddress,
  type ExporterOptions,
  type PrometheusExporter,
  parseExporterAddress,
  startPrometheusExporter,
} from './exporter.js';
export {
  createLogger,
  DEFAULT_LOG_LEVEL,
  type Logger,
  type LoggerOptions,
  type LogLevel,
  resolveLogLevel,
} from './logger.js';
export {
  type CounterHandle,
  createMetrics,
  type GaugeHandle,
  type HistogramHandle,
  type HistogramOptions,
  type Labels,
  type Metrics,
  type MetricsOptions,
  metricName,
} from './metrics.js';
