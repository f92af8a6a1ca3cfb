import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { TicketConfigError } from '../errors.js';
import { ALGORITHMS, isJwtAlgorithm, type JwtAlgorithm } from './algorithms.js';
import { type JwtSigningKey, type JwtVerifyingKey, publicKeyBytes } from './keys.js';

/** A matching pair for {@link JwtTicketBuilder} and {@link Jwt}. */
export interface JwtKeyPair {
  readonly signingKey: JwtSigningKey;
  readonly verifyingKey: JwtVerifyingKey;
}

/**
 * Generates fresh key material for `alg`: a random secret (shared by both sides) for HS*, a
 * key pair for ES* and EdDSA whose verifying half is the compact public bytes (compressed SEC1
 * or raw Ed25519), ready to be printed as hex or put in a config file.
 */
export function generateJwtKeyPair(alg: JwtAlgorithm): JwtKeyPair {
  if (!isJwtAlgorithm(alg)) throw new TicketConfigError(`unsupported JWT algorithm ${String(alg)}`);
  const spec = ALGORITHMS[alg];
  if (spec.kind === 'hmac') {
    const secret = new Uint8Array(randomBytes(spec.size));
    return { signingKey: { alg, secret }, verifyingKey: { alg, secret } } as JwtKeyPair;
  }
  const { privateKey, publicKey } =
    spec.kind === 'ec'
      ? generateKeyPairSync('ec', { namedCurve: spec.curve })
      : generateKeyPairSync('ed25519');
  return {
    signingKey: { alg, privateKey } as JwtSigningKey,
    verifyingKey: { alg, publicKey: publicKeyBytes(publicKey, spec) } as JwtVerifyingKey,
  };
}
