import { SecretKey } from '@mosaik/id';
import type { EndpointAddr } from '@mosaik/transport';
import dnsPacket from 'dns-packet';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toBase58 } from './base58.js';
import { DhtRecordTooLargeError } from './errors.js';
import { decodeSlotRecord, encodeSlotRecord, MAX_PACKET_BYTES, PEER_RECORD_TTL } from './record.js';
import { isSocketAddress } from './types.js';

const ORIGIN = 'g9444bkwj3o6sqiowp6g8ymmdjgc6diu6ozkgxf7bzwe1zq6z8no';
const peer = SecretKey.fromString('record-test').peerId;

function packet(answers: { name: string; data: string | string[] }[]): Uint8Array {
  return dnsPacket.encode({
    type: 'response',
    answers: answers.map((a) => ({ type: 'TXT' as const, name: a.name, ttl: 600, data: a.data })),
  });
}

const ipv4 = fc.tuple(fc.ipV4(), fc.integer({ min: 1, max: 65535 })).map(([ip, port]) => `${ip}:${port}`);
const ipv6 = fc.tuple(fc.ipV6(), fc.integer({ min: 1, max: 65535 })).map(([ip, port]) => `[${ip}]:${port}`);

describe('slot record', () => {
  it('encodes _id, _ip and _r TXT records under the slot origin with TTL 600', () => {
    const addr: EndpointAddr = {
      id: peer,
      relayUrl: 'https://relay.example/',
      directAddresses: ['127.0.0.1:4000', '[::1]:4001'],
    };
    const decoded = dnsPacket.decode(Buffer.from(encodeSlotRecord(addr, ORIGIN)));
    const answers = (decoded.answers ?? []).map((a) => ({
      name: a.name,
      ttl: (a as { ttl?: number }).ttl,
      value: a.type === 'TXT' ? (a.data as Buffer[]).map(String).join('') : undefined,
    }));
    expect(answers).toEqual([
      { name: `_id.${ORIGIN}`, ttl: PEER_RECORD_TTL, value: toBase58(peer.bytes) },
      { name: `_ip.${ORIGIN}`, ttl: PEER_RECORD_TTL, value: '127.0.0.1:4000' },
      { name: `_ip.${ORIGIN}`, ttl: PEER_RECORD_TTL, value: '[::1]:4001' },
      { name: `_r.${ORIGIN}`, ttl: PEER_RECORD_TTL, value: 'https://relay.example/' },
    ]);
  });

  it('round-trips any address', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uniqueArray(fc.oneof(ipv4, ipv6), { maxLength: 4 }),
        fc.option(fc.webUrl({ validSchemes: ['https', 'http'] }), { nil: undefined }),
        (seed, directAddresses, relayUrl) => {
          const id = SecretKey.fromSeed(seed).peerId;
          const relay = relayUrl === undefined ? undefined : new URL(relayUrl).toString();
          const addr: EndpointAddr = { id, directAddresses, ...(relay ? { relayUrl: relay } : {}) };
          const record = decodeSlotRecord(encodeSlotRecord(addr, ORIGIN), ORIGIN);
          expect(record.kind).toBe('peer');
          if (record.kind !== 'peer') return;
          expect(record.addr.id.equals(id)).toBe(true);
          expect(record.addr.directAddresses).toEqual(directAddresses);
          expect(record.addr.relayUrl).toBe(relay);
        },
      ),
    );
  });

  it('leaves out the last direct addresses when the packet would exceed 1000 bytes', () => {
    const many = Array.from({ length: 80 }, (_, i) => `10.0.${i}.1:${1000 + i}`);
    const bytes = encodeSlotRecord({ id: peer, directAddresses: many }, ORIGIN);
    expect(bytes.length).toBeLessThanOrEqual(MAX_PACKET_BYTES);
    const record = decodeSlotRecord(bytes, ORIGIN);
    if (record.kind !== 'peer') throw new Error(record.reason);
    expect(record.addr.directAddresses.length).toBeGreaterThan(5);
    expect(record.addr.directAddresses).toEqual(many.slice(0, record.addr.directAddresses.length));
    expect(() =>
      encodeSlotRecord({ id: peer, relayUrl: `https://${'a'.repeat(990)}/`, directAddresses: [] }, ORIGIN),
    ).toThrow(DhtRecordTooLargeError);
  });

  it('reports each kind of malformed record as invalid with a reason', () => {
    const id = toBase58(peer.bytes);
    const cases: [Uint8Array, string][] = [
      [Uint8Array.of(1, 2, 3), 'not a DNS packet'],
      [packet([{ name: `_ip.${ORIGIN}`, data: '127.0.0.1:1' }]), 'missing _id'],
      [packet([{ name: `_id.${ORIGIN}`, data: 'not-base58-0OIl' }]), 'malformed peer id'],
      [packet([{ name: `_id.${ORIGIN}`, data: toBase58(new Uint8Array(31).fill(7)) }]), 'malformed peer id'],
      [packet([{ name: `_id.${ORIGIN}`, data: toBase58(new Uint8Array(33).fill(7)) }]), 'malformed peer id'],
      [
        packet([
          { name: `_id.${ORIGIN}`, data: id },
          { name: `_ip.${ORIGIN}`, data: '300.0.0.1:80' },
        ]),
        'malformed address',
      ],
      [
        packet([
          { name: `_id.${ORIGIN}`, data: id },
          { name: `_ip.${ORIGIN}`, data: '127.0.0.1:0' },
        ]),
        'malformed address',
      ],
      [
        packet([
          { name: `_id.${ORIGIN}`, data: id },
          { name: `_r.${ORIGIN}`, data: 'ftp://relay' },
        ]),
        'malformed relay url',
      ],
    ];
    for (const [bytes, reason] of cases)
      expect(decodeSlotRecord(bytes, ORIGIN)).toEqual({ kind: 'invalid', reason });
  });

  it('ignores records of another origin', () => {
    const bytes = packet([{ name: '_id.someone-else', data: toBase58(peer.bytes) }]);
    expect(decodeSlotRecord(bytes, ORIGIN)).toEqual({ kind: 'invalid', reason: 'missing _id' });
  });

  it('never throws on arbitrary bytes or arbitrary TXT records', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 1200 }), (bytes) => {
        const record = decodeSlotRecord(bytes, ORIGIN);
        expect(['peer', 'invalid']).toContain(record.kind);
      }),
      { numRuns: 2000 },
    );
    const label = fc.constantFrom('_id', '_ip', '_r', 'x');
    fc.assert(
      fc.property(
        fc.array(fc.record({ label, data: fc.string({ maxLength: 60 }) }), { maxLength: 6 }),
        (recs) => {
          const bytes = packet(recs.map((r) => ({ name: `${r.label}.${ORIGIN}`, data: r.data })));
          const record = decodeSlotRecord(bytes, ORIGIN);
          if (record.kind === 'peer') expect(recs.some((r) => r.label === '_id')).toBe(true);
        },
      ),
    );
  });

  it('accepts only ip:port socket addresses', () => {
    for (const ok of ['1.2.3.4:5', '[::1]:65535', '[2001:db8::1]:443'])
      expect(isSocketAddress(ok)).toBe(true);
    for (const bad of ['1.2.3.4', '1.2.3.4:0', '1.2.3.4:65536', '::1:80', 'host:80', '[1.2.3.4]:80', ''])
      expect(isSocketAddress(bad)).toBe(false);
  });
});
