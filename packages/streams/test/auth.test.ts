import { id } from '@mosaik/id';
import { JwtTicketBuilder, JwtValidator } from '@mosaik/tickets';
import { describe, expect, it } from 'vitest';
import { defineStream, type PeerPredicate } from '../src/index.js';
import {
  Cluster,
  discoverAll,
  eventually,
  JWT_ISSUER,
  JWT_SECRET,
  metricValue,
  staysFalse,
  type TestNode,
} from './net.js';

const Data1 = defineStream<string>('Data1');
const hasTag = (t: string) => (peer: { entry: { hasTag(d: ReturnType<typeof id>): boolean } }) =>
  peer.entry.hasTag(id(t));
const connected = (chs: { isConnected: boolean; peerId: { toString(): string } }[]) =>
  chs.filter((c) => c.isConnected).map((c) => c.peerId.toString());

/**
 * Gives `valid` a JWT ticket good for an hour and `expired` one that expired a minute ago;
 * returns a require closure admitting only peers with a valid, unexpired JWT ticket.
 */
async function ticketNodes(valid: TestNode, expired: TestNode): Promise<PeerPredicate> {
  const jwt = new JwtValidator({ key: { alg: 'HS256', secret: JWT_SECRET }, issuer: JWT_ISSUER });
  for (const [n, ms] of [
    [valid, 3_600_000],
    [expired, -60_000],
  ] as const) {
    n.discovery.addTicket(
      await new JwtTicketBuilder({ alg: 'HS256', secret: JWT_SECRET })
        .issuer(JWT_ISSUER)
        .expiresIn(ms)
        .build(n.node.peerId),
    );
  }
  return (peer) =>
    peer.entry.hasValidTicket(jwt.class, (data) => {
      try {
        return !jwt.validate(data, peer.peerId).isExpired();
      } catch {
        return false;
      }
    });
}

describe('consumer auth', () => {
  it('require_chaining: tag1 AND tag2', async () => {
    await using c = new Cluster();
    const n0 = await c.add();
    const both = await c.add({ tags: ['tag1', 'tag2'] });
    const one = await c.add({ tags: ['tag1'] });
    const other = await c.add({ tags: ['tag3'] });
    await discoverAll(c.nodes);
    const consumer = n0.streams.consumer(Data1).require(hasTag('tag1')).require(hasTag('tag2')).build();
    for (const n of [both, one, other]) n.streams.produce(Data1);
    await consumer.when.subscribed().wait();
    await staysFalse(() => consumer.producers().length !== 1, 'more than one producer');
    expect(connected(consumer.producers())).toEqual([both.node.peerId.toString()]);
  });

  it('by_tag: two consumers on one node with different requirements', async () => {
    await using c = new Cluster();
    const n0 = await c.add();
    const p1n = await c.add({ tags: ['tag1', 'tag2'] });
    const p2n = await c.add({ tags: ['tag4', 'tag5'] });
    await discoverAll(c.nodes);
    const a = n0.streams.consumer(Data1).require(hasTag('tag2')).build();
    const b = n0.streams.consume(Data1);
    const p1 = p1n.streams.produce(Data1);
    const p2 = p2n.streams.produce(Data1);
    await b.when.subscribed({ atLeast: 2 }).wait();
    await a.when.subscribed().wait();
    expect(connected(a.producers())).toEqual([p1n.node.peerId.toString()]);
    await eventually(() => p1.consumers().filter((x) => x.isConnected).length === 2, 'p1 has A and B');
    expect(p2.consumers().length).toBeGreaterThanOrEqual(1);
  });

  it('by_jwt_ticket: a require closure checking JWT tickets on producers', async () => {
    await using c = new Cluster();
    const [n0, valid, expired, none] = await c.addMany(4);
    const requireJwt = await ticketNodes(valid!, expired!);
    await discoverAll(c.nodes);
    const consumer = n0!.streams.consumer(Data1).require(requireJwt).build();
    const producers = [valid!, expired!, none!].map((n) => n.streams.produce(Data1));
    await producers[0]!.when.online();
    await producers[0]!.send('hello');
    expect(await consumer.recv()).toBe('hello');
    await staysFalse(() => consumer.producers().length !== 1, 'an unticketed producer was used');
  });

  it('dynamic_tag_reevaluation: tag changes attach and detach producers', async () => {
    await using c = new Cluster();
    const n0 = await c.add();
    const n1 = await c.add({ tags: ['leader'] });
    const n2 = await c.add({ tags: ['follower'] });
    await discoverAll(c.nodes);
    const consumer = n0.streams.consumer(Data1).require(hasTag('leader')).build();
    n1.streams.produce(Data1);
    n2.streams.produce(Data1);
    await consumer.when.subscribed().wait();
    expect(connected(consumer.producers())).toEqual([n1.node.peerId.toString()]);
    n0.discovery.feed(n1.discovery.removeTags('leader'));
    await consumer.when.unsubscribed().wait();
    expect(consumer.producers()).toHaveLength(0);
    n0.discovery.feed(n2.discovery.addTags('leader'));
    await consumer.when.subscribed().wait();
    expect(connected(consumer.producers())).toEqual([n2.node.peerId.toString()]);
  });
});

