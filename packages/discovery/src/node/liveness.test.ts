import { waitFor } from '@mosaik/id';
import { LocalNode } from '@mosaik/transport';
import { describe, expect, it } from 'vitest';
import { Cluster } from '../../test/net.js';
import { PeerEntry } from '../entry/entry.js';
import { SignedPeerEntry } from '../entry/signed.js';
import { PING_ALPN } from '../protocol/ping.js';
import { confirmLeadMs } from './discovery.js';

const fresh = (name: string) => `liveness-${name}-${Math.random()}`;

describe('ping before purge', () => {
  it('keeps a live peer whose heartbeats never come, and purges it on time once it is dead', async () => {
    await using c = new Cluster();
    const net = fresh('keep');
    // A ping gets a third of it (1 s) to answer, enough on a busy machine.
    const purgeAfterMs = 3_000;
    const watcher = await c.addOn(net, { purgeAfterMs });
    // No heartbeat within the test: only the watcher's pings can keep this peer.
    const silent = await c.addOn(net, { announceIntervalMs: 600_000 });
    await watcher.discovery.syncWith(silent.node.addr());
    expect(watcher.discovery.catalog().getSigned(silent.node.peerId)).toBeDefined();

    // Two purge horizons, sampled: the peer is never gone.
    const events = watcher.discovery.events();
    const departed: string[] = [];
    void (async () => {
      for await (const ev of events) if (ev.type === 'peerDeparted') departed.push(ev.peerId.short());
    })();
    const until = performance.now() + 2 * purgeAfterMs;
    let samples = 0;
    let missing = 0;
    await waitFor(
      () => {
        if (watcher.discovery.catalog().getSigned(silent.node.peerId) === undefined) missing++;
        samples++;
        return performance.now() >= until;
      },
      { timeout: 4 * purgeAfterMs, interval: 50, message: 'the watch did not end' },
    );
    expect({ missing, departed }).toEqual({ missing: 0, departed: [] });
    expect(samples).toBeGreaterThan(20);
    // What the watcher holds are ping replies, newer than the entry the peer stored itself.
    const held = watcher.discovery.catalog().getSigned(silent.node.peerId);
    expect(held?.entry.version.updateMs).toBeGreaterThan(silent.discovery.me().entry.version.updateMs);

    // The peer's endpoint dies without a departure: its ping fails and the purge comes on time
    // (within purgeAfter of the last answer, which came at most purgeAfter ago).
    await silent.node.close();
    await waitFor(() => watcher.discovery.catalog().getSigned(silent.node.peerId) === undefined, {
      timeout: 2 * purgeAfterMs + 1_000,
      message: 'the dead peer was not purged in time',
    });
    await waitFor(() => departed.length > 0, { message: 'no peerDeparted event' });
    expect(departed).toEqual([silent.node.peerId.short()]);
    await events.return?.();
  });

  it('a live peer due for its ping is not starved by dead peers due at the same time', async () => {
    // After a crash every dead peer turns due together, and each of their pings holds its slot
    // until it times out. With the pings sharing the (here single) sync slot, a live peer whose
    // heartbeats were lost waited behind them and was purged.
    await using c = new Cluster();
    const net = fresh('starved');
    // The live peer's ping gets a third of this (2 s): at 3 s its 1 s was sometimes too short for
    // a handshake on a busy CI machine, and the live peer was purged for a slow ping.
    const purgeAfterMs = 6_000;
    const watcher = await c.addOn(net, { purgeAfterMs, syncConcurrency: 1 });
    // Hung peers: their endpoints take the ping's connection and never answer, as a killed
    // process's would not; their entries are older than the live peer's, so they are due first.
    const hung: LocalNode[] = [];
    for (let i = 0; i < 3; i++) {
      const node = await LocalNode.bind(watcher.node.networkId, { preset: 'local' });
      hung.push(node);
      // The handler holds the link (unanswered) until the node closes.
      node.handle(PING_ALPN, async (link) => {
        await link.closed();
      });
      const entry = PeerEntry.create({
        network: node.networkId,
        address: { peerId: node.peerId, directAddresses: [...node.addr().directAddresses] },
      });
      expect(watcher.discovery.feed(SignedPeerEntry.sign(entry, node.secretKey))).toBe(true);
      watcher.node.addressBook.observe(node.addr());
    }
    try {
      // No heartbeat within the test: only a ping can keep this peer.
      const live = await c.addOn(net, { announceIntervalMs: 600_000 });
      await watcher.discovery.syncWith(live.node.addr());
      const departed: string[] = [];
      const events = watcher.discovery.events();
      void (async () => {
        for await (const ev of events) if (ev.type === 'peerDeparted') departed.push(ev.peerId.short());
      })();
      let missing = 0;
      await waitFor(
        () => {
          if (watcher.discovery.catalog().getSigned(live.node.peerId) === undefined) missing++;
          return hung.every((h) => watcher.discovery.catalog().getSigned(h.peerId) === undefined);
        },
        { timeout: 3 * purgeAfterMs, interval: 50, message: 'the hung peers were not purged' },
      );
      // One more horizon: the live peer stays.
      const until = performance.now() + purgeAfterMs;
      await waitFor(
        () => {
          if (watcher.discovery.catalog().getSigned(live.node.peerId) === undefined) missing++;
          return performance.now() >= until;
        },
        { timeout: 3 * purgeAfterMs, interval: 50, message: 'the watch did not end' },
      );
      expect({ missing, departed: departed.sort() }).toEqual({
        missing: 0,
        departed: hung.map((h) => h.peerId.short()).sort(),
      });
      await events.return?.();
    } finally {
      await Promise.all(hung.map((h) => h.close()));
    }
  });

  it('pings a third of the horizon before the purge, at most a minute before, never less than 500 ms', () => {
    expect(confirmLeadMs(300_000)).toBe(60_000);
    expect(confirmLeadMs(9_000)).toBe(3_000);
    expect(confirmLeadMs(600)).toBe(500);
  });
});
