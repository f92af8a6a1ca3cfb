/** The replicated `Set`: unique encoded elements, ordered by their bytes. */
import type { SnapshotSink, SnapshotView } from '@mosaik/rsm';
import { BTree } from './btree.js';
import { admitted, type ByteMachine, bytes, clearTree, fail, list, record } from './common.js';
import { keyOf } from './keys.js';
import { ListSnapshotReader, listSnapshot } from './stream.js';
import { TreeMachine } from './tree.js';

/** Commands of a Set (the `t` tag is stable: it is in the log). */
export type SetCommand =
  | { readonly t: 0 }
  | { readonly t: 1; readonly v: Uint8Array }
  | { readonly t: 2; readonly vs: readonly Uint8Array[] }
  | { readonly t: 3; readonly vs: readonly Uint8Array[] };

/** One applied change of a Set. */
export type SetChange =
  | { readonly kind: 'add'; readonly value: Uint8Array }
  | { readonly kind: 'delete'; readonly value: Uint8Array }
  | { readonly kind: 'clear' };

/** The Set state machine. */
export class SetMachine
  extends TreeMachine<true, SetCommand, SetChange>
  implements ByteMachine<SetCommand, SetChange>
{
  readonly kind = 'set' as const;

  has(value: Uint8Array): boolean {
    return this.tree.has(keyOf(value));
  }

  valid(cmd: SetCommand): boolean {
    switch (cmd.t) {
      case 0:
        return true;
      case 1:
        return this.guard.key(cmd.v);
      default:
        return cmd.vs.every((v) => this.guard.key(v));
    }
  }

  apply(cmd: SetCommand, index: number): void {
    if (!admitted(this, this.guard, cmd)) return;
    switch (cmd.t) {
      case 0:
        clearTree(this.tree, this.onChange, index);
        return;
      case 1:
        this.#add(cmd.v, index);
        return;
      case 2:
        for (const v of cmd.vs)
          if (this.tree.delete(keyOf(v))) this.onChange?.({ kind: 'delete', value: v }, index);
        return;
      case 3:
        for (const v of cmd.vs) this.#add(v, index);
        return;
    }
  }

  #add(value: Uint8Array, index: number): void {
    if (this.tree.set(keyOf(value), true, false)) this.onChange?.({ kind: 'add', value }, index);
  }

  /** `['set', [element, ...]]` in byte order, from a frozen copy of the tree. */
  snapshot(): SnapshotView {
    const tree = this.view();
    return { chunks: () => listSnapshot('set', tree.size, tree.keys(), (w, k) => w.keyBytes(k)) };
  }

  restore(snapshot: Uint8Array): void {
    const sink = this.restoreChunks();
    sink.write(snapshot);
    sink.end();
  }

  restoreChunks(): SnapshotSink {
    const tree = new BTree<string, true>();
    const reader = new ListSnapshotReader('set', (item) => {
      tree.set(keyOf(bytes(item, 'element')), true);
    });
    return {
      write: (piece) => reader.write(piece),
      end: () => {
        reader.end();
        this.tree = tree;
      },
    };
  }

  parse(raw: unknown): SetCommand {
    const r = record(raw);
    switch (r.t) {
      case 0:
        return { t: 0 };
      case 1:
        return { t: 1, v: bytes(r.v, 'value') };
      case 2:
      case 3:
        return { t: r.t, vs: list(r.vs, 'values', (v) => bytes(v, 'value')) };
      default:
        return fail(`unknown set command ${r.t}`);
    }
  }
}
