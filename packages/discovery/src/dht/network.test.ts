import { id, waitFor } from '@mosaik/id';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Cluster, converged, type TestNode } from '../../test/net.js';
import { LocalDht } from './local.js';
import { scanChain } from './scan.js';
import { slotChain } from './slots.js';
import { addZeroConfigSources, type ZeroConfigSources } from './zero-config.js';

let dht: LocalDht;
beforeEach(async () => {
  dht = await LocalDht.start({ nodes: 5, requestTimeoutMs: 200 });
});
afterEach(async () => {
  await dht.close();
});

function withDht(n: TestNode): ZeroConfigSources {
  return addZeroConfigSources(n.discovery, n.node, {
    preset: 'local',
    dht: { bootstrap: dht.bootstrap, host: '127.0.0.1', requestTimeoutMs: 200, aggressivePollMs: 300 },
  });
}

describe('DHT bootstrap on real nodes', () => {
  it('fills the catalogs of 8 nodes that have no bootstrap peers', async () => {
    await using cluster = new Cluster();
    const network = `dht-real-${Math.random()}`;
    const nodes = await Promise.all(Array.from({ length: 8 }, () => cluster.addOn(network)));
    for (const n of nodes) withDht(n);
    await converged(nodes, 7, 30_000);
    for (const n of nodes) {
      for (const m of nodes) {
        if (m === n) continue;
        expect(n.discovery.catalog().getSigned(m.node.peerId)?.entry.address.directAddresses).toEqual(
          m.discovery.me().entry.address.directAddresses,
        );
      }
    }
    // Live peers answer pings, so nobody overwrites anybody: at most one slot per node.
    const views = await scanChain(dht.nodes[0]!, slotChain(id(network)));
    const holders = views.flatMap((v) => (v.state.kind === 'peer' ? [v.state.addr.id.toString()] : []));
    expect(new Set(holders).size).toBe(holders.length);
  });

  it('is off by default with the local preset and on when asked', async () => {
    await using cluster = new Cluster();
    const n = await cluster.addOn(`dht-default-${Math.random()}`);
    expect(addZeroConfigSources(n.discovery, n.node, { preset: 'local' }).dht).toBeUndefined();
    expect(addZeroConfigSources(n.discovery, n.node, { preset: 'local', dht: false }).dht).toBeUndefined();
    const on = withDht(n);
    expect(on.dht).toBeDefined();
    await waitFor(() => on.dht!.status.publishes === 1, { timeout: 10_000 });
  });
});
