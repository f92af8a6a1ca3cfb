/**
 * Discovery events and a bounded broadcast for them: each subscriber starts at
 * "now", and one that falls more than `capacity` events behind is told how many it missed.
 */
import type { PeerId } from '@mosaik/id';
import type { PeerEntry } from '../entry/entry.js';

/** A per-peer transition of the catalog. Entries are unsigned `PeerEntry`s. */
export type DiscoveryEvent =
  | { readonly type: 'peerDiscovered'; readonly entry: PeerEntry }
  | { readonly type: 'peerUpdated'; readonly entry: PeerEntry }
  | { readonly type: 'peerDeparted'; readonly peerId: PeerId };

/** Delivered to a subscriber in place of the events it was too slow to receive. */
export interface Lagged {
  readonly type: 'lagged';
  readonly missed: number;
}

/** A bounded, multi-subscriber broadcast. Publishing never blocks. */
export class EventBroadcast<T> {
  readonly #buffer: T[] = [];
  /** Sequence number of `#buffer[0]`. */
  #base = 0;
  #closed = false;
  readonly #waiters = new Set<() => void>();

  constructor(readonly capacity = 100) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError('capacity must be a positive integer');
  }

  /** Sequence number the next event will get. */
  get head(): number {
    return this.#base + this.#buffer.length;
  }

  publish(event: T): void {
    if (this.#closed) return;
    this.#buffer.push(event);
    if (this.#buffer.length > this.capacity) {
      this.#buffer.shift();
      this.#base++;
    }
    this.#wake();
  }

  /** Ends every subscription (after they drain what they can still read). */
  close(): void {
    this.#closed = true;
    this.#wake();
  }

  /** A new subscriber positioned at "now"; it sees only later events. */
  subscribe(signal?: AbortSignal): AsyncIterableIterator<T | Lagged> {
    let cursor = this.head;
    let finished = false;
    const self = this;
    const done = (): IteratorResult<T | Lagged> => ({ done: true, value: undefined });
    const iterator: AsyncIterableIterator<T | Lagged> = {
      [Symbol.asyncIterator]() {
        return iterator;
      },
      async next(): Promise<IteratorResult<T | Lagged>> {
        for (;;) {
          if (finished || signal?.aborted) return done();
          if (cursor < self.#base) {
            const missed = self.#base - cursor;
            cursor = self.#base;
            return { done: false, value: { type: 'lagged', missed } };
          }
          if (cursor < self.head) {
            const value = self.#buffer[cursor - self.#base] as T;
            cursor++;
            return { done: false, value };
          }
          if (self.#closed) return done();
          await self.#wait(signal);
        }
      },
      async return(): Promise<IteratorResult<T | Lagged>> {
        finished = true;
        self.#wake();
        return done();
      },
    };
    return iterator;
  }

  #wait(signal: AbortSignal | undefined): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        this.#waiters.delete(wake);
        signal?.removeEventListener('abort', wake);
        resolve();
      };
      this.#waiters.add(wake);
      signal?.addEventListener('abort', wake, { once: true });
    });
  }

  #wake(): void {
    for (const w of [...this.#waiters]) w();
  }
}
