/**
 * Codecs for user data and wire messages. The default is CBOR on cbor-x, configured for plain
 * RFC 8949 CBOR (no record/structure extensions), with `bigint`, `Uint8Array` and `Map` round
 * trips. Decoding never throws anything but a {@link DecodeError}.
 */
import type { StandardSchemaV1 } from '@standard-schema/spec';
import { Encoder } from 'cbor-x';
import { encodeCanonical } from './canonical.js';
import { checkCbor } from './cbor-check.js';
import { DecodeError, EncodeError, MosaikError } from './errors.js';

/** Turns values of `T` into bytes and back. `decode` throws {@link DecodeError} on bad input. */
export interface Codec<T> {
  /** The bytes of `value`. Throws {@link EncodeError} for a value the codec cannot represent. */
  encode(value: T): Uint8Array;
  /** The value in `bytes`. Throws {@link DecodeError} (only) for malformed or invalid input. */
  decode(bytes: Uint8Array): T;
}

/** Options of {@link cborCodec}. */
export interface CborCodecOptions {
  /** Deepest nesting accepted on decode (default 256). */
  readonly maxDepth?: number;
}

// One shared encoder: plain CBOR, JS objects as untagged maps, Maps as tag 259, Uint8Array as
// untagged byte strings, bigint as 64-bit integers or bignums; decoded byte strings are copies
// (never views into the caller's buffer) and, because we decode from a plain Uint8Array view,
// they are `Uint8Array`s, not Buffers.
const cbor = new Encoder({
  useRecords: false,
  mapsAsObjects: true,
  tagUint8Array: false,
  copyBuffers: true,
  variableMapSize: true,
  pack: false,
  bundleStrings: false,
  structuredClone: false,
});

