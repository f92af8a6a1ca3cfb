/**
 * The replicated double-ended `PriorityQueue`: entries `(priority, key, value)` with unique keys,
 * indexed both by key and by priority. Within one priority the entries are ordered by the key's
 * bytes, so the minimum, the maximum and the eviction victim are the same on every replica.
 */
import type { SnapshotSink, SnapshotView } from '@mosaik/rsm';
import { BTree } from './btree.js';
import {
  admitted,
  type ByteMachine,
  bytes,
  fail,
  type Guard,
  list,
  OPEN_GUARD,
  optionalBytes,
  record,
  tuple,
} from './common.js';
import { bytesOf, compareKeys, keyOf, sameBytes } from './keys.js';
import { ListSnapshotReader, listSnapshot } from './stream.js';

/** How priorities are decoded and ordered (from the user's priority codec). */
export interface PriorityOrder {
  decode(bytes: Uint8Array): unknown;
  compare(a: unknown, b: unknown): number;
}

/** A range bound on the wire: the encoded priority and whether it is included. */
export type WireBound = readonly [Uint8Array, boolean];

/** Commands of a PriorityQueue (the `t` tag is stable: it is in the log). */
export type PqCommand =
  | { readonly t: 0 }
  | { readonly t: 1; readonly p: Uint8Array; readonly k: Uint8Array; readonly v: Uint8Array }
  | { readonly t: 2; readonly es: readonly (readonly [Uint8Array, Uint8Array, Uint8Array])[] }
  | { readonly t: 3; readonly k: Uint8Array; readonly p: Uint8Array }
  | { readonly t: 4; readonly k: Uint8Array; readonly v: Uint8Array }
  | { readonly t: 5; readonly k: Uint8Array; readonly e: Uint8Array; readonly n?: Uint8Array | null }
  | { readonly t: 6; readonly ks: readonly Uint8Array[] }
  | { readonly t: 7; readonly lo?: WireBound | null; readonly hi?: WireBound | null };

/** One applied change of a PriorityQueue. */
export type PqChange =
  | {
      readonly kind: 'set';
      readonly key: Uint8Array;
      readonly priority: Uint8Array;
      readonly value: Uint8Array;
      readonly previous?: { readonly priority: Uint8Array; readonly value: Uint8Array };
    }
  | {
      readonly kind: 'delete';
      readonly key: Uint8Array;
      readonly previous: { readonly priority: Uint8Array; readonly value: Uint8Array };
      /** Removed to keep the queue within its capacity. */
      readonly evicted: boolean;
    }
  | { readonly kind: 'clear' };

/** A position in the priority index: the decoded priority, its bytes and the key's bytes. */
export interface PqSlot {
  readonly p: unknown;
  readonly pb: string;
  readonly kb: string;
}

const INVALID = Symbol('invalid');

/** The PriorityQueue state machine. `capacity` bounds the entry count (lowest priorities are evicted). */
export class PqMachine implements ByteMachine<PqCommand, PqChange> {
  readonly kind = 'pq' as const;
  onChange: ((change: PqChange, index: number) => void) | undefined;
  readonly capacity: number;
  readonly #guard: Guard;
  readonly #order: PriorityOrder;
  readonly #compare: (a: PqSlot, b: PqSlot) => number;
  #byKey = new BTree<string, { slot: PqSlot; value: Uint8Array }>();
  #byPriority: BTree<PqSlot, Uint8Array>;

  constructor(order: PriorityOrder, capacity = Number.POSITIVE_INFINITY, guard: Guard = OPEN_GUARD) {
    if (!(capacity === Number.POSITIVE_INFINITY || (Number.isSafeInteger(capacity) && capacity > 0)))
      throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
    this.capacity = capacity;
    this.#order = order;
    this.#guard = guard;
    this.#compare = (a, b) => order.compare(a.p, b.p) || compareKeys(a.pb, b.pb) || compareKeys(a.kb, b.kb);
    this.#byPriority = new BTree<PqSlot, Uint8Array>(undefined, this.#compare);
  }

  size(): number {
    return this.#byKey.size;
  }

  entry(key: Uint8Array): { slot: PqSlot; value: Uint8Array } | undefined {
    return this.#byKey.get(keyOf(key));
  }

