import { MosaikError } from '@mosaik/id';

/** Every code `@mosaik/streams` raises: a refused datum (`producer_*`), a duplicate producer, a bad option. */
export type StreamsErrorCode = `producer_${ProducerErrorKind}` | 'already_exists' | 'streams_config';

/** Why {@link ProducerError} refused a datum. */
export type ProducerErrorKind = 'offline' | 'closed' | 'oversized';

/**
 * `send` / `trySend` refused a datum. The datum travels back intact in {@link ProducerError.datum},
 * so the caller can retry it. `offline`: the producer's `onlineWhen` condition is not met (by
 * default: no connected consumer). `closed`: the producer (its sink) was closed. `oversized`: the
 * encoded datum exceeds the stream's `maxDatumSize` (every consumer would close its link on it),
 * so it was sent to nobody.
 */
export class ProducerError<T = unknown> extends MosaikError<`producer_${ProducerErrorKind}`> {
  constructor(
    readonly kind: ProducerErrorKind,
    /** The refused datum. */
    readonly datum: T | undefined,
    message: string,
  ) {
    super(`producer_${kind}` as const, message);
  }
}

/**
 * A producer builder asked for a sink that already exists on this node (one sink per stream id
 * per node). {@link AlreadyExistsError.existing} is a handle to that sink, with its original options.
 */
export class AlreadyExistsError<P = unknown> extends MosaikError<'already_exists'> {
  constructor(
    /** A handle to the existing producer. */
    readonly existing: P,
    message: string,
  ) {
    super('already_exists', message);
  }
}

/** A stream definition or option is invalid (bad id, incompatible codec for an existing sink, …). */
export class StreamsConfigError extends MosaikError<'streams_config'> {
  constructor(message: string, options?: { cause?: unknown }) {
    super('streams_config', message, options);
  }
}
