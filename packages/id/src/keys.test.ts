import { beforeAll, describe, expect, it } from 'vitest';
import { DecodeError, type Digest, id, PeerId, SecretKey, toBase32, toHex } from './index.js';

process.env.RUST_LIB_BACKTRACE ??= '0';
type Iroh = typeof import('@number0/iroh/index.js');
let iroh: Iroh;
beforeAll(async () => {
  iroh = await import('@number0/iroh/index.js');
});

describe('key test vectors (shared with the Rust implementation)', () => {
  it('--secret=my-bootstrap-1 gives the documented seed and PeerId', () => {
    const key = SecretKey.fromString('my-bootstrap-1');
    expect(toHex(key.seed)).toBe('38b5f1e93854ece9c414c57c9bc4dbfa2b4b1b8689abdaf7b26c633a2cda33c0');
    expect(key.peerId.toString()).toBe('73d14e976dd1ad940aad2a2befdcc4a80ac6821c338bd80b8f0b6854a520ca7e');
  });

  it('DHT chain for "my-network": slot id → ed25519 public key', () => {
    const expected = [
      '37f5ad05544e61eb3ab0a37c63816b1a4ccf0eb3f42ea33cbd0de8895ddeb9c5',
      'ff4b60b64e69dfdd831dbab8cc339b445d368fdfc2b9a704ecbf1b0983de5e3f',
      'a72e08853a0258aae803c862b61344c945d794c1803a696b7af20aa2847e89ee',
      '359f8541b921c2d33cad29eeea5c5da878a6819b44b237a5482c90300368d090',
    ];
    let slot: Digest = id('my-network');
    for (const pk of expected) {
      expect(SecretKey.fromDigest(slot).peerId.toString()).toBe(pk);
      slot = slot.derive(slot);
    }
  });
});

describe('SecretKey and iroh', () => {
  it('derives the same PeerId as an iroh SecretKey built from the same 32 bytes', () => {
    for (const seed of [
      new Uint8Array(32),
      new Uint8Array(32).fill(7),
      SecretKey.generate().seed,
      id('x').bytes,
    ]) {
      const ours = SecretKey.fromSeed(seed);
      const theirs = iroh.SecretKey.fromBytes(Array.from(seed)).public();
      expect(ours.peerId.bytes).toEqual(Uint8Array.from(theirs.toBytes()));
      expect(PeerId.parse(theirs.toString()).equals(ours.peerId)).toBe(true);
    }
  });

  it('signatures verify across both implementations', () => {
    const seed = SecretKey.generate().seed;
    const ours = SecretKey.fromSeed(seed);
    const theirs = iroh.SecretKey.fromBytes(Array.from(seed));
    const msg = new TextEncoder().encode('hello mosaik');
    const sig = ours.sign(msg);
    // ed25519 is deterministic: both sign the same bytes.
    expect(Array.from(sig)).toEqual(theirs.sign(Array.from(msg)).toBytes());
    theirs.public().verify(Array.from(msg), iroh.Signature.fromBytes(Array.from(sig)));
    expect(ours.peerId.verify(msg, Uint8Array.from(theirs.sign(Array.from(msg)).toBytes()))).toBe(true);
  });

  it('parses the base32 form iroh accepts, in either case', () => {
    const key = SecretKey.fromSeed(new Uint8Array(32).fill(7));
    const b32 = key.peerId.toBase32();
    expect(b32).toBe('5jfgyy7ctrjavpxvkb5rglwf7gkuo5vox27hxescd3vgsfcg2iwa');
    expect(iroh.EndpointId.fromString(b32).toString()).toBe(key.peerId.toString());
    expect(PeerId.parse(b32).equals(key.peerId)).toBe(true);
    expect(PeerId.parse(b32.toUpperCase()).equals(key.peerId)).toBe(true);
  });
});

