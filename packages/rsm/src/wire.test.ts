import { DecodeError, encodeCbor } from '@mosaik/id';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeBondMessage, decodeHandshake, encodeWire, WireType } from './wire.js';

const b32 = fc.uint8Array({ minLength: 32, maxLength: 32 });

function typedOnly(decode: (b: Uint8Array) => unknown, bytes: Uint8Array): void {
  try {
    decode(bytes);
  } catch (error) {
    expect(error).toBeInstanceOf(DecodeError);
  }
}

describe('groups wire schema', () => {
  it('round-trips every handshake and bond message', () => {
    fc.assert(
      fc.property(
        b32,
        b32,
        b32,
        fc.nat(),
        fc.array(fc.uint8Array({ minLength: 1, maxLength: 40 }), { maxLength: 5 }),
        (a, b, c, n, list) => {
          const hs = [
            { t: WireType.Hello, network: a, group: b, nonce: c },
            { t: WireType.Challenge, nonce: a, proof: b },
            { t: WireType.Proof, proof: c },
            { t: WireType.Welcome, peers: [a, b] },
          ] as const;
          for (const m of hs) expect(decodeHandshake(encodeWire(m))).toEqual(m);
          const bond = [
            {
              t: WireType.Ping,
              status: { cluster: 'ab', yield: 'cd', term: n, commit: n, lead: '', pref: 1, inc: '' },
            },
            { t: WireType.Departure },
            { t: WireType.Raft, c: 'ab', msgs: list },
            { t: WireType.Forward, id: n, cmds: list },
            { t: WireType.ForwardAck, id: n, first: n + 1, last: n + 2, term: n },
            { t: WireType.ForwardNack, id: n, reason: 'no' },
          ] as const;
          for (const m of bond) expect(decodeBondMessage(encodeWire(m))).toEqual(m);
        },
      ),
    );
  });

  it('random and truncated bytes produce DecodeError only', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        typedOnly(decodeHandshake, bytes);
        typedOnly(decodeBondMessage, bytes);
      }),
    );
    const valid = encodeWire({ t: WireType.Forward, id: 1, cmds: [new Uint8Array([1, 2])] });
    for (let i = 0; i < valid.length; i++) typedOnly(decodeBondMessage, valid.subarray(0, i));
  });

  it('well-formed CBOR with wrong shapes produces DecodeError only', () => {
    fc.assert(
      fc.property(
        fc
          .record({ t: fc.integer({ min: 0, max: 20 }) }, { requiredKeys: [] })
          .chain((base) =>
            fc
              .dictionary(fc.string({ maxLength: 8 }), fc.anything({ maxDepth: 2 }))
              .map((extra) => ({ ...extra, ...base })),
          ),
        (value) => {
          let bytes: Uint8Array;
          try {
            bytes = encodeCbor(value);
          } catch {
            return;
          }
          typedOnly(decodeHandshake, bytes);
          typedOnly(decodeBondMessage, bytes);
        },
      ),
    );
    expect(() =>
      decodeBondMessage(encodeCbor({ t: WireType.ForwardAck, id: 1, first: 5, last: 4, term: 1 })),
    ).toThrow(DecodeError);
  });
});
