import { describe, expect, it } from 'vitest';
import { defineStream } from '../src/index.js';
import { Cluster, discoverAll, eventually, postcardString } from './net.js';

const Data1 = defineStream<string>('Data1', { codec: postcardString });

const counts = (chs: { stats: { datums: number; bytes: number } }[]) =>
  chs.map((c) => [c.stats.datums, c.stats.bytes]);

describe('stats', () => {
  it('producer: per-subscription counts on both sides; a late joiner gets no history', async () => {
    await using c = new Cluster();
    const [n0, n1, n2] = await c.addMany(3);
    await discoverAll([n0!, n1!, n2!]);
    const p = n0!.streams.produce(Data1);
    expect(p.consumers()).toHaveLength(0);
    const c1 = n1!.streams.consume(Data1);
    await p.when.online();
    await eventually(() => c1.producers()[0]?.isConnected, 'c1 connected');
    expect(counts(p.consumers())).toEqual([[0, 0]]);
    expect(counts(c1.producers())).toEqual([[0, 0]]);
    await p.send('test');
    expect(await c1.recv()).toBe('test');
    await eventually(() => p.consumers()[0]?.stats.datums === 1, 'producer counted');
    expect(counts(p.consumers())).toEqual([[1, 5]]);
    expect(counts(c1.producers())).toEqual([[1, 5]]);
    const c2 = n2!.streams.consume(Data1);
    await p.when.subscribed({ atLeast: 2 }).wait();
    await p.send('data2');
    expect(await c1.recv()).toBe('data2');
    expect(await c2.recv()).toBe('data2');
    await eventually(
      () => p.consumers().every((ch) => ch.stats.datums >= 1) && p.stats().datums === 2,
      'counted',
    );
    const byPeer = new Map(
      p.consumers().map((ch) => [ch.peerId.toString(), [ch.stats.datums, ch.stats.bytes]]),
    );
    await eventually(() => byPeer.get(n1!.node.peerId.toString())?.[0] === 2, 'c1 channel');
    expect(byPeer.get(n1!.node.peerId.toString())).toEqual([2, 11]);
    expect(byPeer.get(n2!.node.peerId.toString())).toEqual([1, 6]);
    expect(counts(c1.producers())).toEqual([[2, 11]]);
    expect(counts(c2.producers())).toEqual([[1, 6]]);
  });

  it('consumer: per-producer channels and the aggregate', async () => {
    await using c = new Cluster();
    const [n0, n1, n2] = await c.addMany(3);
    await discoverAll([n0!, n1!, n2!]);
    const c0 = n0!.streams.consume(Data1);
    expect(c0.producers()).toHaveLength(0);
    const p1 = n1!.streams.produce(Data1);
    await p1.when.online();
    await eventually(() => c0.producers()[0]?.isConnected, 'connected to n1');
    expect(counts(c0.producers())).toEqual([[0, 0]]);
    await p1.send('hello');
    expect(await c0.recv()).toBe('hello');
    expect(counts(c0.producers())).toEqual([[1, 6]]);
    const p2 = n2!.streams.produce(Data1);
    await c0.when.subscribed({ atLeast: 2 }).wait();
    await p2.when.online();
    await p2.send('world');
    expect(await c0.recv()).toBe('world');
    await p1.send('again');
    expect(await c0.recv()).toBe('again');
    const byPeer = new Map(
      c0.producers().map((ch) => [ch.peerId.toString(), [ch.stats.datums, ch.stats.bytes]]),
    );
    expect(byPeer.get(n1!.node.peerId.toString())).toEqual([2, 12]);
    expect(byPeer.get(n2!.node.peerId.toString())).toEqual([1, 6]);
    expect(c0.stats()).toMatchObject({ datums: 3, bytes: 18 });
  });
});