describe('PeerId', () => {
  const key = SecretKey.fromString('peer-id-tests');

  it('displays as lowercase hex and round-trips', () => {
    const p = key.peerId;
    expect(p.toString()).toMatch(/^[0-9a-f]{64}$/);
    expect(p.short()).toBe(p.toString().slice(0, 10));
    expect(PeerId.parse(p.toString()).equals(p)).toBe(true);
    expect(PeerId.fromBytes(p.bytes).equals(p)).toBe(true);
    expect(JSON.stringify(p)).toBe(`"${p.toString()}"`);
  });

  it('rejects uppercase hex, wrong lengths, bad characters and invalid points', () => {
    const p = key.peerId;
    const bad = [
      p.toString().toUpperCase(),
      p.toString().slice(2),
      `${p.toString().slice(0, 63)}z`,
      '',
      'not a peer id',
      `${p.toBase32().slice(0, 51)}1`,
      `${p.toBase32().slice(0, 51)}b`, // non-zero trailing bits
    ];
    for (const s of bad) expect(() => PeerId.parse(s), s).toThrow(DecodeError);
    expect(() => PeerId.fromBytes(new Uint8Array(31))).toThrow(
      expect.objectContaining({ code: 'invalid_peer_id' }),
    );
    // y = 2 is not on the curve.
    const notOnCurve = new Uint8Array(32);
    notOnCurve[0] = 2;
    expect(() => PeerId.fromBytes(notOnCurve)).toThrow(expect.objectContaining({ code: 'invalid_peer_id' }));
    // y = p (non-canonical encoding of 0) is rejected.
    const nonCanonical = new Uint8Array(32).fill(0xff);
    nonCanonical[0] = 0xed;
    nonCanonical[31] = 0x7f;
    expect(() => PeerId.fromBytes(nonCanonical)).toThrow(DecodeError);
  });

  it('verifies signatures strictly and never throws', () => {
    const msg = new TextEncoder().encode('m');
    const sig = key.sign(msg);
    expect(key.peerId.verify(msg, sig)).toBe(true);
    expect(key.peerId.verify(new TextEncoder().encode('n'), sig)).toBe(false);
    expect(SecretKey.generate().peerId.verify(msg, sig)).toBe(false);
    expect(key.peerId.verify(msg, sig.subarray(0, 63))).toBe(false);
    const tampered = Uint8Array.from(sig);
    tampered[63]! ^= 0x80;
    expect(key.peerId.verify(msg, tampered)).toBe(false);
    // S ≥ L (malleated signature) is rejected.
    const L = 2n ** 252n + 27742317777372353535851937790883648493n;
    let s = 0n;
    for (let i = 31; i >= 0; i--) s = (s << 8n) | BigInt(sig[32 + i]!);
    let s2 = s + L;
    const malleated = Uint8Array.from(sig);
    for (let i = 0; i < 32; i++) {
      malleated[32 + i] = Number(s2 & 0xffn);
      s2 >>= 8n;
    }
    expect(key.peerId.verify(msg, malleated)).toBe(false);
  });

  it('orders by bytes', () => {
    const ids = [SecretKey.generate().peerId, SecretKey.generate().peerId, SecretKey.generate().peerId];
    const sorted = [...ids].sort(PeerId.compare);
    for (let i = 1; i < sorted.length; i++) expect(sorted[i - 1]!.compare(sorted[i]!)).toBeLessThan(0);
  });
});

describe('SecretKey', () => {
  it('is built from seeds, strings and digests consistently', () => {
    const d = id('seed');
    expect(SecretKey.fromString('seed').equals(SecretKey.fromDigest(d))).toBe(true);
    expect(SecretKey.fromSeed(d.bytes).equals(SecretKey.fromDigest(d))).toBe(true);
    expect(SecretKey.fromString(d.toString()).equals(SecretKey.fromDigest(d))).toBe(true);
    expect(() => SecretKey.fromSeed(new Uint8Array(31))).toThrow(
      expect.objectContaining({ code: 'invalid_argument' }),
    );
    expect(SecretKey.generate().equals(SecretKey.generate())).toBe(false);
  });

  it('never prints its secret', () => {
    const key = SecretKey.fromString('secret');
    const hex = toHex(key.seed);
    expect(String(key)).not.toContain(hex);
    expect(JSON.stringify({ key })).toBe('{"key":"<redacted>"}');
    expect(String(key)).toContain(key.peerId.short());
  });

  it('hands out copies of its seed', () => {
    const key = SecretKey.fromString('copy');
    key.seed.fill(0);
    expect(toBase32(key.seed)).not.toBe(toBase32(new Uint8Array(32)));
  });
});
