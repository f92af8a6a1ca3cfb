import {
  createECDH,
  createHmac,
  createPrivateKey,
  createPublicKey,
  createSecretKey,
  ECDH,
  type JsonWebKey,
  KeyObject,
  timingSafeEqual,
  verify,
} from 'node:crypto';
import { type Digest, id } from '@mosaik/id';
import { TicketConfigError } from '../errors.js';
import {
  ALGORITHMS,
  type AlgorithmSpec,
  isJwtAlgorithm,
  type JwtAlgorithm,
  type JwtEcAlgorithm,
  type JwtHmacAlgorithm,
} from './algorithms.js';
import { decodeBase64Url, decodeHex, encodeBase64Url } from './encoding.js';

/**
 * Key material accepted for an asymmetric key: SEC1 / raw bytes, the same as a hex string, a
 * JWK, or a `node:crypto` `KeyObject`.
 */
export type AsymmetricKeyInput = Uint8Array | string | JsonWebKey | KeyObject;

/**
 * A key that verifies JWT tickets. The algorithm is part of the key: a token whose header
 * names any other algorithm is rejected.
 *
 * - `HS256/384/512`: `secret` bytes (a string is taken as UTF-8), at least as long as the hash.
 * - `ES256/384/512`: `publicKey` as compressed or uncompressed SEC1 bytes (or their hex), a
 *   JWK with a matching `crv`, or a `KeyObject`.
 * - `EdDSA` (Ed25519): `publicKey` as the raw 32 bytes (or hex; a mosaik `PeerId`'s bytes
 *   work), a JWK, or a `KeyObject`.
 */
export type JwtVerifyingKey =
  | { readonly alg: JwtHmacAlgorithm; readonly secret: Uint8Array | string }
  | { readonly alg: JwtEcAlgorithm | 'EdDSA'; readonly publicKey: AsymmetricKeyInput };

/**
 * A key that signs JWT tickets. As {@link JwtVerifyingKey}, with `privateKey` for the
 * asymmetric algorithms: the raw private scalar (ES*) or the 32-byte seed (EdDSA; a mosaik
 * `SecretKey.seed` works), their hex, a JWK with `d`, or a private `KeyObject`.
 */
export type JwtSigningKey =
  | { readonly alg: JwtHmacAlgorithm; readonly secret: Uint8Array | string }
  | { readonly alg: JwtEcAlgorithm | 'EdDSA'; readonly privateKey: AsymmetricKeyInput };

/** A verifying key turned into `node:crypto` material once, at validator construction. */
export interface ImportedVerifyingKey {
  readonly alg: JwtAlgorithm;
  /** `id(lowercase alg).derive(canonical key bytes)`: equal keys, equal fingerprints. */
  readonly fingerprint: Digest;
  /** Checks a JWS signature over `input`; never throws. */
  verify(input: Uint8Array, signature: Uint8Array): boolean;
}

const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/** Imports a verifying key, checking it fits its algorithm. */
export function importVerifyingKey(key: JwtVerifyingKey): ImportedVerifyingKey {
  const spec = specOf(key);
  if (spec.kind === 'hmac') {
    const secret = hmacSecret(key.alg, 'secret' in key ? key.secret : undefined, spec.size);
    const keyObject = createSecretKey(secret);
    return {
      alg: key.alg,
      fingerprint: fingerprint(key.alg, secret),
      verify(input, signature) {
        if (signature.length !== spec.size) return false;
        const mac = createHmac(spec.hash, keyObject).update(input).digest();
        return timingSafeEqual(mac, signature);
      },
    };
  }
  const input = 'publicKey' in key ? key.publicKey : undefined;
  const publicKey = spec.kind === 'ec' ? ecPublicKey(key.alg, spec, input) : edPublicKey(input);
  const canonical = publicKeyBytes(publicKey, spec);
  const verifyOptions =
    spec.kind === 'ec' ? { key: publicKey, dsaEncoding: 'ieee-p1363' as const } : { key: publicKey };
  const hash = spec.kind === 'ec' ? spec.hash : null;
  const signatureLength = spec.kind === 'ec' ? 2 * spec.size : 64;
  return {
    alg: key.alg,
    fingerprint: fingerprint(key.alg, canonical),
    verify(data, signature) {
      if (signature.length !== signatureLength) return false;
      try {
        return verify(hash, data, verifyOptions, signature);
      } catch {
        return false;
      }
    },
  };
}

