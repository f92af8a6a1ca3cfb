import { id, SecretKey, waitFor } from '@mosaik/id';
import type { EndpointAddr } from '@mosaik/transport';
import multicastDns from 'multicast-dns';
import { describe, expect, it } from 'vitest';
import { toBase58 } from '../dht/base58.js';
import { MDNS_SERVICE, MdnsAddressSource, parseMdnsTxt } from './source.js';

// Always pinned to loopback, on a port of its own so that no real mDNS traffic interferes.
const PORT = 45_353 + Math.floor(Math.random() * 1000);

interface Running {
  readonly addr: EndpointAddr;
  readonly learned: Map<string, EndpointAddr>;
  readonly stop: () => Promise<void>;
}

function start(network: string, port = PORT): Running {
  const key = SecretKey.generate();
  const addr: EndpointAddr = {
    id: key.peerId,
    relayUrl: 'https://relay.test/',
    directAddresses: [`127.0.0.1:${10_000 + Math.floor(Math.random() * 1000)}`],
  };
  const learned = new Map<string, EndpointAddr>();
  const controller = new AbortController();
  const source = new MdnsAddressSource({
    networkId: id(network),
    peerId: key.peerId,
    addr: () => addr,
    interface: '127.0.0.1',
    port,
    aggressivePollMs: 200,
  });
  const done = source.start(
    (addrs) => {
      for (const a of addrs) learned.set(a.id.toString(), a);
    },
    { neighbours: () => 0, signal: controller.signal },
  );
  return {
    addr,
    learned,
    stop: async () => {
      controller.abort();
      await done;
    },
  };
}

describe('mDNS address source', () => {
  it('finds a node of the same network on loopback, and not one of another network', async () => {
    const a = start('mdns-net');
    const b = start('mdns-net');
    const other = start('mdns-other');
    try {
      await waitFor(() => a.learned.has(b.addr.id.toString()) && b.learned.has(a.addr.id.toString()), {
        timeout: 10_000,
        message: 'the two nodes did not find each other',
      });
      expect(a.learned.get(b.addr.id.toString())).toEqual(b.addr);
      expect(b.learned.get(a.addr.id.toString())).toEqual(a.addr);
      // The other network's node answers the same queries, but its records are filtered out.
      await waitFor(() => other.learned.size === 0 && a.learned.size === 1 && b.learned.size === 1);
      expect(a.learned.has(other.addr.id.toString())).toBe(false);
      expect(a.learned.has(a.addr.id.toString())).toBe(false);
    } finally {
      await Promise.all([a.stop(), b.stop(), other.stop()]);
    }
  });

  it('skips malformed answers without failing', async () => {
    const port = PORT + 1000;
    const node = start('mdns-garbage', port);
    const raw = multicastDns({ interface: '127.0.0.1', bind: '0.0.0.0', port, reuseAddr: true });
    try {
      await new Promise((r) => raw.once('ready', r));
      const good = SecretKey.generate().peerId;
      const network = id('mdns-garbage').toString();
      const send = () =>
        raw.respond({
          answers: [
            { type: 'TXT', name: `bad1.${MDNS_SERVICE}`, data: [`net=${network}`, 'id=0OIl'] },
            {
              type: 'TXT',
              name: `bad2.${MDNS_SERVICE}`,
              data: [`net=${network}`, `id=${toBase58(good.bytes)}`, 'ip=nope'],
            },
            {
              type: 'TXT',
              name: `good.${MDNS_SERVICE}`,
              data: [`net=${network}`, `id=${toBase58(good.bytes)}`, 'ip=127.0.0.1:9'],
            },
          ],
        });
      await waitFor(
        () => {
          send();
          return node.learned.has(good.toString());
        },
        { timeout: 10_000, interval: 100 },
      );
      expect([...node.learned.values()]).toEqual([{ id: good, directAddresses: ['127.0.0.1:9'] }]);
    } finally {
      await new Promise<void>((r) => raw.destroy(() => r()));
      await node.stop();
    }
  });

  it('parses TXT strings and names what is wrong', () => {
    const peer = SecretKey.generate().peerId;
    const ok = parseMdnsTxt(['net=n', `id=${toBase58(peer.bytes)}`, 'ip=[::1]:5', 'r=https://r/', 'junk']);
    expect(ok).toEqual({
      network: 'n',
      addr: { id: peer, relayUrl: 'https://r/', directAddresses: ['[::1]:5'] },
    });
    expect(parseMdnsTxt([`id=${toBase58(peer.bytes)}`])).toEqual({ error: 'missing net' });
    expect(parseMdnsTxt(['net=n'])).toEqual({ error: 'missing id' });
    expect(parseMdnsTxt(['net=n', `id=${toBase58(peer.bytes.subarray(1))}`])).toEqual({
      error: 'malformed peer id',
    });
    expect(parseMdnsTxt(['net=n', `id=${toBase58(peer.bytes)}`, 'ip=1.2.3.4'])).toEqual({
      error: 'malformed address',
    });
  });
});
