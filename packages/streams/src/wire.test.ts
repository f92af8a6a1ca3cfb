import { DecodeError, encodeCbor, id } from '@mosaik/id';
import { FrameDecoder } from '@mosaik/transport';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeDatumFrame,
  decodeHandshake,
  decodeStartStream,
  encodeDatumFrame,
  encodeFramedDatum,
  encodeHandshake,
  encodeStartStream,
  FRAMED_DATUM_OVERHEAD,
} from './wire.js';

const network = id('net');
const stream = id('stream');

describe('wire', () => {
  it('round-trips the handshake and StartStream', () => {
    const h = decodeHandshake(encodeHandshake({ network, stream, criteria: {} }));
    expect(h.network.equals(network) && h.stream.equals(stream)).toBe(true);
    const s = decodeStartStream(encodeStartStream({ network, stream }));
    expect(s.stream.equals(stream)).toBe(true);
  });

  it('does not confuse the two messages', () => {
    expect(() => decodeStartStream(encodeHandshake({ network, stream, criteria: {} }))).toThrow(DecodeError);
    expect(() => decodeHandshake(encodeStartStream({ network, stream }))).toThrow(DecodeError);
  });

  it('rejects wrong field types', () => {
    expect(() => decodeHandshake(encodeCbor({ t: 1, n: 'x', s: stream.bytes, c: {} }))).toThrow(DecodeError);
    expect(() =>
      decodeHandshake(encodeCbor({ t: 1, n: network.bytes, s: new Uint8Array(31), c: {} })),
    ).toThrow(DecodeError);
    expect(() =>
      decodeHandshake(encodeCbor({ t: 1, n: network.bytes, s: stream.bytes, c: { a: 1 } })),
    ).toThrow(DecodeError);
  });

  it('throws only DecodeError on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        for (const decode of [decodeHandshake, decodeStartStream]) {
          try {
            decode(bytes);
          } catch (error) {
            expect(error).toBeInstanceOf(DecodeError);
          }
        }
      }),
    );
  });

  it('datum frames carry the send time in front of the payload', () => {
    const frame = encodeDatumFrame(new Uint8Array([1, 2, 3]), 1234.5);
    expect(frame.length).toBe(11);
    const { sentAtMs, payload } = decodeDatumFrame(frame);
    expect(sentAtMs).toBe(1234.5);
    expect([...payload]).toEqual([1, 2, 3]);
    expect(() => decodeDatumFrame(new Uint8Array(7))).toThrow(DecodeError);
  });

  it('a framed datum is the datum frame behind its 4-byte length', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.double({ noNaN: true }), (payload, at) => {
        const framed = encodeFramedDatum(payload, at);
        const decoder = new FrameDecoder();
        decoder.push(framed);
        expect(decoder.next()).toEqual(encodeDatumFrame(payload, at));
        expect(decoder.buffered).toBe(0);
        expect(framed.length).toBe(payload.length + FRAMED_DATUM_OVERHEAD);
      }),
    );
  });
});
