import { ed25519 } from '@noble/curves/ed25519';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nativePublicKey, nativeSecretKey, signEd25519, verifyEd25519 } from './ed25519.js';

const verifyEd25519Noble = (pub: Uint8Array, msg: Uint8Array, sig: Uint8Array) =>
  verifyEd25519(pub, undefined, msg, sig);

const L = 2n ** 252n + 27742317777372353535851937790883648493n;

describe('ed25519 verification', () => {
  it('native and pure-JS paths agree on valid and tampered signatures', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ maxLength: 200 }),
        fc.nat(63),
        fc.nat(255),
        (seed, msg, at, flip) => {
          const pub = ed25519.getPublicKey(seed);
          const native = nativePublicKey(pub);
          expect(native).toBeDefined();
          const sig = ed25519.sign(msg, seed);
          expect(verifyEd25519(pub, native, msg, sig)).toBe(true);
          expect(verifyEd25519Noble(pub, msg, sig)).toBe(true);
          const bad = Uint8Array.from(sig);
          bad[at] = (bad[at] as number) ^ (flip | 1);
          expect(verifyEd25519(pub, native, msg, bad)).toBe(verifyEd25519Noble(pub, msg, bad));
          expect(verifyEd25519(pub, native, msg, bad)).toBe(false);
        },
      ),
      { numRuns: 50 },
    );
  });

  it('native signing gives the same (deterministic) signature as the pure-JS path', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ maxLength: 300 }),
        (seed, msg) => {
          const native = nativeSecretKey(seed);
          expect(native).toBeDefined();
          expect(signEd25519(seed, native, msg)).toEqual(ed25519.sign(msg, seed));
          expect(signEd25519(seed, undefined, msg)).toEqual(ed25519.sign(msg, seed));
        },
      ),
      { numRuns: 50 },
    );
  });

  it('refuses a malleated scalar (s + L) and wrong lengths in both paths', () => {
    const seed = new Uint8Array(32).fill(7);
    const pub = ed25519.getPublicKey(seed);
    const msg = new Uint8Array([1, 2, 3]);
    const sig = ed25519.sign(msg, seed);
    let s = 0n;
    for (let i = 31; i >= 0; i--) s = (s << 8n) | BigInt(sig[32 + i] as number);
    s += L;
    const malleated = Uint8Array.from(sig);
    for (let i = 0; i < 32; i++) malleated[32 + i] = Number((s >> BigInt(8 * i)) & 0xffn);
    const native = nativePublicKey(pub);
    expect(verifyEd25519(pub, native, msg, malleated)).toBe(false);
    expect(verifyEd25519Noble(pub, msg, malleated)).toBe(false);
    expect(verifyEd25519(pub, native, msg, sig.subarray(0, 63))).toBe(false);
    expect(verifyEd25519(pub, undefined, msg, sig)).toBe(true);
  });
});
