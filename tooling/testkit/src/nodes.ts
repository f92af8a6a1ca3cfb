/**
 * Real nodes on 127.0.0.1 (transport preset `local`, real QUIC), with the services a test asks
 * for, and the close chain that releases them in the right order even after a failure.
 */
import { Discovery, type DiscoveryConfig } from '@mosaik/discovery';
import { id, type NetworkId, type PeerId, SecretKey, waitFor } from '@mosaik/id';
import { Groups, type GroupsConfig } from '@mosaik/rsm';
import { Streams, type StreamsConfig } from '@mosaik/streams';
import { type EndpointAddr, LocalNode } from '@mosaik/transport';
import { testLogger } from './log.js';
import { DEADLINE } from './time.js';

/** Quiet discovery: no periodic announcements or RTT probes unless a test asks for them. */
export const QUIET_DISCOVERY: Partial<DiscoveryConfig> = {
  announceIntervalMs: 600_000,
  rttProbeIntervalMs: 600_000,
};

/** A fresh network id per test, so that tests never meet each other's nodes. */
export function freshNetwork(prefix = 'test'): string {
  return `${prefix}-${Math.random().toString(36).slice(2)}-${Date.now()}`;
}

/** What one test node runs. Discovery always runs; streams and groups when asked for. */
export interface NodeOptions {
  /** The node's network, when not the cluster's (tests of network isolation mix them). */
  readonly network?: NetworkId | string;
  readonly secretKey?: SecretKey;
  /** Discovery settings over {@link QUIET_DISCOVERY}. */
  readonly discovery?: Partial<DiscoveryConfig>;
  /**
   * In a cluster that meshes new nodes, this one starts knowing nobody: isolated nodes found
   * clusters of their own until `discoverAll()` (how a partition at start-up looks).
   */
  readonly isolated?: boolean;
  /** Tags of the node's discovery entry. */
  readonly tags?: readonly string[];
  /** Start `Streams` (with these settings, or the defaults for `true`). */
  readonly streams?: StreamsConfig | boolean;
  /**
   * Start `Groups` with these settings over `{ handshakeTimeout: 1000 }` (`true`: no more), or
   * with the settings a function returns for the node (e.g. a fault injector's link wrapper).
   */
  readonly groups?: Partial<GroupsConfig> | boolean | ((peer: PeerId) => Partial<GroupsConfig>);
}

/** One test node. */
export interface TestNode {
  readonly node: LocalNode;
  readonly discovery: Discovery;
  /** The node's streams; throws if the node was started without `streams`. */
  readonly streams: Streams;
  /** The node's groups; throws if the node was started without `groups`. */
  readonly groups: Groups;
  readonly peerId: PeerId;
  addr(): EndpointAddr;
  /** Closes streams and groups, then discovery (a graceful departure), then the node. Idempotent. */
  close(): Promise<void>;
  /** Closes only the services above discovery (streams, groups). Idempotent. */
  closeServices(): Promise<void>;
}

/** Starts one node on `network` with the services `options` name. */
export async function startNode(network: NetworkId | string, options: NodeOptions = {}): Promise<TestNode> {
  const node = await LocalNode.bind(network, {
    preset: 'local',
    logger: testLogger(),
    ...(options.secretKey === undefined ? {} : { secretKey: options.secretKey }),
  });
  let discovery: Discovery;
  try {
    discovery = await Discovery.start(node, {
      ...QUIET_DISCOVERY,
      ...(options.tags === undefined ? {} : { tags: [...options.tags] }),
      ...options.discovery,
    });
  } catch (error) {
    await node.close();
    throw error;
  }
  const streams = options.streams ? new Streams(node, discovery, streamsConfig(options.streams)) : undefined;
  const groups = options.groups
    ? new Groups(node, discovery, groupsConfig(options.groups, node.peerId))
    : undefined;
  let servicesClosing: Promise<void> | undefined;
  let closing: Promise<void> | undefined;
  const closeServices = () => {
    servicesClosing ??= Promise.allSettled([streams?.close(), groups?.close()]).then(() => undefined);
    return servicesClosing;
  };
  return {
    node,
    discovery,
    get streams(): Streams {
      if (streams === undefined) throw new Error('this test node was started without `streams`');
      return streams;
    },
    get groups(): Groups {
      if (groups === undefined) throw new Error('this test node was started without `groups`');
      return groups;
    },
    peerId: node.peerId,
    addr: () => node.addr(),
    closeServices,
    close: () => {
      closing ??= closeServices()
        .then(() => discovery.close())
        .then(() => node.close());
      return closing;
    },
  };
}

