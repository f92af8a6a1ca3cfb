/** The replicated `Map`: key → value, both as encoded bytes, ordered by the key's bytes. */
import type { SnapshotSink, SnapshotView } from '@mosaik/rsm';
import { BTree } from './btree.js';
import {
  admitted,
  type ByteMachine,
  bytes,
  clearTree,
  fail,
  list,
  optionalBytes,
  record,
  tuple,
} from './common.js';
import { keyOf, sameBytes } from './keys.js';
import { ListSnapshotReader, listSnapshot } from './stream.js';
import { TreeMachine } from './tree.js';

/** Commands of a Map (the `t` tag is stable: it is in the log). */
export type MapCommand =
  | { readonly t: 0 }
  | { readonly t: 1; readonly k: Uint8Array; readonly v: Uint8Array }
  | { readonly t: 2; readonly k: Uint8Array; readonly e?: Uint8Array | null; readonly n?: Uint8Array | null }
  | { readonly t: 3; readonly ks: readonly Uint8Array[] }
  | { readonly t: 4; readonly es: readonly (readonly [Uint8Array, Uint8Array])[] };

/** One applied change of a Map. */
export type MapChange =
  | {
      readonly kind: 'set';
      readonly key: Uint8Array;
      readonly value: Uint8Array;
      readonly previous?: Uint8Array;
    }
  | { readonly kind: 'delete'; readonly key: Uint8Array; readonly previous: Uint8Array }
  | { readonly kind: 'clear' };

/** The Map state machine. */
export class MapMachine
  extends TreeMachine<Uint8Array, MapCommand, MapChange>
  implements ByteMachine<MapCommand, MapChange>
{
  readonly kind = 'map' as const;

  get(key: Uint8Array): Uint8Array | undefined {
    return this.tree.get(keyOf(key));
  }

  valid(cmd: MapCommand): boolean {
    const g = this.guard;
    switch (cmd.t) {
      case 0:
        return true;
      case 1:
        return g.key(cmd.k) && g.value(cmd.v);
      case 2:
        return g.key(cmd.k) && (cmd.e == null || g.value(cmd.e)) && (cmd.n == null || g.value(cmd.n));
      case 3:
        return cmd.ks.every((k) => g.key(k));
      case 4:
        return cmd.es.every(([k, v]) => g.key(k) && g.value(v));
    }
  }

  apply(cmd: MapCommand, index: number): void {
    if (!admitted(this, this.guard, cmd)) return;
    switch (cmd.t) {
      case 0:
        clearTree(this.tree, this.onChange, index);
        return;
      case 1:
        this.#set(cmd.k, cmd.v, index);
        return;
      case 2: {
        const expected = cmd.e ?? undefined;
        const next = cmd.n ?? undefined;
        const current = this.tree.get(keyOf(cmd.k));
        if (!sameBytes(current, expected)) return;
        if (next !== undefined) this.#set(cmd.k, next, index);
        else if (current !== undefined) this.#delete(cmd.k, index);
        return;
      }
      case 3:
        for (const k of cmd.ks) this.#delete(k, index);
        return;
      case 4:
        for (const [k, v] of cmd.es) this.#set(k, v, index);
        return;
    }
  }

  #set(key: Uint8Array, value: Uint8Array, index: number): void {
    const s = keyOf(key);
    const previous = this.tree.get(s);
    this.tree.set(s, value);
    this.onChange?.(
      previous === undefined ? { kind: 'set', key, value } : { kind: 'set', key, value, previous },
      index,
    );
  }

  #delete(key: Uint8Array, index: number): void {
    const s = keyOf(key);
    const previous = this.tree.get(s);
    if (previous === undefined) return;
    this.tree.delete(s);
    this.onChange?.({ kind: 'delete', key, previous }, index);
  }

  /** `['map', [[key, value], ...]]` in key order, from a frozen copy of the tree. */
  snapshot(): SnapshotView {
    const tree = this.view();
    return {
      chunks: () =>
        // One reused pair for the whole walk: a million entries make no garbage.
        listSnapshot('map', tree.size, tree.entries(undefined, []), (w, [k, v]) => {
          w.array(2);
          w.keyBytes(k);
          w.bytes(v);
        }),
    };
  }

  restore(snapshot: Uint8Array): void {
    const sink = this.restoreChunks();
    sink.write(snapshot);
    sink.end();
  }

  restoreChunks(): SnapshotSink {
    const tree = new BTree<string, Uint8Array>();
    const reader = new ListSnapshotReader('map', (item) => {
      const [k, v] = tuple(item, 2, 'entry') as Uint8Array[];
      tree.set(keyOf(k!), v!);
    });
    return {
      write: (piece) => reader.write(piece),
      end: () => {
        reader.end();
        this.tree = tree;
      },
    };
  }

  parse(raw: unknown): MapCommand {
    const r = record(raw);
    switch (r.t) {
      case 0:
        return { t: 0 };
      case 1:
        return { t: 1, k: bytes(r.k, 'key'), v: bytes(r.v, 'value') };
      case 2:
        return {
          t: 2,
          k: bytes(r.k, 'key'),
          e: optionalBytes(r.e, 'expected'),
          n: optionalBytes(r.n, 'new'),
        };
      case 3:
        return { t: 3, ks: list(r.ks, 'keys', (k) => bytes(k, 'key')) };
      case 4:
        return {
          t: 4,
          es: list(r.es, 'entries', (e) => {
            const [k, v] = tuple(e, 2, 'entry');
            return [bytes(k, 'key'), bytes(v, 'value')] as const;
          }),
        };
      default:
        return fail(`unknown map command ${r.t}`);
    }
  }
}
