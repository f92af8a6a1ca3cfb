/** `Cell` (one replaceable value) and `Once` (the first write wins) collections. */
import type { StandardSchemaV1 } from '@standard-schema/spec';
import type { CollectionCodec } from './codec.js';
import type { CollectionDef, CollectionOptions, HandleInit } from './define.js';
import type { CollectionError } from './errors.js';
import { CollectionHandle, type Version, type WaitOptions } from './handle.js';
import {
  type CellChange,
  type CellCommand,
  CellMachine,
  type OnceCommand,
  OnceMachine,
} from './machines/cell.js';
import { defineSingleCodec } from './single.js';

/** Options of `defineCollection.cell` and `defineCollection.once`. */
export interface CellOptions<T> extends CollectionOptions {
  /** Default: canonical CBOR (`codecs.cbor()`). */
  readonly codec?: CollectionCodec<T>;
  /** Values from the network that fail it are dropped and counted, never applied. */
  readonly schema?: StandardSchemaV1<unknown, T>;
}

/** A change of a Cell or Once, as `watch` yields it. */
export type CellEvent<T> =
  | { readonly kind: 'set'; readonly value: T; readonly previous?: T }
  | { readonly kind: 'clear'; readonly previous: T };

/** The contents of a Cell or Once in a `snapshot` event (`value` absent when empty). */
export interface CellSnapshot<T> {
  readonly value?: T;
}

abstract class SingleReader<C, T> extends CollectionHandle<C, CellChange, CellEvent<T>, CellSnapshot<T>> {
  protected readonly codec: CollectionCodec<T>;

  /** @internal */
  constructor(init: HandleInit<C, CellChange>, codec: CollectionCodec<T>) {
    super(init.groups, init.replica, init.writer, init.watchBuffer);
    this.codec = codec;
  }

  get #bytes(): Uint8Array | undefined {
    return (this.replica.machine as unknown as { get(): Uint8Array | undefined }).get();
  }

  /** The value (a fresh copy), or `undefined` when empty. */
  get(): T | undefined {
    const b = this.#bytes;
    return b === undefined ? undefined : this.codec.decode(b);
  }

  /** Whether there is no value. */
  isEmpty(): boolean {
    return this.#bytes === undefined;
  }

  protected snapshotContents(): CellSnapshot<T> {
    const b = this.#bytes;
    return b === undefined ? {} : { value: this.codec.decode(b) };
  }

  protected decodeChange(c: CellChange): CellEvent<T> {
    const d = (b: Uint8Array) => this.codec.decode(b);
    if (c.kind === 'clear') return { kind: 'clear', previous: d(c.previous) };
    return c.previous === undefined
      ? { kind: 'set', value: d(c.value) }
      : { kind: 'set', value: d(c.value), previous: d(c.previous) };
  }
}

/** A Cell replica, read side. */
export class CellReader<T> extends SingleReader<CellCommand, T> {}

/** A Cell replica that also writes. */
export class CellWriter<T> extends CellReader<T> {
  /**
   * Replaces the value.
   *
   * @throws {@link CollectionError} with code `offline` (no leader took the write in time; retry),
   *   `encoding` (a key or value the codec or schema refused) or `terminated` (the handle closed).
   */
  set(value: T): Promise<Version> {
    return this.submit(value, () => ({ t: 0, v: this.codec.encode(value) }));
  }

  /**
   * Atomically: if the current value's encoding equals `current`'s (`undefined` = empty), the
   * cell becomes `next` (`undefined` = cleared); otherwise nothing.
   *
   * @throws {@link CollectionError} with code `offline` (no leader took the write in time; retry),
   *   `encoding` (a key or value the codec or schema refused) or `terminated` (the handle closed).
   */
  compareExchange(current: T | undefined, next: T | undefined): Promise<Version> {
    return this.submit([current, next] as const, () => ({
      t: 1,
      c: current === undefined ? null : this.codec.encode(current),
      n: next === undefined ? null : this.codec.encode(next),
    }));
  }

  /**
   * Empties the cell.
   *
   * @throws {@link CollectionError} with code `offline` (no leader took the write in time; retry),
   *   `encoding` (a key or value the codec or schema refused) or `terminated` (the handle closed).
   */
  clear(): Promise<Version> {
    return this.submit(undefined, () => ({ t: 2 }));
  }
}

/** A Once replica, read side. */
export class OnceReader<T> extends SingleReader<OnceCommand, T> {
  /**
   * The value as soon as this replica is online and has one: at once if it has. Never misses a
   * write that lands while it waits.
   */
  async waitForValue(options?: WaitOptions): Promise<T> {
    await this.when.online(options);
    for (;;) {
      const next = this.when.updated(options); // subscribed before the check: no lost wake-up
      next.catch(() => {});
      const v = this.get();
      if (v !== undefined) return v;
      await next;
    }
  }
}

/** A Once replica that also writes. */
export class OnceWriter<T> extends OnceReader<T> {
  /**
   * Sets the value if none was committed before (first write in log order wins; later ones are no-ops).
   *
   * @throws {@link CollectionError} with code `offline` (no leader took the write in time; retry),
   *   `encoding` (a key or value the codec or schema refused) or `terminated` (the handle closed).
   */
  set(value: T): Promise<Version> {
    return this.submit(value, () => ({ t: 0, v: this.codec.encode(value) }));
  }
}

/** `defineCollection.cell`. */
export function defineCell<T>(
  name: string,
  options: CellOptions<T> = {},
): CollectionDef<CellReader<T>, CellWriter<T>> {
  return defineSingleCodec(name, options, {
    kind: 'cell',
    role: 'value',
    slot: 'value',
    machine: (guard) => new CellMachine(guard),
    reader: (init, codec) => new CellReader(init, codec),
    writer: (init, codec) => new CellWriter(init, codec),
  });
}

/** `defineCollection.once`. */
export function defineOnce<T>(
  name: string,
  options: CellOptions<T> = {},
): CollectionDef<OnceReader<T>, OnceWriter<T>> {
  return defineSingleCodec(name, options, {
    kind: 'once',
    role: 'value',
    slot: 'value',
    machine: (guard) => new OnceMachine(guard),
    reader: (init, codec) => new OnceReader(init, codec),
    writer: (init, codec) => new OnceWriter(init, codec),
  });
}
