import { Discovery, type DiscoveryConfig } from '@mosaik/discovery';
import { addZeroConfigSources, type ZeroConfigOptions } from '@mosaik/discovery/zero-config';
import { type NetworkId, type PeerId, SecretKey } from '@mosaik/id';
import { startPrometheusExporter } from '@mosaik/metrics';
import { Groups, type GroupsConfig } from '@mosaik/rsm';
import { Streams, type StreamsConfig } from '@mosaik/streams';
import { type EndpointAddr, LocalNode, type LocalNodeOptions } from '@mosaik/transport';

/** Options of {@link Network.create}. */
export interface NetworkOptions extends Omit<LocalNodeOptions, 'secretKey'> {
  /**
   * The node's identity: a key, or a string turned into a key by the id rule
   * (fix it only for bootstrap and infrastructure nodes). Default: random.
   */
  readonly secretKey?: SecretKey | string;
  /** Serve Prometheus metrics on `host:port` at `/metrics`. */
  readonly prometheusAddr?: string;
  /** Peers to dial and sync with at start (added to `discovery.bootstrap`). */
  readonly bootstrap?: readonly EndpointAddr[];
  /** Discovery settings; unset fields take the reference defaults. */
  readonly discovery?: Partial<DiscoveryConfig>;
  /** DHT bootstrap: on by default except with the `local` preset; `false` disables it. */
  readonly dht?: ZeroConfigOptions['dht'];
  /** mDNS on the LAN; off by default. */
  readonly mdns?: ZeroConfigOptions['mdns'];
  /** Streams settings (reconnect backoff, re-ranking and RTT sampling intervals). */
  readonly streams?: StreamsConfig;
  /** Groups settings; unset fields take the defaults. */
  readonly groups?: Partial<GroupsConfig>;
}

/**
 * A mosaik node on one network: identity, transport, discovery, streams and
 * groups. Create it with {@link Network.create}; close it with {@link close} or
 * `await using`.
 *
 * @example
 * ```ts
 * await using net = await Network.create('my-app', { preset: 'local' });
 * console.log(net.peerId.toString(), net.addr.directAddresses);
 * ```
 */
export class Network implements AsyncDisposable {
  private constructor(
    /** The transport core: links, ALPN handlers, address book, metrics, logger. */
    readonly local: LocalNode,
    /** Peer discovery: catalog, events, tags, tickets, sync, ping. */
    readonly discovery: Discovery,
    /** Typed pub/sub: `produce(def)` and `consume(def)`. */
    readonly streams: Streams,
    /** Raft consensus groups: `withKey(key)…join()`. */
    readonly groups: Groups,
  ) {}

  /** Binds a node on `network` (a name or a 32-byte id) and waits until it is online. */
  static async create(network: string | NetworkId, options: NetworkOptions = {}): Promise<Network> {
    const {
      secretKey,
      prometheusAddr,
      bootstrap,
      discovery: discoveryConfig,
      dht,
      mdns,
      streams: streamsConfig,
      groups: groupsConfig,
      ...rest
    } = options;
    const local = await LocalNode.bind(network, {
      ...rest,
      ...(secretKey !== undefined
        ? { secretKey: typeof secretKey === 'string' ? SecretKey.fromString(secretKey) : secretKey }
        : {}),
    });
    try {
      if (prometheusAddr !== undefined) {
        const exporter = await startPrometheusExporter(prometheusAddr, local.metrics.registry);
        local.onClose(() => exporter.close());
      }
      await local.online();
      const discovery = await Discovery.start(local, {
        ...discoveryConfig,
        bootstrap: [...(discoveryConfig?.bootstrap ?? []), ...(bootstrap ?? [])],
      });
      addZeroConfigSources(discovery, local, {
        ...(dht === undefined ? {} : { dht }),
        ...(mdns === undefined ? {} : { mdns }),
        ...(rest.preset === undefined ? {} : { preset: rest.preset }),
      });
      const streams = new Streams(local, discovery, streamsConfig ?? {});
      const groups = new Groups(local, discovery, groupsConfig ?? {});
      return new Network(local, discovery, streams, groups);
    } catch (error) {
      await local.close();
      throw error;
    }
  }

  /** The network this node belongs to. */
  get networkId(): NetworkId {
    return this.local.networkId;
  }

  /** This node's id. */
  get peerId(): PeerId {
    return this.local.peerId;
  }

  /** This node's current address; give it to others as a bootstrap peer. */
  get addr(): EndpointAddr {
    return this.local.addr();
  }

  /** Resolves when the node is online. */
  online(): Promise<void> {
    return this.local.online();
  }

  /**
   * Closes every subsystem, link and timer of the node. Groups leave first (peers get a
   * departure while discovery still runs), then streams, then discovery leaves gracefully
   * (a signed departure, up to 500 ms) so peers drop this node at once instead of after
   * `purgeAfter`.
   */
  async close(): Promise<void> {
    await this.groups.close();
    await this.streams.close();
    await this.discovery.close();
    await this.local.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
