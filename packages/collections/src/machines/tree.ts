/**
 * What the Map and Set machines share: the guard their commands are checked against, the
 * copy-on-write tree keyed by the encoded key's bytes (as a string), and the listener of changes.
 */
import { BTree } from './btree.js';
import { type Guard, OPEN_GUARD } from './common.js';

/** The state of a keyed collection. @typeParam V - what a key maps to, C - commands, Ch - changes */
export abstract class TreeMachine<V, C, Ch> {
  /** Called with every change as it is applied (set by the replica while someone watches). */
  onChange: ((change: Ch, index: number) => void) | undefined;
  protected readonly guard: Guard;
  protected tree = new BTree<string, V>();

  constructor(guard: Guard = OPEN_GUARD) {
    this.guard = guard;
  }

  /** Whether every key and value in `command` passes the guard. */
  abstract valid(command: C): boolean;

  /** A frozen O(1) copy of the contents; the replica keeps applying to its own tree. */
  view(): BTree<string, V> {
    return this.tree.clone();
  }

  size(): number {
    return this.tree.size;
  }
}
