/** The error this package raises. Compare by `code`. */
import { MosaikError, type MosaikErrorOptions } from '@mosaik/id';

/**
 * `invalid_metric`: a metric or label name Prometheus would refuse; `metric_conflict`: a name
 * registered twice with a different kind, help or label set; `invalid_address`: an exporter
 * address that cannot be bound.
 */
export type MetricsErrorCode = 'invalid_metric' | 'metric_conflict' | 'invalid_address';

/** A metric could not be registered or exported; `code` says why. */
export class MetricsError extends MosaikError<MetricsErrorCode> {
  constructor(code: MetricsErrorCode, message: string, options?: MosaikErrorOptions) {
    super(code, message, options);
  }
}
