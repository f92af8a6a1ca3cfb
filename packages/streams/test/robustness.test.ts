import { Discovery } from '@mosaik/discovery';
import { encodeCbor, id, randomBytes, waitFor } from '@mosaik/id';
import { JwtTicketBuilder, JwtValidator } from '@mosaik/tickets';
import { CloseCode, type Link, LocalNode } from '@mosaik/transport';
import { describe, expect, it } from 'vitest';
import { defineStream, STREAMS_ALPN, StreamCloseCode } from '../src/index.js';
import { encodeDatumFrame, encodeStartStream } from '../src/wire.js';
import { Cluster, discoverAll, eventually, JWT_ISSUER, JWT_SECRET, metricValue, QUIET } from './net.js';

const isString = {
  '~standard': {
    version: 1 as const,
    vendor: 'test',
    validate: (v: unknown) =>
      typeof v === 'string' ? { value: v } : { issues: [{ message: 'not a string' }] },
  },
};
const Checked = defineStream<string>('checked', { schema: isString, maxDatumSize: 1024 });

describe('bad input', () => {
  it('undecodable, schema-invalid and oversized datums: counted, closed with ProtocolViolation, consumer keeps going', async () => {
    await using c = new Cluster();
    const consumerNode = await c.add();
    // A hand-written producer that misbehaves once per connection, then behaves.
    const rogue = await LocalNode.bind(c.network, { preset: 'local' });
    const rogueDiscovery = await Discovery.start(rogue, QUIET);
    const closes: (number | undefined)[] = [];
    const bad = [
      randomBytes(1 + Math.floor(Math.random() * 40)).fill(0xff, 0, 1), // 0xff: never valid CBOR start
      encodeDatumFrame(encodeCbor(42)), // wrong type for the schema
      encodeDatumFrame(new Uint8Array(4096)), // over maxDatumSize
    ];
    let connection = 0;
    rogue.handle(STREAMS_ALPN, async (link: Link<unknown>) => {
      await link.recvRaw();
      await link.sendRaw(encodeStartStream({ network: rogue.networkId, stream: Checked.id }));
      const frame = bad[connection++];
      await link.sendRaw(frame ?? encodeDatumFrame(encodeCbor('valid')));
      closes.push((await link.closed()).code);
    });
    try {
      rogueDiscovery.addStreams(Checked.id);
      await consumerNode.discovery.syncWith(rogue.addr());
      const consumer = consumerNode.streams.consumer(Checked).backoff({ initialIntervalMs: 20 }).build();
      expect(await consumer.recv(AbortSignal.timeout(20_000))).toBe('valid');
      // The rogue side learns each close a moment after the consumer moved on: wait for all three.
      await waitFor(() => closes.length >= 3, { message: () => `closes seen: ${closes.join(', ')}` });
      expect(closes.slice(0, 3)).toEqual([
        CloseCode.ProtocolViolation,
        CloseCode.ProtocolViolation,
        CloseCode.ProtocolViolation,
      ]);
      const invalid = (reason: string) =>
        metricValue(consumerNode, 'mosaik_streams_consumer_items_invalid_total', { reason });
      expect(await invalid('decode')).toBe(1);
      expect(await invalid('schema')).toBe(1);
      expect(await invalid('oversized')).toBe(1);
      expect(consumer.isClosed).toBe(false);
    } finally {
      await rogueDiscovery.close();
      await rogue.close();
    }
  });

  it('a garbage handshake is refused with ProtocolViolation and counted', async () => {
    await using c = new Cluster();
    const [n0, n1] = await c.addMany(2);
    await discoverAll(c.nodes);
    n0!.streams.produce(Checked);
    for (const payload of [randomBytes(64), encodeCbor({ t: 1, n: 'x', s: 5 }), encodeCbor([1, 2, 3])]) {
      const link = await n1!.node.connect(n0!.node.addr(), STREAMS_ALPN);
      await link.sendRaw(payload);
      expect((await link.closed()).code).toBe(CloseCode.ProtocolViolation);
    }
    expect(await metricValue(n0!, 'mosaik_streams_connections_rejected_total', { reason: 'protocol' })).toBe(
      3,
    );
  });

  it('a handshake for another network or an unknown stream is refused with its code', async () => {
    await using c = new Cluster();
    const [n0, n1] = await c.addMany(2);
    await discoverAll(c.nodes);
    n0!.streams.produce(Checked);
    const { encodeHandshake } = await import('../src/wire.js');
    const cases = [
      [
        encodeHandshake({ network: id('elsewhere'), stream: Checked.id, criteria: {} }),
        CloseCode.DifferentNetwork,
      ],
      [encodeHandshake({ network: c.network, stream: id('nope'), criteria: {} }), CloseCode.StreamNotFound],
    ] as const;
    for (const [payload, code] of cases) {
      const link = await n1!.node.connect(n0!.node.addr(), STREAMS_ALPN);
      await link.sendRaw(payload);
      expect((await link.closed()).code).toBe(code);
    }
  });
});

