import { waitFor } from '@mosaik/id';
import { type Link, LocalNode } from '@mosaik/transport';
import { afterEach, describe, expect, it } from 'vitest';
import { QUIET } from '../../test/net.js';
import { SYNC_ALPN, SYNC_DELTA_ALPN } from '../protocol/sync.js';

const isSync = (alpn: string) => alpn === SYNC_ALPN || alpn === SYNC_DELTA_ALPN;

import { Discovery } from './discovery.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of cleanup.splice(0).reverse()) await close();
});

describe('an isolated node', () => {
  it('keeps syncing with its seed after its first retries were lost, until the seed answers', async () => {
    // The seed runs discovery and accepts the node as a gossip neighbour, but until `answering`
    // every catalog sync between them is lost (incoming ones dropped unanswered, its own
    // refused), as with a seed starved of CPU. With announcements far apart, only retrying the
    // sync gets the node out of the state "one neighbour, empty catalog".
    const seed = await LocalNode.bind('isolation', { preset: 'local' });
    let answering = false;
    let syncAttempts = 0;
    const register = seed.handle.bind(seed);
    seed.handle = (alpn, handler, options) =>
      register(
        alpn,
        async (link: Link<unknown>) => {
          if (!isSync(alpn)) return handler(link as never);
          syncAttempts++;
          if (!answering) return link.close();
          return handler(link as never);
        },
        options,
      );
    const connect = seed.connect.bind(seed);
    seed.connect = (addr, alpn, options) => {
      if (isSync(alpn) && !answering) return Promise.reject(new Error('seed too busy to sync'));
      return connect(addr, alpn, options);
    };
    const seedDiscovery = await Discovery.start(seed, QUIET);
    cleanup.push(async () => {
      await seedDiscovery.close();
      await seed.close();
    });

    const node = await LocalNode.bind('isolation', { preset: 'local' });
    const discovery = await Discovery.start(node, { ...QUIET, bootstrap: [seed.addr()] });
    cleanup.push(async () => {
      await discovery.close();
      await node.close();
    });

    // One sync tries four times within about 1.4 s; a node that stopped there would stay alone.
    await waitFor(() => syncAttempts >= 7, {
      timeout: 20_000,
      message: () =>
        `only ${syncAttempts} sync attempts reached the seed; catalog ${discovery.catalog().signedPeersCount()}, neighbours ${discovery.neighbors().length}`,
    });
    expect(discovery.catalog().signedPeersCount()).toBeLessThanOrEqual(1); // the seed, by gossip
    // Each lost attempt is counted, with the reason an operator can act on.
    const failures = await node.metrics.registry
      .getSingleMetric('mosaik_discovery_catalog_sync_failures_total')
      ?.get();
    const byReason = new Map((failures?.values ?? []).map((v) => [v.labels.reason, v.value]));
    expect(byReason.get('closed_by_peer') ?? 0).toBeGreaterThanOrEqual(4);
    expect(discovery.neighbors().map((p) => p.toString())).toEqual([seed.peerId.toString()]);

    // The seed recovers: the node joins it without being told again.
    answering = true;
    await waitFor(() => discovery.catalog().signedPeersCount() === 1, {
      timeout: 20_000,
      message: 'the node never joined its seed',
    });
    await waitFor(() => seedDiscovery.catalog().signedPeersCount() === 1, {
      timeout: 10_000,
      message: 'the seed never learned the node',
    });
  });
});
