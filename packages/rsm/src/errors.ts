/** Errors of the groups API. Compare by `code`. */
import { MosaikError } from '@mosaik/id';

/**
 * Every code the groups API rejects a call with: `offline` ({@link OfflineError}), `no_commands`
 * ({@link NoCommandsError}) and `group_terminated` ({@link GroupTerminatedError}). A command the
 * codec refuses rejects with `@mosaik/id`'s `EncodeError` (code `encode`).
 */
export type RsmErrorCode = 'offline' | 'no_commands' | 'group_terminated';

/**
 * The command or query could not reach a leader in time (no leader known, forward timeout,
 * leadership lost before commit). Temporary: retry. A forwarded command reported `OfflineError` may
 * still have been committed.
 */
export class OfflineError<T = unknown> extends MosaikError<'offline'> {
  /** The commands (or the query) that were not known to be appended. */
  readonly items: readonly T[];
  constructor(message: string, items: readonly T[] = []) {
    super('offline', message);
    this.items = items;
  }
}

/** `executeMany`/`feedMany` with an empty list. */
export class NoCommandsError extends MosaikError<'no_commands'> {
  constructor() {
    super('no_commands', 'no commands given');
  }
}

/** The group was closed (or its node shut down). */
export class GroupTerminatedError extends MosaikError<'group_terminated'> {
  constructor(message = 'group terminated') {
    super('group_terminated', message);
  }
}

/** Why a bond could not be established. */
export type BondErrorCode = 'invalid_proof' | 'unauthorized' | 'link' | 'already_bonded' | 'group_terminated';

/** A bond could not be established (internal; surfaces in logs and metrics). */
export class BondError extends MosaikError<BondErrorCode> {
  constructor(
    code: BondErrorCode,
    message: string,
    readonly closeCode?: number,
  ) {
    super(code, message);
  }
}
