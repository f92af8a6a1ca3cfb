/**
 * @mosaik/collections: replicated `Map`, `Vec`, `Set`, `Cell`, `Once` and `PriorityQueue`, each a
 * state machine on an `@mosaik/rsm` group. Writers vote, readers observe; reads are local and
 * synchronous, writes resolve with the committed version, `watch` streams every change.
 *
 * @packageDocumentation
 */
export {
  type CellEvent,
  type CellOptions,
  CellReader,
  type CellSnapshot,
  CellWriter,
  OnceReader,
  OnceWriter,
} from './cell.js';
export { type CollectionCodec, codecs, defaultCompare } from './codec.js';
export { defineCollection } from './collection.js';
export type {
  CollectionDef,
  CollectionNetwork,
  CollectionOptions,
  OnlineOptions,
  OpenOptions,
  ReaderDef,
  WriterDef,
} from './define.js';
export { CollectionError, type CollectionErrorCode } from './errors.js';
export {
  CollectionHandle,
  type CollectionMembers,
  type CollectionReset,
  CollectionWhen,
  type Lagged,
  type Version,
  type Versioned,
  type WaitOptions,
  type WatchEvent,
  type WatchOptions,
} from './handle.js';
export type { CollectionKind } from './machines/common.js';
export { type MapEvent, type MapOptions, MapReader, type MapSnapshot, MapWriter } from './map.js';
export {
  type PqEntry,
  type PriorityQueueEvent,
  type PriorityQueueOptions,
  PriorityQueueReader,
  type PriorityQueueSnapshot,
  PriorityQueueWriter,
  type PriorityRange,
  type RangeBound,
  range,
} from './pq.js';
export { type SetEvent, type SetOptions, SetReader, type SetSnapshot, SetWriter } from './set.js';
export { type VecEvent, type VecOptions, VecReader, type VecSnapshot, VecWriter } from './vec.js';
