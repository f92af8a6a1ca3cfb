/**
 * Statistics and states that tell the truth (issue #19): drops on closed links are counted, a
 * closed channel stops being `connected` at once, reconnects follow the documented backoff, and a
 * consumer that talks after its handshake is closed without disturbing the others.
 */
import { Discovery } from '@mosaik/discovery';
import { encodeCbor } from '@mosaik/id';
import { CloseCode, type Link, LocalNode } from '@mosaik/transport';
import { describe, expect, it } from 'vitest';
import { defineStream, STREAMS_ALPN } from '../src/index.js';
import { encodeDatumFrame, encodeHandshake, encodeStartStream } from '../src/wire.js';
import { Cluster, discoverAll, eventually, metricValue, QUIET, staysFalse } from './net.js';

const Text = defineStream<string>('status-truth');
const Blob = defineStream<Uint8Array>('status-truth-blob', {
  codec: { encode: (b) => b, decode: (b) => b },
});

/** A hand-written producer of {@link Text} that sends `script(connection)` after each handshake. */
async function rogueProducer(network: Cluster['network'], script: (connection: number) => Uint8Array[]) {
  const node = await LocalNode.bind(network, { preset: 'local' });
  const discovery = await Discovery.start(node, QUIET);
  const closes: (number | undefined)[] = [];
  let connections = 0;
  node.handle(STREAMS_ALPN, async (link: Link<unknown>) => {
    const n = connections++;
    await link.recvRaw();
    await link.sendRaw(encodeStartStream({ network: node.networkId, stream: Text.id }));
    for (const frame of script(n)) await link.sendRaw(frame);
    closes.push((await link.closed()).code);
  });
  discovery.addStreams(Text.id);
  return {
    node,
    closes,
    get connections() {
      return connections;
    },
    async close() {
      await discovery.close();
      await node.close();
    },
  };
}

const valid = (s: string) => encodeDatumFrame(encodeCbor(s));
const garbage = () => Uint8Array.of(0xff, 0xff, 0xff);
/** Long, fixed waits between attempts: a test sees at once whether an attempt waited. */
const SLOW_BACKOFF = { initialIntervalMs: 60_000, randomization: 0 };

describe('producer drops', () => {
  it('datums queued for a subscriber dropped as too slow count as dropped, with the overflow', async () => {
    await using c = new Cluster();
    const [n0, n1] = await c.addMany(2);
    await discoverAll(c.nodes);
    const p = n0!.streams.producer(Text).bufferSize(4).build();
    n1!.streams.consume(Text);
    await p.when.online();
    // One tick: four datums queue (the writer cannot run), the fifth overflows and the subscriber
    // is dropped with its four queued datums, which will never be written.
    for (let i = 0; i < 5; i++) p.trySend(`d${i}`);
    expect(p.stats()).toMatchObject({ datums: 5, dropped: 5, laggingDisconnects: 1, consumers: 0 });
    expect(await metricValue(n0!, 'mosaik_streams_producer_items_dropped_total')).toBe(5);
  });

  it('datums queued on a link the consumer closed count as dropped', async () => {
    await using c = new Cluster();
    const [n0, n1] = await c.addMany(2);
    await discoverAll(c.nodes);
    const p = n0!.streams.producer(Blob).bufferSize(100_000).disconnectLagging(false).build();
    // A consumer that never reads: QUIC flow control soon stops the producer's writes.
    const link = await n1!.node.connect(n0!.node.addr(), STREAMS_ALPN);
    await link.sendRaw(encodeHandshake({ network: c.network, stream: Blob.id, criteria: {} }));
    await link.recvRaw();
    await p.when.online();
    const datum = new Uint8Array(8192);
    let stalled = 0;
    let lastWritten = -1;
    await eventually(async () => {
      for (let i = 0; i < 64; i++) p.trySend(datum);
      await new Promise((r) => setTimeout(r, 30));
      const written = p.subscriptions()[0]!.datums;
      stalled = written === lastWritten ? stalled + 1 : 0;
      lastWritten = written;
      return stalled >= 3;
    }, 'the producer writes stalled on flow control');
    const { queued, datums: written } = p.subscriptions()[0]!;
    expect(queued).toBeGreaterThan(0);
    expect(p.stats().dropped).toBe(0);
    await link.close(CloseCode.Cancelled);
    await p.when.offline();
    // The write under way when the link closed fails a moment later; its datums count then.
    await eventually(() => p.stats().dropped === queued, `dropped ${p.stats().dropped} of ${queued} queued`);
    expect(p.stats().datums).toBe(written + queued);
  });
});

