/**
 * @mosaik/metrics: Per-node Prometheus metrics (prom-client) and structured logs (pino).
 *
 * Not implemented yet; see the project's open issues.
 */
export {};
