/**
 * @mosaik/collections: Replicated Map, Vec, Set, Cell, Once and PriorityQueue.
 *
 * Not implemented yet; see the project's open issues.
 */
export {};
