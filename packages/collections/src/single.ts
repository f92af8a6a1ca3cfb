/**
 * The definition of a kind whose handles take one codec (Cell, Once, Set, Vec): the codec is
 * resolved once, checked on one slot (`key` for Set elements, `value` otherwise) and handed to
 * both the reader and the writer. Kept apart so each kind states only what differs.
 */
import type { StandardSchemaV1 } from '@standard-schema/spec';
import { type CollectionCodec, resolveCodec } from './codec.js';
import {
  type CollectionDef,
  type CollectionOptions,
  checkOf,
  defineKind,
  type HandleInit,
} from './define.js';
import type { ByteMachine, CollectionKind, Guard } from './machines/common.js';

/** What a one-codec kind varies on. */
export interface SingleCodecKind<C, Ch, T, R, W> {
  readonly kind: CollectionKind;
  /** How the codec's type is named in errors (`value`, `element`). */
  readonly role: string;
  /** Which slot of the guard checks the encoded bytes. */
  readonly slot: 'key' | 'value';
  readonly machine: (guard: Guard) => ByteMachine<C, Ch>;
  readonly reader: (init: HandleInit<C, Ch>, codec: CollectionCodec<T>) => R;
  readonly writer: (init: HandleInit<C, Ch>, codec: CollectionCodec<T>) => W;
}

/** Options every one-codec kind accepts. */
interface SingleCodecOptions<T> extends CollectionOptions {
  readonly codec?: CollectionCodec<T>;
  readonly schema?: StandardSchemaV1<unknown, T>;
}

/** Builds the definition of a one-codec kind. */
export function defineSingleCodec<
  C,
  Ch,
  T,
  R extends { close(): Promise<void> },
  W extends { close(): Promise<void> },
>(name: string, options: SingleCodecOptions<T>, spec: SingleCodecKind<C, Ch, T, R, W>): CollectionDef<R, W> {
  const codec = resolveCodec(options.codec, spec.role);
  return defineKind({
    kind: spec.kind,
    name,
    typeNames: [codec.typeName],
    options,
    machine: spec.machine,
    checks: { [spec.slot]: checkOf(codec, options.schema) },
    reader: (init) => spec.reader(init, codec),
    writer: (init) => spec.writer(init, codec),
  });
}
