/**
 * The error this package raises. `@mosaik/metrics` is on layer L0 beside `@mosaik/id` and may not
 * depend on it, so this error mirrors `MosaikError`'s shape (`code`, `message`, `cause`) instead
 * of extending it.
 */
export class MetricsError extends Error {
  /** Stable machine-readable code: `'invalid_metric'`, `'metric_conflict'` or `'invalid_address'`. */
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.name = 'MetricsError';
  }
}
