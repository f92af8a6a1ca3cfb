import {
  addZeroConfigSources,
  Discovery,
  type DiscoveryConfig,
  type ZeroConfigOptions,
} from '@mosaik/discovery';
import { type NetworkId, type PeerId, SecretKey } from '@mosaik/id';
import { startPrometheusExporter } from '@mosaik/metrics';
import { Groups, type GroupsConfig } from '@mosaik/rsm';
import { Streams, type StreamsConfig } from '@mosaik/streams';
import { type EndpointAddr, LocalNode, type LocalNodeOptions } from '@mosaik/transport';
import { toEndpointAddr } from './bootstrap-addr.js';
import { collectReport } from './diagnostics/collect.js';
import { type DiagnosticsServer, startDiagnostics } from './diagnostics/server.js';
import { serveStatus } from './diagnostics/status-protocol.js';

/** Options of {@link Network.create}. */
export interface NetworkOptions extends Omit<LocalNodeOptions, 'secretKey'> {
  /**
   * The node's identity: a key, or a string turned into a key by the id rule
   * (fix it only for bootstrap and infrastructure nodes). Default: random.
   */
  readonly secretKey?: SecretKey | string;
  /** Serve Prometheus metrics on `host:port` at `/metrics`. */
  readonly prometheusAddr?: string;
  /** Export prom-client's process metrics (`process_*`, `nodejs_*`) too (default `true`). */
  readonly processMetrics?: boolean;
  /**
   * Serve the live diagnostics page and its JSON API on `host:port` (host default 127.0.0.1;
   * port 0 picks one: read {@link Network.diagnostics}). Read-only.
   */
  readonly diagnosticsAddr?: string | number;
  /** Bearer token the diagnostics server requires (default none). */
  readonly diagnosticsToken?: string;
  /**
   * Peers to dial and sync with at start (added to `discovery.bootstrap`): addresses, or their
   * text form `<peer-id>@<ip:port>,…` as `mosaik beacon` prints it (see `parseBootstrapAddr`).
   */
  readonly bootstrap?: readonly (EndpointAddr | string)[];
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
  #diagnostics: DiagnosticsServer | undefined;

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
      processMetrics,
      diagnosticsAddr,
      diagnosticsToken,
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
        const exporter = await startPrometheusExporter(prometheusAddr, local.metrics.registry, {
          ...(processMetrics === undefined ? {} : { processMetrics }),
        });
        local.onClose(() => exporter.close());
      }
      await local.online();
      const discovery = await Discovery.start(local, {
        ...discoveryConfig,
        bootstrap: [...(discoveryConfig?.bootstrap ?? []), ...(bootstrap ?? []).map(toEndpointAddr)],
      });
      addZeroConfigSources(discovery, local, {
        ...(dht === undefined ? {} : { dht }),
        ...(mdns === undefined ? {} : { mdns }),
        ...(rest.preset === undefined ? {} : { preset: rest.preset }),
      });
      const streams = new Streams(local, discovery, streamsConfig ?? {});
      const groups = new Groups(local, discovery, groupsConfig ?? {});
      const net = new Network(local, discovery, streams, groups);
      serveStatus(local, () => collectReport(net));
      if (diagnosticsAddr !== undefined) {
        const server = await startDiagnostics(net, { addr: diagnosticsAddr, token: diagnosticsToken });
        net.#diagnostics = server;
        local.onClose(() => server.close());
      }
      return net;
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

  /** The diagnostics server, when `diagnosticsAddr` was given (its `url` has the bound port). */
  get diagnostics(): DiagnosticsServer | undefined {
    return this.#diagnostics;
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
