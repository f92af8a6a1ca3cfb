/** Unpadded RFC 4648 base32 (the form iroh prints an EndpointId in). */
import { DecodeError } from './errors.js';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';

/** Lowercase unpadded RFC 4648 base32 of `bytes`. */
export function toBase32(bytes: Uint8Array): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += ALPHABET[(buffer >>> bits) & 31];
    }
    buffer &= (1 << bits) - 1;
  }
  if (bits > 0) out += ALPHABET[(buffer << (5 - bits)) & 31];
  return out;
}

/**
 * Decodes unpadded RFC 4648 base32, case-insensitive. Rejects padding, characters outside the
 * alphabet, impossible lengths and non-zero trailing bits (so every value has one spelling).
 */
export function fromBase32(s: string): Uint8Array {
  const rem = s.length % 8;
  if (rem === 1 || rem === 3 || rem === 6)
    throw new DecodeError('invalid_base32', `invalid base32 length ${s.length}`);
  const out = new Uint8Array(Math.floor((s.length * 5) / 8));
  let buffer = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c >= 65 && c <= 90) c += 32; // upper → lower
    let v: number;
    if (c >= 97 && c <= 122) v = c - 97;
    else if (c >= 50 && c <= 55)
      v = c - 24; // '2'..'7' → 26..31
    else throw new DecodeError('invalid_base32', `invalid base32 character at ${i}`);
    buffer = ((buffer << 5) | v) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (buffer >>> bits) & 0xff;
    }
  }
  if ((buffer & ((1 << bits) - 1)) !== 0)
    throw new DecodeError('invalid_base32', 'non-zero trailing bits in base32');
  return out;
}
