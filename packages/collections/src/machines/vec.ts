/** The replicated `Vec`: an index-addressable sequence of encoded elements. */
import type { SnapshotSink, SnapshotView } from '@mosaik/rsm';
import {
  admitted,
  type ByteMachine,
  bytes,
  fail,
  type Guard,
  list,
  OPEN_GUARD,
  position,
  record,
} from './common.js';
import { ListSnapshotReader, listSnapshot } from './stream.js';

/** Commands of a Vec (the `t` tag is stable: it is in the log). */
export type VecCommand =
  | { readonly t: 0 }
  | { readonly t: 1; readonly i: number; readonly j: number }
  | { readonly t: 2; readonly i: number; readonly v: Uint8Array }
  | { readonly t: 3; readonly v: Uint8Array }
  | { readonly t: 4; readonly v: Uint8Array }
  | { readonly t: 5 }
  | { readonly t: 6 }
  | { readonly t: 7; readonly i: number }
  | { readonly t: 8; readonly n: number }
  | { readonly t: 9; readonly vs: readonly Uint8Array[] };

/** One applied change of a Vec. */
export type VecChange =
  | { readonly kind: 'insert'; readonly index: number; readonly value: Uint8Array }
  | { readonly kind: 'remove'; readonly index: number; readonly previous: Uint8Array }
  | {
      readonly kind: 'replace';
      readonly index: number;
      readonly value: Uint8Array;
      readonly previous: Uint8Array;
    }
  | { readonly kind: 'truncate'; readonly length: number }
  | { readonly kind: 'clear' };

/**
 * The Vec state machine. Out-of-range operations are no-ops: `insert` past the end (the
 * original panics there), `remove`, `swap` with an index ≥ length, `pop*` on an empty Vec.
 */
export class VecMachine implements ByteMachine<VecCommand, VecChange> {
  readonly kind = 'vec' as const;
  onChange: ((change: VecChange, index: number) => void) | undefined;
  readonly #guard: Guard;
  #items: Uint8Array[] = [];

  constructor(guard: Guard = OPEN_GUARD) {
    this.#guard = guard;
  }

  size(): number {
    return this.#items.length;
  }

  at(i: number): Uint8Array | undefined {
    return Number.isSafeInteger(i) && i >= 0 ? this.#items[i] : undefined;
  }

  /** A copy of the elements (iterating is O(n) anyway, so copying first costs nothing more). */
  view(): readonly Uint8Array[] {
    return this.#items.slice();
  }

  valid(cmd: VecCommand): boolean {
    const g = this.#guard;
    switch (cmd.t) {
      case 2:
      case 3:
      case 4:
        return g.value(cmd.v);
      case 9:
        return cmd.vs.every((v) => g.value(v));
      default:
        return true;
    }
  }

  apply(cmd: VecCommand, index: number): void {
    if (!admitted(this, this.#guard, cmd)) return;
    const items = this.#items;
    const emit = this.onChange;
    switch (cmd.t) {
      case 0:
        if (items.length === 0) return;
        this.#items = [];
        emit?.({ kind: 'clear' }, index);
        return;
      case 1: {
        const { i, j } = cmd;
        if (i >= items.length || j >= items.length || i === j) return;
        const a = items[i]!;
        const b = items[j]!;
        items[i] = b;
        items[j] = a;
        emit?.({ kind: 'replace', index: i, value: b, previous: a }, index);
        emit?.({ kind: 'replace', index: j, value: a, previous: b }, index);
        return;
      }
      case 2:
        if (cmd.i > items.length) return;
        items.splice(cmd.i, 0, cmd.v);
        emit?.({ kind: 'insert', index: cmd.i, value: cmd.v }, index);
        return;
      case 3:
        items.push(cmd.v);
        emit?.({ kind: 'insert', index: items.length - 1, value: cmd.v }, index);
        return;
      case 4:
        items.unshift(cmd.v);
        emit?.({ kind: 'insert', index: 0, value: cmd.v }, index);
        return;
      case 5: {
        const previous = items.pop();
        if (previous !== undefined) emit?.({ kind: 'remove', index: items.length, previous }, index);
        return;
      }
      case 6: {
        const previous = items.shift();
        if (previous !== undefined) emit?.({ kind: 'remove', index: 0, previous }, index);
        return;
      }
      case 7: {
        if (cmd.i >= items.length) return;
        const [previous] = items.splice(cmd.i, 1);
        emit?.({ kind: 'remove', index: cmd.i, previous: previous! }, index);
        return;
      }
      case 8:
        if (cmd.n >= items.length) return;
        items.length = cmd.n;
        emit?.(cmd.n === 0 ? { kind: 'clear' } : { kind: 'truncate', length: cmd.n }, index);
        return;
      case 9:
        for (const v of cmd.vs) {
          items.push(v);
          emit?.({ kind: 'insert', index: items.length - 1, value: v }, index);
        }
        return;
    }
  }

  /**
   * `['vec', [element, ...]]`. The list is mutated in place, so the view copies it (references
   * only, not the elements, which are never changed).
   */
  snapshot(): SnapshotView {
    const items = this.#items.slice();
    return { chunks: () => listSnapshot('vec', items.length, items, (w, v) => w.bytes(v)) };
  }

  restore(snapshot: Uint8Array): void {
    const sink = this.restoreChunks();
    sink.write(snapshot);
    sink.end();
  }

  restoreChunks(): SnapshotSink {
    const items: Uint8Array[] = [];
    const reader = new ListSnapshotReader('vec', (item) => {
      items.push(bytes(item, 'element'));
    });
    return {
      write: (piece) => reader.write(piece),
      end: () => {
        reader.end();
        this.#items = items;
      },
    };
  }

  parse(raw: unknown): VecCommand {
    const r = record(raw);
    switch (r.t) {
      case 0:
      case 5:
      case 6:
        return { t: r.t };
      case 1:
        return { t: 1, i: position(r.i, 'i'), j: position(r.j, 'j') };
      case 2:
        return { t: 2, i: position(r.i, 'index'), v: bytes(r.v, 'value') };
      case 3:
      case 4:
        return { t: r.t, v: bytes(r.v, 'value') };
      case 7:
        return { t: 7, i: position(r.i, 'index') };
      case 8:
        return { t: 8, n: position(r.n, 'length') };
      case 9:
        return { t: 9, vs: list(r.vs, 'values', (v) => bytes(v, 'value')) };
      default:
        return fail(`unknown vec command ${r.t}`);
    }
  }
}
