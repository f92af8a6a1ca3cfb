/**
 * The copy-on-write B+ tree every keyed collection stores its state in (`sorted-btree`). A
 * `clone()` is O(1): both copies share nodes until one of them changes, which is what lets
 * readers iterate a frozen view while the replica keeps applying commands.
 */
import * as btreeModule from 'sorted-btree';

type BTreeClass = typeof btreeModule.default.default;

// The package is CommonJS with `exports.default = BTree`: depending on the loader, the default
// import is either the class or the whole exports object.
const loaded = btreeModule.default as unknown as BTreeClass | { default: BTreeClass };
export const BTree: BTreeClass = typeof loaded === 'function' ? loaded : loaded.default;
export type BTree<K, V> = InstanceType<typeof btreeModule.default.default<K, V>>;
