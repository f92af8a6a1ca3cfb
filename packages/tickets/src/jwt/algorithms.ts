/** JWS algorithms keyed by a shared secret (HMAC). */
export type JwtHmacAlgorithm = 'HS256' | 'HS384' | 'HS512';
/** JWS algorithms keyed by an ECDSA key pair (P-256, P-384, P-521). */
export type JwtEcAlgorithm = 'ES256' | 'ES384' | 'ES512';
/** Every JWS algorithm the JWT validator and builder support. */
export type JwtAlgorithm = JwtHmacAlgorithm | JwtEcAlgorithm | 'EdDSA';

interface HmacSpec {
  readonly kind: 'hmac';
  readonly hash: string;
  /** Digest size in bytes: both the MAC length and the minimum secret length. */
  readonly size: number;
}

interface EcSpec {
  readonly kind: 'ec';
  readonly hash: string;
  /** JWK `crv`. */
  readonly crv: string;
  /** OpenSSL curve name, as `node:crypto` reports `namedCurve`. */
  readonly curve: string;
  /** Field element size in bytes; a raw `r‖s` signature is twice this. */
  readonly size: number;
}

interface EdSpec {
  readonly kind: 'ed25519';
}

export type AlgorithmSpec = HmacSpec | EcSpec | EdSpec;

/** What each algorithm needs; the algorithm is pinned by the key, never by the token. */
export const ALGORITHMS: Readonly<Record<JwtAlgorithm, AlgorithmSpec>> = {
  HS256: { kind: 'hmac', hash: 'sha256', size: 32 },
  HS384: { kind: 'hmac', hash: 'sha384', size: 48 },
  HS512: { kind: 'hmac', hash: 'sha512', size: 64 },
  ES256: { kind: 'ec', hash: 'sha256', crv: 'P-256', curve: 'prime256v1', size: 32 },
  ES384: { kind: 'ec', hash: 'sha384', crv: 'P-384', curve: 'secp384r1', size: 48 },
  ES512: { kind: 'ec', hash: 'sha512', crv: 'P-521', curve: 'secp521r1', size: 66 },
  EdDSA: { kind: 'ed25519' },
};

/** Whether `alg` names a supported algorithm (own property, so `"constructor"` is not one). */
export function isJwtAlgorithm(alg: unknown): alg is JwtAlgorithm {
  return typeof alg === 'string' && Object.hasOwn(ALGORITHMS, alg);
}
