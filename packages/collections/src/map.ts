/** `Map` collections: replicated key → value maps with JS `Map` names. */
import type { StandardSchemaV1 } from '@standard-schema/spec';
import { type CollectionCodec, resolveCodec } from './codec.js';
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
import { type MapChange, type MapCommand, MapMachine } from './machines/map.js';

/** Options of `defineCollection.map`. */
export interface MapOptions<K, V> extends CollectionOptions {
  /** Default: canonical CBOR (`codecs.cbor()`). */
  readonly keyCodec?: CollectionCodec<K>;
  readonly valueCodec?: CollectionCodec<V>;
  /** Keys and values from the network that fail these are dropped and counted, never applied. */
  readonly keySchema?: StandardSchemaV1<unknown, K>;
  readonly valueSchema?: StandardSchemaV1<unknown, V>;
}

/** A change of a Map, as `watch` yields it. */
export type MapEvent<K, V> =
  | { readonly kind: 'set'; readonly key: K; readonly value: V; readonly previous?: V }
  | { readonly kind: 'delete'; readonly key: K; readonly previous: V }
  | { readonly kind: 'clear' };

/** The contents of a Map in a `snapshot` event, in encoded-key order. */
export interface MapSnapshot<K, V> {
  readonly entries: readonly (readonly [K, V])[];
}

interface MapCodecs<K, V> {
  readonly key: CollectionCodec<K>;
  readonly value: CollectionCodec<V>;
}

/**
 * A Map replica, read side. Reads are synchronous on the local replica; iteration runs over a
 * frozen view in encoded-key byte order (the same on every node).
 */
export class MapReader<K, V> extends CollectionHandle<
  MapCommand,
  MapChange,
  MapEvent<K, V>,
  MapSnapshot<K, V>
