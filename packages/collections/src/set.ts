/** `Set` collections: replicated sets of unique elements with JS `Set` names. */
import type { StandardSchemaV1 } from '@standard-schema/spec';
import type { CollectionCodec } from './codec.js';
import type { CollectionDef, CollectionOptions, HandleInit } from './define.js';
import type { CollectionError } from './errors.js';
import { CollectionHandle, type Version } from './handle.js';
import { bytesOf } from './machines/keys.js';
import { type SetChange, type SetCommand, SetMachine } from './machines/set.js';
import { defineSingleCodec } from './single.js';

/** Options of `defineCollection.set`. */
export interface SetOptions<T> extends CollectionOptions {
  /** Default: canonical CBOR (`codecs.cbor()`). Elements are identified by their encoding. */
  readonly codec?: CollectionCodec<T>;
  /** Elements from the network that fail it are dropped and counted, never applied. */
  readonly schema?: StandardSchemaV1<unknown, T>;
}

/** A change of a Set, as `watch` yields it. */
export type SetEvent<T> =
  | { readonly kind: 'add'; readonly value: T }
  | { readonly kind: 'delete'; readonly value: T }
  | { readonly kind: 'clear' };

/** The contents of a Set in a `snapshot` event, in encoded order. */
export interface SetSnapshot<T> {
  readonly values: readonly T[];
}

/** A Set replica, read side. Iteration is in encoded byte order, over a frozen view. */
export class SetReader<T> extends CollectionHandle<SetCommand, SetChange, SetEvent<T>, SetSnapshot<T>> {
  protected readonly codec: CollectionCodec<T>;

  /** @internal */
  constructor(init: HandleInit<SetCommand, SetChange>, codec: CollectionCodec<T>) {
    super(init.groups, init.replica, init.writer, init.watchBuffer);
    this.codec = codec;
  }

  get #machine(): SetMachine {
    return this.replica.machine as SetMachine;
  }

  get size(): number {
    return this.#machine.size();
  }

  has(value: T): boolean {
    return this.#machine.has(this.codec.encode(value));
  }

  *values(): IterableIterator<T> {
    for (const k of this.#machine.view().keys()) yield this.codec.decode(bytesOf(k));
  }

  keys(): IterableIterator<T> {
    return this.values();
  }

  [Symbol.iterator](): IterableIterator<T> {
    return this.values();
  }

  /** Whether every element of this set is in `other` (another Set handle or any `has`-able set). */
  isSubsetOf(other: { has(value: T): boolean }): boolean {
    for (const v of this.values()) if (!other.has(v)) return false;
    return true;
  }

  toArray(): T[] {
    return [...this.values()];
  }

  protected snapshotContents(): SetSnapshot<T> {
    return { values: this.toArray() };
  }

  protected decodeChange(c: SetChange): SetEvent<T> {
    return c.kind === 'clear' ? c : { kind: c.kind, value: this.codec.decode(c.value) };
  }
}

/**
 * A Set replica that also writes. Every write rejects with {@link CollectionError} (code
 * `offline`, `encoding` or `terminated`) when it cannot commit.
 */
export class SetWriter<T> extends SetReader<T> {
  /**
   * Adds `value` (already there: no change).
   *
   * @throws {@link CollectionError} with code `offline` (no leader took the write in time; retry),
   *   `encoding` (a key or value the codec or schema refused) or `terminated` (the handle closed).
   */
  add(value: T): Promise<Version> {
    return this.submit(value, () => ({ t: 1, v: this.codec.encode(value) }));
  }

  /**
   * Adds every value, as one command. Empty: no command.
   *
   * @throws {@link CollectionError} with code `offline` (no leader took the write in time; retry),
   *   `encoding` (a key or value the codec or schema refused) or `terminated` (the handle closed).
   */
  extend(values: Iterable<T>): Promise<Version> {
    const list = [...values];
    return this.submit(list, () =>
      list.length === 0 ? undefined : { t: 3, vs: list.map((v) => this.codec.encode(v)) },
    );
  }

  delete(value: T): Promise<Version> {
    return this.submit(value, () => ({ t: 2, vs: [this.codec.encode(value)] }));
  }

  /**
   * Removes every value (absent ones ignored), as one command. Empty: no command.
   *
   * @throws {@link CollectionError} with code `offline` (no leader took the write in time; retry),
   *   `encoding` (a key or value the codec or schema refused) or `terminated` (the handle closed).
   */
  removeMany(values: Iterable<T>): Promise<Version> {
    const list = [...values];
    return this.submit(list, () =>
      list.length === 0 ? undefined : { t: 2, vs: list.map((v) => this.codec.encode(v)) },
    );
  }

  clear(): Promise<Version> {
    return this.submit(undefined, () => ({ t: 0 }));
  }
}

/** `defineCollection.set`. */
export function defineSet<T>(
  name: string,
  options: SetOptions<T> = {},
): CollectionDef<SetReader<T>, SetWriter<T>> {
  return defineSingleCodec(name, options, {
    kind: 'set',
    role: 'element',
    slot: 'key',
    machine: (guard) => new SetMachine(guard),
    reader: (init, codec) => new SetReader(init, codec),
    writer: (init, codec) => new SetWriter(init, codec),
  });
}
