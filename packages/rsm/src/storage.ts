/** Where a group keeps its Raft log: in memory (default) or in a directory on disk. */
import { existsSync, renameSync, rmSync } from 'node:fs';
import { randomBytes, toHex } from '@mosaik/id';
import { FileStorage, type FileStorageOptions, MemoryStorage, type Storage } from '@mosaik/raft';

/** A storage a group opened; `close` releases files. */
export type OpenStorage = Storage & { close?(): void };

/** A way to open the storage of a group when it is joined. Storage never affects the group id. */
export interface StorageSpec {
  readonly kind: 'memory' | 'file' | 'custom';
  open(): OpenStorage;
  /**
   * Discards everything `current` holds and returns an empty storage in its place. Used when
   * this member's cluster lost a merge to a cluster with a longer
   * committed log: its log and snapshot belong to a history the
   * group gave up.
   */
  wipe(current: OpenStorage): OpenStorage;
}

/** Storage factories for `GroupBuilder.withStorage`. */
export const storage = {
  /**
   * Volatile: a restarted member has lost its log. Under a new key it joins as a new member; under
   * the same key it is demoted, admitted again in its new life and caught up before it votes again.
   */
  memory(): StorageSpec {
    return { kind: 'memory', open: () => new MemoryStorage(), wipe: () => new MemoryStorage() };
  },
  /**
   * Durable: an append-only checksummed log and atomic snapshots in `dir` (`@mosaik/raft`'s
   * `FileStorage`). A wipe renames `dir` aside first (atomic: a crash leaves either the old
   * state or none), then deletes it.
   */
  file(dir: string, options?: FileStorageOptions): StorageSpec {
    return {
      kind: 'file',
      open: () => FileStorage.open(dir, options),
      wipe: (current) => {
        current.close?.();
        if (existsSync(dir)) {
          const aside = `${dir}.discarded-${toHex(randomBytes(4))}`;
          renameSync(dir, aside);
          rmSync(aside, { recursive: true, force: true });
        }
        return FileStorage.open(dir, options);
      },
    };
  },
  /**
   * Any `Storage` implementation (opened once, when the group is joined). `wipe` must return an
   * empty storage; by default `open` is called again, which must then return an empty one.
   */
  custom(open: () => Storage, wipe?: (current: Storage) => Storage): StorageSpec {
    return { kind: 'custom', open, wipe: wipe ?? (() => open()) };
  },
} as const;
