import { copyFileSync, readdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as zlib from 'node:zlib';
import { encodeCbor } from '@mosaik/id';
import { describe, expect, it } from 'vitest';
import { storageDirs } from '../../test/storage-dirs.js';
import { RaftNode } from '../core/raft.js';
import {
  CompactedError,
  InvalidConfigError,
  LogGapError,
  SnapshotOutOfDateError,
  StorageCorruptError,
  UnavailableError,
} from '../errors.js';
import { type Entry, EntryType } from '../types.js';
import { maybeCompact } from './compaction.js';
import { _crc32Portable, FileStorage } from './file.js';
import { MemoryStorage } from './memory.js';
import type { Storage } from './storage.js';

const { newDir, openFile } = storageDirs('mosaik-raft-');

const conf = { voters: ['a'], learners: [] };
/** Entry at `index` with value index×10 (as the reference tests use). */
const ent = (index: number, term = 1): Entry => ({
  term,
  index,
  type: EntryType.Normal,
  data: new TextEncoder().encode(String(index * 10)),
});
const value = (e: Entry) => Number(new TextDecoder().decode(e.data));
const fill = (s: Storage, n: number) => s.append(Array.from({ length: n }, (_, i) => ent(i + 1)));
/** The reference's prunePrefix(upTo): snapshot there, then compact. */
const prune = (s: Storage, upTo: number) => {
  if (upTo > s.snapshot().meta.index) s.createSnapshot(upTo, conf, new Uint8Array([upTo]));
  s.compact(upTo);
};

function dump(s: Storage) {
  const first = s.firstIndex();
  const last = s.lastIndex();
  return {
    hard: s.hardState(),
    first,
    last,
    boundaryTerm: s.term(first - 1),
    entries: last >= first ? s.entries(first, last + 1) : [],
    snapshot: s.snapshot(),
  };
}

const kinds: [string, () => Storage][] = [
  ['MemoryStorage', () => new MemoryStorage()],
  ['FileStorage', () => openFile(newDir())],
];

describe.each(kinds)('%s (storage contract)', (_name, make) => {
  it('prune_prefix_basic: pruned entries are gone, the rest intact', () => {
    const s = make();
    fill(s, 5);
    prune(s, 2);
    expect([s.firstIndex(), s.lastIndex()]).toEqual([3, 5]);
    expect(s.term(1)).toBeUndefined();
    expect(() => s.entries(2, 3)).toThrow(CompactedError);
    expect(s.entries(3, 6).map(value)).toEqual([30, 40, 50]);
  });

  it('prune_prefix_last_unchanged', () => {
    const s = make();
    fill(s, 5);
    prune(s, 3);
    expect([s.lastIndex(), s.term(5)]).toEqual([5, 1]);
  });

  it('prune_prefix_then_append: the next index continues', () => {
    const s = make();
    fill(s, 3);
    prune(s, 2);
    s.append([{ ...ent(4, 2), data: new TextEncoder().encode('60') }]);
    expect(s.lastIndex()).toBe(4);
    expect(s.term(4)).toBe(2);
    expect(s.entries(4, 5).map(value)).toEqual([60]);
  });

  it('prune_prefix_get_range: ranges keep their indices; compacted ranges throw', () => {
    const s = make();
    fill(s, 6);
    prune(s, 2);
    expect(s.entries(3, 6).map((e) => e.index)).toEqual([3, 4, 5]);
    expect(s.entries(3, 5).map(value)).toEqual([30, 40]);
    // The reference clamps 1..=4 to 3..=4; our storage is strict, the core never asks below firstIndex.
    expect(() => s.entries(1, 5)).toThrow(CompactedError);
    expect(() => s.entries(3, 8)).toThrow(UnavailableError);
  });

  it('prune_prefix_then_truncate: a conflicting append drops the suffix', () => {
    const s = make();
    fill(s, 6);
    prune(s, 2);
    s.append([ent(5, 2)]);
    expect(s.lastIndex()).toBe(5);
    expect(s.term(5)).toBe(2);
    expect(s.entries(4, 5).map(value)).toEqual([40]);
  });

  it('prune_prefix_idempotent', () => {
    const s = make();
    fill(s, 5);
    prune(s, 3);
    s.compact(2);
    s.compact(3);
    expect([s.firstIndex(), s.lastIndex()]).toEqual([4, 5]);
    expect(s.entries(4, 5).map(value)).toEqual([40]);
  });

  it('prune_prefix_all_entries: the boundary keeps its term', () => {
    const s = make();
    fill(s, 3);
    prune(s, 3);
    expect([s.firstIndex(), s.lastIndex(), s.term(3)]).toEqual([4, 3, 1]);
    s.append([ent(4)]);
    expect(s.lastIndex()).toBe(4);
  });

  it('prune_prefix_zero_is_noop', () => {
    const s = make();
    fill(s, 3);
    s.compact(0);
    expect([s.firstIndex(), s.lastIndex()]).toEqual([1, 3]);
    expect(s.entries(1, 2).map(value)).toEqual([10]);
  });

  it('truncate_at_pruned_boundary: appending from below the boundary keeps the compacted prefix', () => {
    const s = make();
    fill(s, 5);
    prune(s, 3);
    s.append([ent(2), ent(3), ent(4, 2)]);
    expect([s.firstIndex(), s.lastIndex(), s.term(3), s.term(4)]).toEqual([4, 4, 1, 2]);
  });

  it('rejects gaps, compaction past the snapshot and older snapshots with typed errors', () => {
    const s = make();
    fill(s, 3);
    expect(() => s.append([ent(5)])).toThrow(LogGapError);
    expect(() => s.compact(2)).toThrow(InvalidConfigError);
    s.createSnapshot(2, conf, new Uint8Array([1]));
    expect(() => s.createSnapshot(1, conf, new Uint8Array())).toThrow(SnapshotOutOfDateError);
    expect(() => s.createSnapshot(9, conf, new Uint8Array())).toThrow(UnavailableError);
    expect(() => s.applySnapshot({ meta: { index: 2, term: 1, conf }, data: new Uint8Array() })).toThrow(
      SnapshotOutOfDateError,
    );
  });

  it('applySnapshot replaces the whole log', () => {
    const s = make();
    fill(s, 3);
    s.applySnapshot({ meta: { index: 10, term: 4, conf }, data: new Uint8Array([7]) });
    expect([s.firstIndex(), s.lastIndex(), s.term(10)]).toEqual([11, 10, 4]);
    expect(s.snapshot().data).toEqual(new Uint8Array([7]));
    s.append([ent(11, 4)]);
    expect(s.lastIndex()).toBe(11);
  });
});

describe('FileStorage durability', () => {
  it('recovers everything after reopening', () => {
    const dir = newDir();
    const s = FileStorage.open(dir);
    fill(s, 6);
    s.setHardState({ term: 3, vote: 'b', commit: 5 });
    prune(s, 2);
    s.append([ent(6, 3), ent(7, 3)]);
    s.sync();
    const before = dump(s);
    s.close();
    const again = openFile(dir);
    expect(dump(again)).toEqual(before);
  });

  it('cutting the log at any byte of the last record loses only that record', () => {
    const dir = newDir();
    const s = FileStorage.open(dir);
    fill(s, 4);
    s.setHardState({ term: 2, vote: 'a', commit: 3 });
    s.sync();
    const good = dump(s);
    const goodSize = statSync(join(dir, 'log')).size;
    s.append([ent(5, 2), ent(6, 2)]);
    s.close();
    const full = readFileSync(join(dir, 'log'));
    expect(full.length).toBeGreaterThan(goodSize);
    for (let cut = goodSize; cut < full.length; cut++) {
      const d = newDir();
      FileStorage.open(d).close();
      writeFileSync(join(d, 'log'), full.subarray(0, cut));
      const r = FileStorage.open(d);
      expect(dump(r)).toEqual(good);
      expect(statSync(join(d, 'log')).size).toBe(goodSize);
      // The store keeps working after the repair.
      r.append([ent(5, 3)]);
      r.close();
      expect(FileStorage.open(d).lastIndex()).toBe(5);
    }
  });

  it('treats a damaged last record as torn, and a damaged earlier record as corruption', () => {
    const dir = newDir();
    const s = FileStorage.open(dir);
    fill(s, 2);
    s.append([ent(3)]);
    s.close();
    const full = readFileSync(join(dir, 'log'));
    const flipped = (pos: number) => {
      const b = Buffer.from(full);
      b[pos]! ^= 0x40;
      const d = newDir();
      FileStorage.open(d).close();
      writeFileSync(join(d, 'log'), b);
      return d;
    };
    const last = openFile(flipped(full.length - 1));
    expect(last.lastIndex()).toBe(2);
    expect(() => FileStorage.open(flipped(10))).toThrow(StorageCorruptError);
  });

  it('installs a snapshot whose log record was lost in a crash', () => {
    const dir = newDir();
    const s = FileStorage.open(dir);
    fill(s, 3);
    s.sync();
    const size = statSync(join(dir, 'log')).size;
    s.applySnapshot({ meta: { index: 9, term: 2, conf }, data: new Uint8Array([9]) });
    s.close();
    const d = newDir();
    FileStorage.open(d).close();
    copyFileSync(join(dir, 'snapshot'), join(d, 'snapshot'));
    writeFileSync(join(d, 'log'), readFileSync(join(dir, 'log')).subarray(0, size));
    const r = openFile(d);
    expect([r.firstIndex(), r.lastIndex(), r.term(9)]).toEqual([10, 9, 2]);
  });

  it('rejects a damaged snapshot file', () => {
    const dir = newDir();
    const s = FileStorage.open(dir);
    fill(s, 2);
    s.createSnapshot(2, conf, new Uint8Array([1, 2, 3]));
    s.close();
    const b = readFileSync(join(dir, 'snapshot'));
    b[b.length - 1]! ^= 1;
    writeFileSync(join(dir, 'snapshot'), b);
    expect(() => FileStorage.open(dir)).toThrow(StorageCorruptError);
  });

  it('rewrites the log once compacted records dominate it', () => {
    const dir = newDir();
    const s = FileStorage.open(dir, { rewriteSlack: 1000 });
    for (let i = 1; i <= 200; i++) s.append([ent(i)]);
    s.setHardState({ term: 1, vote: '', commit: 200 });
    const before = statSync(join(dir, 'log')).size;
    prune(s, 195);
    const after = statSync(join(dir, 'log')).size;
    expect(after).toBeLessThan(before / 5);
    s.append([ent(201)]);
    const state = dump(s);
    s.close();
    expect(dump(openFile(dir))).toEqual(state);
  });

  it('syncs off the event loop: the entries written before are there after reopening', async () => {
    const dir = newDir();
    const s = FileStorage.open(dir);
    fill(s, 3);
    s.setHardState({ term: 2, vote: 'a', commit: 3 });
    const synced = s.syncAsync();
    // Writes may go on while the sync runs.
    s.append([ent(4, 2)]);
    await synced;
    const state = dump(s);
    s.close();
    expect(dump(openFile(dir))).toEqual(state);
  });

  it('keeps the log open for a running syncAsync when closed, and does not rewrite it under one', async () => {
    const dir = newDir();
    const s = FileStorage.open(dir, { rewriteSlack: 1000 });
    for (let i = 1; i <= 200; i++) s.append([ent(i)]);
    const synced = s.syncAsync();
    const before = statSync(join(dir, 'log')).size;
    prune(s, 195); // would rewrite, but the sync holds the descriptor
    expect(statSync(join(dir, 'log')).size).toBeGreaterThanOrEqual(before);
    s.close();
    await expect(synced).resolves.toBeUndefined();
    expect(() => s.sync()).toThrow(/closed/);
    expect(() => s.syncAsync()).toThrow(/closed/);
    const again = openFile(dir);
    expect(again.lastIndex()).toBe(200);
    expect(again.firstIndex()).toBe(196);
  });

  it('writes a large snapshot off the event loop, durably, while the log keeps growing', async () => {
    const dir = newDir();
    const s = FileStorage.open(dir);
    fill(s, 10);
    const data = new Uint8Array(20 * 1024 * 1024 + 5).map((_, i) => (i * 7) & 0xff);
    const pending = s.createSnapshotAsync(8, conf, data);
    // Writes go on meanwhile; the snapshot is not recorded before it is durable.
    s.append([ent(11)]);
    s.setHardState({ term: 1, vote: 'a', commit: 11 });
    expect(s.snapshot().meta.index).toBe(0);
    const snap = await pending;
    expect(snap.meta).toEqual({ index: 8, term: 1, conf });
    s.compact(6);
    // Compared apart: a deep equality of 20 MB is slow.
    const { snapshot: _, ...state } = dump(s);
    s.close();
    const again = openFile(dir);
    const { snapshot, ...restored } = dump(again);
    expect(restored).toEqual(state);
    expect(snapshot.meta).toEqual(snap.meta);
    expect(Buffer.compare(again.snapshot().data, data)).toBe(0);
  });

  it('drops a background snapshot overtaken by one installed from the leader', async () => {
    const dir = newDir();
    const s = FileStorage.open(dir);
    fill(s, 10);
    const pending = s.createSnapshotAsync(5, conf, new Uint8Array(3 * 1024 * 1024));
    s.applySnapshot({ meta: { index: 20, term: 2, conf }, data: new Uint8Array([9, 9]) });
    await expect(pending).rejects.toBeInstanceOf(SnapshotOutOfDateError);
    await expect(s.createSnapshotAsync(20, conf, new Uint8Array(1))).rejects.toBeInstanceOf(
      SnapshotOutOfDateError,
    );
    const state = dump(s);
    s.close();
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    const again = openFile(dir);
    expect(dump(again)).toEqual(state);
    expect([...again.snapshot().data]).toEqual([9, 9]);
  });

  it('reads the snapshot file format of earlier versions', () => {
    const dir = newDir();
    const s = FileStorage.open(dir);
    fill(s, 4);
    prune(s, 3);
    const state = dump(s);
    s.close();
    // The earlier format: one framed CBOR record { meta, data }.
    const payload = encodeCbor({ meta: state.snapshot.meta, data: state.snapshot.data });
    const framed = new Uint8Array(8 + payload.length);
    new DataView(framed.buffer).setUint32(0, payload.length);
    new DataView(framed.buffer).setUint32(4, zlib.crc32(payload) >>> 0);
    framed.set(payload, 8);
    writeFileSync(join(dir, 'snapshot'), framed);
    expect(dump(openFile(dir))).toEqual(state);
  });

  it('rejects a snapshot file whose header is damaged', () => {
    const dir = newDir();
    const s = FileStorage.open(dir);
    fill(s, 2);
    s.createSnapshot(2, conf, new Uint8Array([1, 2, 3]));
    s.close();
    const b = readFileSync(join(dir, 'snapshot'));
    b[14]! ^= 1;
    writeFileSync(join(dir, 'snapshot'), b);
    expect(() => FileStorage.open(dir)).toThrow(StorageCorruptError);
  });

  it('computes the same CRC-32 as zlib in its portable fallback', () => {
    const data = new TextEncoder().encode('The quick brown fox jumps over the lazy dog');
    expect(_crc32Portable(data)).toBe(0x414fa339);
    expect(_crc32Portable(data.subarray(9), _crc32Portable(data.subarray(0, 9)))).toBe(0x414fa339);
    if (typeof zlib.crc32 === 'function') expect(zlib.crc32(data)).toBe(0x414fa339);
  });

  it('lets a Raft node resume its term, vote and log after a restart', () => {
    const dir = newDir();
    let st = FileStorage.open(dir);
    let node = new RaftNode({ id: 'a', storage: st, bootstrap: { voters: ['a'], learners: [] } });
    const drain = () => {
      while (node.hasReady()) {
        const rd = node.ready();
        st.append(rd.entries);
        if (rd.hardState) st.setHardState(rd.hardState);
        if (rd.mustSync) st.sync();
        node.advance(rd);
      }
    };
    node.campaign();
    drain();
    node.propose([new Uint8Array([1]), new Uint8Array([2])]);
    drain();
    const { term, commit, lastIndex } = node.status();
    st.close();
    st = openFile(dir);
    node = new RaftNode({ id: 'a', storage: st });
    expect(node.status()).toMatchObject({ term, commit, lastIndex, vote: 'a' });
  });
});

describe('store incarnation', () => {
  it('is drawn for a new store, kept across reopening, and absent for a store from before', () => {
    expect(new MemoryStorage().incarnation).not.toBe(new MemoryStorage().incarnation);
    const dir = newDir();
    const first = openFile(dir);
    expect(first.incarnation).toMatch(/^[0-9a-f]{16}$/);
    fill(first, 3);
    first.sync();
    first.close();
    expect(openFile(dir).incarnation).toBe(first.incarnation);
    expect(openFile(newDir()).incarnation).not.toBe(first.incarnation);
    // A store with contents and no incarnation file (an earlier version) does not get one.
    const legacy = newDir();
    copyFileSync(join(dir, 'log'), join(openFile(legacy).dir, 'log'));
    unlinkSync(join(legacy, 'incarnation'));
    expect(openFile(legacy).incarnation).toBeUndefined();
  });

  it('refuses a damaged incarnation file', () => {
    const dir = newDir();
    openFile(dir).close();
    writeFileSync(join(dir, 'incarnation'), 'not hex');
    expect(() => openFile(dir)).toThrow(StorageCorruptError);
  });
});

describe('maybeCompact', () => {
  it('snapshots past the threshold and keeps a tail of entries', () => {
    const s = new MemoryStorage();
    fill(s, 30);
    let calls = 0;
    const data = () => {
      calls++;
      return new Uint8Array([42]);
    };
    expect(maybeCompact(s, 9, conf, data, { threshold: 10, keep: 3 })).toBe(false);
    expect(maybeCompact(s, 20, conf, data, { threshold: 10, keep: 3 })).toBe(true);
    expect(calls).toBe(1);
    expect(s.snapshot().meta).toEqual({ index: 20, term: 1, conf });
    expect(s.firstIndex()).toBe(18);
    expect(maybeCompact(s, 25, conf, data, { threshold: 10, keep: 3 })).toBe(false);
    expect(maybeCompact(s, 30, conf, data, { threshold: 10, keep: 0 })).toBe(true);
    expect([s.firstIndex(), s.lastIndex()]).toEqual([31, 30]);
  });
});
