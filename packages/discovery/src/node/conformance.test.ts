/** Conformance tests (behaviour a Rust node relies on) over real QUIC on 127.0.0.1, plus bad input on every discovery ALPN. */
import { cborCodec, id, SecretKey, waitFor } from '@mosaik/id';
import { CloseCode } from '@mosaik/transport';
import { describe, expect, it } from 'vitest';
import { Cluster, discoverAll, type TestNode } from '../../test/net.js';
import { PeerEntry } from '../entry/entry.js';
import { SignedPeerEntry } from '../entry/signed.js';
import { ANNOUNCE_ALPN, encodeAnnounceFrame, HELLO } from '../protocol/announce.js';
import { decodePingMessage, encodePingMessage, PING_ALPN } from '../protocol/ping.js';
import { decodeSyncMessage, encodeSyncMessage, SYNC_ALPN, SYNC_DELTA_ALPN } from '../protocol/sync.js';

const fresh = (name: string) => id(`${name}-${Math.random()}`);
const cbor = cborCodec<unknown>();

/**
 * Waits until `a` and `b` list each other as gossip neighbours: a departure goes only to the
 * neighbours of the leaving node, so both sides must have taken the link.
 */
async function gossipNeighbours(a: TestNode, b: TestNode): Promise<void> {
  const lists = (x: TestNode, y: TestNode) => x.discovery.neighbors().some((p) => p.equals(y.node.peerId));
  await waitFor(() => lists(a, b) && lists(b, a), {
    timeout: 10_000,
    message: 'the two nodes never became gossip neighbours',
  });
}

/** The next event of `events`, or a timeout error naming the event that did not come. */
function nextEvent<T>(events: AsyncIterator<T>, what: string): Promise<IteratorResult<T>> {
  return waitFor(events.next(), { timeout: 10_000, message: `no ${what} before the deadline` });
}

async function rejected(node: { node: { metrics: { registry: { metrics(): Promise<string> } } } }) {
  const text = await node.node.metrics.registry.metrics();
  return [...text.matchAll(/mosaik_discovery_rejected_total\{[^}]*\} (\d+)/g)].reduce(
    (a, m) => a + Number(m[1]),
    0,
  );
}

describe('catalog', () => {
  it('manual sync: signed supersedes unsigned, both sides learn', async () => {
    await using c = new Cluster();
    const net = fresh('manual');
    const a = await c.addOn(net, { tags: ['t1', 't2'] });
    const b = await c.addOn(net);
    a.discovery.addStreams(id('stream'));
    expect(a.discovery.catalog().peersCount()).toBe(0);
    expect(b.discovery.insert(a.discovery.me())).toBe(true);
    expect(b.discovery.catalog().peersCount()).toBe(1);
    expect(b.discovery.catalog().signedPeersCount()).toBe(0);
    await b.discovery.syncWith(a.node.addr());
    expect(b.discovery.catalog().peersCount()).toBe(1);
    expect(b.discovery.catalog().signedPeersCount()).toBe(1);
    expect(b.discovery.catalog().unsignedPeers()).toHaveLength(0);
    expect(a.discovery.catalog().getSigned(b.node.peerId)).toBeDefined();
    expect(b.discovery.catalog().get(a.node.peerId)?.hasStream(id('stream'))).toBe(true);
  });

  it('different networks stay isolated; cross-network sync succeeds and adds nothing', async () => {
    await using c = new Cluster();
    const x = fresh('x');
    const y = fresh('y');
    const xs = [await c.addOn(x), await c.addOn(x)];
    const ys = [await c.addOn(y), await c.addOn(y), await c.addOn(y)];
    await discoverAll([...xs, ...ys]);
    for (const n of xs) expect(n.discovery.catalog().peersCount()).toBe(1);
    for (const n of ys) expect(n.discovery.catalog().peersCount()).toBe(2);
  });

  it('converges with one bootstrap peer (10 nodes)', async () => {
    await using c = new Cluster();
    const net = fresh('converge');
    const seed = await c.addOn(net);
    await Promise.all(Array.from({ length: 10 }, () => c.addOn(net, { bootstrap: [seed.node.addr()] })));
    await waitFor(() => c.nodes.every((n) => n.discovery.catalog().peersCount() === 10), { timeout: 10_000 });
  });
});

