/** `Vec` collections: replicated index-addressable sequences with JS array names where they fit. */
import type { StandardSchemaV1 } from '@standard-schema/spec';
import type { CollectionCodec } from './codec.js';
import type { CollectionDef, CollectionOptions, HandleInit } from './define.js';
import type { CollectionError } from './errors.js';
import { CollectionHandle, type Version } from './handle.js';
import { sameBytes } from './machines/keys.js';
import { type VecChange, type VecCommand, VecMachine } from './machines/vec.js';
import { defineSingleCodec } from './single.js';

/** Options of `defineCollection.vec`. */
export interface VecOptions<T> extends CollectionOptions {
  /** Default: canonical CBOR (`codecs.cbor()`). */
  readonly codec?: CollectionCodec<T>;
  /** Elements from the network that fail it are dropped and counted, never applied. */
  readonly schema?: StandardSchemaV1<unknown, T>;
}

/** A change of a Vec, as `watch` yields it (`replace` comes from `swap`, one per index). */
export type VecEvent<T> =
  | { readonly kind: 'insert'; readonly index: number; readonly value: T }
  | { readonly kind: 'remove'; readonly index: number; readonly previous: T }
  | { readonly kind: 'replace'; readonly index: number; readonly value: T; readonly previous: T }
  | { readonly kind: 'truncate'; readonly length: number }
  | { readonly kind: 'clear' };

/** The contents of a Vec in a `snapshot` event. */
export interface VecSnapshot<T> {
  readonly values: readonly T[];
}

/** A Vec replica, read side. Reads are synchronous on the local replica. */
export class VecReader<T> extends CollectionHandle<VecCommand, VecChange, VecEvent<T>, VecSnapshot<T>> {
  protected readonly codec: CollectionCodec<T>;

  /** @internal */
  constructor(init: HandleInit<VecCommand, VecChange>, codec: CollectionCodec<T>) {
    super(init.groups, init.replica, init.writer, init.watchBuffer);
    this.codec = codec;
  }

  get #machine(): VecMachine {
    return this.replica.machine as VecMachine;
  }

  /** Element count. */
  get length(): number {
    return this.#machine.size();
  }

  /** The element at `index` (a fresh copy), or `undefined` out of range. */
  get(index: number): T | undefined {
    const b = this.#machine.at(index);
    return b === undefined ? undefined : this.codec.decode(b);
  }

  /** Like `get`, but a negative index counts from the end (`at(-1)` is the last). */
  at(index: number): T | undefined {
    return this.get(index < 0 ? this.length + index : index);
  }

  /** The first element. */
  front(): T | undefined {
    return this.get(0);
  }

  /** The last element. */
  back(): T | undefined {
    return this.get(this.length - 1);
  }

  /** The first index whose element encodes to the same bytes as `value`, or -1. */
  indexOf(value: T): number {
    const b = this.codec.encode(value);
    const items = this.#machine.view();
    for (let i = 0; i < items.length; i++) if (sameBytes(items[i], b)) return i;
    return -1;
  }

  /** Whether some element encodes to the same bytes as `value`. */
  includes(value: T): boolean {
    return this.indexOf(value) >= 0;
  }

  /** Front to back, over a copy taken now. */
  *values(): IterableIterator<T> {
    for (const b of this.#machine.view()) yield this.codec.decode(b);
  }

  [Symbol.iterator](): IterableIterator<T> {
    return this.values();
  }

  toArray(): T[] {
    return [...this.values()];
  }

  protected snapshotContents(): VecSnapshot<T> {
    return { values: this.toArray() };
  }

  protected decodeChange(c: VecChange): VecEvent<T> {
    const d = (b: Uint8Array) => this.codec.decode(b);
    switch (c.kind) {
      case 'insert':
        return { kind: 'insert', index: c.index, value: d(c.value) };
      case 'remove':
        return { kind: 'remove', index: c.index, previous: d(c.previous) };
      case 'replace':
        return { kind: 'replace', index: c.index, value: d(c.value), previous: d(c.previous) };
      case 'truncate':
        return { kind: 'truncate', length: c.length };
      case 'clear':
        return { kind: 'clear' };
    }
  }
}

function checkIndex(i: number, what: string): number {
  if (!Number.isSafeInteger(i) || i < 0)
    throw new RangeError(`${what} must be a non-negative integer, got ${i}`);
  return i;
}

/**
 * A Vec replica that also writes. Out-of-range `insert`, `remove` and `swap`, and `pop*` on an
 * empty Vec, are no-ops that still commit a version. Every write rejects with
 * {@link CollectionError} (code `offline`, `encoding` or `terminated`) when it cannot commit.
 */
export class VecWriter<T> extends VecReader<T> {
  pushBack(value: T): Promise<Version> {
    return this.submit(value, () => ({ t: 3, v: this.codec.encode(value) }));
  }

  pushFront(value: T): Promise<Version> {
    return this.submit(value, () => ({ t: 4, v: this.codec.encode(value) }));
  }

  /**
   * Inserts at `index` (shifting later elements); `index === length` appends; past the end: no-op.
   *
   * @throws {@link CollectionError} with code `offline` (no leader took the write in time; retry),
   *   `encoding` (a key or value the codec or schema refused) or `terminated` (the handle closed).
   */
  insert(index: number, value: T): Promise<Version> {
    return this.submit(value, () => ({ t: 2, i: checkIndex(index, 'index'), v: this.codec.encode(value) }));
  }

  /**
   * Appends all, as one command. Empty: no command.
   *
   * @throws {@link CollectionError} with code `offline` (no leader took the write in time; retry),
   *   `encoding` (a key or value the codec or schema refused) or `terminated` (the handle closed).
   */
  extend(values: Iterable<T>): Promise<Version> {
    const list = [...values];
    return this.submit(list, () =>
      list.length === 0 ? undefined : { t: 9, vs: list.map((v) => this.codec.encode(v)) },
    );
  }

  popBack(): Promise<Version> {
    return this.submit(undefined, () => ({ t: 5 }));
  }

  popFront(): Promise<Version> {
    return this.submit(undefined, () => ({ t: 6 }));
  }

  /**
   * Removes the element at `index`, shifting later ones.
   *
   * @throws {@link CollectionError} with code `offline` (no leader took the write in time; retry),
   *   `encoding` (a key or value the codec or schema refused) or `terminated` (the handle closed).
   */
  remove(index: number): Promise<Version> {
    return this.submit(index, () => ({ t: 7, i: checkIndex(index, 'index') }));
  }

  swap(i: number, j: number): Promise<Version> {
    return this.submit([i, j] as const, () => ({ t: 1, i: checkIndex(i, 'i'), j: checkIndex(j, 'j') }));
  }

  /**
   * Keeps the first `length` elements.
   *
   * @throws {@link CollectionError} with code `offline` (no leader took the write in time; retry),
   *   `encoding` (a key or value the codec or schema refused) or `terminated` (the handle closed).
   */
  truncate(length: number): Promise<Version> {
    return this.submit(length, () => ({ t: 8, n: checkIndex(length, 'length') }));
  }

  clear(): Promise<Version> {
    return this.submit(undefined, () => ({ t: 0 }));
  }
}

/** `defineCollection.vec`. */
export function defineVec<T>(
  name: string,
  options: VecOptions<T> = {},
): CollectionDef<VecReader<T>, VecWriter<T>> {
  return defineSingleCodec(name, options, {
    kind: 'vec',
    role: 'element',
    slot: 'value',
    machine: (guard) => new VecMachine(guard),
    reader: (init, codec) => new VecReader(init, codec),
    writer: (init, codec) => new VecWriter(init, codec),
  });
}