/** Imports a signing key as a `KeyObject` (jose accepts those in Node). */
export function importSigningKey(key: JwtSigningKey): KeyObject {
  const spec = specOf(key);
  if (spec.kind === 'hmac') {
    return createSecretKey(hmacSecret(key.alg, 'secret' in key ? key.secret : undefined, spec.size));
  }
  const input = 'privateKey' in key ? key.privateKey : undefined;
  try {
    if (input instanceof KeyObject) return checkAsymmetric(input, 'private', key.alg, spec);
    if (typeof input === 'object' && !(input instanceof Uint8Array) && input !== null) {
      return checkAsymmetric(createPrivateKey({ key: input, format: 'jwk' }), 'private', key.alg, spec);
    }
    const raw = rawBytes(input, key.alg, 'private key');
    if (spec.kind === 'ed25519') {
      if (raw.length !== 32) throw new TicketConfigError(`EdDSA private key must be a 32-byte seed`);
      return createPrivateKey({
        key: Buffer.concat([PKCS8_ED25519_PREFIX, raw]),
        format: 'der',
        type: 'pkcs8',
      });
    }
    if (raw.length !== spec.size) {
      throw new TicketConfigError(`${key.alg} private key must be ${spec.size} bytes`);
    }
    const ecdh = createECDH(spec.curve);
    ecdh.setPrivateKey(raw);
    const point = ecdh.getPublicKey();
    return createPrivateKey({
      key: {
        kty: 'EC',
        crv: spec.crv,
        d: encodeBase64Url(raw),
        x: encodeBase64Url(point.subarray(1, 1 + spec.size)),
        y: encodeBase64Url(point.subarray(1 + spec.size)),
      },
      format: 'jwk',
    });
  } catch (err) {
    throw asConfigError(err, `unusable ${key.alg} private key`);
  }
}

/**
 * The canonical public bytes of a verifying key: compressed SEC1 for ES*, the raw 32 bytes
 * for EdDSA. Used for fingerprints and handy for distributing a key.
 */
export function publicKeyBytes(publicKey: KeyObject, spec: AlgorithmSpec): Uint8Array {
  const jwk = publicKey.export({ format: 'jwk' });
  const x = decodeBase64Url(jwk.x ?? '') ?? Buffer.alloc(0);
  if (spec.kind !== 'ec') return new Uint8Array(x);
  const y = decodeBase64Url(jwk.y ?? '') ?? Buffer.alloc(0);
  const parity = (y[y.length - 1] ?? 0) & 1;
  return new Uint8Array(Buffer.concat([Buffer.from([0x02 | parity]), x]));
}

function specOf(key: { readonly alg: unknown }): AlgorithmSpec {
  if (typeof key !== 'object' || key === null || !isJwtAlgorithm(key.alg)) {
    throw new TicketConfigError(`unsupported JWT algorithm ${String((key as { alg?: unknown })?.alg)}`);
  }
  return ALGORITHMS[key.alg];
}

function fingerprint(alg: JwtAlgorithm, material: Uint8Array): Digest {
  return id(alg.toLowerCase()).derive(material);
}

/**
 * HMAC secrets: at least the hash size (RFC 7518 §3.2), and never something that is plainly a
 * public key, the classic alg-confusion set-up where a verifier "HMACs with the public key".
 */
function hmacSecret(alg: JwtAlgorithm, secret: unknown, minSize: number): Uint8Array {
  let bytes: Uint8Array;
  if (typeof secret === 'string') bytes = new TextEncoder().encode(secret);
  else if (secret instanceof Uint8Array) bytes = secret;
  else throw new TicketConfigError(`${alg} needs a secret (bytes or string)`);
  if (bytes.length < minSize) {
    throw new TicketConfigError(`${alg} secret must be at least ${minSize} bytes, got ${bytes.length}`);
  }
  if (Buffer.from(bytes.subarray(0, 32)).toString('latin1').includes('-----BEGIN')) {
    throw new TicketConfigError(`${alg} secret looks like a PEM key; use an asymmetric algorithm instead`);
  }
  return new Uint8Array(bytes);
}