function plainView(bytes: Uint8Array): Uint8Array {
  // Buffers would make cbor-x hand out Buffer slices; a plain view makes them Uint8Arrays.
  return Object.getPrototypeOf(bytes) === Uint8Array.prototype
    ? bytes
    : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * cbor-x writes every result into one shared scratch buffer (8 KiB, and as large as the largest
 * value ever encoded) and hands out a view of it. A small result kept for long (a Raft log entry,
 * a cached message) would pin that whole buffer: thousands of kept 10-byte commands held tens of
 * MiB. A result that uses less than half of its buffer is therefore copied out; a larger one
 * stays a view, wasting at most as much as it uses.
 */
function ownBytes(out: Uint8Array): Uint8Array {
  return out.byteLength * 2 < out.buffer.byteLength ? out.slice() : out;
}

/** Plain CBOR bytes of `value` (cbor-x). Throws {@link EncodeError}. */
export function encodeCbor(value: unknown): Uint8Array {
  let out: Uint8Array;
  try {
    out = ownBytes(plainView(cbor.encode(value)));
  } catch (cause) {
    throw new EncodeError(`cannot encode value as CBOR: ${(cause as Error)?.message ?? cause}`, { cause });
  }
  const failure = checkCbor(out);
  if (failure !== undefined) {
    throw new EncodeError(
      `value has no plain CBOR form (${failure}); use plain objects, arrays, Map, Uint8Array`,
    );
  }
  return out;
}

/** The value in plain CBOR `bytes`. Throws {@link DecodeError} (only). */
export function decodeCbor(bytes: Uint8Array, options: CborCodecOptions = {}): unknown {
  if (!(bytes instanceof Uint8Array)) throw new DecodeError('CBOR input must be a Uint8Array');
  const failure = checkCbor(bytes, options.maxDepth ?? 256);
  if (failure !== undefined) throw new DecodeError(`malformed CBOR: ${failure}`);
  try {
    // A fresh view every time: cbor-x caches a DataView as a property of the array it decodes,
    // which would stay on the caller's bytes (a kept Raft entry, a cached frame) for their life.
    return cbor.decode(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (cause) {
    throw new DecodeError(`malformed CBOR: ${(cause as Error)?.message ?? cause}`, { cause });
  }
}

/**
 * The default codec: plain CBOR via cbor-x. Round-trips `undefined`, `null`, booleans, numbers,
 * `bigint`, strings, `Uint8Array`, arrays, plain objects, `Map`, `Set` and `Date`. The type
 * parameter is not checked on decode; wrap with {@link withSchema} to validate.
 */
export function cborCodec<T>(options: CborCodecOptions = {}): Codec<T> {
  return {
    encode: (value) => encodeCbor(value),
    decode: (bytes) => decodeCbor(bytes, options) as T,
  };
}

/**
 * Like {@link cborCodec}, but encodes with {@link encodeCanonical}, so equal values give equal
 * bytes (for keys compared as bytes, hashed or signed data).
 */
export function canonicalCodec<T>(options: CborCodecOptions = {}): Codec<T> {
  return {
    encode: (value) => encodeCanonical(value),
    decode: (bytes) => decodeCbor(bytes, options) as T,
  };
}

const utf8Decoder = new TextDecoder('utf-8', { fatal: true });
const utf8Encoder = new TextEncoder();

/** UTF-8 JSON. `bigint` and `Uint8Array` have no JSON form; use {@link cborCodec} for them. */
export function jsonCodec<T>(): Codec<T> {
  return {
    encode(value) {
      let text: string | undefined;
      try {
        text = JSON.stringify(value);
      } catch (cause) {
        throw new EncodeError(`cannot encode value as JSON: ${(cause as Error)?.message ?? cause}`, {
          cause,
        });
      }
      if (text === undefined) throw new EncodeError('value has no JSON form');
      return utf8Encoder.encode(text);
    },
    decode(bytes) {
      try {
        return JSON.parse(utf8Decoder.decode(bytes)) as T;
      } catch (cause) {
        throw new DecodeError(`malformed JSON: ${(cause as Error)?.message ?? cause}`, { cause });
      }
    },
  };
}

/**
 * `codec`, with every decoded value validated by a Standard Schema (zod, valibot, arktype, ...).
 * An invalid value throws a {@link DecodeError} whose `issues` are the schema's issues; the
 * decoded value is the schema's output. Decoding is synchronous, so a schema that validates
 * asynchronously is refused with a `MosaikError` of code `'async_schema'`. Encoding is not
 * validated.
 */
export function withSchema<S extends StandardSchemaV1>(
  codec: Codec<StandardSchemaV1.InferInput<S>>,
  schema: S,
): Codec<StandardSchemaV1.InferOutput<S>> {
  const std = schema['~standard'];
  if (std === undefined || typeof std.validate !== 'function') {
    throw new MosaikError(
      'invalid_schema',
      'withSchema needs a Standard Schema (an object with ~standard.validate)',
    );
  }
  return {
    encode: (value) => codec.encode(value as StandardSchemaV1.InferInput<S>),
    decode(bytes) {
      const value = codec.decode(bytes);
      let result: StandardSchemaV1.Result<StandardSchemaV1.InferOutput<S>> | Promise<unknown>;
      try {
        result = std.validate(value) as typeof result;
      } catch (cause) {
        throw new DecodeError('schema', `schema validation threw: ${(cause as Error)?.message ?? cause}`, {
          cause,
        });
      }
      if (result instanceof Promise) {
        result.catch(() => {}); // never leave an unhandled rejection behind
        throw new MosaikError(
          'async_schema',
          `the ${std.vendor} schema validates asynchronously; decoding is synchronous, so pass a synchronous schema`,
        );
      }
      if (result.issues !== undefined) {
        const first = result.issues[0];
        const path = first?.path?.map((p) => (typeof p === 'object' ? String(p.key) : String(p))).join('.');
        throw new DecodeError(
          'schema',
          `value rejected by schema: ${first?.message ?? 'invalid'}${path ? ` at ${path}` : ''}${
            result.issues.length > 1 ? ` (+${result.issues.length - 1} more)` : ''
          }`,
          { issues: result.issues },
        );
      }
      return result.value;
    },
  };
}
