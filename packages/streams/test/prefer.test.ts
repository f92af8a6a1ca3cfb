import type { PeerId } from '@mosaik/id';
import { PretendMap } from '@mosaik/testkit';
import { describe, expect, it } from 'vitest';
import { defineStream } from '../src/index.js';
import { Cluster, discoverAll, eventually, staysFalse, type TestNode } from './net.js';

/**
 * A pretend map in ms: the RTT of a pair is their distance plus 1 ms of access delay at each end.
 * Loopback RTTs are all about zero, so the test injects samples from this map through
 * `discovery.recordRtt`, the entry point stream links report their RTTs to.
 */
const MAP = new PretendMap({
  consumer: [0, 0],
  landmark1: [12, 0],
  landmark2: [0, 12],
  landmark3: [-10, -8],
  near: [6, 6],
  far: [120, 10],
});
type Place = (typeof MAP.places)[number];
const PLACES = MAP.places;
const trueRtt = (a: Place, b: Place) => MAP.rtt(a, b);

const peersOf = (consumer: { producers(): { peerId: PeerId }[] }) =>
  consumer
    .producers()
    .map((ch) => ch.peerId.toString())
    .sort();

describe('prefer with network coordinates and placement', () => {
  it('{best: 1} picks the producer with the smallest estimated RTT, never having measured it', async () => {
    const Prices = defineStream<string>('prefer-best-prices');
    await using c = new Cluster();
    const { keys } = MAP;
    const nodes = {} as Record<Place, TestNode>;
    // Coordinates travel with announcements: the others announce often. Not the consumer: its
    // own announce interval sets how soon it pings a gossip neighbour gone quiet (3 s at this
    // interval, easily reached on a busy machine), and such a ping would measure a producer.
    for (const place of PLACES) {
      const discovery = place === 'consumer' ? {} : { announceIntervalMs: 300 };
      nodes[place] = await c.add({ secretKey: keys[place], discovery });
    }
    await discoverAll(Object.values(nodes));
    const consumerNode = nodes.consumer.discovery;
    const near = keys.near.peerId;
    const far = keys.far.peerId;
    const others = PLACES.filter((p) => p !== 'consumer');
    const landmarks = ['landmark1', 'landmark2', 'landmark3'] as const;

    // Every node but the consumer measures every other; the consumer only the landmarks.
    await eventually(() => {
      for (const place of others) {
        for (const peer of others) {
          if (peer !== place) nodes[place].discovery.recordRtt(keys[peer].peerId, trueRtt(place, peer));
        }
      }
      for (const l of landmarks) consumerNode.recordRtt(keys[l].peerId, trueRtt('consumer', l));
      const toNear = consumerNode.estimateRtt(near);
      const toFar = consumerNode.estimateRtt(far);
      return toNear !== undefined && toFar !== undefined && toNear * 3 < toFar;
    }, 'the consumer’s estimates to the two producers did not separate');
    expect(consumerNode.rtt.get(near)).toBeUndefined();
    expect(consumerNode.rtt.get(far)).toBeUndefined();

    const fromFar = nodes.far.streams.produce(Prices);
    const fromNear = nodes.near.streams.produce(Prices);
    const consumer = nodes.consumer.streams.consumer(Prices).prefer({ best: 1 }).build();
    await fromNear.when.subscribed().wait();
    await fromNear.send('near');
    expect(await consumer.recv()).toBe('near');
    expect(peersOf(consumer)).toEqual([near.toString()]);
    await staysFalse(() => fromFar.consumers().length > 0, 'the far producer got a subscriber');
    // The far producer was ranked by its estimate alone: the consumer never pinged it.
    expect(consumerNode.rtt.get(far)).toBeUndefined();
  });

  it("'same-region' and {nearest: 1} pick the producer of the consumer's region and the closest one", async () => {
    const Feed = defineStream<string>('prefer-region-feed');
    const Quotes = defineStream<string>('prefer-nearest-quotes');
    await using c = new Cluster();
    const paris = await c.add({ discovery: { region: 'eu', location: { lat: 48.86, lon: 2.35 } } });
    const tokyo = await c.add({ discovery: { region: 'ap', location: { lat: 35.68, lon: 139.69 } } });
    const nowhere = await c.add();
    const consumerNode = await c.add({ discovery: { region: 'eu', location: { lat: 52.52, lon: 13.4 } } });
    await discoverAll([paris, tokyo, nowhere, consumerNode]);
    const producers = [paris, tokyo, nowhere].map((n) => ({
      feed: n.streams.produce(Feed),
      quotes: n.streams.produce(Quotes),
    }));
    // The consumers rank the producers they know of: wait until the consumer's catalog lists all
    // three with both streams, or the first one known would win by default.
    await eventually(
      () =>
        [paris, tokyo, nowhere].every((n) => {
          const entry = consumerNode.discovery.catalog().get(n.node.peerId);
          return entry?.hasStream(Feed.id) === true && entry.hasStream(Quotes.id);
        }),
      'the consumer did not learn every producer',
    );
    const byRegion = consumerNode.streams.consumer(Feed).prefer('same-region').build();
    const byDistance = consumerNode.streams.consumer(Quotes).prefer({ nearest: 1 }).build();
    await eventually(
      () => peersOf(byRegion).length === 1 && peersOf(byDistance).length === 1,
      'the consumers did not attach',
    );
    expect(peersOf(byRegion)).toEqual([paris.node.peerId.toString()]);
    expect(peersOf(byDistance)).toEqual([paris.node.peerId.toString()]);
    await producers[0]?.feed.when.subscribed().wait();
    await producers[0]?.feed.send('bonjour');
    expect(await byRegion.recv()).toBe('bonjour');
    await staysFalse(
      () => producers.slice(1).some((p) => p.feed.consumers().length + p.quotes.consumers().length > 0),
      'a producer outside the region, or farther away, got a subscriber',
    );
  });
});
