import { describe, expect, it } from 'vitest';
import { defineStream, ProducerError } from '../src/index.js';
import { Cluster, discoverAll, eventually, staysFalse } from './net.js';

const Data1 = defineStream<string>('Data1');

describe('awaitable conditions', () => {
  it('await when.subscribed({ atLeast: 1 }) waits as written until a consumer is connected', async () => {
    await using c = new Cluster();
    const [n0, n1] = await c.addMany(2);
    await discoverAll(c.nodes);
    const producer = n0!.streams.produce(Data1);
    let subscribed = false;
    const waiting = (async () => {
      await producer.when.subscribed({ atLeast: 1 });
      subscribed = true;
    })();
    await staysFalse(() => subscribed, 'the condition resolved with no consumer');
    const consumer = n1!.streams.consume(Data1);
    await waiting;
    expect(producer.consumers().filter((ch) => ch.isConnected)).toHaveLength(1);
    await producer.send('after subscribe');
    expect(await consumer.recv(AbortSignal.timeout(10_000))).toBe('after subscribe');
  });

  it('the explicit form takes a signal and rejects with its reason', async () => {
    await using c = new Cluster();
    const n0 = await c.add();
    const producer = n0.streams.produce(Data1);
    const controller = new AbortController();
    const waiting = producer.when.subscribed({ atLeast: 2 }).wait(controller.signal);
    controller.abort(new Error('no consumers came'));
    await expect(waiting).rejects.toThrow('no consumers came');
  });
});

describe('consumer recv', () => {
  it('rejects with the reason on abort, distinct from the end of the stream, and keeps later datums', async () => {
    await using c = new Cluster();
    const [n0, n1] = await c.addMany(2);
    await discoverAll(c.nodes);
    const producer = n0!.streams.produce(Data1);
    const consumer = n1!.streams.consume(Data1);
    const controller = new AbortController();
    const pending = consumer.recv(controller.signal);
    controller.abort(new Error('stop waiting'));
    await expect(pending).rejects.toThrow('stop waiting');
    await expect(consumer.recv(AbortSignal.abort(new Error('already')))).rejects.toThrow('already');

    await producer.when.subscribed();
    await producer.send('kept');
    expect(await consumer.recv(AbortSignal.timeout(10_000))).toBe('kept');
    await consumer.close();
    await expect(consumer.recv(AbortSignal.timeout(10_000))).resolves.toBeUndefined();
  });
});

