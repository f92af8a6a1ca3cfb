/**
 * A node serves a bounded number of catalog syncs at once and refuses the rest with `Busy`, so a
 * seed that everyone syncs with answers some quickly instead of all of them too late. Real QUIC
 * on 127.0.0.1.
 */
import { id, waitFor } from '@mosaik/id';
import { metricValue } from '@mosaik/testkit';
import { CloseCode, type Link } from '@mosaik/transport';
import { describe, expect, it } from 'vitest';
import { Cluster } from '../../test/net.js';
import { encodeSyncMessage, SYNC_DELTA_ALPN, SyncType } from '../protocol/sync.js';
import { MAX_SERVED_SYNCS } from './discovery.js';
import { syncFailureOf } from './metrics.js';

describe('catalog syncs a node serves at once', () => {
  it('refuses syncs beyond its capacity with Busy, and serves again once slots free', async () => {
    await using c = new Cluster();
    const net = id(`sync-busy-${Math.random()}`);
    const seed = await c.addOn(net);
    const peer = await c.addOn(net);
    const serving = () => metricValue(seed, 'mosaik_discovery_syncs_serving');

    // Syncs that send their summary and never their push: each holds a serving slot until it ends.
    const idle: Link<unknown>[] = [];
    const summary = encodeSyncMessage({ t: SyncType.Summary, items: [] });
    for (let i = 0; i < MAX_SERVED_SYNCS; i++) {
      const link = await peer.node.connect(seed.node.addr(), SYNC_DELTA_ALPN);
      await link.sendRaw(summary);
      idle.push(link);
    }
    await waitFor(async () => (await serving()) === MAX_SERVED_SYNCS, {
      timeout: 10_000,
      message: () => `the seed does not serve all ${MAX_SERVED_SYNCS} idle syncs`,
    });

    const refused = await peer.node.connect(seed.node.addr(), SYNC_DELTA_ALPN);
    await refused.sendRaw(summary).catch(() => {});
    expect((await refused.closed()).code).toBe(CloseCode.Busy);
    expect(await metricValue(seed, 'mosaik_discovery_syncs_refused_busy_total')).toBe(1);
    // A sync the peer's discovery starts is refused as busy: it is not retried on the spot.
    await expect(peer.discovery.syncWith(seed.node.addr())).rejects.toSatisfy(
      (error) => syncFailureOf(error) === 'busy',
    );
    expect(idle.every((link) => !link.isClosed)).toBe(true);

    for (const link of idle) await link.close(CloseCode.Cancelled);
    await waitFor(async () => (await serving()) === 0, {
      timeout: 10_000,
      message: 'the seed still counts syncs whose links closed',
    });
    await peer.discovery.syncWith(seed.node.addr());
    expect(peer.discovery.catalog().getSigned(seed.node.peerId)).toBeDefined();
    expect(await metricValue(seed, 'mosaik_discovery_syncs_refused_busy_total')).toBe(2);
  });

  it('closes a served sync that stalls once the exchange timeout passes, freeing its slot', async () => {
    await using c = new Cluster();
    const net = id(`sync-stall-${Math.random()}`);
    const seed = await c.addOn(net, { exchangeTimeoutMs: 1_000 });
    const peer = await c.addOn(net);
    const link = await peer.node.connect(seed.node.addr(), SYNC_DELTA_ALPN);
    await link.sendRaw(encodeSyncMessage({ t: SyncType.Summary, items: [] }));
    const closed = await waitFor(link.closed(), { timeout: 10_000, message: 'the stalled sync stayed open' });
    expect(closed.code).toBe(CloseCode.Cancelled);
    await waitFor(async () => (await metricValue(seed, 'mosaik_discovery_syncs_serving')) === 0, {
      timeout: 10_000,
      message: 'the stalled sync still holds its slot',
    });
  });
});
