function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('This operation was aborted', 'AbortError');
}

/**
 * The consumer's unbounded delivery queue: a slow reader buffers here instead of stalling the link,
 * so producers never drop it for being slow.
 */
export class DatumQueue<T> {
  #items: { datum: T; bytes: number }[] = [];
  #head = 0;
  #waiters: ((v: { datum: T; bytes: number } | undefined) => void)[] = [];
  #closed = false;

  get length(): number {
    return this.#items.length - this.#head;
  }

  get closed(): boolean {
    return this.#closed;
  }

  push(datum: T, bytes: number): void {
    if (this.#closed) return;
    const waiter = this.#waiters.shift();
    if (waiter) {
      waiter({ datum, bytes });
      return;
    }
    this.#items.push({ datum, bytes });
  }

  /** Next item, `undefined` when empty. */
  tryShift(): { datum: T; bytes: number } | undefined {
    if (this.#head >= this.#items.length) return undefined;
    const item = this.#items[this.#head] as { datum: T; bytes: number };
    this.#items[this.#head] = undefined as never;
    this.#head++;
    // Compact now and then so the array does not grow forever.
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }

  /** Next item; `undefined` once closed and drained. Rejects with `signal.reason` when `signal` aborts. */
  shift(signal?: AbortSignal): Promise<{ datum: T; bytes: number } | undefined> {
    const item = this.tryShift();
    if (item !== undefined || this.#closed) return Promise.resolve(item);
    if (signal === undefined) {
      // The iterator's path: one promise, no abort listener.
      return new Promise((resolve) => {
        this.#waiters.push(resolve);
      });
    }
    if (signal.aborted) return Promise.reject(abortReason(signal));
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        reject(abortReason(signal));
      };
      const waiter = (v: { datum: T; bytes: number } | undefined) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      };
      this.#waiters.push(waiter);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** No more items; pending and later reads get what is left, then `undefined`. */
  close(): void {
    this.#closed = true;
    for (const w of this.#waiters.splice(0)) w(undefined);
  }
}
