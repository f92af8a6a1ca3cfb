/**
 * Edges of the gossip path on real nodes (issue 4): a drifted entry is refused and counted, an
 * entry above the gossip cap travels as the `EntryChanged` header and is fetched by sync, and
 * `maxRtt` hides a peer from `peers()`/`get()` but not from the count.
 */
import { blake3, id, SecretKey, waitFor } from '@mosaik/id';
import { CloseCode, LocalNode } from '@mosaik/transport';
import { describe, expect, it } from 'vitest';
import { Cluster } from '../../test/net.js';
import { PeerEntry } from '../entry/entry.js';
import { SignedPeerEntry } from '../entry/signed.js';
import { compareVersions } from '../entry/version.js';
import { MessageType } from '../gossip/types.js';
import {
  ANNOUNCE_ALPN,
  AnnouncementType,
  decodeAnnouncement,
  encodeAddressData,
  encodeAnnounceFrame,
  entryAnnouncement,
  HELLO,
} from '../protocol/announce.js';

const fresh = (name: string) => id(`${name}-${Math.random()}`);

/** Sum of one metric family in a node's Prometheus text, optionally for one label value. */
async function metric(
  n: { node: { metrics: { registry: { metrics(): Promise<string> } } } },
  name: string,
  label?: string,
): Promise<number> {
  const text = await n.node.metrics.registry.metrics();
  return text
    .split('\n')
    .filter((l) => l.startsWith(name) && (label === undefined || l.includes(label)))
    .reduce((a, l) => a + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

describe('gossip edges on real nodes', () => {
  it('refuses and counts a gossiped entry whose timestamp is beyond maxTimeDrift', async () => {
    await using c = new Cluster();
    const net = fresh('drift');
    const victim = await c.addOn(net, { maxTimeDriftMs: 10_000 });
    const sender = await c.addOn(net);
    const other = SecretKey.generate();
    const entryAt = (nowMs: number) =>
      SignedPeerEntry.sign(
        PeerEntry.create({
          network: net,
          address: { peerId: other.peerId, directAddresses: ['127.0.0.1:9'] },
          nowMs,
        }),
        other,
      );
    const link = await sender.node.connect<Uint8Array>(victim.node.addr(), ANNOUNCE_ALPN);
    const gossip = async (signed: SignedPeerEntry, round: number) => {
      const content = entryAnnouncement(signed, 4096);
      await link.sendRaw(encodeAnnounceFrame({ t: MessageType.Gossip, id: blake3(content), content, round }));
    };
    await link.sendRaw(encodeAnnounceFrame({ t: HELLO, network: net }));
    await gossip(entryAt(Date.now() + 60_000), 0); // from the future
    await gossip(entryAt(Date.now() - 60_000), 0); // from the past
    await waitFor(
      async () => (await metric(victim, 'mosaik_discovery_rejected_total', 'reason="drift"')) === 2,
      {
        timeout: 5_000,
      },
    );
    expect(victim.discovery.catalog().getSigned(other.peerId)).toBeUndefined();
    // The same link still carries a timely entry: refusal is per entry, not per link.
    await gossip(entryAt(Date.now()), 0);
    await waitFor(() => victim.discovery.catalog().getSigned(other.peerId) !== undefined, { timeout: 5_000 });
    expect(await metric(victim, 'mosaik_discovery_rejected_total', 'reason="drift"')).toBe(2);
    await link.close(CloseCode.Success);
  });

  it('drops a neighbour that closes its link gracefully without saying Disconnect', async () => {
    // A peer that closes a quiet link to someone outside its view, or whose Disconnect was lost,
    // does not count us as its neighbour: kept in the view, it would relay none of our broadcasts.
    await using c = new Cluster();
    const net = fresh('one-sided');
    const victim = await c.addOn(net);
    // A peer whose gossip layer lists nobody: it takes links and never answers on them.
    await using peer = await LocalNode.bind(net, { preset: 'local' });
    peer.handle<Uint8Array>(ANNOUNCE_ALPN, async (l) => {
      await l.closed();
    });
    const listed = () => victim.discovery.neighbors().some((p) => p.equals(peer.peerId));
    const link = await peer.connect<Uint8Array>(victim.node.addr(), ANNOUNCE_ALPN);
    await link.sendRaw(encodeAnnounceFrame({ t: HELLO, network: net }));
    await link.sendRaw(
      encodeAnnounceFrame({ t: MessageType.Neighbor, high: true, data: encodeAddressData(peer.addr()) }),
    );
    await waitFor(listed, { timeout: 5_000, message: 'the request made no neighbour' });
    await link.close(CloseCode.Success);
    // Without this rule it stayed listed until the silence check, three heartbeats later (135 s),
    // its pushes going to a peer that ignores them.
    await waitFor(() => !listed(), { timeout: 5_000, message: 'the one-sided neighbour stayed listed' });
  });

  it('announces an entry above the gossip cap as a header; peers fetch it by sync', async () => {
    await using c = new Cluster();
    const net = fresh('oversized');
    const cap = 1024;
    const a = await c.addOn(net, { gossipMaxPayload: cap });
    const b = await c.addOn(net, { gossipMaxPayload: cap, bootstrap: [a.node.addr()] });
    await waitFor(() => a.discovery.neighbors().length === 1 && b.discovery.neighbors().length === 1, {
      timeout: 10_000,
    });
    await waitFor(() => b.discovery.catalog().getSigned(a.node.peerId) !== undefined, { timeout: 10_000 });
    const syncsBefore = await metric(b, 'mosaik_discovery_catalog_syncs_total');
    const tags = Array.from({ length: 60 }, (_, i) => `big-${i}`);
    const signed = a.discovery.addTags(tags);
    // The full entry does not fit; what goes out is the small header.
    const payload = entryAnnouncement(signed, cap);
    expect(signed.encode().length).toBeGreaterThan(cap);
    expect(payload.length).toBeLessThan(200);
    expect(decodeAnnouncement(payload).t).toBe(AnnouncementType.EntryChanged);
    await waitFor(() => b.discovery.catalog().get(a.node.peerId)?.tags.length === 60, { timeout: 10_000 });
    // B got it by a catalog sync it started on seeing the header (counted once the link closed).
    await waitFor(async () => (await metric(b, 'mosaik_discovery_catalog_syncs_total')) > syncsBefore, {
      timeout: 5_000,
    });
    // A's neighbour-up re-announce may land after the tags (a version above the tagged one, as a
    // header too): B catches up with it, by the header's sync or the next anti-entropy sync.
    await waitFor(
      () =>
        compareVersions(
          b.discovery.catalog().getSigned(a.node.peerId)?.entry.version ?? { startMs: 0, updateMs: 0 },
          a.discovery.me().entry.version,
        ) === 0,
      { timeout: 10_000, message: "B did not catch up with A's latest version" },
    );
  });

  it('re-versions its entry for its first neighbour only; later neighbours get it by their first sync', async () => {
    await using c = new Cluster();
    const net = fresh('first-neighbour');
    const a = await c.addOn(net);
    const version = () => a.discovery.me().entry.version;
    const initial = version();
    const b = await c.addOn(net, { bootstrap: [a.node.addr()] });
    // The first neighbour after none: a new version, broadcast through it.
    await waitFor(() => compareVersions(version(), initial) > 0, {
      timeout: 10_000,
      message: 'A did not re-version its entry for its first neighbour',
    });
    const first = version();
    await waitFor(() => b.discovery.catalog().getSigned(a.node.peerId) !== undefined, { timeout: 10_000 });
    // A heartbeat clock: `ticker` re-announces every 500 ms, and A counts its versions.
    const ticker = await c.addOn(net, {
      bootstrap: [a.node.addr()],
      announceIntervalMs: 500,
      announceJitter: 0,
    });
    const later = [ticker, await c.addOn(net, { bootstrap: [a.node.addr()] })];
    later.push(await c.addOn(net, { bootstrap: [a.node.addr()] }));
    await waitFor(() => a.discovery.neighbors().length >= 3, {
      timeout: 10_000,
      message: 'A has fewer than 3 neighbours',
    });
    const tickerVersion = () =>
      a.discovery.catalog().getSigned(ticker.node.peerId)?.entry.version ?? { startMs: 0, updateMs: 0 };
    // Six of the ticker's heartbeats seen by A (about 3 s): before this change, A re-versioned
    // within 2 s of each new neighbour.
    let seen = tickerVersion();
    let beats = 0;
    await waitFor(
      () => {
        const now = tickerVersion();
        if (compareVersions(now, seen) > 0) {
          seen = now;
          beats++;
        }
        return beats >= 6;
      },
      { timeout: 20_000, interval: 20, message: "A did not see six of the ticker's heartbeats" },
    );
    expect(compareVersions(version(), first)).toBe(0);
    // Each later neighbour holds A's entry all the same, from its first sync.
    for (const n of later) {
      expect(
        compareVersions(n.discovery.catalog().getSigned(a.node.peerId)?.entry.version ?? initial, first),
      ).toBe(0);
    }
  });

  it('maxRtt hides a slow peer from peers()/get() but not from the counts', async () => {
    await using c = new Cluster();
    const net = fresh('maxrtt');
    const a = await c.addOn(net, { maxRttMs: 100 });
    const fast = await c.addOn(net);
    const slow = await c.addOn(net);
    await a.discovery.syncWith(fast.node.addr());
    await a.discovery.syncWith(slow.node.addr());
    // Samples from other subsystems' links, as streams and groups report them.
    for (let i = 0; i < 5; i++) {
      a.discovery.recordRtt(fast.node.peerId, 5);
      a.discovery.recordRtt(slow.node.peerId, 400);
    }
    const snap = a.discovery.catalog();
    expect(snap.get(slow.node.peerId)).toBeUndefined();
    expect(snap.get(fast.node.peerId)).toBeDefined();
    expect(snap.peers().map((p) => p.peerId.toString())).toEqual([fast.node.peerId.toString()]);
    expect(snap.peersCount()).toBe(2);
    expect(snap.signedPeersCount()).toBe(2);
    expect(snap.getSigned(slow.node.peerId)).toBeDefined();
    // Once the link is fast again, the peer is back.
    for (let i = 0; i < 20; i++) a.discovery.recordRtt(slow.node.peerId, 5);
    expect(a.discovery.catalog().get(slow.node.peerId)).toBeDefined();
  });
});
