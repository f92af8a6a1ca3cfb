import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DecodeError, Digest, encodeCbor, randomBytes, toHex, waitFor } from '@mosaik/id';
import { FileStorage, MemoryStorage, type Storage } from '@mosaik/raft';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Cluster, discoverAll, FAST, T } from '../test/fixtures.js';
import type { Group } from './group.js';
import {
  collectSliced,
  compressSliced,
  EnvelopeReader,
  encodeEnvelope,
  envelopeChunks,
  feedSliced,
  Inflater,
  openEnvelope,
} from './snapshot.js';
import { type SnapshotSink, type SnapshotView, type StateMachine, snapshotBytes } from './state-machine.js';
import { storage } from './storage.js';

/** A view that cuts `bytes` into pieces at `cuts`. */
function cutInto(bytes: Uint8Array, cuts: readonly number[]): SnapshotView {
  return {
    *chunks() {
      let at = 0;
      for (const cut of cuts) {
        const end = Math.min(bytes.length, at + cut);
        yield bytes.subarray(at, end);
        at = end;
      }
      yield bytes.subarray(at);
    },
  };
}

/** A header with no admissions. */
const C = { cluster: 'c', admitted: [] };

describe('snapshot envelope', () => {
  it('holds the same bytes however the machine cuts its state, and opens to it', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string(),
        fc.array(fc.tuple(fc.string(), fc.string()), { maxLength: 4 }),
        fc.uint8Array({ maxLength: 300 }),
        fc.array(fc.nat(50)),
        async (cluster, admitted, state, cuts) => {
          const whole = encodeEnvelope({ cluster, admitted }, state);
          const sliced = await collectSliced(
            envelopeChunks({ cluster, admitted }, cutInto(state, cuts)),
            () => false,
          );
          expect(toHex(sliced!)).toBe(toHex(whole));
          const opened = openEnvelope(whole);
          expect(opened.cluster).toBe(cluster);
          expect(opened.admitted).toEqual(admitted);
          expect(toHex(opened.state)).toBe(toHex(state));
        },
      ),
    );
  });

  it('refuses a header whose admissions are malformed', () => {
    const good = encodeEnvelope({ cluster: 'c', admitted: [['m', 'life']] }, new Uint8Array([1]));
    expect(openEnvelope(good).admitted).toEqual([['m', 'life']]);
    for (const admitted of ['x', [['m']], [['m', 1]], [7]]) {
      const header = encodeCbor({ cluster: 'c', admitted });
      const bytes = new Uint8Array(8 + header.length);
      bytes.set(good.subarray(0, 4), 0);
      new DataView(bytes.buffer).setUint32(4, header.length);
      bytes.set(header, 8);
      expect(() => openEnvelope(bytes)).toThrow(DecodeError);
    }
  });

  it('opens the single-CBOR envelope of earlier versions', () => {
    const legacy = encodeCbor({ cluster: 'c-1', state: new Uint8Array([1, 2, 3]) });
    const opened = openEnvelope(legacy);
    expect(opened.cluster).toBe('c-1');
    expect([...opened.state]).toEqual([1, 2, 3]);
  });

  it('refuses malformed envelopes with a DecodeError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => {
        try {
          openEnvelope(bytes);
        } catch (error) {
          expect(error).toBeInstanceOf(DecodeError);
        }
      }),
    );
    expect(() => openEnvelope(new Uint8Array([0, 0x6d, 0x73, 0x32, 0, 0, 1, 0]))).toThrow(DecodeError);
  });

  it('stops encoding or feeding as soon as the result is no longer wanted', async () => {
    let drawn = 0;
    const endless: Iterable<Uint8Array> = {
      *[Symbol.iterator]() {
        for (;;) {
          drawn++;
          yield new Uint8Array(16);
        }
      },
    };
    expect(await collectSliced(endless, () => drawn >= 10)).toBeUndefined();
    expect(drawn).toBe(10);
    const written: number[] = [];
    const sink: SnapshotSink = { write: (p) => written.push(p.length), end: () => {} };
    expect(await feedSliced(sink, new Uint8Array(1 << 20), () => written.length >= 2)).toBe(false);
    expect(written).toEqual([64 * 1024, 64 * 1024]);
    expect(await feedSliced(sink, new Uint8Array(600 * 1024), () => false)).toBe(true);
  });
});

type LedgerCommand = { readonly put: string; readonly value: string };

