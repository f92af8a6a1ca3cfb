import { id } from '@mosaik/id';
import { JwtTicketBuilder, JwtValidator } from '@mosaik/tickets';
import { describe, expect, it } from 'vitest';
import { defineStream, type StreamDef } from '../src/index.js';
import { Cluster, discoverAll, JWT_ISSUER, JWT_SECRET, staysFalse, type TestNode } from './net.js';

async function flows(p: TestNode, c: TestNode, def: StreamDef<string>) {
  const producer = p.streams.produce(def);
  const consumer = c.streams.consume(def);
  await producer.when.online();
  await producer.send('datum');
  expect(await consumer.recv()).toBe('datum');
  return { producer, consumer };
}

async function ticket(n: TestNode, opts: { issuer?: string; secret?: string; expiresIn?: number } = {}) {
  const t = await new JwtTicketBuilder({ alg: 'HS256', secret: opts.secret ?? JWT_SECRET })
    .issuer(opts.issuer ?? JWT_ISSUER)
    .expiresIn(opts.expiresIn ?? 3_600_000)
    .build(n.node.peerId);
  n.discovery.addTicket(t);
}

const validator = (issuer = JWT_ISSUER, secret = JWT_SECRET) =>
  new JwtValidator({ key: { alg: 'HS256', secret }, issuer });

