/**
 * `PriorityQueue` collections: replicated double-ended priority queues of `(priority, key,
 * value)` entries with unique keys, optionally bounded (the lowest priorities are evicted).
 */
import { InvalidArgumentError } from '@mosaik/id';
import type { StandardSchemaV1 } from '@standard-schema/spec';
import { type CollectionCodec, defaultCompare, resolveCodec } from './codec.js';
import {
  type CollectionDef,
  type CollectionOptions,
  checkOf,
  defineKind,
  type HandleInit,
} from './define.js';
import type { CollectionError } from './errors.js';
import { CollectionHandle, type Version } from './handle.js';
import { bytesOf } from './machines/keys.js';
import { type PqChange, type PqCommand, PqMachine, type PqSlot } from './machines/pq.js';

/** Options of `defineCollection.priorityQueue`. */
export interface PriorityQueueOptions<P, K, V> extends CollectionOptions {
  /** At most this many entries; inserting a new key beyond it evicts the lowest entry (maybe the new one). Part of the group id. */
  readonly capacity?: number;
  /** Default: canonical CBOR (`codecs.cbor()`). */
  readonly priorityCodec?: CollectionCodec<P>;
  readonly keyCodec?: CollectionCodec<K>;
  readonly valueCodec?: CollectionCodec<V>;
  /** Total order of priorities; must be the same on every member. Default {@link defaultCompare}. */
  readonly compare?: (a: P, b: P) => number;
  readonly prioritySchema?: StandardSchemaV1<unknown, P>;
  readonly keySchema?: StandardSchemaV1<unknown, K>;
  readonly valueSchema?: StandardSchemaV1<unknown, V>;
}

/** One end of a priority range. */
export interface RangeBound<P> {
  readonly value: P;
  readonly inclusive: boolean;
}

/** A range of priorities; a missing end is unbounded. */
export interface PriorityRange<P> {
  readonly from?: RangeBound<P>;
  readonly to?: RangeBound<P>;
}

/** Builders of {@link PriorityRange}s (Rust's `..c`, `..=c`, `c..`, `a..b`, `a..=b`, `..`). */
export const range = {
  below: <P>(c: P): PriorityRange<P> => ({ to: { value: c, inclusive: false } }),
  atMost: <P>(c: P): PriorityRange<P> => ({ to: { value: c, inclusive: true } }),
  atLeast: <P>(c: P): PriorityRange<P> => ({ from: { value: c, inclusive: true } }),
  above: <P>(c: P): PriorityRange<P> => ({ from: { value: c, inclusive: false } }),
  between: <P>(a: P, b: P): PriorityRange<P> => ({
    from: { value: a, inclusive: true },
    to: { value: b, inclusive: false },
  }),
  betweenInclusive: <P>(a: P, b: P): PriorityRange<P> => ({
    from: { value: a, inclusive: true },
    to: { value: b, inclusive: true },
  }),
  all: <P>(): PriorityRange<P> => ({}),
} as const;

/** An entry: `[priority, key, value]`. */
export type PqEntry<P, K, V> = readonly [P, K, V];

/** A change of a PriorityQueue, as `watch` yields it. */
export type PriorityQueueEvent<P, K, V> =
  | {
      readonly kind: 'set';
      readonly key: K;
      readonly priority: P;
      readonly value: V;
      readonly previous?: { readonly priority: P; readonly value: V };
    }
  | {
      readonly kind: 'delete';
      readonly key: K;
      readonly previous: { readonly priority: P; readonly value: V };
      /** Removed to keep the queue within its capacity. */
      readonly evicted: boolean;
    }
  | { readonly kind: 'clear' };

/** The contents of a PriorityQueue in a `snapshot` event, ascending. */
export interface PriorityQueueSnapshot<P, K, V> {
  readonly entries: readonly PqEntry<P, K, V>[];
}

interface PqCodecs<P, K, V> {
  readonly priority: CollectionCodec<P>;
  readonly key: CollectionCodec<K>;
  readonly value: CollectionCodec<V>;
}

/**
 * A PriorityQueue replica, read side. Entries of equal priority are ordered by their key's
 * encoding: `getMin`, `getMax` and eviction pick the same entry on every node.
 */
export class PriorityQueueReader<P, K, V> extends CollectionHandle<
  PqCommand,
  PqChange,
  PriorityQueueEvent<P, K, V>,
  PriorityQueueSnapshot<P, K, V>
