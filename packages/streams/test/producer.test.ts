import { describe, expect, it } from 'vitest';
import { AlreadyExistsError, defineStream, ProducerError } from '../src/index.js';
import { Cluster, discoverAll, eventually, metricValue, staysFalse } from './net.js';

const Data1 = defineStream<string>('Data1');
const Data2 = defineStream<string>('Data2');

describe('producer', () => {
  it('multiple_producers_one_stream: build() throws AlreadyExistsError, produce() returns the sink', async () => {
    await using c = new Cluster();
    const n0 = await c.add();
    const first = n0.streams.producer(Data1).build();
    let error: unknown;
    try {
      n0.streams.producer(Data1).build();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(AlreadyExistsError);
    expect((error as AlreadyExistsError<typeof first>).existing.streamId.equals(first.streamId)).toBe(true);
    expect(n0.streams.produce(Data1).streamId.equals(first.streamId)).toBe(true);
    expect(() =>
      n0.streams.produce(
        defineStream<string>('Data1', { codec: { encode: () => new Uint8Array(), decode: () => '' } }),
      ),
    ).toThrow(/another codec/);
  });

  it('max_subs: at most 3 subscriptions; a freed slot is taken by a waiting consumer', async () => {
    await using c = new Cluster();
    const n0 = await c.add();
    const others = await c.addMany(7);
    await discoverAll(c.nodes);
    const p = n0.streams.producer(Data1).maxConsumers(3).build();
    const consumers = others.map((n) => n.streams.consume(Data1));
    expect(consumers.every((x) => x.isOnline)).toBe(true);
    await p.when.subscribed({ atLeast: 3 }).wait();
    const unmet = p.when.subscribed({ atLeast: 3 }).unmet();
    expect(unmet.poll()).toBe(false);
    await staysFalse(() => p.consumers().length > 3, 'more than 3 subscriptions');
    const before = new Set(p.consumers().map((x) => x.peerId.toString()));
    const victim = others.find((n) => before.has(n.node.peerId.toString()))!;
    await victim.close();
    await unmet.wait();
    await eventually(() => p.consumers().filter((x) => x.isConnected).length === 3, 'slot retaken', 15_000);
    const after = p.consumers().map((x) => x.peerId.toString());
    expect(after.filter((k) => before.has(k))).toHaveLength(2);
  });

  it('online_when: per-producer conditions with tags', async () => {
    await using c = new Cluster();
    const [n0, n1] = await c.addMany(2);
    await discoverAll(c.nodes);
    const p01 = n0!.streams
      .producer(Data1)
      .onlineWhen((s) => s.minimumOf(2))
      .build();
    const p02 = n0!.streams.produce(Data2);
    const p11 = n1!.streams
      .producer(Data1)
      .onlineWhen((s) => s.withTags('tag2').minimumOf(2))
      .build();
    const add = async (tags: string[] = []) => {
      const n = await c.add({ tags });
      await discoverAll(c.nodes);
      n.streams.consume(Data1);
      n.streams.consume(Data2);
      return n;
    };
    await add();
    await p01.when.subscribed().wait();
    await p02.when.online();
    expect(p01.isOnline).toBe(false);
    expect(p11.isOnline).toBe(false);
    await add();
    await p01.when.online();
    await p11.when.subscribed({ atLeast: 2 }).wait();
    expect(p11.isOnline).toBe(false);
    await add(['tag2']);
    await p11.when.subscribed({ atLeast: 3 }).wait();
    expect(p11.isOnline).toBe(false);
    const last = await add(['tag2']);
    await p11.when.online();
    expect(p11.consumers()).toHaveLength(4);
    await last.close();
    await p11.when.offline();
  });

  it('max_datum_size: an oversized datum is refused on send (typed, counted), the link stays up', async () => {
    const Small = defineStream<Uint8Array>('Small', {
      codec: { encode: (b) => b, decode: (b) => b },
      maxDatumSize: 16,
    });
    await using c = new Cluster();
    const [n0, n1] = await c.addMany(2);
    await discoverAll(c.nodes);
    const p = n0!.streams.produce(Small);
    const consumer = n1!.streams.consume(Small);
    await p.when.online();
    const big = new Uint8Array(17).fill(1);
    let error: unknown;
    try {
      p.trySend(big);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ProducerError);
    expect((error as ProducerError).kind).toBe('oversized');
    expect((error as ProducerError).datum).toBe(big);
    await expect(p.send(big)).rejects.toMatchObject({ kind: 'oversized' });
    expect(p.stats()).toMatchObject({ oversized: 2, datums: 0 });
    expect(await metricValue(n0!, 'mosaik_streams_producer_items_oversized_total')).toBe(2);
    // A datum at the limit still goes through on the same subscription.
    await p.send(new Uint8Array(16).fill(2));
    expect(await consumer.recv()).toEqual(new Uint8Array(16).fill(2));
    expect(await metricValue(n1!, 'mosaik_streams_consumer_items_invalid_total')).toBe(0);
    expect(p.consumers().filter((x) => x.isConnected)).toHaveLength(1);
  });
});
