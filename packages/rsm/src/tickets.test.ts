/**
 * Ticket paths of a group end to end over real QUIC: expiry and renewal, two validators that must
 * both pass, a TDX-gated group, and JWT attacks refused on `/mosaik/groups/1`.
 */
import { createHmac, createPublicKey, type KeyObject } from 'node:crypto';
import { brotliCompressSync, brotliDecompressSync } from 'node:zlib';
import { id, type PeerId, scaled, waitFor } from '@mosaik/id';
import { MockPckCa, MockTdxProvider, Tdx, TdxTicket } from '@mosaik/tdx';
import {
  Expiration,
  generateJwtKeyPair,
  Jwt,
  JwtTicketBuilder,
  Ticket,
  type TicketValidator,
} from '@mosaik/tickets';
import { CloseCode } from '@mosaik/transport';
import { describe, expect, it } from 'vitest';
import {
  Cluster,
  Counter,
  type CounterGroup,
  discoverAll,
  FAST,
  leadersConverged,
  T,
  type TestNode,
} from '../test/fixtures.js';

const HOUR = 3_600_000;

function hsValidator(name: string): {
  validator: () => Jwt;
  ticket: (peer: PeerId, ttlMs: number) => Promise<Ticket>;
} {
  const secret = id(`mosaik.test.tickets.${name}.secret`).bytes;
  const issuer = `mosaik.test.tickets.${name}`;
  return {
    validator: () => new Jwt({ key: { alg: 'HS256', secret }, issuer }),
    ticket: (peer, ttlMs) =>
      new JwtTicketBuilder({ alg: 'HS256', secret })
        .issuer(issuer)
        .expiresAt(Date.now() + ttlMs)
        .build(peer),
  };
}

/** `mosaik_groups_bonds_rejected_total{reason}` of a node. */
async function rejected(n: TestNode, reason: string): Promise<number> {
  const metric = await n.node.metrics.registry.getSingleMetric('mosaik_groups_bonds_rejected_total')?.get();
  return metric?.values.find((v) => v.labels.reason === reason)?.value ?? 0;
}

async function rejectedOn(nodes: readonly TestNode[], reason: string): Promise<number> {
  let sum = 0;
  for (const n of nodes) sum += await rejected(n, reason);
  return sum;
}

/** Executes `cmd` on `group`, retrying while a leader is being (re-)elected. */
async function executeSoon(group: CounterGroup, inc: number): Promise<number> {
  return waitFor(
    async () => {
      const ac = new AbortController();
      const timer = setTimeout(() => ac.abort(new Error('execute timed out')), scaled(2000));
      try {
        return await group.execute({ inc }, { signal: ac.signal });
      } finally {
        clearTimeout(timer);
      }
    },
    { timeout: T, interval: 50, message: `execute(inc ${inc}) never committed` },
  );
}

async function valuesReach(machines: readonly Counter[], value: number): Promise<void> {
  await waitFor(() => machines.every((m) => m.value === value), {
    timeout: T,
    interval: 20,
    message: () => `values ${machines.map((m) => m.value).join(',')}, want ${value}`,
  });
}

/** Every node joins the group `key` gated by `validators`, each with a fresh {@link Counter}. */
function joinGated(
  nodes: readonly TestNode[],
  key: string,
  validators: readonly TicketValidator[],
): { machines: Counter[]; groups: CounterGroup[] } {
  const machines = nodes.map(() => new Counter());
  const groups = nodes.map((n, i) => {
    let builder = n.groups.withKey(key).withStateMachine(machines[i]!).withConsensus(FAST);
    for (const v of validators) builder = builder.requireTicket(v);
    return builder.join();
  });
  return { machines, groups };
}

/** A compact JWS from a header, claims and a signature function (for tokens no builder makes). */
function handRolled(header: object, claims: object, sign: (input: string) => string): Ticket {
  const b64 = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const input = `${b64(header)}.${b64(claims)}`;
  return new Ticket(Jwt.CLASS, new TextEncoder().encode(`${input}.${sign(input)}`));
}

