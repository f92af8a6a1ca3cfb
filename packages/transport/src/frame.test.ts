import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProtocolViolationError } from './errors.js';
import { FrameDecoder, frameHeader } from './frame.js';

function encodeFrames(payloads: Uint8Array[]): Uint8Array {
  const total = payloads.reduce((n, p) => n + 4 + p.length, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of payloads) {
    out.set(frameHeader(p.length), at);
    out.set(p, at + 4);
    at += 4 + p.length;
  }
  return out;
}

function splitAt(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let last = 0;
  for (const p of [...points, bytes.length]) {
    chunks.push(bytes.subarray(last, p));
    last = p;
  }
  return chunks;
}

describe('FrameDecoder', () => {
  it('reassembles frames however the bytes are chunked', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 20 }),
        fc.array(fc.nat(), { maxLength: 30 }),
        (payloads, cuts) => {
          const decoder = new FrameDecoder(1024);
          const out: Uint8Array[] = [];
          for (const chunk of splitAt(encodeFrames(payloads), cuts)) {
            decoder.push(chunk);
            for (let f = decoder.next(); f; f = decoder.next()) out.push(f);
          }
          expect(out.map((p) => [...p])).toEqual(payloads.map((p) => [...p]));
          expect(decoder.atBoundary).toBe(true);
        },
      ),
    );
  });

  it('accepts a zero-length frame', () => {
    const decoder = new FrameDecoder();
    decoder.push(frameHeader(0));
    expect(decoder.next()).toEqual(new Uint8Array(0));
    expect(decoder.atBoundary).toBe(true);
  });

  it('refuses a header above the cap before buffering the payload', () => {
    const decoder = new FrameDecoder(100);
    decoder.push(frameHeader(101));
    expect(() => decoder.next()).toThrow(ProtocolViolationError);
  });

  it('random and truncated bytes yield frames, need-more or ProtocolViolationError, never another error', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 10 }), (chunks) => {
        const decoder = new FrameDecoder(4096);
        try {
          for (const chunk of chunks) {
            decoder.push(chunk);
            while (decoder.next()) {}
          }
        } catch (error) {
          expect(error).toBeInstanceOf(ProtocolViolationError);
        }
      }),
    );
  });
});
