/** The gossip adapter's leave over real QUIC: what it sent last reaches the peers. */
import { scaled, waitFor } from '@mosaik/id';
import { LocalNode } from '@mosaik/transport';
import { afterEach, describe, expect, it } from 'vitest';
import { announceAdapter } from '../../test/announce-adapter.js';
import type { AnnounceAdapter, AnnounceHooks } from './announce.js';
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
  const gossip = announceAdapter(node, timers, { hooks, dialTimeoutMs: scaled(5_000) });
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

  it('finishes saying goodbye to its neighbours before it returns, so closing the node next loses nothing', async () => {
    const delivered: string[] = [];
    const downs: string[] = [];
    const b = await gossipNode({
      deliver: (content) => delivered.push(new TextDecoder().decode(content)),
      neighborDown: (peer) => downs.push(peer.toString()),
    });
    const ups: string[] = [];
    const a = await gossipNode({ neighborUp: (peer) => ups.push(peer.toString()) });
    a.gossip.join([b.node.addr()]);
    await waitFor(() => ups.includes(b.node.peerId.toString()), {
      timeout: 5_000,
      message: 'a and b became neighbours',
    });
    // The last word and the Disconnect go out on the link the engine closes as it leaves, behind
    // a backlog that takes a while to write; the node's endpoint closes right after, as it does
    // when a node shuts down.
    for (let i = 0; i < 300; i++) a.gossip.broadcast(new TextEncoder().encode(`${i}`.padEnd(3_000)));
    a.gossip.broadcast(new TextEncoder().encode('last word'), { flood: true });
    await a.gossip.leave(scaled(5_000));
    await a.node.close();
    await waitFor(() => delivered.includes('last word') && downs.includes(a.node.peerId.toString()), {
      timeout: scaled(5_000),
      message: () =>
        `b got a's last word and goodbye (${delivered.length} of 301 delivered, ${downs.length} down)`,
    });
    expect(delivered).toHaveLength(301);
  });
});