function groupsConfig(
  option: Exclude<NodeOptions['groups'], false | undefined>,
  peer: PeerId,
): Partial<GroupsConfig> {
  const own = option === true ? {} : typeof option === 'function' ? option(peer) : option;
  return { handshakeTimeout: 1000, ...own };
}

function streamsConfig(option: StreamsConfig | true): StreamsConfig {
  // Tests reconnect quickly: a consumer's first retry after a refused or lost link comes soon.
  return { backoff: { initialIntervalMs: 100 }, ...(option === true ? {} : option) };
}

/** Options of a {@link Cluster}. */
export interface ClusterOptions {
  /** The network id; a fresh one by default. */
  readonly network?: NetworkId | string;
  /** Prefix of the fresh network id (names the package in logs). */
  readonly prefix?: string;
  /** Options of every node, under what `add` passes. */
  readonly node?: NodeOptions;
  /** Every new node syncs catalogs with every live node already there (default `false`). */
  readonly meshOnAdd?: boolean;
}

/** Nodes of one test network, closed together (`await using`, or `close()` in `afterAll`). */
export class Cluster implements AsyncDisposable {
  readonly nodes: TestNode[] = [];
  readonly network: NetworkId;
  readonly #defaults: NodeOptions;
  readonly #meshOnAdd: boolean;

  constructor(options: ClusterOptions = {}) {
    const network = options.network ?? freshNetwork(options.prefix);
    this.network = typeof network === 'string' ? id(network) : network;
    this.#defaults = options.node ?? {};
    this.#meshOnAdd = options.meshOnAdd ?? false;
  }

  /**
   * Starts one node (options over the cluster's defaults). A secret key alone restarts a node
   * under the identity it had.
   */
  async add(options: NodeOptions | SecretKey = {}): Promise<TestNode> {
    if (options instanceof SecretKey) return this.add({ secretKey: options });
    const defaults = this.#defaults;
    const node = await startNode(options.network ?? this.network, {
      ...defaults,
      ...options,
      discovery: { ...defaults.discovery, ...options.discovery },
    });
    if (this.#meshOnAdd && options.isolated !== true) {
      const live = this.nodes.filter((o) => !o.node.isClosed);
      await Promise.all(
        live.map((o) => Promise.all([node.discovery.syncWith(o.addr()), o.discovery.syncWith(node.addr())])),
      );
    }
    this.nodes.push(node);
    return node;
  }

  /** Starts `count` nodes (one after the other when `meshOnAdd`, else at once). */
  async addMany(count: number, options: NodeOptions = {}): Promise<TestNode[]> {
    if (!this.#meshOnAdd) return Promise.all(Array.from({ length: count }, () => this.add(options)));
    const out: TestNode[] = [];
    for (let i = 0; i < count; i++) out.push(await this.add(options));
    return out;
  }

  /** The `i`-th node started. */
  at(i: number): TestNode {
    const node = this.nodes[i];
    if (node === undefined) throw new Error(`no node ${i}`);
    return node;
  }

  /** Every ordered pair of live nodes syncs catalogs. */
  discoverAll(): Promise<void> {
    return discoverAll(this.nodes.filter((n) => !n.node.isClosed));
  }

  /**
   * Services first on every node (so that no consumer or member re-dials a peer that is leaving),
   * then discovery and the nodes.
   */
  async close(): Promise<void> {
    await Promise.allSettled(this.nodes.map((n) => n.closeServices()));
    await Promise.allSettled(this.nodes.map((n) => n.close()));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/** Every ordered pair syncs catalogs once, concurrently. */
export async function discoverAll(nodes: readonly TestNode[]): Promise<void> {
  const jobs: Promise<void>[] = [];
  for (const a of nodes) for (const b of nodes) if (a !== b) jobs.push(a.discovery.syncWith(b.addr()));
  await Promise.all(jobs);
}

/** Waits until every node's catalog holds `count` signed peers. */
export async function converged(
  nodes: readonly TestNode[],
  count: number,
  timeout = DEADLINE,
): Promise<void> {
  await waitFor(() => nodes.every((n) => n.discovery.catalog().signedPeersCount() === count), {
    timeout,
    interval: 50,
    message: () =>
      `not converged to ${count}: ${nodes.map((n) => n.discovery.catalog().signedPeersCount()).join(',')}`,
  });
}

/** Sum of a metric's series on a node whose labels include `labels` (0 when the metric is absent). */
export async function metricValue(
  on: TestNode | LocalNode,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const node = on instanceof LocalNode ? on : on.node;
  const metric = node.metrics.registry.getSingleMetric(name);
  if (metric === undefined) return 0;
  const { values } = await metric.get();
  return values
    .filter((v) => Object.entries(labels).every(([k, x]) => (v.labels as Record<string, unknown>)[k] === x))
    .reduce((sum, v) => sum + v.value, 0);
}
