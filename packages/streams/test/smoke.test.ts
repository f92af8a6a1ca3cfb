import { id } from '@mosaik/id';
import { describe, expect, it } from 'vitest';
import { defineStream } from '../src/index.js';
import { Cluster, discoverAll, eventually, postcardString } from './net.js';

const Data1 = defineStream<string>('Data1', { codec: postcardString });

describe('smoke', () => {
  it('send_recv: two consumers each receive all 100 datums', async () => {
    await using c = new Cluster();
    const [n0, n1, n2] = await c.addMany(3);
    await discoverAll([n0!, n1!, n2!]);
    const p = n0!.streams.produce(Data1);
    const c1 = n1!.streams.consume(Data1);
    const c2 = n2!.streams.consume(Data1);
    await p.when.subscribed({ atLeast: 2 }).wait();
    for (let i = 0; i < 100; i++) await p.send('hello');
    for (const c of [c1, c2]) {
      for (let i = 0; i < 100; i++) expect(await c.recv()).toBe('hello');
      expect(c.stats().datums).toBe(100);
    }
  });

  it('subscription_triggers_catalog_sync: UnknownPeer makes the consumer sync and retry', async () => {
    await using c = new Cluster();
    const n0 = await c.add({ tags: ['tag1', 'tag2', 'tag3'] });
    const n1 = await c.add();
    const p = n0.streams.produce(Data1);
    // n1 knows n0 only as an unsigned, locally inserted entry; n0 does not know n1.
    n1.discovery.insert(n0.discovery.me());
    n1.node.addressBook.observe(n0.node.addr());
    const c1 = n1.streams.consume(Data1);
    await p.when.online();
    await c1.when.subscribed().wait();
    const signed = n1.discovery.catalog().signedPeers();
    expect(signed).toHaveLength(1);
    expect(signed[0]!.peerId.equals(n0.node.peerId)).toBe(true);
    for (const t of ['tag1', 'tag2', 'tag3']) expect(signed[0]!.entry.hasTag(id(t))).toBe(true);
  });

  it('custom_stream_id: two streams of one type on one node stay apart', async () => {
    await using c = new Cluster();
    const [n0, n1] = await c.addMany(2);
    await discoverAll([n0!, n1!]);
    const s1 = defineStream<string>('Data1', { id: 'stream1234' });
    const s2 = defineStream<string>('Data1', { id: 'stream5678' });
    const p1 = n0!.streams.producer(s1).build();
    const p2 = n0!.streams.producer(s2).build();
    const c1 = n1!.streams.consume(s1);
    const c2 = n1!.streams.consume(s2);
    await Promise.all([p1.when.online(), p2.when.online()]);
    await p1.send('one');
    await p2.send('two');
    expect(await c1.recv()).toBe('one');
    expect(await c2.recv()).toBe('two');
    expect(c1.tryRecv()).toBeUndefined();
    expect(c2.tryRecv()).toBeUndefined();
  });

  it('custom_datum_encoding: the frame payload is the codec output', async () => {
    await using c = new Cluster();
    const [n0, n1] = await c.addMany(2);
    await discoverAll([n0!, n1!]);
    const Custom = defineStream<string>('custom', {
      codec: {
        encode: (s) => new TextEncoder().encode(s),
        decode: (b) => `${new TextDecoder().decode(b)}-custom-decode`,
      },
    });
    const p = n0!.streams.produce(Custom);
    const c1 = n1!.streams.consume(Custom);
    await p.when.online();
    await p.send('hello custom encoding');
    expect(await c1.recv()).toBe('hello custom encoding-custom-decode');
    await eventually(() => c1.producers()[0]?.stats.bytes === 21, 'byte count is the raw payload');
  });

  it('stream_def: both handles report the definition id and a datum flows', async () => {
    await using c = new Cluster();
    const [n0, n1] = await c.addMany(2);
    await discoverAll([n0!, n1!]);
    const def = defineStream<string>('whatever', { id: 'my-stream1' });
    const p = n0!.streams.producer(def).build();
    const c1 = n1!.streams.consumer(def).build();
    expect(p.streamId.equals(id('my-stream1'))).toBe(true);
    expect(c1.streamId.equals(id('my-stream1'))).toBe(true);
    await p.when.online();
    await p.send('x');
    expect(await c1.recv()).toBe('x');
  });

  it('a consumer never subscribes to its own node', async () => {
    await using c = new Cluster();
    const [n0, n1] = await c.addMany(2);
    await discoverAll([n0!, n1!]);
    const own = n0!.streams.consume(Data1);
    const p = n0!.streams.produce(Data1);
    const remote = n1!.streams.consume(Data1);
    await remote.when.subscribed().wait();
    await p.send('x');
    expect(await remote.recv()).toBe('x');
    expect(own.producers()).toHaveLength(0);
    expect(p.consumers()).toHaveLength(1);
  });
});
