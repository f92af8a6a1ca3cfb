import { SecretKey } from '@mosaik/id';
import { describe, expect, it } from 'vitest';
import { AddressBook } from './address.js';

describe('AddressBook', () => {
  const peer = SecretKey.generate().peerId;

  it('merges observations and keeps the newest address first', () => {
    const book = new AddressBook();
    book.observe({ id: peer, directAddresses: ['127.0.0.1:1000'] });
    book.observe({ id: peer, relayUrl: 'https://relay.example', directAddresses: ['127.0.0.1:2000'] });
    expect(book.get(peer)).toEqual({
      id: peer,
      relayUrl: 'https://relay.example',
      directAddresses: ['127.0.0.1:2000', '127.0.0.1:1000'],
    });
  });

  it('resolves a bare id to the fullest known address', () => {
    const book = new AddressBook();
    expect(book.resolve(peer)).toEqual({ id: peer, directAddresses: [] });
    book.observe({ id: peer, directAddresses: ['10.0.0.1:5'] });
    expect(book.resolve(peer).directAddresses).toEqual(['10.0.0.1:5']);
    book.forget(peer);
    expect(book.get(peer)).toBeUndefined();
    expect(book.size).toBe(0);
  });
});
