/** TDX-specific byte helpers; the general ones (hex, concat, equality) come from `@mosaik/id`. */

/** Decodes strict hex (even length, `[0-9a-fA-F]` only); `undefined` on anything else. */
export function fromHex(text: string): Uint8Array | undefined {
  if (text.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(text)) return undefined;
  return new Uint8Array(Buffer.from(text, 'hex'));
}

/** `value` as 8 little-endian bytes; `value` must be a non-negative safe integer. */
export function le64(value: number): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(value), true);
  return out;
}

/** A copy of `bytes` (so callers cannot alias internal buffers). */
export function copy(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes);
}

/** Whether every byte is zero. */
export function isZero(bytes: Uint8Array): boolean {
  for (const b of bytes) if (b !== 0) return false;
  return true;
}
