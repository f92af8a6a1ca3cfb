/** The gossip adapter's close over real QUIC: frames queued for a link being dialled. */
import { scaled, waitFor } from '@mosaik/id';
import { LocalNode } from '@mosaik/transport';
import { afterEach, describe, it } from 'vitest';
import { AnnounceAdapter, type AnnounceHooks } from './announce.js';
import { DiscoveryMetrics } from './metrics.js';
import { Timers } from './timers.js';

const opened: { close(): Promise<void> | void }[] = [];

afterEach(async () => {
  for (const o of opened.splice(0).reverse()) await o.close();
});

async function gossipNode(
  hooks: Partial<AnnounceHooks> = {},
): Promise<{ node: LocalNode; gossip: AnnounceAdapter }> {
  const node = await LocalNode.bind('announce-close', { preset: 'local' });
  opened.push(node);
  const timers = new Timers();
  opened.push(timers);
  const gossip = new AnnounceAdapter({
    node,
    timers,
    metrics: new DiscoveryMetrics(node.metrics),
    logger: node.logger,
    maxPayloadSize: 4096,
    gossip: {},
    dialTimeoutMs: scaled(5_000),
    hooks: { deliver: () => {}, neighborUp: () => {}, neighborDown: () => {}, ...hooks },
  });
  opened.push({ close: () => gossip.close() });
  return { node, gossip };
}

describe('AnnounceAdapter.leave', () => {
  it('delivers what was queued for a peer still being dialled before closing', async () => {
    const ups: string[] = [];
    const b = await gossipNode({ neighborUp: (peer) => ups.push(peer.toString()) });
    const a = await gossipNode();
    // The Join waits in the channel's queue while the dial to b runs; a leaves at once.
    a.gossip.join([b.node.addr()]);
    await a.gossip.leave(scaled(5_000));
    await waitFor(() => ups.includes(a.node.peerId.toString()), {
      timeout: 5_000,
      message: 'b never got the join a queued before leaving',
    });
  });
});