describe('defineStream (the stream! macro cases)', () => {
  it('simple: name-derived id', async () => {
    await using c = new Cluster();
    const [n0, n1] = await c.addMany(2);
    await discoverAll([n0!, n1!]);
    const { producer } = await flows(n0!, n1!, defineStream<string>('Simple'));
    expect(producer.streamId.equals(id('Simple'))).toBe(true);
  });

  it('named and const id: both handles report it', async () => {
    await using c = new Cluster();
    const [n0, n1] = await c.addMany(2);
    await discoverAll([n0!, n1!]);
    const named = await flows(n0!, n1!, defineStream<string>('x', { id: 'named.stream' }));
    expect(named.consumer.streamId.equals(id('named.stream'))).toBe(true);
    const constId = id('const.stream');
    const k = await flows(n0!, n1!, defineStream<string>('y', { id: constId }));
    expect(k.producer.streamId.equals(constId) && k.consumer.streamId.equals(constId)).toBe(true);
  });

  it('configured: always-true require on both sides and online at 1', async () => {
    await using c = new Cluster();
    const [n0, n1] = await c.addMany(2);
    await discoverAll([n0!, n1!]);
    await flows(
      n0!,
      n1!,
      defineStream<string>('configured', {
        require: () => true,
        producer: { onlineWhen: (s) => s.minimumOf(1) },
      }),
    );
  });

  it('producer-only definition consumed by a plain name', async () => {
    await using c = new Cluster();
    const [n0, n1] = await c.addMany(2);
    await discoverAll([n0!, n1!]);
    const p = n0!.streams.produce(defineStream<string>('producer.only'));
    const consumer = n1!.streams.consume<string>('producer.only');
    await p.when.online();
    await p.send('d');
    expect(await consumer.recv()).toBe('d');
  });

  it('producer require: only a consumer tagged trusted subscribes', async () => {
    await using c = new Cluster();
    const n0 = await c.add();
    const trusted = await c.add({ tags: ['trusted'] });
    const plain = await c.add();
    await discoverAll([n0, trusted, plain]);
    const def = defineStream<string>('p.require', {
      producer: { require: (peer) => peer.entry.hasTag(id('trusted')) },
    });
    const p = n0.streams.produce(def);
    const ct = trusted.streams.consume(def);
    const cp = plain.streams.consume(def);
    await p.when.online();
    await p.send('d');
    expect(await ct.recv()).toBe('d');
    await staysFalse(() => cp.producers().some((ch) => ch.isConnected), 'untagged consumer subscribed');
    expect(p.consumers().map((ch) => ch.peerId.toString())).toEqual([trusted.node.peerId.toString()]);
  });

  it('consumer require: of two producers only the trusted one is used', async () => {
    await using c = new Cluster();
    const n0 = await c.add();
    const trusted = await c.add({ tags: ['trusted'] });
    const plain = await c.add();
    await discoverAll([n0, trusted, plain]);
    const def = defineStream<string>('c.require', {
      consumer: { require: (peer) => peer.entry.hasTag(id('trusted')) },
    });
    const consumer = n0.streams.consume(def);
    const pt = trusted.streams.produce(def);
    plain.streams.produce(def);
    await pt.when.online();
    await pt.send('d');
    expect(await consumer.recv()).toBe('d');
    await staysFalse(() => consumer.producers().length !== 1, 'consumer attached to the untrusted producer');
  });

  it('require_ticket on both sides: valid tickets connect, expired or missing do not', async () => {
    await using c = new Cluster();
    const [n0, n1, n2, n3] = await c.addMany(4);
    await ticket(n0!);
    await ticket(n1!);
    await ticket(n2!, { expiresIn: -60_000 });
    await discoverAll([n0!, n1!, n2!, n3!]);
    const def = defineStream<string>('tickets', { requireTicket: validator() });
    const p = n0!.streams.produce(def);
    const c1 = n1!.streams.consume(def);
    const c2 = n2!.streams.consume(def);
    const c3 = n3!.streams.consume(def);
    await p.when.online();
    await p.send('d');
    expect(await c1.recv()).toBe('d');
    await staysFalse(
      () => [c2, c3].some((x) => x.producers().some((ch) => ch.isConnected)),
      'a consumer without a valid ticket subscribed',
    );
    expect(p.consumers()).toHaveLength(1);
  });

  it('stacked validators: consumers need both tickets', async () => {
    await using c = new Cluster();
    const [n0, n1, n2, n3] = await c.addMany(4);
    const alpha = { issuer: 'issuer-alpha', secret: 'secret-alpha-0123456789abcdef0123' };
    const beta = { issuer: 'issuer-beta', secret: 'secret-beta-0123456789abcdef01234' };
    for (const n of [n0!, n1!]) {
      await ticket(n, alpha);
      await ticket(n, beta);
    }
    await ticket(n2!, alpha);
    await ticket(n3!, beta);
    await discoverAll([n0!, n1!, n2!, n3!]);
    const def = defineStream<string>('two.validators', {
      requireTicket: [validator(alpha.issuer, alpha.secret), validator(beta.issuer, beta.secret)],
    });
    const p = n0!.streams.produce(def);
    const c1 = n1!.streams.consume(def);
    const others = [n2!.streams.consume(def), n3!.streams.consume(def)];
    await p.when.online();
    await p.send('d');
    expect(await c1.recv()).toBe('d');
    await staysFalse(
      () => others.some((x) => x.producers().some((ch) => ch.isConnected)),
      'a half-ticketed consumer subscribed',
    );
    expect(p.consumers()).toHaveLength(1);
  });

  it('producer-side ticket only: a consumer without a ticket is refused', async () => {
    await using c = new Cluster();
    const [n0, n1, n2] = await c.addMany(3);
    await ticket(n1!);
    await discoverAll([n0!, n1!, n2!]);
    const def = defineStream<string>('p.ticket', { producer: { requireTicket: validator() } });
    const p = n0!.streams.produce(def);
    const c1 = n1!.streams.consume(def);
    const c2 = n2!.streams.consume(def);
    await p.when.online();
    await p.send('d');
    expect(await c1.recv()).toBe('d');
    await staysFalse(() => c2.producers().some((ch) => ch.isConnected), 'ticketless consumer subscribed');
  });

  it('consumer-side ticket only: only the ticketed producer is used', async () => {
    await using c = new Cluster();
    const [n0, n1, n2] = await c.addMany(3);
    await ticket(n1!);
    await discoverAll([n0!, n1!, n2!]);
    const def = defineStream<string>('c.ticket', { consumer: { requireTicket: validator() } });
    const consumer = n0!.streams.consume(def);
    const p1 = n1!.streams.produce(def);
    n2!.streams.produce(def);
    await p1.when.online();
    await p1.send('d');
    expect(await consumer.recv()).toBe('d');
    await staysFalse(() => consumer.producers().length !== 1, 'ticketless producer used');
  });
});
