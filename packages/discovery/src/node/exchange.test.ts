/** The ping exchange over real QUIC, driven directly (no discovery worker around it). */
import { scaled } from '@mosaik/id';
import { LocalNode } from '@mosaik/transport';
import { afterEach, describe, expect, it } from 'vitest';
import { Catalog } from '../catalog/catalog.js';
import { PeerEntry } from '../entry/entry.js';
import { SignedPeerEntry } from '../entry/signed.js';
import { PING_ALPN } from '../protocol/ping.js';
import { acceptPing, type ExchangeContext, ping } from './exchange.js';
import { DiscoveryMetrics } from './metrics.js';

const nodes: LocalNode[] = [];
const catalogs: Catalog[] = [];

afterEach(async () => {
  for (const c of catalogs.splice(0)) c.close();
  await Promise.all(nodes.splice(0).map((n) => n.close()));
});

async function exchangeNode(signal?: AbortSignal): Promise<ExchangeContext> {
  const node = await LocalNode.bind('exchange-tests', { preset: 'local' });
  nodes.push(node);
  const entry = PeerEntry.create({
    network: node.networkId,
    address: { peerId: node.peerId, directAddresses: [...node.addr().directAddresses] },
  });
  const catalog = new Catalog({ local: SignedPeerEntry.sign(entry, node.secretKey) });
  catalogs.push(catalog);
  return {
    node,
    catalog,
    metrics: new DiscoveryMetrics(node.metrics),
    timeoutMs: scaled(5_000),
    ...(signal === undefined ? {} : { signal }),
    learned: () => {},
    departed: () => {},
  };
}

describe('ping', () => {
  it('is answered one version above the stored entry, and not at all once the node is leaving', async () => {
    const leaving = new AbortController();
    const server = await exchangeNode(leaving.signal);
    server.node.handle(PING_ALPN, (link) => acceptPing(server, link));
    const client = await exchangeNode();
    const reply = await ping(client, server.node.addr());
    expect(reply.entry.entry.isNewerThan(server.catalog.local.entry)).toBe(true);
    // A reply built after the departure would carry a version above the departure's.
    leaving.abort();
    await expect(ping(client, server.node.addr())).rejects.toThrow();
  });
});
