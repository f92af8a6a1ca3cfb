import { cpSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { storageDirs } from '../../test/storage-dirs.js';
import { SnapshotOutOfDateError, SnapshotTransferError, StorageCorruptError } from '../errors.js';
import { type Entry, EntryType, type SnapshotMeta } from '../types.js';
import { FileStorage } from './file.js';
import { MemoryStorage } from './memory.js';
import type { Storage } from './storage.js';

const { newDir, openFile } = storageDirs('mosaik-raft-receive-');

const conf = { voters: ['a'], learners: [] };
const ent = (index: number, term = 1): Entry => ({
  term,
  index,
  type: EntryType.Normal,
  data: new Uint8Array([index]),
});
const bytes = (n: number, seed = 1) => new Uint8Array(n).map((_, i) => (i * 31 + seed) & 0xff);
const meta = (index: number, term = 2): SnapshotMeta => ({ index, term, conf });

/** Writes `data` to the writer in pieces of `piece` bytes. */
function receive(s: Storage, m: SnapshotMeta, data: Uint8Array, piece: number) {
  const w = s.receiveSnapshot!(m, data.length);
  for (let off = 0; off < data.length; off += piece) w.write(data.subarray(off, off + piece));
  return w;
}

const kinds: [string, () => Storage][] = [
  ['MemoryStorage', () => new MemoryStorage()],
  ['FileStorage', () => openFile(newDir())],
];

describe.each(kinds)('%s receiving a snapshot in pieces', (_name, make) => {
  it('installs it on finish, replacing the whole log, and not before', () => {
    const s = make();
    s.append([ent(1), ent(2), ent(3)]);
    const data = bytes(100_003);
    const w = receive(s, meta(10), data, 4096);
    // Nothing changed yet: the log and the (empty) snapshot stay until finish.
    expect(s.lastIndex()).toBe(3);
    expect(s.snapshot().meta.index).toBe(0);
    w.finish();
    expect(s.snapshot().meta).toEqual(meta(10));
    expect(Buffer.compare(s.snapshot().data, data)).toBe(0);
    expect([s.firstIndex(), s.lastIndex(), s.term(10)]).toEqual([11, 10, 2]);
  });

  it('an abandoned one leaves no trace', () => {
    const s = make();
    s.append([ent(1), ent(2)]);
    const w = receive(s, meta(10), bytes(5000), 1000);
    w.abort();
    w.abort();
    expect([s.snapshot().meta.index, s.lastIndex()]).toEqual([0, 2]);
    expect(() => w.write(new Uint8Array(1))).toThrow(SnapshotTransferError);
    expect(() => w.finish()).toThrow(SnapshotTransferError);
  });

  it('refuses bytes past the total, a short finish and an out-of-date snapshot with typed errors', () => {
    const s = make();
    const w = s.receiveSnapshot!(meta(10), 10);
    w.write(new Uint8Array(8));
    expect(() => w.write(new Uint8Array(3))).toThrow(SnapshotTransferError);
    expect(() => w.finish()).toThrow(SnapshotTransferError);
    expect(s.snapshot().meta.index).toBe(0);
    w.write(new Uint8Array(2));
    w.finish();
    expect(s.snapshot().meta.index).toBe(10);
    expect(() => s.receiveSnapshot!(meta(10), 1)).toThrow(SnapshotOutOfDateError);
    expect(() => s.receiveSnapshot!(meta(9), 1)).toThrow(SnapshotOutOfDateError);
  });

  it('takes an empty snapshot', () => {
    const s = make();
    s.receiveSnapshot!(meta(4), 0).finish();
    expect(s.snapshot().meta.index).toBe(4);
    expect(s.snapshot().data.length).toBe(0);
  });
});

describe('FileStorage receiving a snapshot, crash safety', () => {
  it('survives a restart after finish, and does not keep the data in memory', () => {
    const dir = newDir();
    const s = FileStorage.open(dir);
    s.append([ent(1), ent(2)]);
    s.setHardState({ term: 2, vote: 'a', commit: 2 });
    const data = bytes(3 * 1024 * 1024 + 17);
    receive(s, meta(50), data, 256 * 1024).finish();
    s.append([ent(51, 2)]);
    // The data is read back from the file when asked for: each read is a fresh buffer.
    const once = s.snapshot().data;
    expect(Buffer.compare(once, data)).toBe(0);
    expect(s.snapshot().data === once).toBe(false);
    s.close();
    const again = openFile(dir);
    expect(again.snapshot().meta).toEqual(meta(50));
    expect(Buffer.compare(again.snapshot().data, data)).toBe(0);
    expect([again.firstIndex(), again.lastIndex(), again.term(51)]).toEqual([51, 51, 2]);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('a half-written snapshot (crash before finish) never replaces the good one', () => {
    const dir = newDir();
    const s = FileStorage.open(dir);
    s.append([ent(1), ent(2), ent(3)]);
    const good = bytes(1000, 5);
    receive(s, meta(3, 1), good, 100).finish();
    s.append([ent(4, 1), ent(5, 1)]);
    const w = receive(s, meta(40), bytes(2 * 1024 * 1024, 9), 64 * 1024);
    // The process dies here: the writer is never finished. Its temporary file is on disk.
    expect(readdirSync(dir).some((f) => f.endsWith('.tmp'))).toBe(true);
    // Simulate the crash by copying the directory as it is now, then opening the copy.
    const copy = newDir();
    cpSync(dir, copy, { recursive: true });
    w.abort();
    const after = openFile(copy);
    expect(after.snapshot().meta).toEqual(meta(3, 1));
    expect(Buffer.compare(after.snapshot().data, good)).toBe(0);
    expect([after.firstIndex(), after.lastIndex()]).toEqual([4, 5]);
    expect(readdirSync(copy).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('starting another snapshot abandons the one being received', () => {
    const dir = newDir();
    const s = openFile(dir);
    const first = receive(s, meta(10), bytes(5000), 1000);
    const data = bytes(3000, 4);
    receive(s, meta(20), data, 1000).finish();
    expect(() => first.write(new Uint8Array(1))).toThrow(SnapshotTransferError);
    expect(s.snapshot().meta.index).toBe(20);
    expect(Buffer.compare(s.snapshot().data, data)).toBe(0);
  });

  it('a damaged received snapshot file is a StorageCorruptError on open', () => {
    const dir = newDir();
    const s = FileStorage.open(dir);
    receive(s, meta(10), bytes(10_000), 1000).finish();
    s.close();
    const path = join(dir, 'snapshot');
    const file = readFileSync(path);
    file[file.length - 10]! ^= 0xff;
    writeFileSync(path, file);
    expect(() => FileStorage.open(dir)).toThrow(StorageCorruptError);
    writeFileSync(path, file.subarray(0, file.length - 1));
    expect(() => FileStorage.open(dir)).toThrow(StorageCorruptError);
  });
});
