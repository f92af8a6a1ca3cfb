import { type PeerId, waitFor } from '@mosaik/id';
import { PretendMap } from '@mosaik/testkit';
import { describe, expect, it } from 'vitest';
import { Cluster, discoverAll, type TestNode } from '../../test/net.js';
import { InvalidCoordinateError } from '../errors.js';
import { Discovery } from './discovery.js';

const fresh = (name: string) => `coordinates-${name}-${Math.random()}`;

/**
 * Where each node sits on a pretend map, in ms. The RTT of a pair is their distance plus 1 ms of
 * access delay at each end: loopback RTTs are all about zero, so every node maps its real
 * samples onto this map through `rttOverride`.
 */
const MAP = new PretendMap({
  observer: [0, 0],
  landmark1: [12, 0],
  landmark2: [0, 12],
  landmark3: [-10, -8],
  near: [6, 6],
  far: [120, 10],
});
type Place = (typeof MAP.places)[number];
const trueRtt = (a: Place, b: Place) => MAP.rtt(a, b);

describe('network coordinates between real nodes', () => {
  it('region and location from the config travel in the signed entry', async () => {
    await using c = new Cluster();
    const net = fresh('region');
    const a = await c.addOn(net, { region: 'eu-west', location: { lat: 50.11, lon: 8.68 } });
    const b = await c.addOn(net);
    await b.discovery.syncWith(a.node.addr());
    const seen = b.discovery.catalog().get(a.node.peerId);
    expect(seen?.region).toBe('eu-west');
    expect(seen?.location).toEqual({ lat: 50.11, lon: 8.68 });
    expect(b.discovery.me().entry.region).toBeUndefined();
  });

  it('a bad region or location fails the start with a typed error', async () => {
    await using c = new Cluster();
    const node = (await c.addOn(fresh('bad'))).node;
    await expect(Discovery.start(node, { region: 'x'.repeat(65) })).rejects.toBeInstanceOf(
      InvalidCoordinateError,
    );
    await expect(Discovery.start(node, { location: { lat: 100, lon: 0 } })).rejects.toBeInstanceOf(
      InvalidCoordinateError,
    );
  });

  it('a node estimates its RTT to peers it never measured; coordinates travel in signed entries', async () => {
    await using c = new Cluster();
    const net = fresh('estimate');
    const { keys } = MAP;
    const placeOf = (peer: PeerId) => MAP.placeOf(peer);
    // Coordinates reach peers only with announcements: announce often.
    const nodes = {} as Record<Place, TestNode>;
    for (const place of MAP.places) {
      nodes[place] = await c.addOn(net, { announceIntervalMs: 300 }, { secretKey: keys[place] });
    }
    await discoverAll(Object.values(nodes));
    const observer = nodes.observer.discovery;
    const landmarks = (['landmark1', 'landmark2', 'landmark3'] as const).map((p) => nodes[p].node.peerId);
    const near = nodes.near.node.peerId;
    const far = nodes.far.node.peerId;
    const others = MAP.places.filter((p) => p !== 'observer');

    // Injected RTT samples, as a stream link would report them: every node but the observer
    // measures every other; the observer measures the three landmarks only.
    let rounds = 0;
    const round = () => {
      rounds++;
      for (const place of others) {
        for (const peer of others) {
          if (peer !== place) nodes[place].discovery.recordRtt(keys[peer].peerId, trueRtt(place, peer));
        }
      }
      for (const l of landmarks) observer.recordRtt(l, trueRtt('observer', placeOf(l) as Place));
    };
    const within = (estimate: number | undefined, truth: number, tolerance: number) =>
      estimate !== undefined && Math.abs(estimate - truth) / truth <= tolerance;
    await waitFor(
      () => {
        round();
        return (
          within(observer.estimateRtt(near), trueRtt('observer', 'near'), 0.5) &&
          within(observer.estimateRtt(far), trueRtt('observer', 'far'), 0.25)
        );
      },
      { timeout: 30_000, interval: 100, message: 'the observer’s estimates to the targets did not settle' },
    );
    // Neither target was ever measured by the observer: both numbers are estimates from the
    // coordinates in their signed entries.
    expect(observer.rtt.get(near)).toBeUndefined();
    expect(observer.rtt.get(far)).toBeUndefined();
    expect(observer.catalog().get(far)?.coordinate?.error).toBeLessThan(1.5);
    expect(observer.rttOrEstimate(far)).toBe(observer.estimateRtt(far));
    expect(observer.rttOrEstimate(landmarks[0] as PeerId)).toBe(observer.rtt.get(landmarks[0] as PeerId));
    expect(rounds).toBeGreaterThan(1);
  });

  it('rttOverride maps the RTT a ping measures', async () => {
    await using c = new Cluster();
    const net = fresh('override');
    const b = await c.addOn(net);
    const a = await c.addOn(net, {
      rttOverride: (peer, measured) => (peer.equals(b.node.peerId) ? 42 : measured),
    });
    await a.discovery.ping(b.node.addr());
    expect(a.discovery.rtt.get(b.node.peerId)).toBe(42);
  });

  it('networkCoordinates: false neither learns nor publishes a coordinate', async () => {
    await using c = new Cluster();
    const net = fresh('off');
    const a = await c.addOn(net, { networkCoordinates: false, announceIntervalMs: 200 });
    const b = await c.addOn(net, { announceIntervalMs: 200 });
    await discoverAll([a, b]);
    for (let i = 0; i < 3; i++) await a.discovery.ping(b.node.peerId);
    a.discovery.recordRtt(b.node.peerId, 30);
    expect(a.discovery.rtt.get(b.node.peerId)).toBeDefined();
    expect(a.discovery.coordinate()).toBeUndefined();
    expect(a.discovery.estimateRtt(b.node.peerId)).toBeUndefined();
    expect(a.discovery.me().entry.coordinate).toBeUndefined();
  });
});