describe('slow consumers and expiry', () => {
  it('a subscriber whose queue overflows is disconnected with TooSlow, counted, and comes back', async () => {
    await using c = new Cluster();
    const [n0, n1] = await c.addMany(2);
    await discoverAll(c.nodes);
    const p = n0!.streams.producer(Checked).bufferSize(4).build();
    const consumer = n1!.streams.consumer(Checked).backoff({ initialIntervalMs: 20 }).build();
    await p.when.online();
    await eventually(() => consumer.producers()[0]?.isConnected, 'connected');
    // Ten datums in one tick: the writer cannot run in between, so the queue of 4 overflows.
    let accepted = 0;
    for (let i = 0; i < 10; i++) {
      try {
        p.trySend(`d${i}`);
        accepted++;
      } catch {
        // Offline once the only subscriber was dropped.
      }
    }
    expect(accepted).toBe(5);
    expect(p.stats().laggingDisconnects).toBe(1);
    expect(await metricValue(n0!, 'mosaik_streams_producer_lagging_disconnects_total')).toBe(1);
    expect(StreamCloseCode.TooSlow).toBe(10_413);
    await p.when.online();
    await eventually(() => consumer.producers()[0]?.isConnected, 'reconnected after TooSlow');
  });

  it('with disconnectLagging(false) overflowing datums are only dropped', async () => {
    await using c = new Cluster();
    const [n0, n1] = await c.addMany(2);
    await discoverAll(c.nodes);
    const p = n0!.streams.producer(Checked).bufferSize(4).disconnectLagging(false).build();
    const consumer = n1!.streams.consume(Checked);
    await p.when.online();
    for (let i = 0; i < 10; i++) p.trySend(`d${i}`);
    expect(p.stats()).toMatchObject({ dropped: 6, laggingDisconnects: 0, consumers: 1 });
    // Per subscriber too: its queue is full and it missed the rest.
    expect(p.subscriptions()).toMatchObject([{ queued: 4, capacity: 4, dropped: 6 }]);
    expect(p.subscriptions()[0]!.consumerId.equals(n1!.node.peerId)).toBe(true);
    const got = [];
    for (let i = 0; i < 4; i++) got.push(await consumer.recv());
    expect(got).toEqual(['d0', 'd1', 'd2', 'd3']);
    await eventually(() => p.subscriptions()[0]?.queued === 0, 'queue drained');
    expect(p.subscriptions()[0]).toMatchObject({ datums: 4, dropped: 6 });
    expect(n0!.streams.producers().map((x) => x.streamId.toString())).toEqual([p.streamId.toString()]);
    expect(n1!.streams.consumers()).toHaveLength(1);
    expect(p.isOnline).toBe(true);
  });

  it('a consumer is disconnected when its ticket expires', async () => {
    await using c = new Cluster();
    const [n0, n1] = await c.addMany(2);
    n1!.discovery.addTicket(
      await new JwtTicketBuilder({ alg: 'HS256', secret: JWT_SECRET })
        .issuer(JWT_ISSUER)
        .expiresIn(2_000)
        .build(n1!.node.peerId),
    );
    await discoverAll(c.nodes);
    const p = n0!.streams
      .producer(Checked)
      .requireTicket(new JwtValidator({ key: { alg: 'HS256', secret: JWT_SECRET }, issuer: JWT_ISSUER }))
      .build();
    n1!.streams.consume(Checked);
    await p.when.online();
    await p.when.offline();
    expect(p.consumers()).toHaveLength(0);
  });
});

