/** The error every collection write rejects with. Compare by `code`. */
import { EncodeError, MosaikError } from '@mosaik/id';
import { GroupTerminatedError, NoCommandsError, OfflineError } from '@mosaik/rsm';

/**
 * - `offline`: temporary, no leader took the write in time (retry; a forwarded write reported
 *   offline may still have been committed).
 * - `no_commands`: an empty batch reached the group (the handles never let that happen).
 * - `encoding`: a key or value could not be encoded (the group's `EncodeError`), or the
 *   collection's schema refused it.
 * - `terminated`: the handle was closed, or its node shut down.
 */
export type CollectionErrorCode = 'offline' | 'no_commands' | 'encoding' | 'terminated';

/** A rejected collection operation; `value` carries what the caller passed, for a retry. */
export class CollectionError<T = unknown> extends MosaikError<CollectionErrorCode> {
  /** The rejected payload (the arguments of the write). */
  readonly value: T;
  constructor(code: CollectionErrorCode, message: string, value: T, options?: { cause?: unknown }) {
    super(code, message, options);
    this.value = value;
  }

  /** Whether retrying later may succeed. */
  get isTemporary(): boolean {
    return this.code === 'offline';
  }
}

/** Translates a group error into a collection error carrying `value`. */
export function fromGroupError<T>(error: unknown, value: T): CollectionError<T> {
  if (error instanceof CollectionError)
    return new CollectionError(error.code, error.message, value, { cause: error });
  if (error instanceof OfflineError)
    return new CollectionError('offline', error.message, value, { cause: error });
  if (error instanceof GroupTerminatedError)
    return new CollectionError('terminated', 'the collection was closed', value, { cause: error });
  if (error instanceof NoCommandsError)
    return new CollectionError('no_commands', error.message, value, { cause: error });
  if (error instanceof EncodeError)
    return new CollectionError('encoding', error.message, value, { cause: error });
  return new CollectionError('offline', `write failed: ${String(error)}`, value, { cause: error });
}
