/**
 * A seeded simulation of Vivaldi on a synthetic latency map, to check that coordinates learnt
 * from random RTT samples predict the RTTs of pairs that never measured each other.
 *
 * The map: nodes clustered around a few metro areas on a spherical Earth (plus some scattered
 * ones); the true RTT of a pair is the great-circle propagation delay over fibre, inflated for
 * indirect routes, plus each end's access-link delay. Every sample adds queueing jitter on top.
 * Not exported from the package: the test and the benchmark script use it.
 */
import { seededRandom } from '../sim/prng.js';
import { type GeoLocation, greatCircleKm } from './geo.js';
import { estimateRtt, initialCoordinate, type NetworkCoordinate, updateCoordinate } from './vivaldi.js';
import { roundCoordinate } from './wire.js';

/** Parameters of one simulation run. */
export interface VivaldiSimOptions {
  readonly seed: number;
  readonly nodes: number;
  /**
   * How many peers each node ever measures (its links: gossip neighbours, stream peers), drawn
   * at random once. Every other pair is estimated from coordinates alone.
   */
  readonly linksPerNode: number;
  /** Rounds; in each, every node samples one of its links at random. */
  readonly rounds: number;
  /** Mean extra delay of one sample, as a fraction of the true RTT (exponentially distributed). */
  readonly jitter: number;
  /** Pairs of nodes that never measured each other drawn to measure the error. */
  readonly evaluationPairs: number;
}

/**
 * Relative error `|estimate − true| / true` over pairs that never measured each other, against
 * the jitter-free RTT.
 */
export interface VivaldiSimResult {
  readonly median: number;
  readonly p90: number;
  readonly evaluatedPairs: number;
}

/** Light in fibre covers about 200 km per ms; routes are rarely straight. */
const KM_PER_MS = 200;
const ROUTE_INFLATION = 1.4;

const METROS: readonly GeoLocation[] = [
  { lat: 50.1, lon: 8.7 }, // Frankfurt
  { lat: 51.5, lon: -0.1 }, // London
  { lat: 39.0, lon: -77.5 }, // Virginia
  { lat: 37.4, lon: -122.1 }, // Bay Area
  { lat: 35.7, lon: 139.7 }, // Tokyo
  { lat: 1.35, lon: 103.8 }, // Singapore
  { lat: -23.5, lon: -46.6 }, // São Paulo
  { lat: -33.9, lon: 151.2 }, // Sydney
];

/** A synthetic network: each node's location and access delay, and the true RTT of any pair. */
export class LatencyMap {
  readonly locations: GeoLocation[] = [];
  readonly accessMs: number[] = [];

  constructor(nodes: number, random: () => number) {
    for (let i = 0; i < nodes; i++) {
      // Most nodes near a metro (within a few hundred km), a tenth anywhere on land-ish latitudes.
      if (random() < 0.9) {
        const metro = METROS[Math.floor(random() * METROS.length)] as GeoLocation;
        this.locations.push({
          lat: clamp(metro.lat + gaussian(random) * 3, -89, 89),
          lon: wrap(metro.lon + gaussian(random) * 4),
        });
      } else {
        this.locations.push({ lat: random() * 120 - 60, lon: random() * 360 - 180 });
      }
      // Access links: fibre in a data centre (well under 1 ms) up to DSL or mobile (~20 ms).
      this.accessMs.push(0.2 + random() ** 2 * 20);
    }
  }

  /** The RTT a perfect, idle measurement would give, ms. */
  trueRtt(a: number, b: number): number {
    const km = greatCircleKm(this.locations[a] as GeoLocation, this.locations[b] as GeoLocation);
    const propagation = (2 * km * ROUTE_INFLATION) / KM_PER_MS;
    return propagation + (this.accessMs[a] as number) + (this.accessMs[b] as number);
  }
}

/** Runs the simulation; the same options give the same result. */
export function simulateVivaldi(options: VivaldiSimOptions): VivaldiSimResult {
  const random = seededRandom(options.seed);
  const map = new LatencyMap(options.nodes, random);
  const coords: NetworkCoordinate[] = Array.from({ length: options.nodes }, () => initialCoordinate());
  const pairKey = (a: number, b: number) => Math.min(a, b) * options.nodes + Math.max(a, b);
  const links: number[][] = [];
  const linked = new Set<number>();
  for (let node = 0; node < options.nodes; node++) {
    const mine = new Set<number>();
    while (mine.size < Math.min(options.linksPerNode, options.nodes - 1)) {
      mine.add(otherNode(node, options.nodes, random));
    }
    links.push([...mine]);
    for (const peer of mine) linked.add(pairKey(node, peer));
  }

  for (let round = 0; round < options.rounds; round++) {
    for (let node = 0; node < options.nodes; node++) {
      const mine = links[node] as number[];
      const peer = mine[Math.floor(random() * mine.length)] as number;
      const noise = -Math.log(1 - random()) * options.jitter;
      const rtt = map.trueRtt(node, peer) * (1 + noise);
      // The peer's coordinate reaches us through its signed entry, at float32 precision.
      const remote = roundCoordinate(coords[peer] as NetworkCoordinate);
      coords[node] = updateCoordinate(coords[node] as NetworkCoordinate, remote, rtt, random);
    }
  }

  const errors: number[] = [];
  while (errors.length < options.evaluationPairs) {
    const a = Math.floor(random() * options.nodes);
    const b = otherNode(a, options.nodes, random);
    if (linked.has(pairKey(a, b))) continue;
    const truth = map.trueRtt(a, b);
    const estimate = estimateRtt(
      roundCoordinate(coords[a] as NetworkCoordinate),
      roundCoordinate(coords[b] as NetworkCoordinate),
    );
    errors.push(Math.abs(estimate - truth) / truth);
  }
  errors.sort((x, y) => x - y);
  return {
    median: quantile(errors, 0.5),
    p90: quantile(errors, 0.9),
    evaluatedPairs: errors.length,
  };
}

function otherNode(node: number, count: number, random: () => number): number {
  const pick = Math.floor(random() * (count - 1));
  return pick >= node ? pick + 1 : pick;
}

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
}

/** Standard normal, Box–Muller. */
function gaussian(random: () => number): number {
  const u = 1 - random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

function clamp(x: number, lo: number, hi: number): number {
  return Math.max(lo, Math.min(hi, x));
}

function wrap(lon: number): number {
  return ((((lon + 180) % 360) + 360) % 360) - 180;
}