> {
  protected readonly codecs: PqCodecs<P, K, V>;

  /** @internal */
  constructor(init: HandleInit<PqCommand, PqChange>, codecs: PqCodecs<P, K, V>) {
    super(init.groups, init.replica, init.writer, init.watchBuffer);
    this.codecs = codecs;
  }

  get #machine(): PqMachine {
    return this.replica.machine as PqMachine;
  }

  #entry(slot: PqSlot, value: Uint8Array): PqEntry<P, K, V> {
    return [
      this.codecs.priority.decode(bytesOf(slot.pb)),
      this.codecs.key.decode(bytesOf(slot.kb)),
      this.codecs.value.decode(value),
    ];
  }

  get size(): number {
    return this.#machine.size();
  }

  /** The bound on entries (`Infinity` when unbounded). */
  get capacity(): number {
    return this.#machine.capacity;
  }

  has(key: K): boolean {
    return this.#machine.entry(this.codecs.key.encode(key)) !== undefined;
  }

  /** The value of `key`. */
  get(key: K): V | undefined {
    const e = this.#machine.entry(this.codecs.key.encode(key));
    return e === undefined ? undefined : this.codecs.value.decode(e.value);
  }

  /** The priority of `key`. */
  getPriority(key: K): P | undefined {
    const e = this.#machine.entry(this.codecs.key.encode(key));
    return e === undefined ? undefined : this.codecs.priority.decode(bytesOf(e.slot.pb));
  }

  /** The lowest-priority entry (first by key encoding among equals). */
  getMin(): PqEntry<P, K, V> | undefined {
    for (const [slot, v] of this.#machine.view().entries()) return this.#entry(slot, v);
    return undefined;
  }

  /** The highest-priority entry (first by key encoding among equals). */
  getMax(): PqEntry<P, K, V> | undefined {
    const view = this.#machine.view();
    const top = view.maxKey();
    if (top === undefined) return undefined;
    for (const [slot, v] of view.entries({ p: top.p, pb: top.pb, kb: '' })) return this.#entry(slot, v);
    return undefined;
  }

  minPriority(): P | undefined {
    return this.getMin()?.[0];
  }

  maxPriority(): P | undefined {
    return this.getMax()?.[0];
  }

  /** Ascending by priority (then key encoding), over a frozen view. */
  *entries(): IterableIterator<PqEntry<P, K, V>> {
    for (const [slot, v] of this.#machine.view().entries()) yield this.#entry(slot, v);
  }

  [Symbol.iterator](): IterableIterator<PqEntry<P, K, V>> {
    return this.entries();
  }

  /** Descending by priority; entries of one priority keep their ascending key order. */
  entriesDesc(): PqEntry<P, K, V>[] {
    const buckets: [string, PqEntry<P, K, V>[]][] = [];
    for (const [slot, v] of this.#machine.view().entries()) {
      const last = buckets[buckets.length - 1];
      if (last !== undefined && last[0] === slot.pb) last[1].push(this.#entry(slot, v));
      else buckets.push([slot.pb, [this.#entry(slot, v)]]);
    }
    return buckets.reverse().flatMap(([, es]) => es);
  }

  protected snapshotContents(): PriorityQueueSnapshot<P, K, V> {
    return { entries: [...this.entries()] };
  }

  protected decodeChange(c: PqChange): PriorityQueueEvent<P, K, V> {
    const { priority, key, value } = this.codecs;
    const prev = (p: { priority: Uint8Array; value: Uint8Array }) => ({
      priority: priority.decode(p.priority),
      value: value.decode(p.value),
    });
    switch (c.kind) {
      case 'set': {
        const base = {
          kind: 'set',
          key: key.decode(c.key),
          priority: priority.decode(c.priority),
          value: value.decode(c.value),
        } as const;
        return c.previous === undefined ? base : { ...base, previous: prev(c.previous) };
      }
      case 'delete':
        return { kind: 'delete', key: key.decode(c.key), previous: prev(c.previous), evicted: c.evicted };
      case 'clear':
        return { kind: 'clear' };
    }
  }
}

/**
 * A PriorityQueue replica that also writes. Every write rejects with {@link CollectionError}
 * (code `offline`, `encoding` or `terminated`) when it cannot commit.
 */
export class PriorityQueueWriter<P, K, V> extends PriorityQueueReader<P, K, V> {
  /**
   * Upserts: sets both priority and value of `key`. A new key may evict the lowest entry of a full queue.
   *
   * @throws {@link CollectionError} with code `offline` (no leader took the write in time; retry),
   *   `encoding` (a key or value the codec or schema refused) or `terminated` (the handle closed).
   */
  insert(priority: P, key: K, value: V): Promise<Version> {
    const c = this.codecs;
    return this.submit([priority, key, value] as const, () => ({
      t: 1,
      p: c.priority.encode(priority),
      k: c.key.encode(key),
      v: c.value.encode(value),
    }));
  }

  /**
   * Upserts every entry in order (eviction after each), as one command. Empty: no command.
   *
   * @throws {@link CollectionError} with code `offline` (no leader took the write in time; retry),
   *   `encoding` (a key or value the codec or schema refused) or `terminated` (the handle closed).
   */
  extend(entries: Iterable<PqEntry<P, K, V>>): Promise<Version> {
    const list = [...entries];
    const c = this.codecs;
    return this.submit(list, () =>
      list.length === 0
        ? undefined
        : {
            t: 2,
            es: list.map(([p, k, v]) => [c.priority.encode(p), c.key.encode(k), c.value.encode(v)] as const),
          },
    );
  }

  /**
   * Moves `key` to `priority`, keeping its value (unknown key: no-op). Never evicts.
   *
   * @throws {@link CollectionError} with code `offline` (no leader took the write in time; retry),
   *   `encoding` (a key or value the codec or schema refused) or `terminated` (the handle closed).
   */
  updatePriority(key: K, priority: P): Promise<Version> {
    return this.submit(key, () => ({
      t: 3,
      k: this.codecs.key.encode(key),
      p: this.codecs.priority.encode(priority),
    }));
  }

  /**
   * Replaces the value of `key`, keeping its priority (unknown key: no-op).
   *
   * @throws {@link CollectionError} with code `offline` (no leader took the write in time; retry),
   *   `encoding` (a key or value the codec or schema refused) or `terminated` (the handle closed).
   */
  updateValue(key: K, value: V): Promise<Version> {
    return this.submit(key, () => ({
      t: 4,
      k: this.codecs.key.encode(key),
      v: this.codecs.value.encode(value),
    }));
  }

  /**
   * If `key` exists and its value's encoding equals `expected`'s: `next` replaces it (priority
   * kept), or `undefined` removes the entry. Otherwise nothing.
   *
   * @throws {@link CollectionError} with code `offline` (no leader took the write in time; retry),
   *   `encoding` (a key or value the codec or schema refused) or `terminated` (the handle closed).
   */
  compareExchangeValue(key: K, expected: V, next: V | undefined): Promise<Version> {
    const c = this.codecs;
    return this.submit(key, () => ({
      t: 5,
      k: c.key.encode(key),
      e: c.value.encode(expected),
      n: next === undefined ? null : c.value.encode(next),
    }));
  }

  delete(key: K): Promise<Version> {
    return this.submit(key, () => ({ t: 6, ks: [this.codecs.key.encode(key)] }));
  }

  /**
   * Removes every key (absent ones ignored), as one command. Empty: no command.
   *
   * @throws {@link CollectionError} with code `offline` (no leader took the write in time; retry),
   *   `encoding` (a key or value the codec or schema refused) or `terminated` (the handle closed).
   */
  removeMany(keys: Iterable<K>): Promise<Version> {
    const list = [...keys];
    return this.submit(list, () =>
      list.length === 0 ? undefined : { t: 6, ks: list.map((k) => this.codecs.key.encode(k)) },
    );
  }

  /**
   * Removes every entry whose priority lies in `r` (see {@link range}).
   *
   * @throws {@link CollectionError} with code `offline` (no leader took the write in time; retry),
   *   `encoding` (a key or value the codec or schema refused) or `terminated` (the handle closed).
   */
  removeRange(r: PriorityRange<P>): Promise<Version> {
    const enc = (b: RangeBound<P> | undefined) =>
      b === undefined ? null : ([this.codecs.priority.encode(b.value), b.inclusive === true] as const);
    return this.submit(undefined, () => ({ t: 7, lo: enc(r.from), hi: enc(r.to) }));
  }

  clear(): Promise<Version> {
    return this.submit(undefined, () => ({ t: 0 }));
  }
}

/** `defineCollection.priorityQueue`. */
export function definePriorityQueue<P, K, V>(
  name: string,
  options: PriorityQueueOptions<P, K, V> = {},
): CollectionDef<PriorityQueueReader<P, K, V>, PriorityQueueWriter<P, K, V>> {
  const capacity = options.capacity ?? Number.POSITIVE_INFINITY;
  if (!(capacity === Number.POSITIVE_INFINITY || (Number.isSafeInteger(capacity) && capacity > 0)))
    throw new InvalidArgumentError(`capacity must be a positive integer, got ${capacity}`);
  const codecs: PqCodecs<P, K, V> = {
    priority: resolveCodec(options.priorityCodec, 'priority'),
    key: resolveCodec(options.keyCodec, 'key'),
    value: resolveCodec(options.valueCodec, 'value'),
  };
  const compare = (options.compare ?? defaultCompare) as (a: unknown, b: unknown) => number;
  return defineKind({
    kind: 'pq',
    name,
    typeNames: [codecs.priority.typeName, codecs.key.typeName, codecs.value.typeName],
    config: { capacity: capacity === Number.POSITIVE_INFINITY ? null : capacity },
    options,
    machine: (guard) => new PqMachine({ decode: (b) => codecs.priority.decode(b), compare }, capacity, guard),
    checks: {
      priority: checkOf(codecs.priority, options.prioritySchema),
      key: checkOf(codecs.key, options.keySchema),
      value: checkOf(codecs.value, options.valueSchema),
    },
    reader: (init) => new PriorityQueueReader(init, codecs),
    writer: (init) => new PriorityQueueWriter(init, codecs),
  });
}
