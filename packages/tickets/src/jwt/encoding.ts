const BASE64URL = /^[A-Za-z0-9_-]*$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Strict unpadded base64url decoding. `Buffer.from(s, 'base64url')` silently skips invalid
 * characters, which would let a tampered token decode to something; this refuses instead.
 */
export function decodeBase64Url(s: string): Buffer | undefined {
  if (!BASE64URL.test(s) || s.length % 4 === 1) return undefined;
  return Buffer.from(s, 'base64url');
}

/** Strict UTF-8 decoding; `undefined` on malformed input. */
export function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}

/** Base64url of bytes, unpadded. */
export function encodeBase64Url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

/** Decodes a hex string, or `undefined` when it is not even-length hex. */
export function decodeHex(s: string): Uint8Array | undefined {
  if (s.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(s)) return undefined;
  return new Uint8Array(Buffer.from(s, 'hex'));
}

/** Quotes an untrusted string for an error reason, cut short so logs stay readable. */
export function quote(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 66 ? `${text.slice(0, 64)}…"` : text;
}