> {
  protected readonly codecs: MapCodecs<K, V>;

  /** @internal */
  constructor(init: HandleInit<MapCommand, MapChange>, codecs: MapCodecs<K, V>) {
    super(init.groups, init.replica, init.writer, init.watchBuffer);
    this.codecs = codecs;
  }

  get #machine(): MapMachine {
    return this.replica.machine as MapMachine;
  }

  /** Entry count. */
  get size(): number {
    return this.#machine.size();
  }

  /** The value of `key` (a fresh copy), or `undefined`. */
  get(key: K): V | undefined {
    const v = this.#machine.get(this.codecs.key.encode(key));
    return v === undefined ? undefined : this.codecs.value.decode(v);
  }

  has(key: K): boolean {
    return this.#machine.get(this.codecs.key.encode(key)) !== undefined;
  }

  *entries(): IterableIterator<[K, V]> {
    for (const [k, v] of this.#machine.view().entries())
      yield [this.codecs.key.decode(bytesOf(k)), this.codecs.value.decode(v)];
  }

  *keys(): IterableIterator<K> {
    for (const k of this.#machine.view().keys()) yield this.codecs.key.decode(bytesOf(k));
  }

  *values(): IterableIterator<V> {
    for (const v of this.#machine.view().values()) yield this.codecs.value.decode(v);
  }

  [Symbol.iterator](): IterableIterator<[K, V]> {
    return this.entries();
  }

  forEach(fn: (value: V, key: K, map: this) => void): void {
    for (const [k, v] of this.entries()) fn(v, k, this);
  }

  /** A plain JS `Map` copy (keys by reference: fine for primitive keys). */
  toMap(): Map<K, V> {
    return new Map(this.entries());
  }

  protected snapshotContents(): MapSnapshot<K, V> {
    return { entries: [...this.entries()] };
  }

  protected decodeChange(c: MapChange): MapEvent<K, V> {
    const { key, value } = this.codecs;
    switch (c.kind) {
      case 'set':
        return c.previous === undefined
          ? { kind: 'set', key: key.decode(c.key), value: value.decode(c.value) }
          : {
              kind: 'set',
              key: key.decode(c.key),
              value: value.decode(c.value),
              previous: value.decode(c.previous),
            };
      case 'delete':
        return { kind: 'delete', key: key.decode(c.key), previous: value.decode(c.previous) };
      case 'clear':
        return { kind: 'clear' };
    }
  }
}

/** A Map replica that also writes. Every write resolves with the committed version once applied here. */
export class MapWriter<K, V> extends MapReader<K, V> {
  /**
   * Sets `key` to `value` (insert or overwrite).
   *
   * @throws {@link CollectionError} with code `offline` (no leader took the write in time; retry),
   *   `encoding` (a key or value the codec or schema refused) or `terminated` (the handle closed).
   */
  set(key: K, value: V): Promise<Version> {
    return this.submit([key, value] as const, () => ({
      t: 1,
      k: this.codecs.key.encode(key),
      v: this.codecs.value.encode(value),
    }));
  }

  /**
   * Atomically: if the current value's encoding equals `expected`'s (`undefined`: the key is
   * absent), set it to `next` (`undefined`: delete). A mismatch is a no-op that still commits;
   * read the value after the returned version to learn whether it took.
   *
   * @throws {@link CollectionError} with code `offline` (no leader took the write in time; retry),
   *   `encoding` (a key or value the codec or schema refused) or `terminated` (the handle closed).
   */
  compareExchange(key: K, expected: V | undefined, next: V | undefined): Promise<Version> {
    const { key: kc, value: vc } = this.codecs;
    return this.submit([key, expected, next] as const, () => ({
      t: 2,
      k: kc.encode(key),
      e: expected === undefined ? null : vc.encode(expected),
      n: next === undefined ? null : vc.encode(next),
    }));
  }

  /**
   * Sets every entry in order (later duplicates win), as one command. Empty: no command.
   *
   * @throws {@link CollectionError} with code `offline` (no leader took the write in time; retry),
   *   `encoding` (a key or value the codec or schema refused) or `terminated` (the handle closed).
   */
  extend(entries: Iterable<readonly [K, V]>): Promise<Version> {
    const list = [...entries];
    return this.submit(list, () =>
      list.length === 0
        ? undefined
        : {
            t: 4,
            es: list.map(([k, v]) => [this.codecs.key.encode(k), this.codecs.value.encode(v)] as const),
          },
    );
  }

  /**
   * Removes `key` (absent: no-op).
   *
   * @throws {@link CollectionError} with code `offline` (no leader took the write in time; retry),
   *   `encoding` (a key or value the codec or schema refused) or `terminated` (the handle closed).
   */
  delete(key: K): Promise<Version> {
    return this.submit(key, () => ({ t: 3, ks: [this.codecs.key.encode(key)] }));
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
      list.length === 0 ? undefined : { t: 3, ks: list.map((k) => this.codecs.key.encode(k)) },
    );
  }

  /**
   * Removes everything.
   *
   * @throws {@link CollectionError} with code `offline` (no leader took the write in time; retry),
   *   `encoding` (a key or value the codec or schema refused) or `terminated` (the handle closed).
   */
  clear(): Promise<Version> {
    return this.submit(undefined, () => ({ t: 0 }));
  }
}

/** `defineCollection.map`. */
export function defineMap<K, V>(
  name: string,
  options: MapOptions<K, V> = {},
): CollectionDef<MapReader<K, V>, MapWriter<K, V>> {
  const codecs: MapCodecs<K, V> = {
    key: resolveCodec(options.keyCodec, 'key'),
    value: resolveCodec(options.valueCodec, 'value'),
  };
  return defineKind({
    kind: 'map',
    name,
    typeNames: [codecs.key.typeName, codecs.value.typeName],
    options,
    machine: (guard) => new MapMachine(guard),
    checks: {
      key: checkOf(codecs.key, options.keySchema),
      value: checkOf(codecs.value, options.valueSchema),
    },
    reader: (init) => new MapReader(init, codecs),
    writer: (init) => new MapWriter(init, codecs),
  });
}
