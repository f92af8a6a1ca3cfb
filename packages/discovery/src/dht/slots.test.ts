import { DecodeError, fromZBase32, id, toHex, toZBase32 } from '@mosaik/id';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromBase58, toBase58 } from './base58.js';
import { CHAIN_DEPTH, slotChain, slotIds } from './slots.js';

// Test vectors shared with the Rust implementation: the chain of network "my-network".
const VECTORS = [
  {
    id: '3a15da9332ddf3c130882c97f6674a45edf90ecbe482c92f51b1822ec7dcf0d5',
    pub: '37f5ad05544e61eb3ab0a37c63816b1a4ccf0eb3f42ea33cbd0de8895ddeb9c5',
    z32: 'g9444bkwj3o6sqiowp6g8ymmdjgc6diu6ozkgxf7bzwe1zq6z8no',
  },
  {
    id: '130ece453467351908c9fd0958d28161314e4cb9ee36cbf704a618dfcbd5742b',
    pub: 'ff4b60b64e69dfdd831dbab8cc339b445d368fdfc2b9a704ecbf1b0983de5e3f',
    z32: '97fsbp1qp8x75ya7zkhcach5etqupd69akh4qb8czhpouy66ma9o',
  },
  {
    id: 'e64dcc9cf2d5dfc0a3a34a0a2a1cf9a3a1500d30a7a2bfd0a0ef2a0aaa6dfd3c',
    pub: 'a72e08853a0258aae803c862b61344c945d794c1803a696b7af20aa2847e89ee',
    z32: 'whzytbj4yjcki4yd3btmcr4r3fn7xfgboy7g14546efkfbd6t8zy',
  },
  {
    id: 'f5da0f2e5f4f0a35ca4e1eb22f9bdc03435f0a1c76333294ef71605617d3c065',
    pub: '359f8541b921c2d33cad29eeea5c5da878a6819b44b237a5482c90300368d090',
    z32: 'gsxakop3r8bpgxfpf8zqwzn7ibhkpyc5e13dxjkef1edyy5e4ney',
  },
];

describe('DHT slot chain', () => {
  it('matches the reference vectors of "my-network"', () => {
    const chain = slotChain(id('my-network'));
    expect(chain).toHaveLength(CHAIN_DEPTH);
    VECTORS.forEach((v, i) => {
      const slot = chain[i]!;
      expect(slot.index).toBe(i);
      expect(slot.id.toString()).toBe(v.id);
      expect(slot.publicKey.toString()).toBe(v.pub);
      expect(slot.name).toBe(v.z32);
    });
  });

  it('derives each slot as blake3(slot ‖ slot) and starts at the network id', () => {
    const network = id('another');
    const ids = slotIds(network, 5);
    expect(ids[0]!.equals(network)).toBe(true);
    for (let i = 1; i < ids.length; i++) expect(ids[i]!.equals(ids[i - 1]!.derive(ids[i - 1]!))).toBe(true);
    expect(new Set(ids.map(String)).size).toBe(5);
  });
});

describe('z-base-32', () => {
  it('round-trips any bytes and decodes case-insensitively', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const text = toZBase32(bytes);
        expect(toHex(fromZBase32(text))).toBe(toHex(bytes));
        expect(toHex(fromZBase32(text.toUpperCase()))).toBe(toHex(bytes));
      }),
    );
  });

  it('rejects characters outside the alphabet', () => {
    expect(() => fromZBase32('abc0')).toThrow(DecodeError);
    expect(() => fromZBase32('l')).toThrow(DecodeError);
  });
});

describe('base58 (Bitcoin alphabet)', () => {
  it('encodes known values', () => {
    expect(toBase58(new Uint8Array())).toBe('');
    expect(toBase58(Uint8Array.of(0, 0, 1))).toBe('112');
    expect(toBase58(new TextEncoder().encode('hello world'))).toBe('StV1DL6CwTryKyV');
    expect(toBase58(new Uint8Array(32))).toBe('1'.repeat(32));
  });

  it('round-trips any bytes, leading zeros included', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 48 }), (bytes) => {
        expect(toHex(fromBase58(toBase58(bytes))!)).toBe(toHex(bytes));
      }),
    );
  });

  it('rejects characters outside the alphabet', () => {
    for (const bad of ['0', 'O', 'I', 'l', 'ab+c']) expect(fromBase58(bad)).toBeUndefined();
  });
});
