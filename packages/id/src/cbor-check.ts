/**
 * A linear, allocation-free well-formedness check of CBOR bytes that runs before cbor-x decodes
 * them. It accepts plain RFC 8949 CBOR and a short list of registered tags, and rejects
 * everything cbor-x would otherwise interpret as one of its extensions (records, packed CBOR,
 * structured-clone references, bundled strings, arbitrary tags), indefinite lengths, reserved
 * simple values, truncation, trailing bytes and nesting deeper than `maxDepth`.
 */

/** Tags a decoded value may carry, each with the major type its content must have (-1 = any). */
const ALLOWED_TAGS = new Map<number, number>([
  [0, 3], // RFC 3339 date string → Date
  [1, -2], // epoch seconds (int or float) → Date
  [2, 2], // unsigned bignum → bigint
  [3, 2], // negative bignum → bigint
  [258, 4], // set (array) → Set
  [259, 5], // explicit map → Map
  [55799, -1], // self-described CBOR
]);
// RFC 8746 typed arrays (tags 64..87) hold a byte string.
for (let t = 64; t <= 87; t++) if (t !== 76) ALLOWED_TAGS.set(t, 2);

/** Why a CBOR check failed (kept as a plain string; the caller wraps it in a DecodeError). */
export type CborCheckFailure = string;

/** Returns `undefined` when `bytes` is exactly one acceptable CBOR item, else the reason. */
export function checkCbor(bytes: Uint8Array, maxDepth = 256): CborCheckFailure | undefined {
  let pos = 0;
  const len = bytes.length;

  // Reads an item's header; returns [major, argument] or a failure string.
  const header = (): [number, number] | string => {
    if (pos >= len) return 'truncated CBOR';
    const ib = bytes[pos++]!;
    const major = ib >> 5;
    const ai = ib & 31;
    if (ai < 24) return [major, ai];
    if (ai === 24) {
      if (pos + 1 > len) return 'truncated CBOR';
      return [major, bytes[pos++]!];
    }
    if (ai === 25) {
      if (pos + 2 > len) return 'truncated CBOR';
      const v = (bytes[pos]! << 8) | bytes[pos + 1]!;
      pos += 2;
      return [major, v];
    }
    if (ai === 26) {
      if (pos + 4 > len) return 'truncated CBOR';
      const v =
        ((bytes[pos]! << 24) >>> 0) + (bytes[pos + 1]! << 16) + (bytes[pos + 2]! << 8) + bytes[pos + 3]!;
      pos += 4;
      return [major, v];
    }
    if (ai === 27) {
      if (pos + 8 > len) return 'truncated CBOR';
      const hi =
        ((bytes[pos]! << 24) >>> 0) + (bytes[pos + 1]! << 16) + (bytes[pos + 2]! << 8) + bytes[pos + 3]!;
      const lo =
        ((bytes[pos + 4]! << 24) >>> 0) + (bytes[pos + 5]! << 16) + (bytes[pos + 6]! << 8) + bytes[pos + 7]!;
      pos += 8;
      // Lengths and tags above 2^53 are rejected by the caller; integers only need the header skipped.
      return [major, hi * 2 ** 32 + lo];
    }
    if (ai === 31) return 'indefinite-length CBOR is not accepted';
    return 'reserved CBOR additional information';
  };

  const item = (depth: number, expectMajor: number): string | undefined => {
    if (depth > maxDepth) return `CBOR nested deeper than ${maxDepth}`;
    const start = pos;
    const h = header();
    if (typeof h === 'string') return h;
    const [major, arg] = h;
    if (expectMajor >= 0 && major !== expectMajor) return 'unexpected CBOR type under a tag';
    if (expectMajor === -2 && major !== 0 && major !== 1 && !(major === 7 && bytes[start]! >= 0xf9)) {
      return 'epoch date must be a number';
    }
    switch (major) {
      case 0:
      case 1:
        return undefined;
      case 2:
      case 3:
        if (arg > len - pos) return 'truncated CBOR string';
        pos += arg;
        return undefined;
      case 4:
        if (arg > len - pos) return 'truncated CBOR array';
        for (let i = 0; i < arg; i++) {
          const r = item(depth + 1, -1);
          if (r !== undefined) return r;
        }
        return undefined;
      case 5:
        if (arg * 2 > len - pos) return 'truncated CBOR map';
        for (let i = 0; i < 2 * arg; i++) {
          const r = item(depth + 1, -1);
          if (r !== undefined) return r;
        }
        return undefined;
      case 6: {
        const inner = ALLOWED_TAGS.get(arg);
        if (inner === undefined) return `CBOR tag ${arg} is not accepted`;
        return item(depth + 1, inner);
      }
      default: {
        // major 7: false, true, null, undefined and floats only.
        const ai = bytes[start]! & 31;
        if (ai >= 20 && ai <= 23) return undefined;
        if (ai >= 25 && ai <= 27) return undefined;
        return 'unassigned CBOR simple value';
      }
    }
  };

  const failure = item(0, -1);
  if (failure !== undefined) return failure;
  if (pos !== len) return `${len - pos} trailing bytes after the CBOR item`;
  return undefined;
}
