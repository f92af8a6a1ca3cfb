import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromNative, NativeScratch, toNative, toNativeParts } from './native.js';

describe('byte conversion for the binding', () => {
  it('round-trips any bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2048 }), (bytes) => {
        expect(fromNative(toNative(bytes))).toEqual(bytes);
      }),
    );
  });

  it('reads holey arrays, as the binding hands them out, like packed ones', () => {
    const holey = new Array<number>(300);
    for (let i = 0; i < holey.length; i++) holey[i] = (i * 7) & 255;
    const packed = Array.from({ length: 300 }, (_, i) => (i * 7) & 255);
    expect(fromNative(holey)).toEqual(Uint8Array.from(packed));
    expect(fromNative(packed)).toEqual(Uint8Array.from(packed));
    expect(fromNative([])).toEqual(new Uint8Array(0));
  });

  it('concatenates parts, reusing a scratch array only for a write of the same size', () => {
    const scratch = new NativeScratch();
    const parts = [new Uint8Array(3000).fill(1), new Uint8Array(2000).fill(2)];
    const first = toNativeParts(parts, 5000, scratch);
    expect(first).toHaveLength(5000);
    expect(first[2999]).toBe(1);
    expect(first[3000]).toBe(2);
    expect(toNativeParts(parts, 5000, scratch)).toBe(first);
    expect(toNativeParts([new Uint8Array(10).fill(3)], 10, scratch)).toEqual(new Array(10).fill(3));
  });
});
