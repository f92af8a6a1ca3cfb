import fc from 'fast-check';
import { PeerId, SecretKey } from 'mosaik';
import { describe, expect, it } from 'vitest';
import { formatAddr, parseAddr } from './addr.js';
import { parseOrderSpec, parsePair } from './spec.js';
import { formatPrice, parsePrice } from './types.js';

const pair = { base: 'ETH', quote: 'USDC' };

describe('command-line syntax', () => {
  it('parses orders and cancels, and says what is wrong otherwise', () => {
    expect(parseOrderSpec('bid 10 @ 3000.50', pair)).toEqual({
      kind: 'place',
      pair,
      side: 'bid',
      price: 300050n,
      quantity: 10n,
    });
    expect(parseOrderSpec('SELL 5@3010', pair)).toMatchObject({ side: 'ask', price: 301000n, quantity: 5n });
    expect(parseOrderSpec('cancel 4', pair)).toEqual({ kind: 'cancel', orderId: 4 });
    for (const bad of [
      'bid 10',
      'bid 0 @ 1',
      'bid 1.5 @ 1',
      'bid 1 @ 1.234',
      'bid 1 @ -3',
      'hold 1 @ 1',
      'cancel x',
    ])
      expect(parseOrderSpec(bad, pair)).toHaveProperty('error');
    expect(parsePair('eth/usdc')).toEqual(pair);
    expect(parsePair('ETH-USDC')).toBeUndefined();
  });

  it('formats and parses prices exactly, without floats', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: 10n ** 18n }), (p) => {
        expect(parsePrice(formatPrice(p))).toBe(p);
      }),
    );
    expect(formatPrice(300000n)).toBe('3000.00');
    expect(parsePrice('0.1')).toBe(10n);
    expect(parsePrice('1e3')).toBeUndefined();
  });

  it('round-trips node addresses and rejects malformed ones', () => {
    const id = SecretKey.generate().peerId;
    const addr = { id, directAddresses: ['127.0.0.1:4433', '[::1]:4433'] };
    const back = parseAddr(formatAddr(addr));
    expect(back.id.equals(id)).toBe(true);
    expect(back.directAddresses).toEqual(addr.directAddresses);
    expect(parseAddr(id.toString()).directAddresses).toEqual([]);
    for (const bad of ['nope', `${id}@localhost`, `${id}@1.2.3.4:5@x`, '@127.0.0.1:1'])
      expect(() => parseAddr(bad)).toThrow(/bad address/);
    expect(PeerId.isPeerId(back.id)).toBe(true);
  });
});