/**
 * A key-value machine with a large state that snapshots as a frozen view, one piece per entry,
 * and restores piece by piece; it counts the pieces it was restored from.
 */
class Ledger implements StateMachine<LedgerCommand, null, number> {
  readonly signature = Digest.from('rsm-test-ledger');
  map = new Map<string, string>();
  /** Pieces of every piecewise restore, in order. */
  readonly restores: number[] = [];
  apply(cmd: LedgerCommand): void {
    this.map.set(cmd.put, cmd.value);
  }
  query(): number {
    return this.map.size;
  }
  snapshot(): SnapshotView {
    const frozen = [...this.map.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
    const text = new TextEncoder();
    return {
      *chunks() {
        for (const [k, v] of frozen) yield text.encode(`${k}=${v}\n`);
      },
    };
  }
  restore(bytes: Uint8Array): void {
    const sink = this.#sink(false);
    sink.write(bytes);
    sink.end();
  }
  restoreChunks(): SnapshotSink {
    return this.#sink(true);
  }
  #sink(counted: boolean): SnapshotSink {
    const next = new Map<string, string>();
    const text = new TextDecoder();
    let rest = '';
    let pieces = 0;
    return {
      write: (piece) => {
        pieces++;
        const lines = (rest + text.decode(piece, { stream: true })).split('\n');
        rest = lines.pop()!;
        for (const line of lines) {
          const eq = line.indexOf('=');
          if (eq < 0) throw new DecodeError('not a ledger line');
          next.set(line.slice(0, eq), line.slice(eq + 1));
        }
      },
      end: () => {
        if (rest !== '') throw new DecodeError('ledger snapshot cut off');
        this.map = next;
        if (counted) this.restores.push(pieces);
      },
    };
  }
}

type LedgerGroup = Group<LedgerCommand, null, number>;

/** Reads `bytes` cut at `cuts` as the driver does a snapshot arriving in chunks. */
async function readInPieces(bytes: Uint8Array, cuts: readonly number[]) {
  const reader = new EnvelopeReader();
  let inflater: Inflater | undefined;
  const state: Uint8Array[] = [];
  const take = async (piece: Uint8Array, last: boolean) => {
    if (!reader.deflated) return void state.push(piece);
    inflater ??= new Inflater();
    state.push(...(await inflater.write(piece)));
    if (last) state.push(...(await inflater.end()));
  };
  for (const piece of cutInto(bytes, cuts).chunks()) await take(reader.write(piece), false);
  const rest = reader.end();
  await take(rest.state, true);
  return { cluster: rest.cluster, state: toHex(snapshotBytes({ chunks: () => state })) };
}

