import { DecodeError, encodeCbor } from '@mosaik/id';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { entry, message } from '../test/arbitraries.js';
import { entryCodec, messageCodec } from './codec.js';
import { MessageType } from './types.js';

/** Decoding may only succeed or throw a DecodeError. */
function decodeOrDecodeError(bytes: Uint8Array): void {
  try {
    messageCodec.decode(bytes);
  } catch (e) {
    expect(e).toBeInstanceOf(DecodeError);
  }
}

describe('message codec', () => {
  it('round-trips every message type', () => {
    fc.assert(
      fc.property(message, (m) => {
        expect(messageCodec.decode(messageCodec.encode(m))).toEqual(m);
      }),
    );
  });

  it('throws only DecodeError on random bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), decodeOrDecodeError), { numRuns: 2000 });
  });

  it('throws DecodeError on every truncation of a valid message', () => {
    fc.assert(
      fc.property(message, (m) => {
        const b = messageCodec.encode(m);
        for (let i = 0; i < b.length; i++)
          expect(() => messageCodec.decode(b.subarray(0, i))).toThrow(DecodeError);
      }),
      { numRuns: 200 },
    );
  });

  it('throws only DecodeError when a byte of a valid message is flipped', () => {
    fc.assert(
      fc.property(message, fc.nat(), fc.integer({ min: 1, max: 255 }), (m, pos, x) => {
        const b = messageCodec.encode(m).slice();
        b[pos % b.length]! ^= x;
        decodeOrDecodeError(b);
      }),
      { numRuns: 1000 },
    );
  });

  it('rejects well-formed CBOR with a malformed body', () => {
    const ok = {
      t: MessageType.AppendResp,
      from: 'a',
      to: 'b',
      term: 1,
      index: 2,
      reject: false,
      hint: 0,
      hintTerm: 0,
    };
    expect(messageCodec.decode(encodeCbor(ok))).toEqual(ok);
    const bad: unknown[] = [
      { ...ok, t: 99 },
      { ...ok, term: -1 },
      { ...ok, term: 1.5 },
      { ...ok, index: '2' },
      { ...ok, from: 7 },
      { ...ok, reject: 'no' },
      [ok],
      null,
      'hello',
      { t: MessageType.Append, from: 'a', to: 'b', term: 1, index: 0, logTerm: 0, commit: 0, entries: 'x' },
      {
        t: MessageType.Append,
        from: 'a',
        to: 'b',
        term: 1,
        index: 0,
        logTerm: 0,
        commit: 0,
        entries: [
          { term: 1, index: 1, type: 0, data: new Uint8Array(0) },
          { term: 1, index: 3, type: 0, data: new Uint8Array(0) },
        ],
      },
      {
        t: MessageType.Append,
        from: 'a',
        to: 'b',
        term: 1,
        index: 4,
        logTerm: 1,
        commit: 0,
        entries: [{ term: 1, index: 7, type: 0, data: new Uint8Array(0) }],
      },
      {
        t: MessageType.Snapshot,
        from: 'a',
        to: 'b',
        term: 1,
        meta: { index: 1, term: 1, conf: { voters: [], learners: [] } },
        offset: 2,
        total: 3,
        data: new Uint8Array(2),
      },
      // A relay of nothing, a relay without its target, a relayed append without its leader.
      {
        t: MessageType.Relay,
        from: 'a',
        to: 'b',
        term: 1,
        target: 'd',
        index: 4,
        logTerm: 1,
        last: 4,
        lastTerm: 1,
        commit: 0,
      },
      {
        t: MessageType.Relay,
        from: 'a',
        to: 'b',
        term: 1,
        index: 4,
        logTerm: 1,
        last: 5,
        lastTerm: 1,
        commit: 0,
      },
      {
        t: MessageType.RelayedAppend,
        from: 'b',
        to: 'd',
        term: 1,
        index: 0,
        logTerm: 0,
        commit: 0,
        entries: [],
      },
    ];
    for (const v of bad) expect(() => messageCodec.decode(encodeCbor(v))).toThrow(DecodeError);
  });

  it('drops unknown fields', () => {
    const m = { t: MessageType.TimeoutNow, from: 'a', to: 'b', term: 3, extra: { deep: true } };
    expect(messageCodec.decode(encodeCbor(m))).toEqual({
      t: MessageType.TimeoutNow,
      from: 'a',
      to: 'b',
      term: 3,
    });
  });
});

describe('entry codec', () => {
  it('round-trips entries and rejects unknown entry types', () => {
    fc.assert(
      fc.property(entry(5), (e) => {
        expect(entryCodec.decode(entryCodec.encode(e))).toEqual(e);
      }),
    );
    expect(() =>
      entryCodec.decode(encodeCbor({ term: 1, index: 1, type: 7, data: new Uint8Array(0) })),
    ).toThrow(DecodeError);
  });
});
