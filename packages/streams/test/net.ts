/** Test harness: real nodes on 127.0.0.1 (LocalNode preset `local` + Discovery + Streams). */
import { Discovery, type DiscoveryConfig } from '@mosaik/discovery';
import { id, type NetworkId, waitFor } from '@mosaik/id';
import { LocalNode } from '@mosaik/transport';
import { Streams, type StreamsConfig } from '../src/index.js';

export interface TestNode {
  readonly node: LocalNode;
  readonly discovery: Discovery;
  readonly streams: Streams;
  close(): Promise<void>;
}

/** Quiet discovery: no periodic heartbeats or probes unless a test asks. */
export const QUIET: Partial<DiscoveryConfig> = {
  announceIntervalMs: 600_000,
  rttProbeIntervalMs: 600_000,
  gracefulDepartureWindowMs: 100,
};

/** A fresh random network id per test, as the reference suite does. */
export function freshNetwork(): NetworkId {
  return id(`streams-test-${Math.random()}-${Date.now()}`);
}

export async function startNode(
  network: NetworkId,
  options: { tags?: string[]; discovery?: Partial<DiscoveryConfig>; streams?: StreamsConfig } = {},
): Promise<TestNode> {
  const node = await LocalNode.bind(network, { preset: 'local' });
  const discovery = await Discovery.start(node, {
    ...QUIET,
    ...(options.tags ? { tags: options.tags } : {}),
    ...options.discovery,
  });
  const streams = new Streams(node, discovery, { backoff: { initialIntervalMs: 100 }, ...options.streams });
  let closing: Promise<void> | undefined;
  return {
    node,
    discovery,
    streams,
    close: () => {
      closing ??= streams
        .close()
        .then(() => discovery.close())
        .then(() => node.close());
      return closing;
    },
  };
}

/** Nodes closed together (`await using`). */
export class Cluster implements AsyncDisposable {
  readonly nodes: TestNode[] = [];
  readonly network = freshNetwork();

  async add(options: Parameters<typeof startNode>[1] = {}): Promise<TestNode> {
    const n = await startNode(this.network, options);
    this.nodes.push(n);
    return n;
  }

  async addMany(count: number, options: Parameters<typeof startNode>[1] = {}): Promise<TestNode[]> {
    return Promise.all(Array.from({ length: count }, () => this.add(options)));
  }

  /** Streams first everywhere (no consumer re-dials a departing producer), then discovery, then nodes. */
  async [Symbol.asyncDispose](): Promise<void> {
    await Promise.allSettled(this.nodes.map((n) => n.streams.close()));
    await Promise.allSettled(this.nodes.map((n) => n.close()));
  }
}

/** Pairwise catalog sync (the reference's `discover_all`). */
export async function discoverAll(nodes: readonly TestNode[]): Promise<void> {
  const jobs: Promise<void>[] = [];
  for (let i = 0; i < nodes.length; i++)
    for (let j = i + 1; j < nodes.length; j++) jobs.push(nodes[i]!.discovery.syncWith(nodes[j]!.node.addr()));
  await Promise.all(jobs);
}

/** Waits for `probe` with a scaled deadline. */
export function eventually<T>(probe: () => T, message: string, timeout = 10_000) {
  return waitFor(probe, { timeout, interval: 20, message });
}

/** Postcard-compatible string codec (varint length ‖ UTF-8), so byte counts match the reference tests. */
export const postcardString = {
  encode(s: string): Uint8Array {
    const body = new TextEncoder().encode(s);
    const len: number[] = [];
    let n = body.length;
    do {
      let b = n & 0x7f;
      n >>>= 7;
      if (n) b |= 0x80;
      len.push(b);
    } while (n);
    const out = new Uint8Array(len.length + body.length);
    out.set(len);
    out.set(body, len.length);
    return out;
  },
  decode(bytes: Uint8Array): string {
    let n = 0;
    let shift = 0;
    let i = 0;
    for (;;) {
      const b = bytes[i++];
      if (b === undefined) throw new Error('truncated');
      n |= (b & 0x7f) << shift;
      if (!(b & 0x80)) break;
      shift += 7;
    }
    if (i + n !== bytes.length) throw new Error('bad length');
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(i));
  },
};

/** Fails if `probe` becomes true within a short scaled observation window (negative assertions). */
export async function staysFalse(probe: () => boolean, message: string, windowMs = 400): Promise<void> {
  const { scaled } = await import('@mosaik/id');
  const until = performance.now() + scaled(windowMs);
  while (performance.now() < until) {
    if (probe()) throw new Error(message);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Sum of a metric's series on a node whose labels include `labels`. */
export async function metricValue(
  n: TestNode,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const metric = n.node.metrics.registry.getSingleMetric(name);
  if (!metric) return 0;
  const { values } = await metric.get();
  return values
    .filter((v) => Object.entries(labels).every(([k, x]) => (v.labels as Record<string, unknown>)[k] === x))
    .reduce((sum, v) => sum + v.value, 0);
}

/** HS256 JWT tickets and validators for tests. */
export const JWT_SECRET = 'mosaik.test.jwt.secret.0123456789abcdef';
export const JWT_ISSUER = 'mosaik.test.jwt.issuer';
