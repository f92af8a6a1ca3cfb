/**
 * The base error of the project and the few errors `@mosaik/id` raises itself.
 *
 * Every error thrown by a mosaik package extends {@link MosaikError} and carries a stable,
 * machine-readable `code` (snake_case by convention); messages are for humans and may change.
 * Each package exports the union of its codes (`IdErrorCode`, `TransportErrorCode`,
 * `RsmErrorCode`, …), so a `switch (error.code)` over one package's errors is checked by the
 * compiler.
 */
import type { StandardSchemaV1 } from '@standard-schema/spec';

/** Options accepted by every mosaik error constructor. */
export interface MosaikErrorOptions {
  /** The underlying error, if any (becomes `error.cause`). */
  readonly cause?: unknown;
}

/**
 * Every code `@mosaik/id` raises: `decode` (the default of {@link DecodeError}), `invalid_hex`,
 * `invalid_digest`, `invalid_peer_id` and `schema` (decode errors with a more precise code),
 * `encode`, `timeout` and `invalid_argument`.
 */
export type IdErrorCode =
  | 'decode'
  | 'invalid_hex'
  | 'invalid_digest'
  | 'invalid_peer_id'
  | 'schema'
  | 'encode'
  | 'timeout'
  | 'invalid_argument';

/**
 * Base class of every error raised by mosaik, generic over its `code`. Compare errors by `code`,
 * never by message:
 *
 * ```ts
 * try { ... } catch (e) { if (MosaikError.is(e, 'timeout')) retry(); else throw e; }
 * ```
 */
export class MosaikError<Code extends string = string> extends Error {
  /** Stable machine-readable code, e.g. `'decode'`, `'timeout'`, `'protocol_violation'`. */
  readonly code: Code;

  constructor(code: Code, message: string, options?: MosaikErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.name = new.target.name;
  }

  /** True if `error` is a {@link MosaikError} (of the given `code`, when one is passed). */
  static is(error: unknown): error is MosaikError;
  static is<const Code extends string>(error: unknown, code: Code): error is MosaikError<Code>;
  static is(error: unknown, code?: string): error is MosaikError {
    return error instanceof MosaikError && (code === undefined || error.code === code);
  }
}

/** Options of {@link DecodeError}. */
export interface DecodeErrorOptions extends MosaikErrorOptions {
  /** Validation issues, when a Standard Schema rejected the decoded value. */
  readonly issues?: readonly StandardSchemaV1.Issue[];
}

/**
 * Bytes (or a string) that cannot be decoded into the expected value: malformed CBOR or JSON,
 * a value rejected by a schema, an invalid id or key. The default code is `'decode'`; subclasses
 * and callers may pass a more specific one with the three-argument form.
 */
export class DecodeError<Code extends string = string> extends MosaikError<Code> {
  /** Schema issues when the value was well-formed but invalid (see `withSchema`). */
  readonly issues: readonly StandardSchemaV1.Issue[] | undefined;

  constructor(message: string, options?: DecodeErrorOptions);
  constructor(code: Code, message: string, options?: DecodeErrorOptions);
  constructor(a: string, b?: string | DecodeErrorOptions, c?: DecodeErrorOptions) {
    const [code, message, options] = typeof b === 'string' ? [a, b, c] : ['decode', a, b];
    super(code as Code, message, options);
    this.issues = options?.issues;
  }
}

/**
 * A value that cannot be encoded (unsupported type, duplicate canonical map key, a value a
 * codec or schema refused on the way out, ...). Code `'encode'`, whichever package raises it.
 */
export class EncodeError extends MosaikError<'encode'> {
  constructor(message: string, options?: MosaikErrorOptions) {
    super('encode', message, options);
  }
}

/** A deadline passed (see `waitFor`). Code `'timeout'`. */
export class TimeoutError extends MosaikError<'timeout'> {
  constructor(message: string, options?: MosaikErrorOptions) {
    super('timeout', message, options);
  }
}

/** An argument outside its domain (wrong length, out of range). Code `'invalid_argument'`. */
export class InvalidArgumentError extends MosaikError<'invalid_argument'> {
  constructor(message: string, options?: MosaikErrorOptions) {
    super('invalid_argument', message, options);
  }
}