describe('departures and events', () => {
  it('graceful departure reaches the others at once; feed and insert emit nothing', async () => {
    await using c = new Cluster();
    const net = fresh('depart');
    const nodes = [await c.addOn(net), await c.addOn(net), await c.addOn(net)];
    const events = nodes.map((n) => n.discovery.events());
    await discoverAll(nodes);
    for (const [i, n] of nodes.entries()) {
      const seen = [];
      for (let k = 0; k < 2; k++)
        seen.push((await nextEvent(events[i]!, `node ${i}'s discovery of its peer number ${k + 1}`)).value);
      expect(seen.every((e) => e?.type === 'peerDiscovered')).toBe(true);
      const ids = seen.map((e) => (e?.type === 'peerDiscovered' ? e.entry.peerId.toString() : '')).sort();
      expect(ids).toEqual(
        n.discovery
          .catalog()
          .peers()
          .map((p) => p.peerId.toString())
          .sort(),
      );
    }
    // feed/insert: no event.
    const outsider = SecretKey.generate();
    const entry = PeerEntry.create({
      network: net,
      address: { peerId: outsider.peerId, directAddresses: [] },
    });
    expect(nodes[0]!.discovery.feed(SignedPeerEntry.sign(entry, outsider))).toBe(true);
    const middle = nodes[1]!;
    // The departure travels by gossip: on a busy machine the joins may still be in flight, so
    // wait until the departing node is a neighbour of both others.
    await waitFor(
      () => [0, 2].every((i) => nodes[i]!.discovery.neighbors().some((p) => p.equals(middle.node.peerId))),
      { timeout: 10_000, message: 'the middle node never became a gossip neighbour of both others' },
    );
    await middle.close();
    for (const i of [0, 2]) {
      const departure = `node ${i}'s event for the middle node's departure`;
      let next = (await nextEvent(events[i]!, departure)).value;
      // Skipped: heartbeat re-versions when gossip neighbours come up (`peerUpdated`), and node 2
      // learning the outsider from node 0 by gossip or a catch-up sync (not the feed's event).
      const unrelated = (e: typeof next) =>
        e?.type === 'peerUpdated' ||
        (i === 2 && e?.type === 'peerDiscovered' && e.entry.peerId.equals(outsider.peerId));
      while (unrelated(next)) next = (await nextEvent(events[i]!, departure)).value;
      expect(next).toEqual({ type: 'peerDeparted', peerId: middle.node.peerId });
    }
    for (const e of events) await e.return?.();
  });

  it('a peer that pinged the leaving node (holding a newer version than any broadcast) takes its departure', async () => {
    await using c = new Cluster();
    const net = fresh('depart-pinged');
    const [a, b] = [await c.addOn(net), await c.addOn(net)];
    await discoverAll([a, b]);
    await gossipNeighbours(a, b);
    // The ping reply is b's entry one version up, which b does not store; the liveness ping
    // before a purge keeps it as the catalog's entry of b, as `feed` does here.
    const reply = await a.discovery.ping(b.node.peerId);
    expect(a.discovery.feed(reply.entry)).toBe(true);
    const held = a.discovery.catalog().getSigned(b.node.peerId);
    expect(held?.entry.isNewerThan(b.discovery.me().entry)).toBe(true);
    const events = a.discovery.events();
    await b.close();
    let next = (await events.next()).value;
    while (next?.type === 'peerUpdated') next = (await events.next()).value;
    expect(next).toEqual({ type: 'peerDeparted', peerId: b.node.peerId });
    await events.return?.();
  });

  it('a node that missed a departure learns it from a catalog sync, whichever side starts it', async () => {
    await using c = new Cluster();
    const net = fresh('depart-sync');
    const [a, b] = [await c.addOn(net), await c.addOn(net)];
    await discoverAll([a, b]);
    await gossipNeighbours(a, b);
    const lastOfB = b.discovery.me();
    await b.close();
    await waitFor(() => a.discovery.catalog().getSigned(b.node.peerId) === undefined, {
      timeout: 5_000,
      message: "b's departure never reached its neighbour a",
    });
    // Two nodes that were not in the overlay when b left get a copy of b's last entry (a copy
    // still travelling, or a sync with a node that missed the departure too).
    for (const late of [await c.addOn(net), await c.addOn(net)]) {
      expect(late.discovery.feed(lastOfB)).toBe(true);
    }
    const [x, y] = [c.at(2), c.at(3)];
    // x asks a: a's answer carries the departure of a peer x still lists.
    await x.discovery.syncWith(a.node.addr());
    expect(x.discovery.catalog().getSigned(b.node.peerId)).toBeUndefined();
    expect(x.discovery.catalog().getSigned(a.node.peerId)).toBeDefined();
    // a asks y: a's summary carries the departures a applied lately.
    await a.discovery.syncWith(y.node.addr());
    expect(y.discovery.catalog().getSigned(b.node.peerId)).toBeUndefined();
    // a did not take b back from either of them.
    expect(a.discovery.catalog().getSigned(b.node.peerId)).toBeUndefined();
  });

  it('a stale peer is purged and comes back with its next announce', async () => {
    await using c = new Cluster();
    const net = fresh('stale');
    // The reference purges on the entry's age alone; the liveness ping would keep the slow peer.
    const quick = await c.addOn(net, {
      purgeAfterMs: 1_500,
      announceIntervalMs: 600_000,
      announceJitter: 0,
      pingBeforePurge: false,
    });
    const slow = await c.addOn(net, { announceIntervalMs: 3_000, announceJitter: 0 });
    const events = quick.discovery.events();
    await quick.discovery.syncWith(slow.node.addr());
    expect((await events.next()).value).toEqual({ type: 'peerDiscovered', entry: slow.discovery.me().entry });
    // The two also became gossip neighbours, so updates may come before the purge.
    let next = (await events.next()).value;
    while (next?.type === 'peerUpdated') next = (await events.next()).value;
    expect(next).toEqual({ type: 'peerDeparted', peerId: slow.node.peerId });
    expect(quick.discovery.catalog().peersCount()).toBe(0);
    expect(slow.discovery.catalog().peersCount()).toBe(1);
    const back = (await events.next()).value;
    expect(back?.type).toBe('peerDiscovered');
    await events.return?.();
  }, 20_000);
});

