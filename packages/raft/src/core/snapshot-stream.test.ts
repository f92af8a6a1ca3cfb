import { DecodeError } from '@mosaik/id';
import { describe, expect, it } from 'vitest';
import { toMessage } from '../codec.js';
import { SnapshotTransferError } from '../errors.js';
import { MemoryStorage } from '../storage/memory.js';
import { Harness } from '../testing/harness.js';
import {
  EntryType,
  type Message,
  MessageType,
  type Ready,
  type SnapshotMessage,
  type SnapshotMeta,
} from '../types.js';
import { SnapshotAssembler } from './assembler.js';
import { RaftNode } from './raft.js';

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);
const conf = { voters: ['a', 'b', 'c'], learners: [] };
const metaA: SnapshotMeta = { index: 10, term: 1, conf };
const STATE = enc('0123456789ab');

/** Chunk `[offset, offset + size)` of `state`, as leader `from` sends it. */
function chunk(
  offset: number,
  size = 4,
  { from = 'a', term = 1, meta = metaA, state = STATE } = {},
): SnapshotMessage {
  return {
    t: MessageType.Snapshot,
    from,
    to: 'b',
    term,
    meta,
    offset,
    total: state.length,
    data: state.subarray(offset, offset + size),
  };
}

/** A fresh follower `b` (joining: no configuration of its own). */
const follower = (storage = new MemoryStorage()) => new RaftNode({ id: 'b', storage });

const assemblers = new WeakMap<RaftNode, SnapshotAssembler>();

/** Takes the node's Ready, stores it as a careful caller would, and advances. */
function drain(node: RaftNode, storage: MemoryStorage) {
  let assembler = assemblers.get(node);
  if (assembler === undefined) {
    assembler = new SnapshotAssembler();
    assemblers.set(node, assembler);
  }
  const rd = node.ready();
  const snapshot = assembler.take(rd);
  if (snapshot !== undefined) storage.applySnapshot(snapshot);
  storage.append(rd.entries);
  if (rd.hardState !== undefined) storage.setHardState(rd.hardState);
  node.advance(rd);
  return { rd, snapshot };
}

const chunkOffsets = (rd: Ready) => rd.snapshotChunks.map((c) => [c.offset, dec(c.data)]);
const snapshotResps = (rd: Ready) =>
  rd.messages.flatMap((m: Message) => (m.t === MessageType.SnapshotResp ? [[m.offset, m.reject]] : []));