function ecPublicKey(alg: JwtAlgorithm, spec: AlgorithmSpec & { kind: 'ec' }, input: unknown): KeyObject {
  try {
    if (input instanceof KeyObject) return toPublic(checkAsymmetric(input, 'any', alg, spec));
    if (isJwk(input)) {
      if (input.kty !== 'EC' || input.crv !== spec.crv) {
        throw new TicketConfigError(`${alg} needs an EC JWK on ${spec.crv}`);
      }
      return createPublicKey({ key: { kty: 'EC', crv: spec.crv, x: input.x, y: input.y }, format: 'jwk' });
    }
    const sec1 = rawBytes(input, alg, 'public key');
    const compressed = sec1.length === 1 + spec.size && (sec1[0] === 2 || sec1[0] === 3);
    const uncompressed = sec1.length === 1 + 2 * spec.size && sec1[0] === 4;
    if (!compressed && !uncompressed) {
      throw new TicketConfigError(`${alg} public key must be SEC1 bytes on ${spec.crv}`);
    }
    // convertKey also checks that the point is on the curve.
    const point = ECDH.convertKey(sec1, spec.curve, undefined, undefined, 'uncompressed') as Buffer;
    return createPublicKey({
      key: {
        kty: 'EC',
        crv: spec.crv,
        x: encodeBase64Url(point.subarray(1, 1 + spec.size)),
        y: encodeBase64Url(point.subarray(1 + spec.size)),
      },
      format: 'jwk',
    });
  } catch (err) {
    throw asConfigError(err, `unusable ${alg} public key`);
  }
}

function edPublicKey(input: unknown): KeyObject {
  const spec = ALGORITHMS.EdDSA;
  try {
    if (input instanceof KeyObject) return toPublic(checkAsymmetric(input, 'any', 'EdDSA', spec));
    if (isJwk(input)) {
      if (input.kty !== 'OKP' || input.crv !== 'Ed25519') {
        throw new TicketConfigError('EdDSA needs an OKP JWK on Ed25519');
      }
      return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: input.x }, format: 'jwk' });
    }
    const raw = rawBytes(input, 'EdDSA', 'public key');
    if (raw.length !== 32) throw new TicketConfigError('EdDSA public key must be 32 bytes');
    return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: encodeBase64Url(raw) }, format: 'jwk' });
  } catch (err) {
    throw asConfigError(err, 'unusable EdDSA public key');
  }
}

function checkAsymmetric(
  key: KeyObject,
  want: 'private' | 'any',
  alg: JwtAlgorithm,
  spec: AlgorithmSpec,
): KeyObject {
  if (key.type === 'secret' || (want === 'private' && key.type !== 'private')) {
    throw new TicketConfigError(`${alg} needs ${want === 'private' ? 'a private' : 'an asymmetric'} key`);
  }
  const ok =
    spec.kind === 'ec'
      ? key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === spec.curve
      : key.asymmetricKeyType === 'ed25519';
  if (!ok) throw new TicketConfigError(`key does not fit ${alg}`);
  return key;
}

function toPublic(key: KeyObject): KeyObject {
  return key.type === 'private' ? createPublicKey(key) : key;
}

function rawBytes(input: unknown, alg: JwtAlgorithm, what: string): Uint8Array {
  if (input instanceof Uint8Array) return input;
  if (typeof input === 'string') {
    const bytes = decodeHex(input.startsWith('0x') ? input.slice(2) : input);
    if (bytes !== undefined) return bytes;
  }
  throw new TicketConfigError(`${alg} ${what} must be bytes, hex, a JWK or a KeyObject`);
}

function isJwk(input: unknown): input is JsonWebKey {
  return typeof input === 'object' && input !== null && !(input instanceof Uint8Array) && 'kty' in input;
}

function asConfigError(err: unknown, message: string): TicketConfigError {
  if (err instanceof TicketConfigError) return err;
  return new TicketConfigError(`${message}: ${err instanceof Error ? err.message : String(err)}`, {
    cause: err,
  });
}
