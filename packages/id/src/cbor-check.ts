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

// Scanner state, module-level so a check allocates nothing (decoding is synchronous).
const EMPTY = new Uint8Array(0);
let src: Uint8Array = EMPTY;
let pos = 0;
let len = 0;
let major = 0;
let arg = 0;

/** Reads an item's header into `major`/`arg`; returns a failure string or `undefined`. */
function header(): string | undefined {
  if (pos >= len) return 'truncated CBOR';
  const ib = src[pos++]!;
  major = ib >> 5;
  const ai = ib & 31;
  if (ai < 24) {
    arg = ai;
    return undefined;
  }
  if (ai === 24) {
    if (pos + 1 > len) return 'truncated CBOR';
    arg = src[pos++]!;
    return undefined;
  }
  if (ai === 25) {
    if (pos + 2 > len) return 'truncated CBOR';
    arg = (src[pos]! << 8) | src[pos + 1]!;
    pos += 2;
    return undefined;
  }
  if (ai === 26) {
    if (pos + 4 > len) return 'truncated CBOR';
    arg = src[pos]! * 0x1000000 + ((src[pos + 1]! << 16) | (src[pos + 2]! << 8) | src[pos + 3]!);
    pos += 4;
    return undefined;
  }
  if (ai === 27) {
    if (pos + 8 > len) return 'truncated CBOR';
    const hi = src[pos]! * 0x1000000 + ((src[pos + 1]! << 16) | (src[pos + 2]! << 8) | src[pos + 3]!);
    const lo = src[pos + 4]! * 0x1000000 + ((src[pos + 5]! << 16) | (src[pos + 6]! << 8) | src[pos + 7]!);
    pos += 8;
    // Above 2^53 this is approximate, which only matters for lengths and tags: those are rejected anyway.
    arg = hi * 0x100000000 + lo;
    return undefined;
  }
  if (ai === 31) return 'indefinite-length CBOR is not accepted';
  return 'reserved CBOR additional information';
}

/** Checks one item; `expect` is the major type a tag requires (-1 any, -2 a number). */
function item(depth: number, expect: number, maxDepth: number): string | undefined {
  if (depth > maxDepth) return `CBOR nested deeper than ${maxDepth}`;
  const start = pos;
  const failure = header();
  if (failure !== undefined) return failure;
  if (expect >= 0 && major !== expect) return 'unexpected CBOR type under a tag';
  if (expect === -2 && major !== 0 && major !== 1 && !(major === 7 && src[start]! >= 0xf9)) {
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
    case 4: {
      if (arg > len - pos) return 'truncated CBOR array';
      const n = arg;
      for (let i = 0; i < n; i++) {
        const r = item(depth + 1, -1, maxDepth);
        if (r !== undefined) return r;
      }
      return undefined;
    }
    case 5: {
      if (arg * 2 > len - pos) return 'truncated CBOR map';
      const n = 2 * arg;
      for (let i = 0; i < n; i++) {
        const r = item(depth + 1, -1, maxDepth);
        if (r !== undefined) return r;
      }
      return undefined;
    }
    case 6: {
      const inner = ALLOWED_TAGS.get(arg);
      if (inner === undefined) return `CBOR tag ${arg} is not accepted`;
      return item(depth + 1, inner, maxDepth);
    }
    default: {
      // major 7: false, true, null, undefined and floats only.
      const ai = src[start]! & 31;
      if ((ai >= 20 && ai <= 23) || (ai >= 25 && ai <= 27)) return undefined;
      return 'unassigned CBOR simple value';
    }
  }
}

/** Returns `undefined` when `bytes` is exactly one acceptable CBOR item, else the reason. */
export function checkCbor(bytes: Uint8Array, maxDepth = 256): CborCheckFailure | undefined {
  src = bytes;
  pos = 0;
  len = bytes.length;
  try {
    const failure = item(0, -1, maxDepth);
    if (failure !== undefined) return failure;
    if (pos !== len) return `${len - pos} trailing bytes after the CBOR item`;
    return undefined;
  } finally {
    src = EMPTY; // do not keep the caller's buffer alive
  }
}