describe('receiving a snapshot in chunks', () => {
  it('hands the chunks out in order as they arrive, without copying them, then installs', () => {
    const storage = new MemoryStorage();
    const b = follower(storage);
    const first = chunk(0);
    b.step(first);
    let { rd } = drain(b, storage);
    expect(chunkOffsets(rd)).toEqual([[0, '0123']]);
    expect(rd.snapshotChunks[0]!.data).toBe(first.data);
    expect(rd.snapshot).toBeUndefined();
    expect(snapshotResps(rd)).toEqual([[4, false]]);
    b.step(chunk(4));
    b.step(chunk(8));
    const out = drain(b, storage);
    rd = out.rd;
    expect(chunkOffsets(rd)).toEqual([
      [4, '4567'],
      [8, '89ab'],
    ]);
    expect(rd.snapshot).toEqual(metaA);
    expect(rd.mustSync).toBe(true);
    expect(dec(out.snapshot!.data)).toBe('0123456789ab');
    const resp = rd.messages.find((m) => m.t === MessageType.AppendResp);
    expect(resp).toMatchObject({ index: 10, reject: false });
    expect(b.status()).toMatchObject({ commit: 10, firstIndex: 11, lastIndex: 10, conf });
    expect(b.hasReady()).toBe(false);
  });

  it('hands out neither a chunk past a gap nor a duplicate, and says where it is', () => {
    const storage = new MemoryStorage();
    const b = follower(storage);
    b.step(chunk(0));
    b.step(chunk(8)); // chunk 4 was lost
    b.step(chunk(0)); // a copy sent again
    let { rd } = drain(b, storage);
    expect(chunkOffsets(rd)).toEqual([[0, '0123']]);
    expect(snapshotResps(rd)).toEqual([
      [4, false],
      [4, false],
      [4, false],
    ]);
    b.step(chunk(4));
    b.step(chunk(8));
    ({ rd } = drain(b, storage));
    expect(chunkOffsets(rd).map(([o]) => o)).toEqual([4, 8]);
    expect(rd.snapshot?.index).toBe(10);
  });

  it('a restarted follower asks the leader to start over, and takes the transfer from byte 0', () => {
    const storage = new MemoryStorage();
    let b = follower(storage);
    b.step(chunk(0));
    drain(b, storage);
    b = follower(storage); // crash: what was received is gone with the process
    b.step(chunk(4));
    let { rd } = drain(b, storage);
    expect(rd.snapshotChunks).toEqual([]);
    expect(snapshotResps(rd)).toEqual([[0, true]]);
    b.step(chunk(0, 12));
    ({ rd } = drain(b, storage));
    expect(chunkOffsets(rd)).toEqual([[0, '0123456789ab']]);
    expect(rd.snapshot?.index).toBe(10);
    expect(dec(storage.snapshot().data)).toBe('0123456789ab');
  });

  it('continues the same snapshot from a new leader, and drops it for a different one', () => {
    const storage = new MemoryStorage();
    const b = follower(storage);
    b.step(chunk(0));
    drain(b, storage);
    // Leader c (term 2) holds the same snapshot: the transfer goes on where it was.
    b.step(chunk(4, 4, { from: 'c', term: 2 }));
    let { rd } = drain(b, storage);
    expect(chunkOffsets(rd)).toEqual([[4, '4567']]);
    expect(rd.snapshotAbandoned).toBe(false);
    // Leader a again (term 3) with a newer snapshot: not in the middle of one...
    const other = enc('ABCDEFGHIJKLMNOP');
    const metaB: SnapshotMeta = { index: 20, term: 3, conf };
    b.step(chunk(8, 4, { term: 3, meta: metaB, state: other }));
    ({ rd } = drain(b, storage));
    expect(snapshotResps(rd)).toEqual([[0, true]]);
    expect(rd.snapshotChunks).toEqual([]);
    // ...so from its start: what was handed out of the first one is to be discarded.
    b.step(chunk(0, 8, { term: 3, meta: metaB, state: other }));
    ({ rd } = drain(b, storage));
    expect(rd.snapshotAbandoned).toBe(true);
    expect(chunkOffsets(rd)).toEqual([[0, 'ABCDEFGH']]);
    b.step(chunk(8, 8, { term: 3, meta: metaB, state: other }));
    ({ rd } = drain(b, storage));
    expect(rd.snapshotAbandoned).toBe(false);
    expect(rd.snapshot).toEqual(metaB);
    expect(dec(storage.snapshot().data)).toBe('ABCDEFGHIJKLMNOP');
  });

  it('drops a transfer made useless by entries that committed past it', () => {
    const storage = new MemoryStorage();
    const b = follower(storage);
    b.step(chunk(0, 12));
    drain(b, storage);
    const state = enc('0123456789abcdefghij');
    const metaB: SnapshotMeta = { index: 20, term: 1, conf };
    b.step(chunk(0, 4, { meta: metaB, state }));
    drain(b, storage);
    const entries = Array.from({ length: 15 }, (_, i) => ({
      term: 1,
      index: 11 + i,
      type: EntryType.Normal,
      data: enc(`e${i}`),
    }));
    b.step({
      t: MessageType.Append,
      from: 'a',
      to: 'b',
      term: 1,
      index: 10,
      logTerm: 1,
      entries,
      commit: 25,
    });
    drain(b, storage);
    b.step(chunk(4, 4, { meta: metaB, state }));
    const { rd } = drain(b, storage);
    expect(rd.snapshotAbandoned).toBe(true);
    expect(rd.snapshotChunks).toEqual([]);
    expect(rd.snapshot).toBeUndefined();
    expect(rd.messages.find((m) => m.t === MessageType.AppendResp)).toMatchObject({ index: 25 });
  });

  it('refuses an inconsistent chunk: past its total, or a total that changed', () => {
    const storage = new MemoryStorage();
    const b = follower(storage);
    b.step({ ...chunk(0), total: 3 });
    let { rd } = drain(b, storage);
    expect(rd.snapshotChunks).toEqual([]);
    expect(snapshotResps(rd)).toEqual([[0, true]]);
    b.step(chunk(0));
    b.step({ ...chunk(4), total: 100 });
    ({ rd } = drain(b, storage));
    expect(chunkOffsets(rd)).toEqual([[0, '0123']]);
    expect(snapshotResps(rd)).toEqual([
      [4, false],
      [0, true],
    ]);
    // On the wire such a chunk never gets this far: the codec refuses it.
    const wire = { ...chunk(0), total: 3 };
    expect(() => toMessage(wire)).toThrow(DecodeError);
  });
});

