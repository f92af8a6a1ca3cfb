import { encodeCanonical, id } from '@mosaik/id';
import { describe, expect, it } from 'vitest';
import { TEST_ISSUER, TEST_SECRET } from '../../test/fixtures.js';
import { generateJwtKeyPair } from './generate.js';
import { Jwt, type JwtOptions } from './validator.js';

const base: JwtOptions = { key: { alg: 'HS256', secret: TEST_SECRET }, issuer: TEST_ISSUER };
const sig = (options: Partial<JwtOptions> = {}) => new Jwt({ ...base, ...options }).signature;

describe('Jwt signature', () => {
  it('is equal for equal configurations built separately (group_key_derived_from_jwt_validator)', () => {
    expect(sig().equals(sig())).toBe(true);
    expect(
      sig().equals(
        new Jwt({ key: { alg: 'HS256', secret: new Uint8Array(TEST_SECRET) }, issuer: TEST_ISSUER })
          .signature,
      ),
    ).toBe(true);
    // The clock is not configuration.
    expect(sig({ clock: () => 0 }).equals(sig())).toBe(true);
    // Sets are sets: order and duplicates of issuers, audiences and keys do not matter.
    expect(sig({ issuer: ['a', 'b'] }).equals(sig({ issuer: ['b', 'a', 'b'] }))).toBe(true);
    const k1 = generateJwtKeyPair('ES256').verifyingKey;
    const k2 = generateJwtKeyPair('EdDSA').verifyingKey;
    expect(sig({ key: [k1, k2] }).equals(sig({ key: [k2, k1, k2] }))).toBe(true);
  });

  it('is a pinned derivation of the class and the canonical configuration', () => {
    const fingerprint = id('hs256').derive(TEST_SECRET);
    const expected = id('mosaik.tickets.jwt.v1').derive(
      encodeCanonical({
        v: 1,
        keys: [['HS256', fingerprint.bytes]],
        issuers: [TEST_ISSUER],
        audiences: [],
        subject: null,
        allowNoExpiry: false,
        clockTolerance: 0,
        maxLifetime: null,
        maxAge: null,
        claims: {},
      }),
    );
    expect(sig().toString()).toBe(expected.toString());
  });

  it('differs whenever any part of the configuration differs (mismatched_jwt_auth_config_prevents_bonding)', () => {
    const variants: Array<Partial<JwtOptions>> = [
      {},
      { key: { alg: 'HS256', secret: id('another secret').bytes } },
      { key: { alg: 'HS384', secret: new Uint8Array(48).fill(1) } },
      { key: { alg: 'HS512', secret: new Uint8Array(64).fill(1) } },
      { key: generateJwtKeyPair('ES256').verifyingKey },
      { key: generateJwtKeyPair('EdDSA').verifyingKey },
      { key: [base.key as never, generateJwtKeyPair('EdDSA').verifyingKey] },
      { issuer: 'other-issuer' },
      { issuer: [TEST_ISSUER, 'other-issuer'] },
      { audience: 'net-1' },
      { audience: 'net-2' },
      { subject: 'service' },
      { allowNoExpiry: true },
      { clockTolerance: 2 },
      { maxLifetime: 3600 },
      { maxAge: 3600 },
      { maxAge: 0 },
      { claims: { role: 'writer' } },
      { claims: { role: 'reader' } },
    ];
    const signatures = variants.map((v) => sig(v).toString());
    expect(new Set(signatures).size).toBe(variants.length);
    // And none collides with the bare class id used by an unauthenticated setup.
    expect(signatures).not.toContain(Jwt.CLASS.toString());
  });
});