describe('producer auth', () => {
  it('require_chaining: only the consumer with tag1 AND tag2 subscribes', async () => {
    await using c = new Cluster();
    const n0 = await c.add();
    const both = await c.add({ tags: ['tag1', 'tag2'] });
    const one = await c.add({ tags: ['tag1'] });
    const other = await c.add({ tags: ['tag3'] });
    await discoverAll(c.nodes);
    const p = n0.streams.producer(Data1).require(hasTag('tag1')).require(hasTag('tag2')).build();
    const consumers = [both, one, other].map((n) => n.streams.consume(Data1));
    await p.when.online();
    await eventually(
      async () =>
        (await metricValue(n0, 'mosaik_streams_producer_consumers_rejected_total', { reason: 'require' })) >=
        2,
      'both other consumers rejected',
    );
    await eventually(
      () => consumers[1]!.producers().length === 0 && consumers[2]!.producers().length === 0,
      'rejected receivers end',
    );
    expect(connected(p.consumers())).toEqual([both.node.peerId.toString()]);
  });

  it('by_tag: p0 needs tag2, p1 is open', async () => {
    await using c = new Cluster();
    const [n0, n1] = await c.addMany(2);
    const n3 = await c.add({ tags: ['tag1', 'tag2'] });
    const n4 = await c.add({ tags: ['tag3', 'tag4'] });
    await discoverAll(c.nodes);
    const p0 = n0!.streams.producer(Data1).require(hasTag('tag2')).build();
    const p1 = n1!.streams.produce(Data1);
    n3.streams.consume(Data1);
    n4.streams.consume(Data1);
    await p1.when.subscribed({ atLeast: 2 }).wait();
    await p0.when.online();
    await eventually(
      async () => (await metricValue(n0!, 'mosaik_streams_producer_consumers_rejected_total')) >= 1,
      'n4 rejected by p0',
    );
    expect(connected(p0.consumers())).toEqual([n3.node.peerId.toString()]);
    expect(connected(p1.consumers()).sort()).toEqual(
      [n3.node.peerId.toString(), n4.node.peerId.toString()].sort(),
    );
  });

  it('by_jwt_ticket: a producer require closure admits only the consumer with a valid JWT', async () => {
    await using c = new Cluster();
    const [n0, valid, expired, none] = await c.addMany(4);
    const requireJwt = await ticketNodes(valid!, expired!);
    await discoverAll(c.nodes);
    const p0 = n0!.streams.producer(Data1).require(requireJwt).build();
    const consumers = [valid!, expired!, none!].map((n) => n.streams.consume(Data1));
    await p0.when.online();
    await eventually(
      async () =>
        (await metricValue(n0!, 'mosaik_streams_producer_consumers_rejected_total', { reason: 'require' })) >=
        2,
      'expired and unticketed consumers rejected',
    );
    await eventually(
      () => consumers[1]!.producers().length === 0 && consumers[2]!.producers().length === 0,
      'rejected receivers end',
    );
    expect(connected(p0.consumers())).toEqual([valid!.node.peerId.toString()]);
    await p0.send('one');
    expect(await consumers[0]!.recv()).toBe('one');
    expect(consumers.map((x) => connected(x.producers()).length)).toEqual([1, 0, 0]);
    await staysFalse(() => p0.consumers().length !== 1, 'a consumer without a valid ticket subscribed');
  });
});