describe('lifecycle and scale', () => {
  it('a consumer survives its producer restarting on a new node', async () => {
    await using c = new Cluster();
    const [n0, n1] = await c.addMany(2);
    await discoverAll(c.nodes);
    const consumer = n1!.streams.consume(Checked);
    const p0 = n0!.streams.produce(Checked);
    await p0.when.online();
    await p0.send('before');
    expect(await consumer.recv()).toBe('before');
    await n0!.close();
    await consumer.when.unsubscribed().wait();
    const n2 = await c.add();
    await discoverAll([n1!, n2]);
    const p2 = n2.streams.produce(Checked);
    await p2.when.online();
    await p2.send('after');
    expect(await consumer.recv()).toBe('after');
  });

  it('1 producer → 20 consumers: every datum, in order, at 5,000 datums/s', async () => {
    await using c = new Cluster();
    const n0 = await c.add();
    const others = await c.addMany(20);
    // 20 subscribers cost the producer 20 binding conversions per datum (~60 ns a byte): on two
    // loaded cores the writers can fall behind for a moment, so the queues hold the whole run and
    // the test checks completeness and order, not the host's speed.
    const Numbers = defineStream<number>('numbers', { producer: { bufferSize: 4096 } });
    const p = n0.streams.produce(Numbers);
    // Introduce each consumer to the producer only (no 21-node sync cascade on two cores).
    for (const n of others) {
      n.discovery.feed(n0.discovery.me());
      n.node.addressBook.observe(n0.node.addr());
      n0.discovery.feed(n.discovery.me());
      n0.node.addressBook.observe(n.node.addr());
    }
    const consumers = others.map((n) => n.streams.consume(Numbers));
    await p.when.subscribed({ atLeast: 20 }).wait(AbortSignal.timeout(20_000));
    const total = 2_500;
    const started = performance.now();
    let sent = 0;
    while (sent < total) {
      const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * 5_000) + 1);
      while (sent < due) p.trySend(sent++);
      await new Promise((r) => setTimeout(r, 5));
    }
    await Promise.all(
      consumers.map(async (consumer) => {
        for (let i = 0; i < total; i++) expect(await consumer.recv()).toBe(i);
      }),
    );
    expect(p.stats().dropped).toBe(0);
  });

  it('prefer {best: 1} picks the lower-RTT producer and switches when RTTs change', async () => {
    await using c = new Cluster();
    const n0 = await c.add({ streams: { rerankIntervalMs: 50 } });
    const [a, b] = await c.addMany(2);
    await discoverAll(c.nodes);
    a!.streams.produce(Checked);
    b!.streams.produce(Checked);
    const inject = (fast: typeof a, slow: typeof a) => {
      for (let i = 0; i < 40; i++) {
        n0.discovery.recordRtt(fast!.node.peerId, 1);
        n0.discovery.recordRtt(slow!.node.peerId, 200);
      }
    };
    inject(a, b);
    const consumer = n0.streams.consumer(Checked).prefer({ best: 1 }).build();
    const attached = () => consumer.producers().map((ch) => ch.peerId.toString());
    await eventually(
      () => attached().length === 1 && attached()[0] === a!.node.peerId.toString(),
      'picked a',
    );
    inject(b, a);
    await eventually(
      () => attached().length === 1 && attached()[0] === b!.node.peerId.toString(),
      'switched to b',
    );
  });
});
