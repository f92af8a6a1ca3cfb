import { DecodeError, Digest, decodeCbor, encodeCanonical, encodeCbor, toHex } from '@mosaik/id';
import { createMetrics } from '@mosaik/metrics';
import { snapshotBytes } from '@mosaik/rsm';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defaultCompare } from './codec.js';
import { CellMachine, OnceMachine } from './machines/cell.js';
import type { ByteMachine } from './machines/common.js';
import { MapMachine } from './machines/map.js';
import { PqMachine } from './machines/pq.js';
import { SetMachine } from './machines/set.js';
import { VecMachine } from './machines/vec.js';
import { CollectionMetrics } from './metrics.js';
import { Replica } from './replica.js';

const small = fc.integer({ min: 0, max: 5 }).map((n) => encodeCanonical(n));
const opt = fc.option(small, { nil: undefined });
const commands: Record<string, fc.Arbitrary<unknown>> = {
  map: fc.oneof(
    fc.record({ t: fc.constant(1), k: small, v: small }),
    fc.record({ t: fc.constant(2), k: small, e: opt, n: opt }),
    fc.record({ t: fc.constant(3), ks: fc.array(small, { maxLength: 2 }) }),
    fc.constant({ t: 0 }),
  ),
  vec: fc.oneof(
    fc.record({ t: fc.constantFrom(3, 4), v: small }),
    fc.record({ t: fc.constant(2), i: fc.nat(4), v: small }),
    fc.record({ t: fc.constant(1), i: fc.nat(4), j: fc.nat(4) }),
    fc.record({ t: fc.constantFrom(5, 6, 0) }),
    fc.record({ t: fc.constant(8), n: fc.nat(4) }),
  ),
  set: fc.oneof(
    fc.record({ t: fc.constant(1), v: small }),
    fc.record({ t: fc.constant(2), vs: fc.array(small) }),
  ),
  cell: fc.oneof(
    fc.record({ t: fc.constant(0), v: small }),
    fc.record({ t: fc.constant(1), c: opt, n: opt }),
  ),
  once: fc.record({ t: fc.constant(0), v: small }),
  pq: fc.oneof(
    fc.record({ t: fc.constant(1), p: small, k: small, v: small }),
    fc.record({ t: fc.constant(3), k: small, p: small }),
    fc.record({ t: fc.constant(6), ks: fc.array(small, { maxLength: 2 }) }),
  ),
};
const order = { decode: (b: Uint8Array) => decodeCbor(b), compare: defaultCompare };
const machines: Record<string, () => ByteMachine<unknown, unknown>> = {
  map: () => new MapMachine() as ByteMachine<unknown, unknown>,
  vec: () => new VecMachine() as ByteMachine<unknown, unknown>,
  set: () => new SetMachine() as ByteMachine<unknown, unknown>,
  cell: () => new CellMachine() as ByteMachine<unknown, unknown>,
  once: () => new OnceMachine() as ByteMachine<unknown, unknown>,
  pq: () => new PqMachine(order, 4) as ByteMachine<unknown, unknown>,
};

function replica(kind: string): Replica<unknown, unknown> {
  const metrics = new CollectionMetrics(createMetrics({ network: 'test' }), kind as 'map');
  return new Replica(Digest.from(kind), machines[kind]!(), metrics, { store: 'test' });
}

const ctx = (index: number) => ({ index, term: 1, groupId: Digest.from('g') });

