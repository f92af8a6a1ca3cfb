/**
 * Commands a follower forwarded to its leader, waiting for the leader's answer (`ForwardAck` with
 * the assigned index range, or `ForwardNack`). The table is bookkeeping only: the caller arms
 * each entry's deadline on its clock and fails the entry when it passes.
 */

/** Where the leader placed a forwarded batch. */
export interface Assigned {
  readonly first: number;
  readonly last: number;
  readonly term: number;
}

/** How a forward settles. */
export interface ForwardHandlers {
  readonly resolve: (assigned: Assigned) => void;
  readonly reject: (error: Error) => void;
}

interface PendingForward extends ForwardHandlers {
  readonly cancelDeadline: () => void;
}

/** Pending forwards by request id (ids unique per table, starting at 1). */
export class ForwardTable {
  readonly #pending = new Map<number, PendingForward>();
  #seq = 0;

  /**
   * Registers a forward and returns its id. `armDeadline(id)` is called once with the new id; it
   * arms whatever fails the entry in time and returns how to disarm it (called on settling).
   */
  open(handlers: ForwardHandlers, armDeadline: (id: number) => () => void): number {
    const id = ++this.#seq;
    this.#pending.set(id, { ...handlers, cancelDeadline: armDeadline(id) });
    return id;
  }

  /** The leader assigned the batch `id`; `false` when it is not pending (late or unknown). */
  resolve(id: number, assigned: Assigned): boolean {
    const f = this.#take(id);
    f?.resolve(assigned);
    return f !== undefined;
  }

  /** Fails forward `id` (refused, or its deadline passed); `false` when it is not pending. */
  reject(id: number, error: Error): boolean {
    const f = this.#take(id);
    f?.reject(error);
    return f !== undefined;
  }

  /** Fails every pending forward with `error()` (leader gone, reset, shutdown). */
  rejectAll(error: () => Error): void {
    for (const id of [...this.#pending.keys()]) this.reject(id, error());
  }

  /** Forwards waiting for an answer. */
  get size(): number {
    return this.#pending.size;
  }

  #take(id: number): PendingForward | undefined {
    const f = this.#pending.get(id);
    if (f === undefined) return undefined;
    this.#pending.delete(id);
    f.cancelDeadline();
    return f;
  }
}