describe('group tickets over QUIC', () => {
  it('an expired ticket closes its bonds with NotAllowed, the majority keeps committing, and a renewed ticket rejoins', async () => {
    const jwt = hsValidator('expiry');
    await using c = new Cluster();
    const nodes = await c.addMany(3);
    const [n0, n1, n2] = nodes as [TestNode, TestNode, TestNode];
    for (const n of nodes) n.discovery.addTicket(await jwt.ticket(n.peerId, HOUR));
    await discoverAll(nodes);
    const { machines, groups } = joinGated(nodes, 'expiry', [jwt.validator()]);
    const [g0, g1] = groups as [CounterGroup, CounterGroup, CounterGroup];
    await leadersConverged(groups);
    await executeSoon(g0, 1);
    await valuesReach(machines, 1);
    await waitFor(() => g0.bonds().has(n2.peerId) && g1.bonds().has(n2.peerId), { timeout: T });

    // n2's ticket is renewed with a short one; it reaches the others and then runs out.
    const toN2 = [g0.bonds().get(n2.peerId), g1.bonds().get(n2.peerId)];
    const notAllowedBefore = await rejectedOn([n0, n1], 'NotAllowed');
    n2.discovery.replaceTicket(await jwt.ticket(n2.peerId, scaled(1500)));
    const closes = await waitFor(Promise.all(toN2.map((b) => b!.terminated())), { timeout: T });
    for (const info of closes) expect(info.code).toBe(CloseCode.NotAllowed);
    expect(await rejectedOn([n0, n1], 'NotAllowed')).toBeGreaterThan(notAllowedBefore);

    // n2 no longer counts: the two others commit without it, n2 neither bonds nor applies.
    await executeSoon(g0, 10);
    await valuesReach(machines.slice(0, 2), 11);
    expect(g0.bonds().has(n2.peerId)).toBe(false);
    expect(g1.bonds().has(n2.peerId)).toBe(false);
    expect(machines[2]!.value).toBe(1);

    // Renewal: n2 publishes a fresh ticket; the others learn it, bond again and n2 catches up.
    n2.discovery.replaceTicket(await jwt.ticket(n2.peerId, HOUR));
    await waitFor(() => g0.bonds().has(n2.peerId) && g1.bonds().has(n2.peerId), {
      timeout: T,
      message: 'n2 did not bond again after renewing its ticket',
    });
    await executeSoon(g1, 100);
    await valuesReach(machines, 111);
  });

  it('with two validators a member needs both tickets: one is refused, both are accepted', async () => {
    const first = hsValidator('and.first');
    const second = hsValidator('and.second');
    await using c = new Cluster();
    const nodes = await c.addMany(3);
    const [n0, n1, n2] = nodes as [TestNode, TestNode, TestNode];
    for (const n of nodes) n.discovery.addTicket(await first.ticket(n.peerId, HOUR));
    n0.discovery.addTicket(await second.ticket(n0.peerId, HOUR));
    n1.discovery.addTicket(await second.ticket(n1.peerId, HOUR));
    await discoverAll(nodes);
    const { machines, groups } = joinGated(nodes, 'and', [first.validator(), second.validator()]);
    const [g0, g1, g2] = groups as [CounterGroup, CounterGroup, CounterGroup];
    await leadersConverged([g0, g1]);
    await waitFor(async () => (await rejectedOn([n0, n1], 'NotAllowed')) >= 1, {
      timeout: T,
      message: 'the member with one ticket was never refused',
    });
    await executeSoon(g0, 5);
    await valuesReach(machines.slice(0, 2), 5);
    expect(g2.bonds().size).toBe(0);
    expect(g0.bonds().has(n2.peerId)).toBe(false);
    expect(machines[2]!.value).toBe(0);

    n2.discovery.addTicket(await second.ticket(n2.peerId, HOUR));
    await waitFor(() => g2.bonds().has(n0.peerId) && g2.bonds().has(n1.peerId), {
      timeout: T,
      message: 'the member with both tickets did not bond',
    });
    await valuesReach(machines, 5);
    await executeSoon(g2, 1);
    await valuesReach(machines, 6);
    expect(g1.bonds().has(n2.peerId)).toBe(true);
  });

  it('a TDX-gated group accepts a valid mock quote and refuses another MRTD and a forged one', async () => {
    const mrtd = 'aa'.repeat(48);
    const ca = new MockPckCa();
    const genuine = new MockTdxProvider({ ca, mrtd });
    const other = new MockTdxProvider({ ca, mrtd: 'bb'.repeat(48) });
    await using c = new Cluster();
    const nodes = await c.addMany(4);
    const [n0, n1, n2, n3] = nodes as [TestNode, TestNode, TestNode, TestNode];
    const tdx = new Tdx({ trustAnchor: ca.trustAnchor, network: n0.node.networkId }).requireMrtd(mrtd);
    const quoted = (n: TestNode, provider: MockTdxProvider) =>
      TdxTicket.generate(provider, {
        peer: n.peerId,
        network: n.node.networkId,
        startedAt: Date.now() - 1000,
        expiration: Expiration.at(Date.now() + HOUR),
      });
    n0.discovery.addTicket((await quoted(n0, genuine)).toTicket());
    n1.discovery.addTicket((await quoted(n1, genuine)).toTicket());
    // n2 runs other code: its quote is genuine but reports another MRTD.
    n2.discovery.addTicket((await quoted(n2, other)).toTicket());
    // n3 rewrites the MRTD inside its quote to the expected one; the quote signature breaks.
    const forgedTicket = withMrtd((await quoted(n3, other)).toTicket(), 'bb'.repeat(48), mrtd);
    expect(() => tdx.validate(forgedTicket.data, n3.peerId)).toThrow();
    n3.discovery.addTicket(forgedTicket);
    await discoverAll(nodes);
    const { machines, groups } = joinGated(nodes, 'tdx', [tdx]);
    const [g0, g1, g2, g3] = groups as [CounterGroup, CounterGroup, CounterGroup, CounterGroup];
    await leadersConverged([g0, g1]);
    await waitFor(async () => (await rejectedOn([n0, n1], 'NotAllowed')) >= 2, {
      timeout: T,
      message: 'the members with the wrong and the forged MRTD were not both refused',
    });
    await executeSoon(g1, 3);
    await valuesReach(machines.slice(0, 2), 3);
    expect(g0.bonds().peers().map(String)).toEqual([n1.peerId.toString()]);
    expect(g1.bonds().peers().map(String)).toEqual([n0.peerId.toString()]);
    expect(g2.bonds().size + g3.bonds().size).toBe(0);
    expect(machines[2]!.value + machines[3]!.value).toBe(0);
  });

  it('expired, alg "none", HS256-with-the-public-key and forged JWTs are refused and counted; the group serves on', async () => {
    const es = generateJwtKeyPair('ES256');
    const issuer = 'mosaik.test.tickets.attacks';
    const validator = () => new Jwt({ key: es.verifyingKey, issuer });
    const issue = (peer: PeerId, ttlMs: number, signingKey = es.signingKey) =>
      new JwtTicketBuilder(signingKey)
        .issuer(issuer)
        .expiresAt(Date.now() + ttlMs)
        .build(peer);
    const claims = (peer: PeerId) => ({
      iss: issuer,
      sub: peer.toString(),
      exp: Math.floor(Date.now() / 1000) + 3600,
    });
    const publicPem = String(
      createPublicKey((es.signingKey as { privateKey: KeyObject }).privateKey).export({
        format: 'pem',
        type: 'spki',
      }),
    );

    await using c = new Cluster();
    const nodes = await c.addMany(6);
    const [n0, n1, expired, unsigned, confused, forged] = nodes as [
      TestNode,
      TestNode,
      TestNode,
      TestNode,
      TestNode,
      TestNode,
    ];
    n0.discovery.addTicket(await issue(n0.peerId, HOUR));
    n1.discovery.addTicket(await issue(n1.peerId, HOUR));
    expired.discovery.addTicket(await issue(expired.peerId, -60_000));
    unsigned.discovery.addTicket(handRolled({ alg: 'none', typ: 'JWT' }, claims(unsigned.peerId), () => ''));
    confused.discovery.addTicket(
      handRolled({ alg: 'HS256', typ: 'JWT' }, claims(confused.peerId), (input) =>
        createHmac('sha256', publicPem).update(input).digest('base64url'),
      ),
    );
    forged.discovery.addTicket(await issue(forged.peerId, HOUR, generateJwtKeyPair('ES256').signingKey));
    await discoverAll(nodes);
    const attackers = [expired, unsigned, confused, forged];
    const { machines, groups } = joinGated(nodes, 'attacks', [validator()]);
    const [g0, g1] = groups as [CounterGroup, CounterGroup];
    await leadersConverged([g0, g1]);
    // Every attacker sees n0 and n1 as members and dials both; both refuse each of them.
    let refusals = 0;
    await waitFor(
      async () => {
        refusals = await rejectedOn([n0, n1], 'NotAllowed');
        return refusals >= 2 * attackers.length;
      },
      { timeout: T, message: () => `${refusals} refusals, want ${2 * attackers.length}` },
    );
    for (const a of attackers) {
      expect(g0.bonds().has(a.peerId)).toBe(false);
      expect(g1.bonds().has(a.peerId)).toBe(false);
    }
    for (const g of groups.slice(2)) expect(g.bonds().size).toBe(0);
    await executeSoon(g0, 7);
    await valuesReach(machines.slice(0, 2), 7);

    // A latecomer with a proper ticket is still served.
    const late = await c.add();
    late.discovery.addTicket(await issue(late.peerId, HOUR));
    await discoverAll([n0, n1, late]);
    const lateMachine = new Counter();
    const lateGroup = late.groups
      .withKey('attacks')
      .requireTicket(validator())
      .withStateMachine(lateMachine)
      .withConsensus(FAST)
      .join();
    await waitFor(() => lateGroup.bonds().size === 2, { timeout: T, message: 'the latecomer did not bond' });
    await valuesReach([lateMachine], 7);
    expect(machines.slice(2).every((m) => m.value === 0)).toBe(true);
  });
});

/** The same TDX ticket with `from` replaced by `to` wherever it occurs in the quote. */
function withMrtd(ticket: Ticket, from: string, to: string): Ticket {
  const raw = Buffer.from(brotliDecompressSync(ticket.data));
  const needle = Buffer.from(from, 'hex');
  const at = raw.indexOf(needle);
  if (at < 0) throw new Error('MRTD not found in the ticket');
  Buffer.from(to, 'hex').copy(raw, at);
  return new Ticket(ticket.class, new Uint8Array(brotliCompressSync(raw)));
}
