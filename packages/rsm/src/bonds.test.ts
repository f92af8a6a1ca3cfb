import { Digest, encodeCbor, id, type PeerId, randomBytes, waitFor } from '@mosaik/id';
import { createLogger } from '@mosaik/metrics';
import { CloseCode, type CloseInfo, type Link, LocalNode } from '@mosaik/transport';
import { afterEach, describe, expect, it } from 'vitest';
import type { Bond } from './bond.js';
import { type Authorization, BondSet } from './bonds.js';
import { deriveGroupId, resolveConsensus } from './config.js';
import { BondError } from './errors.js';
import { GroupKey } from './key.js';
import { GroupsMetrics } from './metrics.js';
import { bondProof } from './proof.js';
import { GroupsRouter } from './router.js';
import { decodeHandshake, encodeWire, GROUPS_ALPN, WireType } from './wire.js';

const logger = createLogger({ level: 'silent' });
const consensus = resolveConsensus({ heartbeatInterval: 50, maxMissedHeartbeats: 6 });
const opened: LocalNode[] = [];

afterEach(async () => {
  await Promise.allSettled(opened.splice(0).map((n) => n.close()));
});

interface Member {
  node: LocalNode;
  bonds: BondSet;
  metrics: GroupsMetrics;
  downs: CloseInfo[];
}

async function member(
  network: string,
  key: GroupKey,
  authorize: (peer: PeerId) => Authorization = () => ({ ok: true, expires: undefined }),
): Promise<Member> {
  const node = await LocalNode.bind(network, { preset: 'local', logger });
  opened.push(node);
  const metrics = new GroupsMetrics(node.metrics);
  const router = new GroupsRouter(node, metrics, logger, 1000);
  const groupId = deriveGroupId(key, consensus, Digest.fromU8(2), []);
  const downs: CloseInfo[] = [];
  const bonds = new BondSet({
    node,
    groupId,
    key,
    handshakeTimeout: 1000,
    heartbeatInterval: consensus.heartbeatInterval,
    maxMissedHeartbeats: consensus.maxMissedHeartbeats,
    metrics,
    logger,
    authorize,
    status: () => ({ cluster: '', yield: '', term: 0, commit: 0, lead: '', pref: 0, inc: '' }),
    learned: () => {},
    up: () => {},
    down: (_b: Bond, info: CloseInfo) => downs.push(info),
    message: () => {},
  });
  router.register(groupId, bonds);
  node.onClose(() => bonds.close(false));
  return { node, bonds, metrics, downs };
}

async function rejectedCount(m: Member, reason: string): Promise<number> {
  const metric = await m.node.metrics.registry.getSingleMetric('mosaik_groups_bonds_rejected_total')?.get();
  return metric?.values.find((v) => v.labels.reason === reason)?.value ?? 0;
}

function net(): string {
  return `rsm-bonds-${Math.random()}`;
}

