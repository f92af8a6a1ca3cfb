/**
 * Encoded keys as JS strings. Every byte becomes one UTF-16 code unit (0–255), so comparing two
 * such strings with `<` compares the bytes lexicographically (shorter prefix first): a plain JS
 * string is a valid, compact, byte-ordered key for `Map`s and trees.
 */

/** The byte string of `bytes`. */
export function keyOf(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 4096) {
    out += String.fromCharCode.apply(null, bytes.subarray(i, i + 4096) as unknown as number[]);
  }
  return out;
}

/** The bytes of a byte string made by {@link keyOf}. */
export function bytesOf(key: string): Uint8Array {
  const out = new Uint8Array(key.length);
  for (let i = 0; i < key.length; i++) out[i] = key.charCodeAt(i);
  return out;
}

/** Byte-order comparison of two byte strings. */
export function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Byte equality of two optional encodings (`undefined` only equals `undefined`). */
export function sameBytes(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