describe('ping and rtt', () => {
  it('the ping reply is one version above the stored entry; RTT is recorded', async () => {
    await using c = new Cluster();
    const net = fresh('ping');
    const a = await c.addOn(net);
    const b = await c.addOn(net);
    const before = b.discovery.me().entry.version;
    const { entry, rttMs } = await a.discovery.ping(b.node.addr());
    expect(entry.entry.version.startMs).toBe(before.startMs);
    expect(entry.entry.version.updateMs).toBeGreaterThan(before.updateMs);
    expect(b.discovery.me().entry.version).toEqual(before);
    expect(rttMs).toBeGreaterThanOrEqual(0);
    expect(a.discovery.rtt.get(b.node.peerId)).toBeDefined();
  });
});

describe('bad input on every discovery ALPN', () => {
  it('refuses, counts and survives; the catalog does not change', async () => {
    await using c = new Cluster();
    const net = fresh('bad');
    const victim = await c.addOn(net);
    const attacker = await c.addOn(net);
    const before = victim.discovery.catalog().peersCount();
    const raw = async (alpn: string, frames: Uint8Array[]) => {
      const link = await attacker.node.connect(victim.node.addr(), alpn);
      for (const f of frames) await link.sendRaw(f).catch(() => {});
      const info = await link.closed();
      await link.close();
      return info.code;
    };
    const other = SecretKey.generate();
    const foreign = SignedPeerEntry.sign(
      PeerEntry.create({ network: id('elsewhere'), address: { peerId: other.peerId, directAddresses: [] } }),
      other,
    );
    const good = SignedPeerEntry.sign(
      PeerEntry.create({ network: net, address: { peerId: other.peerId, directAddresses: [] } }),
      other,
    );
    const forged = [other.peerId.bytes, good.bytes, new Uint8Array(64)];
    const stolen = [attacker.node.peerId.bytes, good.bytes, good.signature];
    const random = new Uint8Array(200).map(() => Math.floor(Math.random() * 256));
    const truncated = encodeSyncMessage({ t: 0, entries: [good] }).subarray(0, 20);

    // Sync: random bytes, truncated, forged signature, entry signed by another key.
    for (const frame of [
      random,
      truncated,
      cbor.encode({ t: 0, e: [good.toWire(), forged] }),
      cbor.encode({ t: 0, e: [stolen] }),
    ]) {
      expect(await raw(SYNC_ALPN, [frame])).toBe(CloseCode.ProtocolViolation);
    }
    // Sync/3: garbage for a summary; a sync/2 summary (whole ids in an array); a push with a
    // forged entry; a sync/1.0 snapshot in its place.
    for (const frames of [
      [random],
      [cbor.encode({ t: 1, s: [[other.peerId.bytes, 1, 2]] })],
      [encodeSyncMessage({ t: 1, items: [] }), cbor.encode({ t: 3, e: [forged] })],
      [encodeSyncMessage({ t: 0, entries: [] })],
    ]) {
      expect(await raw(SYNC_DELTA_ALPN, frames)).toBe(CloseCode.ProtocolViolation);
    }
    // Ping: garbage.
    expect(await raw(PING_ALPN, [random])).toBe(CloseCode.ProtocolViolation);
    // Announce: garbage hello, wrong network, oversized frame.
    expect(await raw(ANNOUNCE_ALPN, [random])).toBe(CloseCode.ProtocolViolation);
    expect(await raw(ANNOUNCE_ALPN, [encodeAnnounceFrame({ t: HELLO, network: id('elsewhere') })])).toBe(
      CloseCode.DifferentNetwork,
    );
    expect(
      await raw(ANNOUNCE_ALPN, [encodeAnnounceFrame({ t: HELLO, network: net }), new Uint8Array(64 * 1024)]),
    ).toBe(CloseCode.ProtocolViolation);
    // A sync of a foreign entry succeeds at the protocol level but adds nothing.
    const link = await attacker.node.connect(victim.node.addr(), SYNC_ALPN);
    await link.sendRaw(encodeSyncMessage({ t: 0, entries: [foreign] }));
    decodeSyncMessage(await link.recvRaw());
    await link.close(CloseCode.Success);

    expect(await rejected(victim)).toBeGreaterThanOrEqual(8);
    expect(victim.discovery.catalog().peersCount()).toBe(before);
    // Still serving.
    const { entry } = await attacker.discovery.ping(victim.node.addr());
    expect(entry.peerId.equals(victim.node.peerId)).toBe(true);
    expect(decodePingMessage(encodePingMessage({ t: 0 })).t).toBe(0);
  });
});