describe('bonds', () => {
  it('two members with the same key bond over one connection and see each other', async () => {
    const network = net();
    const key = GroupKey.fromSecret('bond-secret');
    const a = await member(network, key);
    const b = await member(network, key);
    const bond = await a.bonds.dial(b.node.addr());
    expect(bond.peer.equals(b.node.peerId)).toBe(true);
    await waitFor(() => b.bonds.get(a.node.peerId) !== undefined, { message: 'acceptor never registered' });
    expect(b.bonds.get(a.node.peerId)?.initiator.equals(a.node.peerId)).toBe(true);
    // Pings carry status both ways.
    await waitFor(() => bond.status !== undefined && b.bonds.get(a.node.peerId)?.status !== undefined);
  });

  it('a wrong group key fails with InvalidProof and leaves no bond', async () => {
    const network = net();
    const a = await member(network, GroupKey.fromSecret('right'));
    const wrong = await member(network, GroupKey.fromSecret('wrong'));
    // `wrong` claims a's group id but holds another secret: only the proof can tell.
    const forged = new BondSet({ ...bondContext(wrong), key: GroupKey.fromSecret('wrong') });
    const error = await forged.dial(a.node.addr()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BondError);
    expect((error as BondError).code).toBe('invalid_proof');
    expect(a.bonds.size).toBe(0);
    await waitFor(async () => (await rejectedCount(wrong, 'InvalidProof')) >= 1);
    await forged.close(false);
  });

  it('an acceptor that does not know the group closes with GroupNotFound', async () => {
    const network = net();
    const a = await member(network, GroupKey.fromSecret('g1'));
    const b = await member(network, GroupKey.fromSecret('g2'));
    const error = (await a.bonds.dial(b.node.addr()).catch((e: unknown) => e)) as BondError;
    expect(error.code).toBe('link');
    expect(error.closeCode).toBe(CloseCode.GroupNotFound);
    expect(await rejectedCount(b, 'GroupNotFound')).toBe(1);
  });

  it('an unauthorized initiator is closed with NotAllowed', async () => {
    const network = net();
    const key = GroupKey.fromSecret('auth');
    const a = await member(network, key, () => ({ ok: false, unknown: false, reason: 'no ticket' }));
    const b = await member(network, key);
    const error = (await b.bonds.dial(a.node.addr()).catch((e: unknown) => e)) as BondError;
    expect(error.code).toBe('unauthorized');
    expect(error.closeCode).toBe(CloseCode.NotAllowed);
    expect(a.bonds.size + b.bonds.size).toBe(0);
  });

  it('simultaneous dials end with one connection, the same on both sides', async () => {
    const network = net();
    const key = GroupKey.fromSecret('race');
    const a = await member(network, key);
    const b = await member(network, key);
    await Promise.allSettled([a.bonds.dial(b.node.addr()), b.bonds.dial(a.node.addr())]);
    await waitFor(() => {
      const x = a.bonds.get(b.node.peerId);
      const y = b.bonds.get(a.node.peerId);
      return (
        x !== undefined && y !== undefined && x.initiator.equals(y.initiator) && !x.isClosed && !y.isClosed
      );
    });
    const smaller = a.node.peerId.compare(b.node.peerId) < 0 ? a.node.peerId : b.node.peerId;
    expect(a.bonds.get(b.node.peerId)?.initiator.equals(smaller)).toBe(true);
    expect(a.bonds.size).toBe(1);
    expect(b.bonds.size).toBe(1);
  });

  it('Departure closes the peer side at once', async () => {
    const network = net();
    const key = GroupKey.fromSecret('departure');
    const a = await member(network, key);
    const b = await member(network, key);
    await a.bonds.dial(b.node.addr());
    await waitFor(() => b.bonds.size === 1);
    await a.bonds.close(true);
    await waitFor(() => b.bonds.size === 0, { timeout: 1000, message: 'departure not seen' });
    expect(b.downs.at(-1)?.code).toBe(CloseCode.GracefulShutdown);
  });

  it('a silent peer is dropped with Timeout after the missed heartbeats', async () => {
    const network = net();
    const key = GroupKey.fromSecret('silent');
    const a = await member(network, key);
    const raw = await LocalNode.bind(network, { preset: 'local', logger });
    opened.push(raw);
    const link = await handshakeByHand(raw, a, key);
    await waitFor(() => a.bonds.size === 1);
    // We never send a ping: a gives up after maxMissedHeartbeats × heartbeatInterval.
    const info = await waitFor(link.closed(), { timeout: 3000 });
    expect(info.code).toBe(CloseCode.Timeout);
    // a's own close notification may land a moment after the peer saw the close.
    await waitFor(() => a.bonds.size === 0);
    expect(a.downs.at(-1)?.code).toBe(CloseCode.Timeout);
  });

  it('bad input on the groups ALPN is closed with a code and counted, and the node keeps serving', async () => {
    const network = net();
    const key = GroupKey.fromSecret('fuzz');
    const a = await member(network, key);
    const raw = await LocalNode.bind(network, { preset: 'local', logger });
    opened.push(raw);
    const cases: [Uint8Array, CloseCode][] = [
      [randomBytes(64), CloseCode.InvalidHandshake],
      [encodeCbor({ t: 1, network: 'x', group: 5, nonce: [] }), CloseCode.InvalidHandshake],
      [encodeCbor({ t: 99 }), CloseCode.InvalidHandshake],
      [encodeCbor([1, 2, 3]), CloseCode.InvalidHandshake],
      [
        encodeWire({
          t: WireType.Hello,
          network: id('other').bytes,
          group: randomBytes(32),
          nonce: randomBytes(32),
        }),
        CloseCode.DifferentNetwork,
      ],
      [
        encodeWire({
          t: WireType.Hello,
          network: raw.networkId.bytes,
          group: randomBytes(32),
          nonce: randomBytes(32),
        }),
        CloseCode.GroupNotFound,
      ],
    ];
    for (const [payload, code] of cases) {
      const link = await raw.connect<unknown>(a.node.addr(), GROUPS_ALPN);
      await link.sendRaw(payload);
      const info = await waitFor(link.closed(), { timeout: 3000 });
      expect(info.code).toBe(code);
    }
    expect(await rejectedCount(a, 'InvalidHandshake')).toBe(4);
    // After a completed handshake, garbage is a protocol violation.
    const link = await handshakeByHand(raw, a, key);
    await link.sendRaw(encodeCbor({ t: WireType.Raft, msgs: 'nope' }));
    expect((await waitFor(link.closed(), { timeout: 3000 })).code).toBe(CloseCode.ProtocolViolation);
    expect(await rejectedCount(a, 'ProtocolViolation')).toBe(1);
    // Still serving.
    const b = await member(network, key);
    await b.bonds.dial(a.node.addr());
  });
});

