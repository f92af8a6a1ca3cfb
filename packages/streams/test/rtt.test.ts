import { describe, expect, it } from 'vitest';
import { defineStream } from '../src/index.js';
import { Cluster, discoverAll, eventually, metricValue, staysFalse } from './net.js';

const Data1 = defineStream<string>('Data1');

describe('rtt', () => {
  it('consumer require(rttBelow(5 s)) probes first, then subscribes', async () => {
    await using c = new Cluster();
    const [n0, n1] = await c.addMany(2);
    await discoverAll(c.nodes);
    const consumer = n1!.streams
      .consumer(Data1)
      .require((p) => p.rtt !== undefined && p.rttBelow(5000))
      .build();
    const p = n0!.streams.produce(Data1);
    await p.when.online();
    expect(n1!.discovery.rtt.get(n0!.node.peerId)).toBeDefined();
    await p.send('x');
    expect(await consumer.recv()).toBe('x');
  });

  it('consumer require(rttBelow(0) (the reference: 1 ns; RTTs here have ms resolution)) never creates a receiver', async () => {
    await using c = new Cluster();
    const [n0, n1] = await c.addMany(2);
    await discoverAll(c.nodes);
    const consumer = n1!.streams
      .consumer(Data1)
      .require((p) => p.rttBelow(0))
      .build();
    n0!.streams.produce(Data1);
    await eventually(() => n1!.discovery.rtt.get(n0!.node.peerId) !== undefined, 'probed');
    await staysFalse(() => consumer.producers().length > 0, 'a receiver was created');
  });

  it('producer require(rttBelow(5 s)) admits a local consumer', async () => {
    await using c = new Cluster();
    const [n0, n1] = await c.addMany(2);
    await discoverAll(c.nodes);
    const p = n0!.streams
      .producer(Data1)
      .require((peer) => peer.rtt !== undefined && peer.rttBelow(5000))
      .build();
    const consumer = n1!.streams.consume(Data1);
    await p.when.online();
    await p.send('x');
    expect(await consumer.recv()).toBe('x');
  });

  it('producer require(rttBelow(0) (the reference: 1 ns; RTTs here have ms resolution)) admits nobody', async () => {
    await using c = new Cluster();
    const [n0, n1] = await c.addMany(2);
    await discoverAll(c.nodes);
    const p = n0!.streams
      .producer(Data1)
      .require((peer) => peer.rttBelow(0))
      .build();
    n1!.streams.consume(Data1);
    await eventually(
      async () => (await metricValue(n0!, 'mosaik_streams_producer_consumers_rejected_total')) >= 1,
      'rejected',
    );
    expect(p.consumers()).toHaveLength(0);
  });
});
