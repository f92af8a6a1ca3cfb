import { describe, expect, it } from 'vitest';
import { Digest, id } from './index.js';

// Test vectors shared with the Rust implementation: every row is a test.
describe('id test vectors', () => {
  const rows: [string, () => Digest, string][] = [
    ['id("mosaik")', () => id('mosaik'), 'b1950ece12beb7cb9b00e98132e4b3dc6c1b14e62218b33f2696ecde15bbe8fb'],
    [
      'id("my-network")',
      () => id('my-network'),
      '3a15da9332ddf3c130882c97f6674a45edf90ecbe482c92f51b1822ec7dcf0d5',
    ],
    [
      'id(64 lowercase hex)',
      () => id('0123456789abcdef'.repeat(4)),
      '0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
    ],
    [
      'id(64 uppercase hex)',
      () => id('0123456789ABCDEF'.repeat(4)),
      '0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
    ],
    [
      'id("my-network").derive("child")',
      () => id('my-network').derive('child'),
      '3dddded36519c6904690f6f2139d5176cad82833d5a75dfe8f7aa1a685065855',
    ],
    [
      'id("my-network").hashed()',
      () => id('my-network').hashed(),
      '1db7b64ae321313036750abd8b8cbe8ee10438b7a50984ef88f8daceeedea5e4',
    ],
    [
      'fromParts(["prefix","suffix"])',
      () => Digest.fromParts(['prefix', 'suffix']),
      '5e3762aa32795d2cb21be3f092410de31cf145942bd8a8714c2b2a2d130482f9',
    ],
    [
      'id("matcher")',
      () => id('matcher'),
      '991ad40fbfa83bdaa979827efa0b197eb15a44d550c71a77e98371807ab8c700',
    ],
    [
      'id("my-app.auth")',
      () => id('my-app.auth'),
      'ab50b9b7758984c587311fa61607dd768a897887246531a941191d5543dccecd',
    ],
    [
      'Ticket{class: id("my-app.auth"), data: "credential-data"}.id()',
      () => id('my-app.auth').derive('credential-data'),
      '73782922aea9bd4817cd484d95ad1340a15a855f35db8106eca950eed3fde1e3',
    ],
    [
      'id("mosaik.tickets.jwt.v1")',
      () => id('mosaik.tickets.jwt.v1'),
      '4586eafab50d29f2ad5212e08f84d0a789cd6a565ce8d344652b1b7b60973d8c',
    ],
    ['from_u64(42)', () => Digest.fromU64(42), `${'0'.repeat(48)}2a00000000000000`],
    [
      '--secret=my-bootstrap-1 seed',
      () => id('my-bootstrap-1'),
      '38b5f1e93854ece9c414c57c9bc4dbfa2b4b1b8689abdaf7b26c633a2cda33c0',
    ],
  ];
  it.each(rows)('%s', (_name, make, hex) => {
    expect(make().toString()).toBe(hex);
  });

  it('Short(id("my-network")) is 3a15da9332', () => {
    expect(id('my-network').short()).toBe('3a15da9332');
  });

  it('DHT slot ids chain as slot(i+1) = blake3(slot(i) ‖ slot(i))', () => {
    const slots = [id('my-network')];
    for (let i = 0; i < 3; i++) slots.push(slots[i]!.derive(slots[i]!));
    expect(slots.map((s) => s.toString())).toEqual([
      '3a15da9332ddf3c130882c97f6674a45edf90ecbe482c92f51b1822ec7dcf0d5',
      '130ece453467351908c9fd0958d28161314e4cb9ee36cbf704a618dfcbd5742b',
      'e64dcc9cf2d5dfc0a3a34a0a2a1cf9a3a1500d30a7a2bfd0a0ef2a0aaa6dfd3c',
      'f5da0f2e5f4f0a35ca4e1eb22f9bdc03435f0a1c76333294ef71605617d3c065',
    ]);
  });
});