/** The initiator side of the handshake done by hand, to test the acceptor in isolation. */
async function handshakeByHand(raw: LocalNode, target: Member, key: GroupKey): Promise<Link<unknown>> {
  const groupId = deriveGroupId(key, consensus, Digest.fromU8(2), []);
  const link = await raw.connect<unknown>(target.node.addr(), GROUPS_ALPN);
  const nonceI = randomBytes(32);
  await link.sendRaw(
    encodeWire({ t: WireType.Hello, network: raw.networkId.bytes, group: groupId.bytes, nonce: nonceI }),
  );
  const challenge = decodeHandshake(await link.recvRaw());
  if (challenge.t !== WireType.Challenge) throw new Error('expected challenge');
  const nonces = { initiator: nonceI, acceptor: challenge.nonce };
  await link.sendRaw(
    encodeWire({ t: WireType.Proof, proof: bondProof(key, groupId, nonces, raw.peerId, target.node.peerId) }),
  );
  const welcome = decodeHandshake(await link.recvRaw());
  if (welcome.t !== WireType.Welcome) throw new Error('expected welcome');
  return link;
}

/** A bond context for group 'right' on `m`'s node. */
function bondContext(m: Member) {
  const groupId = deriveGroupId(GroupKey.fromSecret('right'), consensus, Digest.fromU8(2), []);
  return {
    node: m.node,
    groupId,
    key: GroupKey.fromSecret('right'),
    handshakeTimeout: 1000,
    heartbeatInterval: consensus.heartbeatInterval,
    maxMissedHeartbeats: consensus.maxMissedHeartbeats,
    metrics: m.metrics,
    logger,
    authorize: (): Authorization => ({ ok: true, expires: undefined }),
    status: () => ({ cluster: '', yield: '', term: 0, commit: 0, lead: '', pref: 0 as const, inc: '' }),
    learned: () => {},
    up: () => {},
    down: () => {},
    message: () => {},
  };
}
