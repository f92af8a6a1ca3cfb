import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DecodeError, encodeCbor } from '../index.js';
import { decodeReport, encodeReport, type NodeReport } from './report.js';

const sampleReport: NodeReport = {
  peer: 'aa',
  network: 'nn',
  at: 1_000,
  produced: [
    {
      stream: 's1',
      online: true,
      datums: 10,
      dropped: 1,
      subscribers: [
        { peer: 'bb', state: 'connected', datums: 9, bytes: 90, queued: 1, capacity: 1024, dropped: 1 },
      ],
    },
  ],
  consumed: [
    {
      stream: 's2',
      online: true,
      datums: 4,
      queued: 0,
      producers: [{ peer: 'cc', state: 'connected', datums: 4, bytes: 40 }],
    },
  ],
  groups: [
    {
      group: 'g',
      role: 'leader',
      term: 3,
      leader: 'aa',
      commit: 7,
      applied: 7,
      lastIndex: 7,
      voters: ['aa', 'bb', 'cc'],
      learners: [],
      observers: [],
      cluster: 'c1',
      bonds: [{ peer: 'bb', rttMs: null, silenceMs: 12, term: 3, commit: 7, cluster: 'c1' }],
      machine: { kind: 'map', size: 3, version: 7 },
    },
  ],
};

describe('status reports', () => {
  it('round-trip through CBOR', () => {
    expect(decodeReport(encodeReport(sampleReport))).toEqual(sampleReport);
  });

  it('refuse reports with a wrong field', () => {
    const broken = [
      { ...sampleReport, at: 'later' },
      { ...sampleReport, produced: {} },
      { ...sampleReport, groups: [{ ...sampleReport.groups[0], term: Number.NaN }] },
      { ...sampleReport, groups: [{ ...sampleReport.groups[0], voters: [1] }] },
      { ...sampleReport, peer: 'x'.repeat(300) },
      { ...sampleReport, consumed: new Array(5000).fill(sampleReport.consumed[0]) },
      [sampleReport],
      null,
    ];
    for (const b of broken) expect(() => decodeReport(encodeCbor(b))).toThrow(DecodeError);
  });

  it('turn any bytes into a report or a DecodeError', () => {
    const good = encodeReport(sampleReport);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), fc.nat(good.length), (bytes, cut) => {
        for (const input of [bytes, good.subarray(0, cut)]) {
          try {
            decodeReport(input);
          } catch (error) {
            expect(error).toBeInstanceOf(DecodeError);
          }
        }
      }),
    );
  });

  it('turn any CBOR value into a report or a DecodeError', () => {
    fc.assert(
      fc.property(fc.anything(), (value) => {
        let bytes: Uint8Array;
        try {
          bytes = encodeCbor(value);
        } catch {
          return;
        }
        try {
          decodeReport(bytes);
        } catch (error) {
          expect(error).toBeInstanceOf(DecodeError);
        }
      }),
    );
  });
});
