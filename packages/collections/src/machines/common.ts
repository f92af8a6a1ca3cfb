/**
 * What every collection state machine shares: they work on encoded bytes only (the handles own
 * the codecs), apply commands deterministically (no clock, no randomness, canonical key order),
 * report each change to an optional listener, and snapshot to canonical bytes.
 */
import { DecodeError } from '@mosaik/id';
import type { SnapshotSink, SnapshotView } from '@mosaik/rsm';

/** The six collection kinds. */
export type CollectionKind = 'map' | 'vec' | 'set' | 'cell' | 'once' | 'pq';

/**
 * Validation of incoming encodings (the user's schemas). A command carrying an invalid key,
 * value or priority is dropped whole on every replica (they all run the same checks on the same
 * bytes) and counted through `rejected`.
 */
export interface Guard {
  key(bytes: Uint8Array): boolean;
  value(bytes: Uint8Array): boolean;
  priority(bytes: Uint8Array): boolean;
  rejected(): void;
}

/** A guard that accepts everything. */
export const OPEN_GUARD: Guard = Object.freeze({
  key: () => true,
  value: () => true,
  priority: () => true,
  rejected: () => {},
});

/** A pure, byte-level collection state machine. */
export interface ByteMachine<C, Ch> {
  readonly kind: CollectionKind;
  /** Whether every key, value and priority in `command` passes the guard. */
  valid(command: C): boolean;
  /**
   * Applies one committed command placed at log `index`. Never throws for a parsed command; an
   * invalid one (see `valid`) is dropped and reported to the guard.
   */
  apply(command: C, index: number): void;
  /** Entry / element count (Cell and Once: 0 or 1). */
  size(): number;
  /**
   * The whole state in canonical bytes: the same state gives the same bytes on every node. Large
   * collections return a frozen view (O(1) to take) that encodes itself in pieces.
   */
  snapshot(): Uint8Array | SnapshotView;
  /** Replaces the state with one produced by `snapshot()`. Throws `DecodeError` for bad bytes. */
  restore(bytes: Uint8Array): void;
  /** The incremental form of `restore`, for large collections: the state changes at `end()`. */
  restoreChunks?(): SnapshotSink;
  /** Checks the shape of a decoded command (from the log: any member may have written it). */
  parse(raw: unknown): C;
  /** Called with every change as it is applied (set by the replica while someone watches). */
  onChange: ((change: Ch, index: number) => void) | undefined;
}

/**
 * Whether `machine` may apply `command`. An invalid one (a member wrote bytes this node's schemas
 * refuse) is reported to the guard and must be dropped, the same way on every replica.
 */
export function admitted<C>(machine: { valid(command: C): boolean }, guard: Guard, command: C): boolean {
  if (machine.valid(command)) return true;
  guard.rejected();
  return false;
}

/** Empties a keyed collection's tree and reports `clear`; an empty tree stays silent (no change). */
export function clearTree(
  tree: { readonly size: number; clear(): void },
  onChange: ((change: { readonly kind: 'clear' }, index: number) => void) | undefined,
  index: number,
): void {
  if (tree.size === 0) return;
  tree.clear();
  onChange?.({ kind: 'clear' }, index);
}

// ------------------------------------------------------------------ shape checks

export function fail(what: string): never {
  throw new DecodeError(`invalid collection command: ${what}`);
}

export function record(raw: unknown): Record<string, unknown> & { t: number } {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail('not a map');
  const t = (raw as { t?: unknown }).t;
  if (typeof t !== 'number' || !Number.isSafeInteger(t)) fail('missing type');
  return raw as Record<string, unknown> & { t: number };
}

export function bytes(x: unknown, what: string): Uint8Array {
  if (!(x instanceof Uint8Array)) fail(`${what} is not a byte string`);
  return x;
}

export function optionalBytes(x: unknown, what: string): Uint8Array | undefined {
  return x === undefined || x === null ? undefined : bytes(x, what);
}

export function position(x: unknown, what: string): number {
  if (typeof x !== 'number' || !Number.isSafeInteger(x) || x < 0) fail(`${what} is not an index`);
  return x;
}

export function list<T>(x: unknown, what: string, item: (y: unknown) => T): T[] {
  if (!Array.isArray(x)) fail(`${what} is not a list`);
  return x.map(item);
}

export function tuple(x: unknown, n: number, what: string): unknown[] {
  if (!Array.isArray(x) || x.length !== n) fail(`${what} is not a ${n}-tuple`);
  return x;
}

/** Checks the outer shape of a snapshot: `[kind, body]`. */
export function snapshotBody(raw: unknown, kind: CollectionKind): unknown {
  if (!Array.isArray(raw) || raw.length !== 2 || raw[0] !== kind)
    throw new DecodeError(`not a ${kind} collection snapshot`);
  return raw[1];
}
