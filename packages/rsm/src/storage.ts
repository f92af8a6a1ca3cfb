/** Where a group keeps its Raft log: in memory (default) or in a directory on disk. */
import { FileStorage, type FileStorageOptions, MemoryStorage, type Storage } from '@mosaik/raft';

/** A way to open the storage of a group when it is joined. Storage never affects the group id. */
export interface StorageSpec {
  readonly kind: 'memory' | 'file' | 'custom';
  open(): Storage & { close?(): void };
}

/** Storage factories for `GroupBuilder.withStorage`. */
export const storage = {
  /** Volatile: a restarted member rejoins as a new one and catches up from the others. */
  memory(): StorageSpec {
    return { kind: 'memory', open: () => new MemoryStorage() };
  },
  /** Durable: an append-only checksummed log and atomic snapshots in `dir` (`@mosaik/raft`'s `FileStorage`). */
  file(dir: string, options?: FileStorageOptions): StorageSpec {
    return { kind: 'file', open: () => FileStorage.open(dir, options) };
  },
  /** Any `Storage` implementation (opened once, when the group is joined). */
  custom(open: () => Storage): StorageSpec {
    return { kind: 'custom', open };
  },
} as const;
