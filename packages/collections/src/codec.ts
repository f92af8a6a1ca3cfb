/**
 * Codecs of collection keys, values and priorities. The bytes a codec produces are the
 * collection's identity of a value: keys are compared, ordered and deduplicated by them, and
 * compare-and-exchange compares them. A codec must therefore be canonical (equal values, equal
 * bytes) and carry a stable `typeName`, which is part of the group id so that collections of
 * different types never meet.
 */
import { type Codec, canonicalCodec, compareBytes, InvalidArgumentError, jsonCodec, utf8 } from '@mosaik/id';

/** A canonical codec with a stable type name (part of the collection's group id). */
export interface CollectionCodec<T> extends Codec<T> {
  /** Stable name of the encoded type, e.g. `'cbor'`, `'json'`, `'my-app/Order@1'`. */
  readonly typeName: string;
}

/** Ready-made collection codecs. */
export const codecs = {
  /** Canonical CBOR (the default): numbers, bigints, strings, bytes, arrays, plain objects, Maps. */
  cbor<T>(typeName = 'cbor'): CollectionCodec<T> {
    return { ...canonicalCodec<T>(), typeName };
  },
  /** UTF-8 JSON. Canonical only if your values serialize with a fixed property order. */
  json<T>(typeName = 'json'): CollectionCodec<T> {
    return { ...jsonCodec<T>(), typeName };
  },
  /** Any codec, named. */
  named<T>(codec: Codec<T>, typeName: string): CollectionCodec<T> {
    return { encode: (v) => codec.encode(v), decode: (b) => codec.decode(b), typeName };
  },
} as const;

/** Checks a user-supplied codec, or gives the default. */
export function resolveCodec<T>(codec: CollectionCodec<T> | undefined, what: string): CollectionCodec<T> {
  if (codec === undefined) return codecs.cbor<T>();
  if (typeof codec.typeName !== 'string' || codec.typeName === '')
    throw new InvalidArgumentError(
      `the ${what} codec needs a stable typeName (it is part of the group id); wrap it with codecs.named(codec, name)`,
    );
  return codec;
}

/**
 * The default order of priorities: numbers and bigints numerically (mixed freely), strings by
 * their UTF-8 bytes (as the original orders them, unlike JS `<` on UTF-16), booleans false
 * first; anything else, and values of different kinds, by their canonical CBOR bytes.
 */
export function defaultCompare(a: unknown, b: unknown): number {
  const numeric = (x: unknown) => typeof x === 'number' || typeof x === 'bigint';
  if (numeric(a) && numeric(b)) {
    const x = a as number | bigint;
    const y = b as number | bigint;
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (typeof a === 'string' && typeof b === 'string') return compareBytes(utf8(a), utf8(b));
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  const cbor = canonicalCodec<unknown>();
  return compareBytes(cbor.encode(a), cbor.encode(b));
}