describe('consumer when', () => {
  it('smoke: edge-triggered, re-arming conditions over producers', async () => {
    await using c = new Cluster();
    const [n0, n1, n2, n3] = await c.addMany(4);
    await discoverAll(c.nodes);
    const consumer = n1!.streams.consume(Data1);
    const cond1 = consumer.when.subscribed();
    const cond2 = consumer.when.subscribed().minimumOf(2);
    const cond3 = consumer.when.subscribed().minimumOf(2).unmet();
    const cond4 = consumer.when.unsubscribed();
    expect(cond1.poll()).toBe(false);
    expect(cond2.poll()).toBe(false);
    expect(cond3.poll()).toBe(true);
    expect(cond4.poll()).toBe(true);
    n0!.streams.produce(Data1);
    await cond1.wait();
    expect(cond2.clone().poll()).toBe(false);
    n2!.streams.produce(Data1);
    await cond2.wait();
    expect(cond3.isConditionMet()).toBe(false);
    expect(cond4.isConditionMet()).toBe(false);
    expect(cond1.clone().poll()).toBe(true);
    expect(cond2.clone().poll()).toBe(true);
    await n2!.close();
    await cond3.wait();
    expect(cond2.clone().poll()).toBe(false);
    expect(cond3.clone().poll()).toBe(true);
    n3!.streams.produce(Data1);
    await cond2.wait();
    expect(cond2.clone().poll()).toBe(true);
    expect(cond3.clone().poll()).toBe(false);
  });

  it('online_when: two producers tagged t1 and t2', async () => {
    await using c = new Cluster();
    const n0 = await c.add();
    const [n1, n2] = await c.addMany(2, { tags: ['t1', 't2'] });
    await discoverAll(c.nodes);
    const consumer = n0.streams
      .consumer(Data1)
      .onlineWhen((s) => s.minimumOf(2).withTags('t1', 't2'))
      .build();
    expect(consumer.isOnline).toBe(false);
    n1!.streams.produce(Data1);
    await consumer.when.subscribed().wait();
    expect(consumer.isOnline).toBe(false);
    n2!.streams.produce(Data1);
    await consumer.when.online();
    await n2!.close();
    await consumer.when.offline();
  });

  it('online_when_catalog_removal: losing a required tag takes the consumer offline', async () => {
    await using c = new Cluster();
    const n0 = await c.add();
    const [n1, n2] = await c.addMany(2, { tags: ['trusted'] });
    await discoverAll(c.nodes);
    const consumer = n0.streams
      .consumer(Data1)
      .require((p) => p.entry.hasTag(trusted))
      .onlineWhen((s) => s.minimumOf(2))
      .build();
    n1!.streams.produce(Data1);
    n2!.streams.produce(Data1);
    await consumer.when.online();
    n0.discovery.feed(n1!.discovery.removeTags('trusted'));
    await consumer.when.offline();
    expect(consumer.producers()).toHaveLength(1);
  });

  it('online_when_default_is_immediate', async () => {
    await using c = new Cluster();
    const n0 = await c.add();
    const consumer = n0.streams.consume(Data1);
    expect(consumer.isOnline).toBe(true);
    await consumer.when.online();
  });
});

const trusted = (await import('@mosaik/id')).id('trusted');

describe('producer when', () => {
  it('smoke: conditions count consumers', async () => {
    await using c = new Cluster();
    const [n0, n1, n2, n3] = await c.addMany(4);
    await discoverAll(c.nodes);
    const p = n0!.streams.produce(Data1);
    const cond1 = p.when.subscribed();
    const cond2 = p.when.subscribed({ atLeast: 2 });
    const cond3 = cond2.unmet();
    expect(cond1.poll()).toBe(false);
    expect(cond2.poll()).toBe(false);
    expect(cond3.poll()).toBe(true);
    expect(p.when.unsubscribed().poll()).toBe(true);
    n1!.streams.consume(Data1);
    await cond1.wait();
    n2!.streams.consume(Data1);
    await cond2.wait();
    expect(cond1.clone().poll()).toBe(true);
    await n2!.close();
    await cond3.wait();
    n3!.streams.consume(Data1);
    await cond2.wait();
    expect(cond3.clone().poll()).toBe(false);
  });

  it('send_fails_if_offline', async () => {
    await using c = new Cluster();
    const [n0, n1] = await c.addMany(2);
    await discoverAll(c.nodes);
    const p = n0!.streams.produce(Data1);
    expect(p.isOnline).toBe(false);
    const pending = p.send('early', { signal: AbortSignal.timeout(200) });
    await expect(pending).rejects.toThrow();
    let error: unknown;
    try {
      p.trySend('datum');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ProducerError);
    expect((error as ProducerError<string>).kind).toBe('offline');
    expect((error as ProducerError<string>).datum).toBe('datum');
    const consumer = n1!.streams.consume(Data1);
    await p.when.online();
    await eventually(() => consumer.producers().some((ch) => ch.isConnected), 'consumer sees producer');
    expect(p.consumers()).toHaveLength(1);
    expect(consumer.producers()).toHaveLength(1);
    await p.send('now');
    expect(await consumer.recv()).toBe('now');
    await consumer.close();
    await p.when.offline();
    expect(p.consumers()).toHaveLength(0);
    expect(() => p.trySend('x')).toThrow(ProducerError);
    await staysFalse(() => p.isOnline, 'producer online again', 100);
  });
});
