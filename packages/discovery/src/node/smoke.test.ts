import { id } from '@mosaik/id';
import { describe, expect, it } from 'vitest';
import { Cluster, converged } from '../../test/net.js';

describe('smoke', () => {
  it('two nodes find each other through a bootstrap address', async () => {
    await using c = new Cluster();
    const net = id(`smoke-${Math.random()}`);
    const a = await c.add(net);
    const b = await c.add(net, { bootstrap: [a.node.addr()] });
    await converged([a, b], 1);
    expect(b.discovery.catalog().getSigned(a.node.peerId)).toBeDefined();
    await waitNeighbours(a);
  });
});

async function waitNeighbours(n: { discovery: { neighbors(): unknown[] } }) {
  const { waitFor } = await import('@mosaik/id');
  await waitFor(() => n.discovery.neighbors().length > 0);
}
