/**
 * z-base-32 (the human-oriented base32 pkarr uses for public keys: the origin of every name in
 * a slot's DNS packet, and how `mosaik dht` prints a slot key).
 */

const ALPHABET = 'ybndrfg8ejkmcpqxot1uwisza345h769';
const INDEX = new Map<string, number>([...ALPHABET].map((c, i) => [c, i]));

/** z-base-32 of `bytes`, unpadded (52 characters for a 32-byte key). */
export function toZBase32(bytes: Uint8Array): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += ALPHABET[(buffer >> bits) & 31];
    }
    buffer &= (1 << bits) - 1;
  }
  if (bits > 0) out += ALPHABET[(buffer << (5 - bits)) & 31];
  return out;
}

/** The bytes of an unpadded z-base-32 string (case-insensitive), or `undefined` if it is not one. */
export function fromZBase32(s: string): Uint8Array | undefined {
  const out: number[] = [];
  let buffer = 0;
  let bits = 0;
  for (const c of s.toLowerCase()) {
    const value = INDEX.get(c);
    if (value === undefined) return undefined;
    buffer = (buffer << 5) | value;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push((buffer >> bits) & 0xff);
    }
    buffer &= (1 << bits) - 1;
  }
  return Uint8Array.from(out);
}
