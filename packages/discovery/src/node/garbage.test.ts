/**
 * Garbage after a valid opening on the discovery ALPNs: a gossip link past its `Hello` (and past a
 * `Join`), and a catalog sync past its snapshot. The sender is closed with `ProtocolViolation`,
 * the refusal is counted, and the node keeps serving the others.
 */
import { blake3, cborCodec, id, randomBytes, waitFor } from '@mosaik/id';
import { CloseCode, type Link } from '@mosaik/transport';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Cluster, type TestNode } from '../../test/net.js';
import { MessageType } from '../gossip/types.js';
import { ANNOUNCE_ALPN, encodeAnnounceFrame, HELLO } from '../protocol/announce.js';
import { decodeSyncMessage, encodeSyncMessage, SYNC_ALPN } from '../protocol/sync.js';

const fresh = (name: string) => id(`${name}-${Math.random()}`);
const cbor = cborCodec<unknown>();

async function rejected(n: TestNode): Promise<number> {
  const metric = await n.node.metrics.registry.getSingleMetric('mosaik_discovery_rejected_total')?.get();
  return (metric?.values ?? []).reduce((sum, v) => sum + v.value, 0);
}

/** An announce link from `from` to `to` past a valid `Hello` (and a `Join` with `join`). */
async function gossipLink(from: TestNode, to: TestNode, join: boolean): Promise<Link<unknown>> {
  const link = await from.node.connect(to.node.addr(), ANNOUNCE_ALPN, { timeout: 5000 });
  await link.sendRaw(encodeAnnounceFrame({ t: HELLO, network: from.node.networkId }));
  if (join) await link.sendRaw(encodeAnnounceFrame({ t: MessageType.Join }));
  return link;
}

/** Gossip frames a peer may not send once its link is open. */
const GOSSIP_GARBAGE: readonly (readonly [string, Uint8Array])[] = [
  ['random bytes', randomBytes(80)],
  ['an unknown frame type', cbor.encode({ t: 99 })],
  ['a truncated frame', encodeAnnounceFrame({ t: MessageType.Prune }).subarray(0, 1)],
  ['a join with numeric data', cbor.encode({ t: MessageType.Join, d: 7 })],
  [
    'a forward-join naming no peer',
    cbor.encode({ t: MessageType.ForwardJoin, p: [randomBytes(5), null], ttl: 3 }),
  ],
  [
    'a shuffle with a negative ttl',
    cbor.encode({ t: MessageType.Shuffle, o: [randomBytes(32), null], p: [], ttl: -1 }),
  ],
  [
    'gossip whose content is not bytes',
    cbor.encode({ t: MessageType.Gossip, id: randomBytes(32), c: 'x', r: 0 }),
  ],
  ['an ihave with a malformed entry', cbor.encode({ t: MessageType.IHave, e: [[1, 2, 3]] })],
  ['a bare CBOR string', cbor.encode('hello')],
];

describe('garbage after a valid opening on the discovery ALPNs', () => {
  it('gossip: every malformed frame after Hello or Join closes the link with ProtocolViolation and is counted', async () => {
    await using c = new Cluster();
    const net = fresh('gossip-garbage');
    const victim = await c.addOn(net);
    const friend = await c.addOn(net, { bootstrap: [victim.node.addr()] });
    const attacker = await c.addOn(net);
    await waitFor(() => victim.discovery.catalog().getSigned(friend.node.peerId) !== undefined, {
      timeout: 10_000,
      message: 'the friend never reached the victim',
    });

    for (const join of [false, true]) {
      for (const [what, frame] of GOSSIP_GARBAGE) {
        const before = await rejected(victim);
        const link = await gossipLink(attacker, victim, join);
        await link.sendRaw(frame);
        const info = await waitFor(link.closed(), { timeout: 10_000, message: `${what}: link stayed open` });
        expect(info.code, `${what} (join ${join})`).toBe(CloseCode.ProtocolViolation);
        expect(await rejected(victim), what).toBeGreaterThan(before);
      }
    }
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 200 }), async (frame) => {
        const link = await gossipLink(attacker, victim, true);
        await link.sendRaw(frame);
        expect((await waitFor(link.closed(), { timeout: 10_000 })).code).toBe(CloseCode.ProtocolViolation);
      }),
      { numRuns: 10 },
    );

    // Gossip still flows between the victim and its real neighbour, both ways.
    friend.discovery.addTags('after-the-attack');
    await waitFor(() => victim.discovery.catalog().get(friend.node.peerId)?.hasTag(id('after-the-attack')), {
      timeout: 10_000,
      message: 'the victim stopped hearing its neighbour',
    });
    victim.discovery.addTags('still-here');
    await waitFor(() => friend.discovery.catalog().get(victim.node.peerId)?.hasTag(id('still-here')), {
      timeout: 10_000,
      message: 'the neighbour stopped hearing the victim',
    });
  });

  it('gossip: a delivered payload that is no announcement is counted and dropped', async () => {
    await using c = new Cluster();
    const net = fresh('gossip-payload');
    const victim = await c.addOn(net);
    const attacker = await c.addOn(net);
    const before = await rejected(victim);
    const link = await gossipLink(attacker, victim, true);
    const content = randomBytes(64);
    await link.sendRaw(
      encodeAnnounceFrame({ t: MessageType.Gossip, id: blake3(content), content, round: 0 }),
    );
    await waitFor(async () => (await rejected(victim)) > before, {
      timeout: 10_000,
      message: 'a payload that is no announcement was not counted',
    });
    expect(victim.discovery.catalog().peersCount()).toBe(0);
    await link.close(CloseCode.Success);
  });

  it('sync: a frame after the snapshot instead of the close is a ProtocolViolation; the node syncs on', async () => {
    await using c = new Cluster();
    const net = fresh('sync-garbage');
    const victim = await c.addOn(net);
    const attacker = await c.addOn(net);
    const honest = await c.addOn(net);
    for (const frame of [randomBytes(50), encodeSyncMessage({ t: 0, entries: [attacker.discovery.me()] })]) {
      const before = await rejected(victim);
      const link = await attacker.node.connect(victim.node.addr(), SYNC_ALPN, { timeout: 5000 });
      await link.sendRaw(encodeSyncMessage({ t: 0, entries: [attacker.discovery.me()] }));
      decodeSyncMessage(await link.recvRaw());
      await link.sendRaw(frame);
      const info = await waitFor(link.closed(), { timeout: 10_000, message: 'the sync link stayed open' });
      expect(info.code).toBe(CloseCode.ProtocolViolation);
      expect(await rejected(victim)).toBeGreaterThan(before);
    }
    await honest.discovery.syncWith(victim.node.addr());
    expect(victim.discovery.catalog().getSigned(honest.node.peerId)).toBeDefined();
    expect(honest.discovery.catalog().getSigned(victim.node.peerId)).toBeDefined();
  });
});
