/** A latest-value cell: `get`/`set`, wait for the next change or for a condition. */

/** Options of {@link Watch.changed} and {@link Watch.until}. */
export interface WatchWaitOptions {
  /** Stops waiting: the promise rejects with `signal.reason` and the listener is removed. */
  readonly signal?: AbortSignal;
}

/** Options of the {@link Watch} constructor. */
export interface WatchOptions<T> {
  /** When given, a `set` whose value `equals` the current one is ignored (no notification). */
  readonly equals?: (a: T, b: T) => boolean;
}

type Listener<T> = (value: T) => void;

/**
 * The reading side of a {@link Watch}: what a component hands out when others may observe a value
 * but only the component sets it (a node's relay status, a group's leader).
 */
export type ReadonlyWatch<T> = Pick<
  Watch<T>,
  'get' | 'value' | 'version' | 'subscribe' | 'changed' | 'until' | 'values'
>;

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('This operation was aborted', 'AbortError');
}

/**
 * Holds the latest value of something and lets callers wait for changes. Listeners are kept only
 * while somebody waits: a resolved, rejected or aborted wait leaves nothing registered.
 *
 * ```ts
 * const status = new Watch<'offline' | 'online'>('offline');
 * setTimeout(() => status.set('online'), 10);
 * await status.until((s) => s === 'online');
 * ```
 */
export class Watch<T> {
  #value: T;
  #version = 0;
  readonly #listeners = new Set<Listener<T>>();
  readonly #equals: ((a: T, b: T) => boolean) | undefined;

  constructor(initial: T, options: WatchOptions<T> = {}) {
    this.#value = initial;
    this.#equals = options.equals;
  }

  /** The current value. */
  get(): T {
    return this.#value;
  }

  /** The current value (same as {@link Watch.get}). */
  get value(): T {
    return this.#value;
  }

  /** How many times the value changed (starts at 0). */
  get version(): number {
    return this.#version;
  }

  /** How many listeners are registered (for leak tests). */
  get listenerCount(): number {
    return this.#listeners.size;
  }

  /** Replaces the value and wakes every waiter (unless `equals` says nothing changed). */
  set(value: T): void {
    if (this.#equals?.(this.#value, value)) return;
    this.#value = value;
    this.#version++;
    for (const listener of [...this.#listeners]) listener(value);
  }

  /** `set(fn(get()))`. */
  update(fn: (current: T) => T): void {
    this.set(fn(this.#value));
  }

  /**
   * Calls `listener` with every new value until the returned function is called. The listener
   * must not throw.
   */
  subscribe(listener: (value: T) => void): () => void {
    const wrapped: Listener<T> = (v) => listener(v);
    this.#listeners.add(wrapped);
    return () => this.#listeners.delete(wrapped);
  }

  /** Resolves with the value of the next `set`. */
  changed(options: WatchWaitOptions = {}): Promise<T> {
    return this.#wait(() => true, options);
  }

  /**
   * Resolves with the first value (the current one included) for which `predicate` is true:
   * at once if it already holds, else on the first `set` that makes it hold.
   */
  until(predicate: (value: T) => boolean, options: WatchWaitOptions = {}): Promise<T> {
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    let holds: boolean;
    try {
      holds = predicate(this.#value);
    } catch (error) {
      return Promise.reject(error);
    }
    if (holds) return Promise.resolve(this.#value);
    return this.#wait(predicate, options);
  }

  /** Yields the current value, then every later one (values set while the consumer is busy are coalesced). */
  async *values(options: WatchWaitOptions = {}): AsyncGenerator<T, void, undefined> {
    let seen = this.#version;
    yield this.#value;
    for (;;) {
      if (this.#version === seen) await this.changed(options);
      seen = this.#version;
      yield this.#value;
    }
  }

  #wait(predicate: (value: T) => boolean, { signal }: WatchWaitOptions): Promise<T> {
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    return new Promise<T>((resolve, reject) => {
      const cleanup = () => {
        this.#listeners.delete(listener);
        signal?.removeEventListener('abort', onAbort);
      };
      const listener: Listener<T> = (value) => {
        let holds: boolean;
        try {
          holds = predicate(value);
        } catch (error) {
          cleanup();
          reject(error);
          return;
        }
        if (holds) {
          cleanup();
          resolve(value);
        }
      };
      const onAbort = () => {
        cleanup();
        reject(abortReason(signal!));
      };
      this.#listeners.add(listener);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}
