/** `defineCollection`: one entry point per kind. */
import { defineCell, defineOnce } from './cell.js';
import { defineMap } from './map.js';
import { definePriorityQueue } from './pq.js';
import { defineSet } from './set.js';
import { defineVec } from './vec.js';

/**
 * Defines a collection: the TypeScript form of the original's `collection!` macro.
 *
 * ```ts
 * export const Balances = defineCollection.map<string, bigint>('balances');
 * const w = Balances.writer(net);   // votes, may lead, writes
 * const r = Balances.reader(net2);  // replicates, never votes
 * ```
 */
export const defineCollection = {
  map: defineMap,
  vec: defineVec,
  set: defineSet,
  cell: defineCell,
  once: defineOnce,
  priorityQueue: definePriorityQueue,
} as const;