describe.each(Object.keys(commands))('%s replica', (kind) => {
  it('gives byte-identical snapshots from the same commands whatever the batch boundaries', () => {
    fc.assert(
      fc.property(fc.array(commands[kind]!, { maxLength: 30 }), fc.array(fc.nat(5)), (cmds, cuts) => {
        const one = replica(kind);
        one.applyBatch(cmds, ctx(1));
        const other = replica(kind);
        let at = 0;
        for (const cut of cuts) {
          const batch = cmds.slice(at, at + cut + 1);
          if (batch.length === 0) break;
          other.applyBatch(batch, ctx(at + 1));
          at += batch.length;
        }
        for (; at < cmds.length; at++) other.apply(cmds[at], ctx(at + 1));
        expect(toHex(snapshotBytes(other.snapshot()))).toBe(toHex(snapshotBytes(one.snapshot())));
      }),
    );
  });

  it('restore(snapshot()) is the identity, and its command codec round-trips', () => {
    fc.assert(
      fc.property(fc.array(commands[kind]!, { maxLength: 30 }), (cmds) => {
        const a = replica(kind);
        for (const [i, c] of cmds.entries())
          a.apply(a.commandCodec.decode(a.commandCodec.encode(c)), ctx(i + 1));
        const snap = snapshotBytes(a.snapshot());
        const b = replica(kind);
        b.restore(snap);
        expect(toHex(snapshotBytes(b.snapshot()))).toBe(toHex(snap));
      }),
    );
  });

  it('restores the same state from a snapshot cut into pieces anywhere', () => {
    fc.assert(
      fc.property(fc.array(commands[kind]!, { maxLength: 40 }), fc.array(fc.nat(64)), (cmds, cuts) => {
        const a = replica(kind);
        a.applyBatch(cmds, ctx(1));
        const snap = snapshotBytes(a.snapshot());
        const b = replica(kind);
        b.applyBatch(cmds.slice(0, 3), ctx(1)); // replaced wholesale, not merged
        const sink = b.restoreChunks();
        let at = 0;
        for (const cut of cuts) {
          sink.write(snap.subarray(at, Math.min(snap.length, at + cut)));
          at = Math.min(snap.length, at + cut);
        }
        sink.write(snap.subarray(at));
        sink.end();
        expect(toHex(snapshotBytes(b.snapshot()))).toBe(toHex(snap));
      }),
    );
  });

  it('keeps the state until the end of a piecewise restore, and a view stays frozen', () => {
    fc.assert(
      fc.property(
        fc.array(commands[kind]!, { minLength: 1, maxLength: 30 }),
        fc.array(commands[kind]!, { minLength: 1, maxLength: 30 }),
        (first, more) => {
          const a = replica(kind);
          a.applyBatch(first, ctx(1));
          const view = a.snapshot();
          const before = toHex(snapshotBytes(view));
          a.applyBatch(more, ctx(first.length + 1));
          // Taken before `more`: the view still encodes the state it was taken from.
          expect(toHex(snapshotBytes(view))).toBe(before);
          const after = snapshotBytes(a.snapshot());
          const b = replica(kind);
          b.applyBatch(first, ctx(1));
          const sink = b.restoreChunks();
          sink.write(after.subarray(0, after.length >> 1));
          expect(toHex(snapshotBytes(b.snapshot()))).toBe(before);
          sink.write(after.subarray(after.length >> 1));
          sink.end();
          expect(toHex(snapshotBytes(b.snapshot()))).toBe(toHex(after));
        },
      ),
    );
  });

  it('refuses malformed snapshot bytes with a DecodeError, whole or in pieces', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.nat(64), (bytes, cut) => {
        const b = replica(kind);
        const sink = b.restoreChunks();
        try {
          sink.write(bytes.subarray(0, cut));
          sink.write(bytes.subarray(cut));
          sink.end();
        } catch (error) {
          expect(error).toBeInstanceOf(DecodeError);
        }
      }),
    );
  });
});

describe('snapshots of earlier versions', () => {
  it('restore: one CBOR value per snapshot, as a general encoder wrote it', () => {
    const k = encodeCanonical('k');
    const v = encodeCanonical(7);
    const cases: [string, unknown][] = [
      ['map', ['map', [[k, v]]]],
      ['set', ['set', [k]]],
      ['vec', ['vec', [k, v]]],
      ['pq', ['pq', [[encodeCanonical(1), k, v]]]],
    ];
    for (const [kind, legacy] of cases) {
      const fresh = replica(kind);
      fresh.restore(encodeCbor(legacy));
      expect(toHex(snapshotBytes(fresh.snapshot()))).toBe(toHex(encodeCbor(legacy)));
    }
  });
});
