/**
 * Unpadded base32: RFC 4648 (the form iroh prints an EndpointId in) and z-base-32 (the
 * human-oriented alphabet pkarr uses for public keys in DNS names).
 */
import { DecodeError } from './errors.js';

const RFC4648 = 'abcdefghijklmnopqrstuvwxyz234567';
const ZBASE32 = 'ybndrfg8ejkmcpqxot1uwisza345h769';

function lookup(alphabet: string): Map<string, number> {
  return new Map([...alphabet].map((c, i) => [c, i]));
}
const RFC4648_INDEX = lookup(RFC4648);
const ZBASE32_INDEX = lookup(ZBASE32);

function encode(bytes: Uint8Array, alphabet: string): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += alphabet[(buffer >>> bits) & 31];
    }
    buffer &= (1 << bits) - 1;
  }
  if (bits > 0) out += alphabet[(buffer << (5 - bits)) & 31];
  return out;
}

/**
 * Case-insensitive decoding that rejects padding, characters outside the alphabet,
 * impossible lengths and non-zero trailing bits (so every value has one spelling).
 */
function decode(s: string, index: Map<string, number>, name: string): Uint8Array {
  const rem = s.length % 8;
  if (rem === 1 || rem === 3 || rem === 6)
    throw new DecodeError(`invalid_${name}`, `invalid ${name} length ${s.length}`);
  const out = new Uint8Array(Math.floor((s.length * 5) / 8));
  let buffer = 0;
  let bits = 0;
  let o = 0;
  const lower = s.toLowerCase();
  for (let i = 0; i < lower.length; i++) {
    const v = index.get(lower[i]!);
    if (v === undefined) throw new DecodeError(`invalid_${name}`, `invalid ${name} character at ${i}`);
    buffer = ((buffer << 5) | v) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (buffer >>> bits) & 0xff;
    }
  }
  if ((buffer & ((1 << bits) - 1)) !== 0)
    throw new DecodeError(`invalid_${name}`, `non-zero trailing bits in ${name}`);
  return out;
}

/** Lowercase unpadded RFC 4648 base32 of `bytes`. */
export function toBase32(bytes: Uint8Array): string {
  return encode(bytes, RFC4648);
}

/** Decodes unpadded RFC 4648 base32 (case-insensitive); throws `DecodeError` (`invalid_base32`). */
export function fromBase32(s: string): Uint8Array {
  return decode(s, RFC4648_INDEX, 'base32');
}

/** Unpadded z-base-32 of `bytes` (52 characters for a 32-byte key). */
export function toZBase32(bytes: Uint8Array): string {
  return encode(bytes, ZBASE32);
}

/** Decodes unpadded z-base-32 (case-insensitive); throws `DecodeError` (`invalid_zbase32`). */
export function fromZBase32(s: string): Uint8Array {
  return decode(s, ZBASE32_INDEX, 'zbase32');
}