describe('consumer channel state and reconnects', () => {
  it('a channel leaves `connected` the moment its link closes, before any backoff wait', async () => {
    await using c = new Cluster();
    const consumerNode = await c.add();
    const rogue = await rogueProducer(c.network, () => [garbage()]);
    try {
      await consumerNode.discovery.syncWith(rogue.node.addr());
      const consumer = consumerNode.streams.consumer(Text).backoff(SLOW_BACKOFF).build();
      await eventually(() => rogue.closes.length === 1, 'the consumer closed the rogue link');
      expect(rogue.closes[0]).toBe(CloseCode.ProtocolViolation);
      // Nothing was delivered, so the retry waits a minute: the channel must not look connected.
      await eventually(() => consumer.producers()[0]?.state === 'connecting', 'state connecting');
      expect(consumer.stats().producers).toMatchObject([{ state: 'connecting' }]);
      await staysFalse(() => rogue.connections > 1, 'retried without waiting');
    } finally {
      await rogue.close();
    }
  });

  it('after a ProtocolViolation close on a working connection, the first retry is immediate', async () => {
    await using c = new Cluster();
    const consumerNode = await c.add();
    const rogue = await rogueProducer(c.network, (n) =>
      n === 0 ? [valid('first'), garbage()] : [valid('second')],
    );
    try {
      await consumerNode.discovery.syncWith(rogue.node.addr());
      const consumer = consumerNode.streams.consumer(Text).backoff(SLOW_BACKOFF).build();
      expect(await consumer.recv(AbortSignal.timeout(20_000))).toBe('first');
      // With a one-minute interval, only an immediate retry delivers within the deadline.
      expect(await consumer.recv(AbortSignal.timeout(20_000))).toBe('second');
      expect(rogue.connections).toBe(2);
      expect(rogue.closes[0]).toBe(CloseCode.ProtocolViolation);
      expect(
        await metricValue(consumerNode, 'mosaik_streams_consumer_items_invalid_total', { reason: 'decode' }),
      ).toBe(1);
    } finally {
      await rogue.close();
    }
  });
});

describe('a consumer that talks after its handshake', () => {
  it('is closed with ProtocolViolation, counted, and the producer keeps serving the others', async () => {
    await using c = new Cluster();
    const [n0, n1, n2] = await c.addMany(3);
    await discoverAll(c.nodes);
    const p = n0!.streams.produce(Text);
    const honest = n1!.streams.consume(Text);
    await p.when.online();
    const link = await n2!.node.connect(n0!.node.addr(), STREAMS_ALPN);
    await link.sendRaw(encodeHandshake({ network: c.network, stream: Text.id, criteria: {} }));
    await link.recvRaw(); // StartStream: admitted
    await eventually(() => p.consumers().length === 2, 'both subscribed');
    await link.sendRaw(encodeCbor({ not: 'allowed' }));
    expect((await link.closed()).code).toBe(CloseCode.ProtocolViolation);
    expect(await metricValue(n0!, 'mosaik_streams_producer_protocol_violations_total')).toBe(1);
    await eventually(() => p.consumers().length === 1, 'the talker removed');
    await p.send('still here');
    expect(await honest.recv(AbortSignal.timeout(10_000))).toBe('still here');
    expect(p.consumers()[0]!.peerId.equals(n1!.node.peerId)).toBe(true);
  });
});