describe('SnapshotAssembler', () => {
  it('refuses chunks that do not line up with a typed error', () => {
    const base: Ready = {
      entries: [],
      snapshotAbandoned: false,
      snapshotChunks: [],
      committedEntries: [],
      messages: [],
      readStates: [],
      mustSync: false,
    };
    const c = (offset: number, data: Uint8Array) => ({ meta: metaA, offset, total: 12, data });
    const a = new SnapshotAssembler();
    expect(() => a.take({ ...base, snapshotChunks: [c(4, enc('4567'))] })).toThrow(SnapshotTransferError);
    expect(() => a.take({ ...base, snapshotChunks: [c(0, enc('0123456789abc'))] })).toThrow(
      SnapshotTransferError,
    );
    expect(() => a.take({ ...base, snapshotChunks: [c(0, enc('0123'))], snapshot: metaA })).toThrow(
      SnapshotTransferError,
    );
    a.take({ ...base, snapshotChunks: [c(0, enc('0123'))] });
    expect(a.take({ ...base, snapshotAbandoned: true })).toBeUndefined();
    expect(() => a.take({ ...base, snapshot: metaA })).toThrow(SnapshotTransferError);
  });
});

describe('sending a snapshot', () => {
  it('switches a transfer to a newer snapshot once, while it is less than half done', () => {
    const h = new Harness(['a', 'b', 'c'], { snapshotChunkSize: 4 });
    h.elect('a');
    h.isolate('c');
    const a = h.get('a');
    a.node.propose([enc('x')]);
    h.settle();
    const first = a.applied[a.applied.length - 1]!.index;
    a.storage.createSnapshot(first, a.node.conf, enc('old-snapshot-0123456789abcdef'));
    a.storage.compact(first);
    const sent: [number, number][] = [];
    let newer = 0;
    h.filter = (m) => {
      if (m.t !== MessageType.Snapshot) return true;
      sent.push([m.meta.index, m.offset]);
      // Once the first chunks of the old one went out, the leader records a newer snapshot.
      if (newer === 0 && m.offset === 4) {
        a.node.propose([enc('y')]);
        h.settle();
        newer = a.applied[a.applied.length - 1]!.index;
        a.storage.createSnapshot(newer, a.node.conf, enc('new-snapshot-ABCDEFGH'));
        a.storage.compact(newer);
      }
      return true;
    };
    h.heal();
    h.tick(10);
    h.settle();
    const c = h.get('c');
    expect(newer).toBeGreaterThan(first);
    expect(dec(c.storage.snapshot().data)).toBe('new-snapshot-ABCDEFGH');
    expect(c.storage.snapshot().meta.index).toBe(newer);
    // The newer snapshot went from its first byte; the old one never completed.
    const newOffsets = sent.filter(([i]) => i === newer).map(([, o]) => o);
    expect(newOffsets[0]).toBe(0);
    expect(sent.filter(([i, o]) => i === first && o >= 24)).toEqual([]);
    a.node.propose([enc('after')]);
    h.settle();
    expect(c.applied.some((e) => dec(e.data) === 'after')).toBe(true);
  });
});
