import { id, type PeerId, waitFor } from '@mosaik/id';
import { Jwt, JwtTicketBuilder } from '@mosaik/tickets';
import { describe, expect, it } from 'vitest';
import { Cluster, discoverAll, FAST, T, type TestNode } from '../test/fixtures.js';
import { GroupKey } from './key.js';

const secret = id('mosaik.test.jwt.secret').bytes;
const issuer = 'mosaik.test.jwt.issuer';
const validator = () => new Jwt({ key: { alg: 'HS256', secret }, issuer });
const ticket = (peer: PeerId, ttlMs: number) =>
  new JwtTicketBuilder({ alg: 'HS256', secret })
    .issuer(issuer)
    .expiresAt(Date.now() + ttlMs)
    .build(peer);

async function rejected(n: TestNode, reason: string): Promise<number> {
  const metric = await n.node.metrics.registry.getSingleMetric('mosaik_groups_bonds_rejected_total')?.get();
  return metric?.values.find((v) => v.labels.reason === reason)?.value ?? 0;
}

describe('auth', () => {
  it('only peers with a valid ticket bond; others are refused with NotAllowed (auth.rs jwt_authorized_peers_can_bond)', async () => {
    await using c = new Cluster();
    const nodes = await c.addMany(4);
    const [n0, n1, n2] = nodes as [TestNode, TestNode, TestNode, TestNode];
    n0.discovery.addTicket(await ticket(n0.peerId, 3_600_000));
    n1.discovery.addTicket(await ticket(n1.peerId, 3_600_000));
    n2.discovery.addTicket(await ticket(n2.peerId, -1000)); // expired
    await discoverAll(nodes);
    const groups = nodes.map((n) =>
      n.groups.withKey('auth').requireTicket(validator()).withConsensus(FAST).join(),
    );
    const [g0, g1, g2, g3] = groups as [
      (typeof groups)[0],
      (typeof groups)[0],
      (typeof groups)[0],
      (typeof groups)[0],
    ];
    await waitFor(() => g0.bonds().has(n1.peerId) && g1.bonds().has(n0.peerId), {
      timeout: T,
      message: () => `n0 bonds ${g0.bonds().size}, n1 bonds ${g1.bonds().size}`,
    });
    // n2 and n3 see n0 and n1 as members and try; the acceptors refuse them.
    await waitFor(async () => (await rejected(n0, 'NotAllowed')) + (await rejected(n1, 'NotAllowed')) >= 2, {
      timeout: T,
      message: 'n2 and n3 were not refused',
    });
    expect(g0.bonds().peers().map(String)).toEqual([n1.peerId.toString()]);
    expect(g1.bonds().peers().map(String)).toEqual([n0.peerId.toString()]);
    expect(g2.bonds().size).toBe(0);
    expect(g3.bonds().size).toBe(0);
  });

  it('a bond is closed when the peer withdraws its ticket (auth.rs bond_terminated_on_jwt_ticket_revocation)', async () => {
    await using c = new Cluster();
    const [n0, n1] = (await c.addMany(2)) as [TestNode, TestNode];
    n0.discovery.addTicket(await ticket(n0.peerId, 3_600_000));
    n1.discovery.addTicket(await ticket(n1.peerId, 3_600_000));
    await discoverAll([n0, n1]);
    const g0 = n0.groups.withKey('revoke').requireTicket(validator()).withConsensus(FAST).join();
    n1.groups.withKey('revoke').requireTicket(validator()).withConsensus(FAST).join();
    await waitFor(() => g0.bonds().size === 1, { timeout: T });
    n1.discovery.removeTicketsOf(validator().class);
    await waitFor(() => g0.bonds().size === 0, { timeout: T, message: 'bond survived the revocation' });
    expect(await rejected(n0, 'NotAllowed')).toBeGreaterThanOrEqual(1);
  });

  it('a key derived from the validator is shared, and mismatched auth configs never bond', async () => {
    expect(GroupKey.fromValidator(validator()).equals(GroupKey.fromValidator(validator()))).toBe(true);
    await using c = new Cluster();
    const [n0, n1] = (await c.addMany(2)) as [TestNode, TestNode];
    n0.discovery.addTicket(await ticket(n0.peerId, 3_600_000));
    n1.discovery.addTicket(await ticket(n1.peerId, 3_600_000));
    await discoverAll([n0, n1]);
    const g0 = n0.groups.withKey(validator()).requireTicket(validator()).withConsensus(FAST).join();
    const g1 = n1.groups.withKey(validator()).requireTicket(validator()).withConsensus(FAST).join();
    expect(g0.id.equals(g1.id)).toBe(true);
    await waitFor(() => g0.bonds().size === 1 && g1.bonds().size === 1, { timeout: T });
    // Same key, one side without the validator: another group id, nothing to bond with.
    const open = n0.groups.withKey('mixed').withConsensus(FAST).join();
    const strict = n1.groups.withKey('mixed').requireTicket(validator()).withConsensus(FAST).join();
    expect(open.id.equals(strict.id)).toBe(false);
  });
});
