/**
 * Base58 with the Bitcoin alphabet: the encoding of the `_id` TXT record of a DHT slot
 * (the pkarr record format the Rust implementation reads). Small and allocation-light; ids are 32 bytes so the quadratic
 * big-number loop is cheap.
 */

const ALPHABET = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
const INDEX = new Map<string, number>([...ALPHABET].map((c, i) => [c, i]));

/** Base58 (Bitcoin alphabet) of `bytes`; each leading zero byte becomes a `1`. */
export function toBase58(bytes: Uint8Array): string {
  let zeros = 0;
  while (zeros < bytes.length && bytes[zeros] === 0) zeros++;
  // Little-endian base-58 digits of the big-endian number in `bytes`.
  const digits: number[] = [];
  for (let i = zeros; i < bytes.length; i++) {
    let carry = bytes[i]!;
    for (let j = 0; j < digits.length; j++) {
      carry += digits[j]! * 256;
      digits[j] = carry % 58;
      carry = Math.floor(carry / 58);
    }
    while (carry > 0) {
      digits.push(carry % 58);
      carry = Math.floor(carry / 58);
    }
  }
  let out = '1'.repeat(zeros);
  for (let i = digits.length - 1; i >= 0; i--) out += ALPHABET[digits[i]!];
  return out;
}

/** The bytes of a base58 (Bitcoin alphabet) string, or `undefined` if a character is not in the alphabet. */
export function fromBase58(s: string): Uint8Array | undefined {
  let zeros = 0;
  while (zeros < s.length && s[zeros] === '1') zeros++;
  // Little-endian base-256 digits.
  const bytes: number[] = [];
  for (let i = zeros; i < s.length; i++) {
    const value = INDEX.get(s[i]!);
    if (value === undefined) return undefined;
    let carry = value;
    for (let j = 0; j < bytes.length; j++) {
      carry += bytes[j]! * 58;
      bytes[j] = carry & 0xff;
      carry >>= 8;
    }
    while (carry > 0) {
      bytes.push(carry & 0xff);
      carry >>= 8;
    }
  }
  const out = new Uint8Array(zeros + bytes.length);
  for (let i = 0; i < bytes.length; i++) out[out.length - 1 - i] = bytes[i]!;
  return out;
}
