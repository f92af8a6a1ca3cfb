import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  formatBootstrapAddr,
  InvalidArgumentError,
  parseBootstrapAddr,
  SecretKey,
  toBase32,
} from './index.js';

const peer = SecretKey.fromString('bootstrap-addr-test').peerId;

describe('bootstrap addresses', () => {
  it('round-trips direct addresses, IPv6 and a relay', () => {
    for (const addr of [
      { id: peer, directAddresses: [] },
      { id: peer, directAddresses: ['127.0.0.1:4433'] },
      { id: peer, directAddresses: ['10.0.0.1:1', '[::1]:4433', '[fe80::1%eth0]:9'] },
      { id: peer, directAddresses: ['192.0.2.1:4433'], relayUrl: 'https://relay.example.com./' },
      { id: peer, directAddresses: [], relayUrl: 'https://relay.example.com/' },
    ]) {
      const text = formatBootstrapAddr(addr);
      const back = parseBootstrapAddr(text);
      expect(back.id.equals(peer)).toBe(true);
      expect(back.directAddresses).toEqual(addr.directAddresses);
      expect(back.relayUrl).toBe(addr.relayUrl);
    }
    expect(formatBootstrapAddr({ id: peer, directAddresses: ['127.0.0.1:1'] })).toBe(
      `${peer.toString()}@127.0.0.1:1`,
    );
  });

  it('accepts a base32 peer id and surrounding spaces', () => {
    const parsed = parseBootstrapAddr(`  ${toBase32(peer.bytes)}@127.0.0.1:7 `);
    expect(parsed.id.equals(peer)).toBe(true);
    expect(parsed.directAddresses).toEqual(['127.0.0.1:7']);
  });

  it('refuses malformed text with InvalidArgumentError', () => {
    for (const bad of [
      '',
      'nope',
      `${peer}@`,
      `${peer}@127.0.0.1`,
      `${peer}@127.0.0.1:99999`,
      `${peer}@127.0.0.1:1,,`,
      `${peer}@https://a/,https://b/`,
      `${peer}@ftp:// nope`,
      `${peer.toString().toUpperCase()}@127.0.0.1:1`,
    ]) {
      expect(() => parseBootstrapAddr(bad), bad).toThrow(InvalidArgumentError);
    }
  });

  it('never throws anything but InvalidArgumentError', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (a, b) => {
        for (const text of [a, `${peer}@${b}`]) {
          try {
            parseBootstrapAddr(text);
          } catch (error) {
            expect(error).toBeInstanceOf(InvalidArgumentError);
          }
        }
      }),
    );
  });
});