describe('Digest', () => {
  it('applies the id rule to bytes as to strings', () => {
    const hex = '0123456789abcdef'.repeat(4);
    expect(id(new TextEncoder().encode(hex)).toString()).toBe(hex);
    expect(id(new TextEncoder().encode('mosaik')).equals(id('mosaik'))).toBe(true);
    // 63 or 65 hex characters are hashed, not decoded.
    expect(id(hex.slice(1)).equals(Digest.hash(new TextEncoder().encode(hex.slice(1))))).toBe(true);
    expect(id(`${hex}0`).toString()).not.toBe(hex);
    // 64 characters that are not all hex are hashed.
    expect(id(`${hex.slice(0, 63)}g`).equals(Digest.hash(`${hex.slice(0, 63)}g`))).toBe(true);
  });

  it('hash never sniffs hex', () => {
    const hex = '0123456789abcdef'.repeat(4);
    expect(Digest.hash(hex).toString()).not.toBe(hex);
  });

  it('fromU8/U16/U32/U64 write little-endian bytes at the end, unhashed', () => {
    expect(Digest.fromU8(7).toString()).toBe(`${'0'.repeat(62)}07`);
    expect(Digest.fromU16(0x0102).toString()).toBe(`${'0'.repeat(60)}0201`);
    expect(Digest.fromU32(0x01020304).toString()).toBe(`${'0'.repeat(56)}04030201`);
    expect(Digest.fromU64(0x0102030405060708n).toString()).toBe(`${'0'.repeat(48)}0807060504030201`);
    expect(Digest.fromU64(2n ** 64n - 1n).toString()).toBe(`${'0'.repeat(48)}${'f'.repeat(16)}`);
    expect(() => Digest.fromU8(256)).toThrow(/does not fit/);
    expect(() => Digest.fromU16(-1)).toThrow(/does not fit/);
    expect(() => Digest.fromU64(2n ** 64n)).toThrow(/does not fit/);
    expect(() => Digest.fromU32(1.5)).toThrow(/integer/);
  });

  it('fromBytes is verbatim and copies; fromHex is strict', () => {
    const b = new Uint8Array(32).fill(9);
    const d = Digest.fromBytes(b);
    b[0] = 0;
    expect(d.bytes[0]).toBe(9);
    expect(() => Digest.fromBytes(new Uint8Array(31))).toThrow(
      expect.objectContaining({ code: 'invalid_argument' }),
    );
    expect(Digest.fromHex(d.toString()).equals(d)).toBe(true);
    expect(() => Digest.fromHex('abc')).toThrow(expect.objectContaining({ code: 'invalid_digest' }));
  });

  it('orders, compares and displays by bytes', () => {
    const a = Digest.fromU8(1);
    const b = Digest.fromU8(2);
    const z = Digest.zero();
    expect([b, a, z].sort(Digest.compare)).toEqual([z, a, b]);
    expect(a.compare(b)).toBeLessThan(0);
    expect(b.compare(a)).toBeGreaterThan(0);
    expect(a.compare(Digest.fromU8(1))).toBe(0);
    expect(a.equals(Digest.fromU8(1))).toBe(true);
    expect(a.equals(b)).toBe(false);
    expect(a.equals(undefined)).toBe(false);
    expect(z.toString()).toBe('0'.repeat(64));
    expect(JSON.stringify({ a })).toBe(`{"a":"${a.toString()}"}`);
    expect(id('my-network').abbreviated()).toBe('3a15da93..c7dcf0d5');
    expect(`${id('mosaik')}`).toBe(id('mosaik').toString());
  });

  it('derive and fromParts accept strings, bytes and digests alike', () => {
    const parent = id('my-network');
    const child = id('child');
    expect(parent.derive(child).equals(parent.derive(child.bytes))).toBe(true);
    expect(Digest.fromParts(['prefix', new TextEncoder().encode('suffix')]).toString()).toBe(
      '5e3762aa32795d2cb21be3f092410de31cf145942bd8a8714c2b2a2d130482f9',
    );
    expect(Digest.fromParts([]).equals(Digest.hash(new Uint8Array()))).toBe(true);
  });

  it('random digests differ', () => {
    expect(Digest.random().equals(Digest.random())).toBe(false);
  });
});
