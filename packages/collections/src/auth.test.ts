import { id, type PeerId } from '@mosaik/id';
import { Jwt, JwtTicketBuilder } from '@mosaik/tickets';
import { describe, expect, it } from 'vitest';
import { FAST, sharedNodes, storeName, type TestNode, until, within } from '../test/fixtures.js';
import { defineCollection } from './collection.js';
import type { CollectionDef } from './define.js';

const secret = id('collections.test.jwt.secret').bytes;
const validator = (issuer: string) => new Jwt({ key: { alg: 'HS256', secret }, issuer });
const ticket = (issuer: string, peer: PeerId) =>
  new JwtTicketBuilder({ alg: 'HS256', secret })
    .issuer(issuer)
    .expiresAt(Date.now() + 3_600_000)
    .build(peer);

const net = sharedNodes(async ({ cluster, n0, n1, n2 }) => {
  // n0 and n1 hold both tickets, n2 holds only beta.
  for (const n of [n0, n1]) {
    n.discovery.addTicket(await ticket('alpha', n.node.peerId));
    n.discovery.addTicket(await ticket('beta', n.node.peerId));
  }
  n2.discovery.addTicket(await ticket('beta', n2.node.peerId));
  await cluster.discoverAll();
});

async function refusals(n: TestNode): Promise<number> {
  const m = await n.node.metrics.registry.getSingleMetric('mosaik_groups_bonds_rejected_total')?.get();
  return m?.values.find((v) => v.labels.reason === 'NotAllowed')?.value ?? 0;
}

type AnyHandle = { close(): Promise<void>; version: number; when: { online(o?: object): Promise<void> } };

/**
 * w(net.n0) and r(net.n1) (ticketed) replicate through `write`; r(net.n2) (not enough tickets) is refused
 * by both and never sees anything.
 */
async function gated<W extends AnyHandle, R extends AnyHandle>(
  Def: CollectionDef<R, W>,
  write: (w: W) => Promise<number>,
  seen: (r: R) => boolean,
): Promise<void> {
  const before = (await refusals(net.n0)) + (await refusals(net.n1));
  const w = await Def.onlineWriter(net.n0, within());
  const r1 = Def.reader(net.n1);
  const r2 = Def.reader(net.n2);
  try {
    const v = await write(w);
    await (r1 as unknown as { when: { reaches(v: number, o?: object): Promise<number> } }).when.reaches(
      v,
      within(),
    );
    expect(seen(r1)).toBe(true);
    await until(
      async () => (await refusals(net.n0)) + (await refusals(net.n1)) > before,
      'net.n2 was never refused',
    );
    expect(seen(r2)).toBe(false);
    expect(r2.version).toBe(0);
  } finally {
    await Promise.all([w.close(), r1.close(), r2.close()]);
  }
}

const alpha = () => ({ consensus: FAST, requireTicket: validator('alpha') });

/** The module-level gated definition a `collection!(…, require_ticket: …)` declaration becomes. */
const Gated = defineCollection.map<string, number>(storeName('gated'), alpha());

describe('auth (auth.rs)', () => {
  it('map_auth_tickets', async () => {
    await gated(
      defineCollection.map<number, number>(storeName('map'), alpha()),
      (w) => w.set(1, 1),
      (r) => r.get(1) === 1,
    );
  });

  it('vec_auth_tickets', async () => {
    await gated(
      defineCollection.vec<number>(storeName('vec'), alpha()),
      (w) => w.pushBack(42),
      (r) => r.get(0) === 42,
    );
  });

  it('set_auth_tickets', async () => {
    await gated(
      defineCollection.set<number>(storeName('set'), alpha()),
      (w) => w.add(99),
      (r) => r.has(99),
    );
  });

  it('cell_auth_tickets', async () => {
    await gated(
      defineCollection.cell<number>(storeName('cell'), alpha()),
      (w) => w.set(7),
      (r) => r.get() === 7,
    );
  });

  it('once_auth_tickets', async () => {
    await gated(
      defineCollection.once<number>(storeName('once'), alpha()),
      (w) => w.set(42),
      (r) => r.get() === 42,
    );
  });

  it('priority_queue_auth_tickets', async () => {
    await gated(
      defineCollection.priorityQueue<number, number, number>(storeName('pq'), alpha()),
      (w) => w.insert(10, 1, 100),
      (r) => r.get(1) === 100,
    );
  });

  it('collection_macro_with_require_ticket: a module-level gated definition, opened online, keeps n2 out', async () => {
    const before = (await refusals(net.n0)) + (await refusals(net.n1));
    await using w = await Gated.onlineWriter(net.n0, within());
    await using r1 = await Gated.onlineReader(net.n1, within());
    await using r2 = Gated.reader(net.n2);
    const v = await w.set('k', 1);
    await r1.when.reaches(v, within());
    expect(r1.get('k')).toBe(1);
    await until(
      async () => (await refusals(net.n0)) + (await refusals(net.n1)) > before,
      'net.n2 was never refused',
    );
    expect([r2.size, r2.version]).toEqual([0, 0]);
  });

  it('collection_macro_with_multiple_tickets: holding one of two required tickets is not enough', async () => {
    await gated(
      defineCollection.map<number, number>(storeName('both'), {
        consensus: FAST,
        requireTicket: [validator('alpha'), validator('beta')],
      }),
      (w) => w.set(1, 1),
      (r) => r.get(1) === 1,
    );
  });

  it('different_auths_produce_different_group_ids (order matters too)', () => {
    const name = storeName('ids');
    const ids = [
      defineCollection.map<number, number>(name),
      defineCollection.map<number, number>(name, { requireTicket: validator('alpha') }),
      defineCollection.map<number, number>(name, { requireTicket: validator('beta') }),
      defineCollection.map<number, number>(name, { requireTicket: [validator('alpha'), validator('beta')] }),
      defineCollection.map<number, number>(name, { requireTicket: [validator('beta'), validator('alpha')] }),
    ].map((d) => d.groupId.toString());
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('macros_different_validators_group_ids: two differently gated collections on a lone ticket-less node both come online', async () => {
    const A = defineCollection.map<number, number>(storeName('lone-a'), alpha());
    const B = defineCollection.map<number, number>(storeName('lone-b'), {
      consensus: FAST,
      requireTicket: validator('beta'),
    });
    expect(A.groupId.equals(B.groupId)).toBe(false);
    await using a = await A.onlineWriter(net.n2, within());
    await using b = await B.onlineWriter(net.n2, within());
    expect(await a.set(1, 1)).toBeGreaterThan(0);
    expect(await b.set(1, 1)).toBeGreaterThan(0);
    expect(a.groupId.equals(b.groupId)).toBe(false);
  });
});
