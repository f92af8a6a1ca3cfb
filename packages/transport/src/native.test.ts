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

  it('reads arrays of any element kind, such as the binding hands out, like packed ones', () => {
    // A holey array that once held a non-number keeps V8's generic element kind, as the
    // binding's arrays have: the conversion must not depend on the kind.
    const holey: unknown[] = new Array(300);
    holey[0] = 'generic';
    for (let i = 0; i < holey.length; i++) holey[i] = (i * 7) & 255;
    const packed = Array.from({ length: 300 }, (_, i) => (i * 7) & 255);
    expect(fromNative(holey as number[])).toEqual(Uint8Array.from(packed));
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
    const other = toNativeParts([new Uint8Array(10).fill(3)], 10, scratch);
    expect(other).not.toBe(first);
    expect(other).toEqual(new Array(10).fill(3));
  });
});