describe('snapshot envelope in pieces', () => {
  it('gives back the cluster and the state however the snapshot is cut, compressed or not', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string(),
        fc.uint8Array({ maxLength: 3000 }),
        fc.array(fc.nat(700)),
        fc.array(fc.nat(100)),
        async (cluster, state, viewCuts, cuts) => {
          const expected = { cluster, state: toHex(state) };
          const compressed = await compressSliced(
            { cluster, admitted: [] },
            cutInto(state, viewCuts),
            () => false,
          );
          expect(compressed!.stateBytes).toBe(state.length);
          expect(await readInPieces(compressed!.data, cuts)).toEqual(expected);
          const opened = openEnvelope(compressed!.data);
          expect({ cluster: opened.cluster, state: toHex(opened.state) }).toEqual(expected);
          expect(await readInPieces(encodeEnvelope({ cluster, admitted: [] }, state), cuts)).toEqual(
            expected,
          );
          expect(await readInPieces(encodeCbor({ cluster, state }), cuts)).toEqual(expected);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('compresses a repetitive state, and gives up as soon as it is no longer wanted', async () => {
    const state = new Uint8Array(1024 * 1024).fill(3);
    const compressed = await compressSliced(C, state, () => false);
    expect(compressed!.data.length).toBeLessThan(state.length / 20);
    let asked = 0;
    const view: SnapshotView = {
      *chunks() {
        for (;;) yield new Uint8Array(1024);
      },
    };
    expect(await compressSliced(C, view, () => ++asked >= 5)).toBeUndefined();
  });

  it('round-trips states on both sides of the one-call compression sizes, streamed or not', async () => {
    // Pseudo-random bytes barely compress: the larger states cross both thresholds (256 KiB of
    // state to compress in the thread pool, 64 KiB compressed to inflate there).
    for (const size of [0, 1000, 60 * 1024, 256 * 1024, 256 * 1024 + 1, 900 * 1024]) {
      let x = size + 1;
      const state = new Uint8Array(size).map(() => {
        x = (x * 1103515245 + 12345) >>> 0;
        return x >>> 24;
      });
      const compressed = (await compressSliced(C, cutInto(state, [5000, 70_000]), () => false))!;
      expect(compressed.stateBytes).toBe(size);
      const read = await readInPieces(compressed.data, [30_000, 1, 100_000]);
      expect(read).toEqual({ cluster: 'c', state: toHex(state) });
    }
  });

  it('refuses a damaged compressed state with a DecodeError', async () => {
    const compressed = (await compressSliced(
      C,
      new Uint8Array(50_000).map((_, i) => i % 7),
      () => false,
    ))!;
    const damaged = compressed.data.slice();
    damaged.fill(0xff, damaged.length - 40);
    expect(() => openEnvelope(damaged)).toThrow(DecodeError);
    await expect(readInPieces(damaged, [100, 1000])).rejects.toBeInstanceOf(DecodeError);
    const cut = compressed.data.subarray(0, compressed.data.length - 10);
    await expect(readInPieces(cut, [100])).rejects.toBeInstanceOf(DecodeError);
    // Large enough to be inflated as a stream.
    let x = 7;
    const noise = new Uint8Array(200_000).map(() => {
      x = (x * 1103515245 + 12345) >>> 0;
      return x >>> 24;
    });
    const big = (await compressSliced(C, noise, () => false))!.data.slice();
    big.fill(0xff, 1000, 1400);
    await expect(readInPieces(big, [100, 100_000])).rejects.toBeInstanceOf(DecodeError);
  });
});

describe('snapshot transfer', () => {
  it('a late member catches up through a multi-chunk snapshot, and keeps it across a restart', async () => {
    const dirA = mkdtempSync(join(tmpdir(), 'rsm-snap-a-'));
    const dirB = mkdtempSync(join(tmpdir(), 'rsm-snap-b-'));
    try {
      await using c = new Cluster();
      const [a, b] = await c.addMany(2);
      // 4 KiB chunks: any snapshot past the first (20 entries of over 220 bytes) takes several, the
      // last ones (about 600 KB, random hex values: about half that compressed) dozens.
      const config = {
        ...FAST,
        snapshotThreshold: 20,
        snapshotKeep: 2,
        snapshotChunkSize: 4096,
        deadMemberTimeout: 600_000,
      };
      const leader = new Ledger();
      const ga: LedgerGroup = a!.groups
        .withKey('ledger')
        .withStateMachine(leader)
        .withConsensus(config)
        .withStorage(storage.file(dirA))
        .join();
      await ga.when.isLeader();
      const value = toHex(randomBytes(110));
      let last = 0;
      for (let i = 0; i < 3000; i += 100) {
        const batch = Array.from({ length: 100 }, (_, j) => ({
          put: `k${(i + j).toString().padStart(5, '0')}`,
          value,
        }));
        last = (await ga.executeMany(batch)).last;
      }
      // Compacted behind a snapshot: the late member cannot be fed from the first entries.
      await waitFor(() => ga.committed() >= last);
      await ga.execute({ put: 'tick', value: '1' });
      await discoverAll([a!, b!]);
      const late = new Ledger();
      const gb: LedgerGroup = b!.groups
        .withKey('ledger')
        .withStateMachine(late)
        .withConsensus(config)
        .withStorage(storage.file(dirB))
        .join();
      await waitFor(gb.when.committed().reaches(last), { timeout: 4 * T, message: 'late member catch-up' });
      await waitFor(() => late.map.size === leader.map.size, { timeout: T, message: 'late member size' });
      // Restored piece by piece, from a snapshot far larger than one chunk.
      expect(late.restores.length).toBeGreaterThan(0);
      const same = (m: Ledger) =>
        toHex(snapshotBytes(m.snapshot())) === toHex(snapshotBytes(leader.snapshot()));
      expect(same(late)).toBe(true);
      // The snapshot it installed and its log are on disk: a restart comes back with everything.
      await b!.close();
      expect(readdirSync(dirB).filter((f) => f.endsWith('.tmp'))).toEqual([]);
      const b2 = await c.add(b!.node.secretKey);
      const restarted = new Ledger();
      const gb2: LedgerGroup = b2.groups
        .withKey('ledger')
        .withStateMachine(restarted)
        .withConsensus(config)
        .withStorage(storage.file(dirB))
        .join();
      await waitFor(() => restarted.map.size >= 3000, { timeout: T, message: 'restarted state' });
      await discoverAll([a!, b2]);
      const more = await ga.execute({ put: 'after', value: 'restart' });
      await waitFor(gb2.when.committed().reaches(more), { timeout: T, message: 'restarted follows' });
      await waitFor(() => restarted.map.get('after') === 'restart', { timeout: T });
      expect(same(restarted)).toBe(true);
      // The leader's snapshots were written in the background; what is on disk opens and restores.
      await a!.close();
      const disk = FileStorage.open(dirA);
      try {
        const snap = disk.snapshot();
        expect(snap.meta.index).toBeGreaterThan(20);
        expect(disk.firstIndex()).toBeGreaterThan(1);
        const fromDisk = new Ledger();
        fromDisk.restore(openEnvelope(snap.data).state);
        expect(fromDisk.map.size).toBeGreaterThan(20);
        expect(fromDisk.map.get('k00000')).toBe(value);
      } finally {
        disk.close();
      }
    } finally {
      rmSync(dirA, { recursive: true, force: true });
      rmSync(dirB, { recursive: true, force: true });
    }
  });

  it('a machine without restoreChunks on a storage without receiveSnapshot gets the snapshot whole', async () => {
    await using c = new Cluster();
    const [a, b] = await c.addMany(2);
    const config = { ...FAST, snapshotThreshold: 20, snapshotKeep: 2, snapshotChunkSize: 1024 };
    const leader = new Ledger();
    const leaderStorage = new MemoryStorage();
    const ga: LedgerGroup = a!.groups
      .withKey('plain')
      .withStateMachine(leader)
      .withConsensus(config)
      .withStorage(storage.custom(() => leaderStorage))
      .join();
    await ga.when.isLeader();
    let last = 0;
    for (let i = 0; i < 400; i += 100) {
      const batch = Array.from({ length: 100 }, (_, j) => ({
        put: `k${i + j}`,
        value: toHex(randomBytes(40)),
      }));
      last = (await ga.executeMany(batch)).last;
    }
    // The leader's log is compacted behind a snapshot of most of it: the late member needs that one.
    for (let i = 0; leaderStorage.firstIndex() < last - 50; i++) {
      if (i >= 500) throw new Error(`the leader's log was not compacted past ${last - 50}`);
      await ga.execute({ put: 'tick', value: String(i) });
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await discoverAll([a!, b!]);
    // A storage that only knows `applySnapshot`, and a machine that only knows `restore`.
    const applied: number[] = [];
    const mem = new MemoryStorage();
    const plainStorage = new Proxy(mem, {
      get(target, key) {
        if (key === 'receiveSnapshot') return undefined;
        if (key === 'applySnapshot')
          return (snap: Parameters<Storage['applySnapshot']>[0]) => {
            applied.push(snap.data.length);
            target.applySnapshot(snap);
          };
        const v = Reflect.get(target, key) as unknown;
        return typeof v === 'function' ? v.bind(target) : v;
      },
    }) as Storage;
    const late = new Ledger();
    const plainMachine: StateMachine<LedgerCommand, null, number> = {
      signature: late.signature,
      apply: (cmd) => late.apply(cmd),
      query: () => late.query(),
      snapshot: () => late.snapshot(),
      restore: (bytes) => late.restore(bytes),
    };
    const gb = b!.groups
      .withKey('plain')
      .withStateMachine(plainMachine)
      .withConsensus(config)
      .withStorage(storage.custom(() => plainStorage))
      .join();
    await waitFor(gb.when.committed().reaches(last), { timeout: 4 * T, message: 'late member catch-up' });
    await waitFor(() => late.map.size === leader.map.size, { timeout: T, message: 'late member size' });
    expect(applied.length).toBeGreaterThan(0);
    expect(Math.max(...applied), `installed: ${applied}`).toBeGreaterThan(1024);
    expect(late.restores).toEqual([]);
    expect(toHex(snapshotBytes(late.snapshot()))).toBe(toHex(snapshotBytes(leader.snapshot())));
  });
});