  /** A frozen O(1) copy of the priority index (ascending). */
  view(): BTree<PqSlot, Uint8Array> {
    return this.#byPriority.clone();
  }

  #decode(pb: Uint8Array): unknown {
    if (!this.#guard.priority(pb)) return INVALID;
    try {
      return this.#order.decode(pb);
    } catch {
      return INVALID;
    }
  }

  valid(cmd: PqCommand): boolean {
    const g = this.#guard;
    switch (cmd.t) {
      case 0:
        return true;
      case 1:
        return g.priority(cmd.p) && g.key(cmd.k) && g.value(cmd.v);
      case 2:
        return cmd.es.every(([p, k, v]) => g.priority(p) && g.key(k) && g.value(v));
      case 3:
        return g.key(cmd.k) && g.priority(cmd.p);
      case 4:
        return g.key(cmd.k) && g.value(cmd.v);
      case 5:
        return g.key(cmd.k) && g.value(cmd.e) && (cmd.n == null || g.value(cmd.n));
      case 6:
        return cmd.ks.every((k) => g.key(k));
      case 7:
        return (cmd.lo == null || g.priority(cmd.lo[0])) && (cmd.hi == null || g.priority(cmd.hi[0]));
    }
  }

  apply(cmd: PqCommand, index: number): void {
    const g = this.#guard;
    if (!admitted(this, g, cmd)) return;
    switch (cmd.t) {
      case 0:
        if (this.#byKey.size === 0) return;
        this.#byKey = new BTree();
        this.#byPriority = new BTree(undefined, this.#compare);
        this.onChange?.({ kind: 'clear' }, index);
        return;
      case 1: {
        const p = this.#decode(cmd.p);
        if (p === INVALID) {
          g.rejected();
          return;
        }
        this.#insert(p, cmd.p, cmd.k, cmd.v, index);
        return;
      }
      case 2: {
        const ps = cmd.es.map(([p]) => this.#decode(p));
        if (ps.includes(INVALID)) {
          g.rejected();
          return;
        }
        for (const [i, [pb, k, v]] of cmd.es.entries()) this.#insert(ps[i], pb, k, v, index);
        return;
      }
      case 3: {
        const p = this.#decode(cmd.p);
        if (p === INVALID) {
          g.rejected();
          return;
        }
        const e = this.entry(cmd.k);
        if (e !== undefined) this.#insert(p, cmd.p, cmd.k, e.value, index);
        return;
      }
      case 4: {
        const e = this.entry(cmd.k);
        if (e !== undefined) this.#insert(e.slot.p, bytesOf(e.slot.pb), cmd.k, cmd.v, index);
        return;
      }
      case 5: {
        const next = cmd.n ?? undefined;
        const e = this.entry(cmd.k);
        if (e === undefined || !sameBytes(e.value, cmd.e)) return;
        if (next === undefined) this.#remove(keyOf(cmd.k), index, false);
        else this.#insert(e.slot.p, bytesOf(e.slot.pb), cmd.k, next, index);
        return;
      }
      case 6:
        for (const k of cmd.ks) this.#remove(keyOf(k), index, false);
        return;
      case 7: {
        const lo = cmd.lo ? this.#decode(cmd.lo[0]) : undefined;
        const hi = cmd.hi ? this.#decode(cmd.hi[0]) : undefined;
        if (lo === INVALID || hi === INVALID) {
          g.rejected();
          return;
        }
        const victims: string[] = [];
        const start = cmd.lo ? { p: lo, pb: '', kb: '' } : undefined;
        for (const [slot] of this.#byPriority.entries(start)) {
          if (cmd.lo && !cmd.lo[1] && this.#order.compare(slot.p, lo) === 0) continue;
          if (cmd.hi) {
            const c = this.#order.compare(slot.p, hi);
            if (c > 0 || (c === 0 && !cmd.hi[1])) break;
          }
          victims.push(slot.kb);
        }
        for (const kb of victims) this.#remove(kb, index, false);
        return;
      }
    }
  }

  /** Upsert; a new key may push the queue over capacity, which evicts the lowest entries (maybe itself). */
  #insert(p: unknown, pb: Uint8Array, key: Uint8Array, value: Uint8Array, index: number): void {
    const kb = keyOf(key);
    const existing = this.#byKey.get(kb);
    if (existing !== undefined) this.#byPriority.delete(existing.slot);
    const slot: PqSlot = { p, pb: keyOf(pb), kb };
    this.#byKey.set(kb, { slot, value });
    this.#byPriority.set(slot, value);
    const previous =
      existing === undefined ? undefined : { priority: bytesOf(existing.slot.pb), value: existing.value };
    this.onChange?.(
      previous === undefined
        ? { kind: 'set', key, priority: pb, value }
        : { kind: 'set', key, priority: pb, value, previous },
      index,
    );
    while (this.#byKey.size > this.capacity) this.#remove(this.#byPriority.minKey()!.kb, index, true);
  }

  #remove(kb: string, index: number, evicted: boolean): void {
    const e = this.#byKey.get(kb);
    if (e === undefined) return;
    this.#byKey.delete(kb);
    this.#byPriority.delete(e.slot);
    this.onChange?.(
      {
        kind: 'delete',
        key: bytesOf(kb),
        previous: { priority: bytesOf(e.slot.pb), value: e.value },
        evicted,
      },
      index,
    );
  }

  /** `['pq', [[priority, key, value], ...]]` in key order, from a frozen copy of the key index. */
  snapshot(): SnapshotView {
    const byKey = this.#byKey.clone();
    return {
      chunks: () =>
        listSnapshot('pq', byKey.size, byKey.entries(undefined, []), (w, [kb, e]) => {
          w.array(3);
          w.keyBytes(e.slot.pb);
          w.keyBytes(kb);
          w.bytes(e.value);
        }),
    };
  }

  restore(snapshot: Uint8Array): void {
    const sink = this.restoreChunks();
    sink.write(snapshot);
    sink.end();
  }

  restoreChunks(): SnapshotSink {
    const byKey = new BTree<string, { slot: PqSlot; value: Uint8Array }>();
    const byPriority = new BTree<PqSlot, Uint8Array>(undefined, this.#compare);
    const reader = new ListSnapshotReader('pq', (item) => {
      const e = tuple(item, 3, 'entry') as Uint8Array[];
      const pb = e[0]!;
      const kb = keyOf(e[1]!);
      const value = e[2]!;
      let p: unknown;
      try {
        p = this.#order.decode(pb);
      } catch {
        fail('undecodable priority in snapshot');
      }
      const slot: PqSlot = { p, pb: keyOf(pb), kb };
      byKey.set(kb, { slot, value });
      byPriority.set(slot, value);
    });
    return {
      write: (piece) => reader.write(piece),
      end: () => {
        reader.end();
        this.#byKey = byKey;
        this.#byPriority = byPriority;
      },
    };
  }

  parse(raw: unknown): PqCommand {
    const r = record(raw);
    const bound = (x: unknown, what: string): WireBound | undefined => {
      if (x === undefined || x === null) return undefined;
      const [b, inclusive] = tuple(x, 2, what);
      if (typeof inclusive !== 'boolean') fail(`${what} inclusiveness`);
      return [bytes(b, what), inclusive];
    };
    switch (r.t) {
      case 0:
        return { t: 0 };
      case 1:
        return { t: 1, p: bytes(r.p, 'priority'), k: bytes(r.k, 'key'), v: bytes(r.v, 'value') };
      case 2:
        return {
          t: 2,
          es: list(r.es, 'entries', (e) => {
            const [p, k, v] = tuple(e, 3, 'entry');
            return [bytes(p, 'priority'), bytes(k, 'key'), bytes(v, 'value')] as const;
          }),
        };
      case 3:
        return { t: 3, k: bytes(r.k, 'key'), p: bytes(r.p, 'priority') };
      case 4:
        return { t: 4, k: bytes(r.k, 'key'), v: bytes(r.v, 'value') };
      case 5:
        return { t: 5, k: bytes(r.k, 'key'), e: bytes(r.e, 'expected'), n: optionalBytes(r.n, 'new') };
      case 6:
        return { t: 6, ks: list(r.ks, 'keys', (k) => bytes(k, 'key')) };
      case 7:
        return { t: 7, lo: bound(r.lo, 'lower bound'), hi: bound(r.hi, 'upper bound') };
      default:
        return fail(`unknown pq command ${r.t}`);
    }
  }
}
