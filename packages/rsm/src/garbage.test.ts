/**
 * A peer that completes a valid bond handshake on `/mosaik/groups/1` and then sends garbage is
 * closed with `ProtocolViolation` and counted, and the group serves its members on.
 */
import { encodeCbor, type GroupId, randomBytes, waitFor } from '@mosaik/id';
import { createLogger } from '@mosaik/metrics';
import { CloseCode, type Link, LocalNode } from '@mosaik/transport';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Cluster, discoverAll, joinCounters, leadersConverged, T, type TestNode } from '../test/fixtures.js';
import { GroupKey } from './key.js';
import { bondProof } from './proof.js';
import { decodeHandshake, encodeWire, GROUPS_ALPN, WireType } from './wire.js';

async function violations(n: TestNode): Promise<number> {
  const metric = await n.node.metrics.registry.getSingleMetric('mosaik_groups_bonds_rejected_total')?.get();
  return metric?.values.find((v) => v.labels.reason === 'ProtocolViolation')?.value ?? 0;
}

/** Dials `target` from `raw` and runs the initiator side of the handshake by hand, with the right key. */
async function bondByHand(
  raw: LocalNode,
  target: TestNode,
  key: GroupKey,
  group: GroupId,
): Promise<Link<unknown>> {
  const link = await raw.connect<unknown>(target.addr(), GROUPS_ALPN, { timeout: 5000 });
  const nonceI = randomBytes(32);
  await link.sendRaw(
    encodeWire({ t: WireType.Hello, network: raw.networkId.bytes, group: group.bytes, nonce: nonceI }),
  );
  const challenge = decodeHandshake(await link.recvRaw());
  if (challenge.t !== WireType.Challenge) throw new Error('expected Challenge');
  const nonces = { initiator: nonceI, acceptor: challenge.nonce };
  await link.sendRaw(
    encodeWire({ t: WireType.Proof, proof: bondProof(key, group, nonces, raw.peerId, target.peerId) }),
  );
  const welcome = decodeHandshake(await link.recvRaw());
  if (welcome.t !== WireType.Welcome) throw new Error('expected Welcome');
  return link;
}

const ping = encodeWire({
  t: WireType.Ping,
  status: { cluster: '', yield: '', term: 0, commit: 0, lead: '', pref: 0, inc: '' },
});

/** Frames a handshaken member may not send, each on its own bond. */
const GARBAGE: readonly (readonly [string, Uint8Array])[] = [
  ['random bytes', randomBytes(97)],
  ['a truncated ping', ping.subarray(0, ping.length - 3)],
  ['an unknown message type', encodeCbor({ t: 99 })],
  ['a ping with a string term', encodeCbor({ t: WireType.Ping, status: { term: 'x' } })],
  ['a bare CBOR array', encodeCbor([1, 2, 3])],
  ['an empty frame', new Uint8Array(0)],
  ['raft frames that do not decode', encodeCbor({ t: WireType.Raft, c: '', msgs: [randomBytes(40)] })],
  ['a discovery entry that is not one', encodeCbor({ t: WireType.PeerEntryUpdate, entry: randomBytes(64) })],
  ['a bond notice with a bogus entry', encodeCbor({ t: WireType.BondFormed, entry: { bytes: 1 } })],
  [
    'forwarded commands that do not decode',
    encodeCbor({ t: WireType.Forward, id: 1, cmds: [Uint8Array.of(0xff, 0xff)] }),
  ],
];

describe('garbage after a valid handshake on /mosaik/groups/1', () => {
  it('closes the bond with ProtocolViolation, counts it, and keeps the group committing', async () => {
    await using c = new Cluster();
    const nodes = await c.addMany(3);
    await discoverAll(nodes);
    const { machines, groups } = joinCounters(nodes, 'garbage');
    const leaderId = await leadersConverged(groups);
    const leaderAt = groups.findIndex((g) => g.isLeader());
    const target = nodes[leaderAt]!;
    const leader = groups[leaderAt]!;
    await waitFor(() => groups.every((g) => g.bonds().size === 2), {
      timeout: T,
      message: 'members did not bond',
    });
    const memberBonds = groups.map((g) =>
      g
        .bonds()
        .list()
        .map((b) => b.serial)
        .join(','),
    );

    const raw = await LocalNode.bind(c.network, {
      preset: 'local',
      logger: createLogger({ level: 'silent' }),
    });
    try {
      const key = GroupKey.from('garbage');
      for (const [what, frame] of GARBAGE) {
        const before = await violations(target);
        const link = await bondByHand(raw, target, key, leader.id);
        await link.sendRaw(frame);
        const info = await waitFor(link.closed(), { timeout: T, message: `${what}: the bond stayed open` });
        expect(info.code, what).toBe(CloseCode.ProtocolViolation);
        expect(await violations(target), what).toBe(before + 1);
      }
      // Arbitrary frames: every one closes its bond (a random frame is never a valid message).
      await fc.assert(
        fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 300 }), async (frame) => {
          const link = await bondByHand(raw, target, key, leader.id);
          await link.sendRaw(frame);
          const info = await waitFor(link.closed(), { timeout: T });
          expect(info.code).toBe(CloseCode.ProtocolViolation);
        }),
        { numRuns: 10 },
      );
    } finally {
      await raw.close();
    }

    // The members' own bonds were never touched, and the group commits as before.
    expect(leader.leader()?.equals(leaderId)).toBe(true);
    expect(
      groups.map((g) =>
        g
          .bonds()
          .list()
          .map((b) => b.serial)
          .join(','),
      ),
    ).toEqual(memberBonds);
    await groups[(leaderAt + 1) % 3]!.execute({ inc: 4 });
    await waitFor(() => machines.every((m) => m.value === 4), {
      timeout: T,
      message: 'the group stopped committing',
    });
  });
});
