import { waitFor } from '@mosaik/id';
import type { EndpointAddr } from '@mosaik/transport';
import { describe, expect, it } from 'vitest';
import { Cluster, discoverAll } from '../../test/net.js';

describe('local address changes', () => {
  it('re-sign the local entry and reach a neighbour well under a second', async () => {
    await using c = new Cluster();
    const [a, b] = [await c.addOn('address-change'), await c.addOn('address-change')];
    await discoverAll([a, b]);
    await waitFor(() => a.discovery.neighbors().length > 0, { message: 'a has a gossip neighbour' });
    const before = a.discovery.me().entry.version;

    // The endpoint gains an address (a new interface): the node reports it from now on.
    const real = a.node.addr();
    const moved: EndpointAddr = { ...real, directAddresses: [...real.directAddresses, '127.0.0.2:4242'] };
    a.node.addr = () => moved;

    const seen = await waitFor(
      () => b.discovery.catalog().get(a.node.peerId)?.address.directAddresses.includes('127.0.0.2:4242'),
      { timeout: 1_000, message: 'b sees a’s new address' },
    );
    expect(seen).toBe(true);
    expect(a.discovery.me().entry.version.updateMs).toBeGreaterThan(before.updateMs);
  });
});
