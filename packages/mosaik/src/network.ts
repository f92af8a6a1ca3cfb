import { Discovery, type DiscoveryConfig } from '@mosaik/discovery';
import { addZeroConfigSources, type ZeroConfigOptions } from '@mosaik/discovery/zero-config';
import {
  abortable,
  type InvalidArgumentError,
  type NetworkId,
  type PeerId,
  type ReadonlyWatch,
  SecretKey,
  TimeoutError,
} from '@mosaik/id';
import { startPrometheusExporter } from '@mosaik/metrics';
import { Groups, type GroupsConfig } from '@mosaik/rsm';
import { Streams, type StreamsConfig } from '@mosaik/streams';
import { type EndpointAddr, LocalNode, type LocalNodeOptions, type RelayStatus } from '@mosaik/transport';
import { toEndpointAddr } from './bootstrap-addr.js';
import { collectReport } from './diagnostics/collect.js';
import { type DiagnosticsServer, startDiagnostics } from './diagnostics/server.js';
import { serveStatus } from './diagnostics/status-protocol.js';
import { RelayUnreachableError } from './errors.js';
import { checkNetworkOptions } from './options.js';

/** How long `Network.create` may take by default (binding, and the relay when asked to wait for one). */
const DEFAULT_CREATE_TIMEOUT_MS = 10_000;

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
  /** Cancels `create`: it rejects with `signal.reason` and releases whatever it had bound. */
  readonly signal?: AbortSignal;
  /** Upper bound on `create` in ms, then a `TimeoutError` (or `RelayUnreachableError`). Default 10 000. */
  readonly timeout?: number;
  /**
   * Resolve only once a home relay is connected, failing with `RelayUnreachableError` at `timeout`.
   * Default `false`: resolve once bound and report the relay in {@link Network.relay}.
   */
  readonly waitForRelay?: boolean;
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

  /**
   * Binds a node on `network` (a name or a 32-byte id) and starts discovery, streams and groups.
   *
   * With relays (the default `n0` preset) it resolves once bound: peers on the same host or LAN
   * reach it on its direct addresses at once, and {@link relay} tells when a home relay is
   * connected (a warning is logged when none answers). Pass `waitForRelay: true` to resolve only
   * once a relay is connected. Never waits without bound: `timeout` (default 10 s) and `signal`.
   *
   * @throws {@link InvalidArgumentError} for an unknown or malformed option, network id, key or
   *   bootstrap address (checked before anything is bound).
   * @throws {@link RelayUnreachableError} when `waitForRelay` is set and no relay answered in time.
   * @throws {@link TimeoutError} when `timeout` passed first; the message names the step.
   * @throws `signal.reason` when `signal` aborted.
   */
  static async create(network: string | NetworkId, options: NetworkOptions = {}): Promise<Network> {
    checkNetworkOptions(options);
    const { signal, timeout = DEFAULT_CREATE_TIMEOUT_MS, waitForRelay = false } = options;
    signal?.throwIfAborted();
    const deadline = AbortSignal.timeout(timeout);
    const stop = signal ? AbortSignal.any([signal, deadline]) : deadline;
    let step = 'binding the endpoint';
    /** Why `create` stopped: the caller's reason, or which deadline passed while doing what. */
    const stopped = (): unknown => {
      if (signal?.aborted) return signal.reason;
      if (step === 'waiting for a relay') return relayUnreachable(options, timeout);
      return new TimeoutError(`Network.create did not finish within ${timeout} ms (${step})`);
    };
    const binding = Network.#bind(network, options);
    let local: LocalNode;
    try {
      local = await abortable(binding, stop);
    } catch (error) {
      if (!stop.aborted) throw error;
      binding.then((late) => late.close()).catch(() => {});
      throw stopped();
    }
    if (waitForRelay) {
      step = 'waiting for a relay';
      try {
        await local.online(stop);
      } catch (error) {
        await local.close();
        throw stop.aborted ? stopped() : error;
      }
    }
    // The rest is local work with no network waits, so it runs to completion.
    let net: Network;
    try {
      net = await Network.#start(local, options);
    } catch (error) {
      await local.close();
      throw error;
    }
    if (signal?.aborted) {
      await net.close();
      throw signal.reason;
    }
    return net;
  }

  static #bind(network: string | NetworkId, options: NetworkOptions): Promise<LocalNode> {
    const {
      secretKey,
      prometheusAddr,
      bootstrap,
      discovery: discoveryConfig,
      dht,
      mdns,
      streams: streamsConfig,
      groups: groupsConfig,
      signal,
      timeout,
      waitForRelay,
      processMetrics,
      diagnosticsAddr,
      diagnosticsToken,
      ...rest
    } = options;
    return LocalNode.bind(network, {
      ...rest,
      ...(secretKey !== undefined
        ? { secretKey: typeof secretKey === 'string' ? SecretKey.fromString(secretKey) : secretKey }
        : {}),
    });
  }

  /** Everything above the transport; the caller closes `local` if this fails. */
  static async #start(local: LocalNode, options: NetworkOptions): Promise<Network> {
    const {
      prometheusAddr,
      bootstrap,
      discovery: discoveryConfig,
      dht,
      mdns,
      streams: streamsConfig,
      groups: groupsConfig,
      preset,
      processMetrics,
      diagnosticsAddr,
      diagnosticsToken,
    } = options;
    if (prometheusAddr !== undefined) {
      const exporter = await startPrometheusExporter(prometheusAddr, local.metrics.registry, {
        ...(processMetrics === undefined ? {} : { processMetrics }),
      });
      local.onClose(() => exporter.close());
    }
    const discovery = await Discovery.start(local, {
      ...discoveryConfig,
      bootstrap: [...(discoveryConfig?.bootstrap ?? []), ...(bootstrap ?? []).map(toEndpointAddr)],
    });
    addZeroConfigSources(discovery, local, {
      ...(dht === undefined ? {} : { dht }),
      ...(mdns === undefined ? {} : { mdns }),
      ...(preset === undefined ? {} : { preset }),
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

  /**
   * The node's relay status, watchable: `disabled` (preset `local`), `connecting`, `connected`
   * (with `homeRelay`) or `unreachable` (no relay answered; the node works on direct addresses).
   *
   * ```ts
   * await net.relay.until((s) => s.state === 'connected', { signal: AbortSignal.timeout(10_000) });
   * ```
   */
  get relay(): ReadonlyWatch<RelayStatus> {
    return this.local.relay;
  }

  /** The diagnostics server, when `diagnosticsAddr` was given (its `url` has the bound port). */
  get diagnostics(): DiagnosticsServer | undefined {
    return this.#diagnostics;
  }

  /**
   * Resolves when the node can reach others through a relay: at once without relays, else once a
   * home relay is connected (maybe never without internet access: pass a `signal`).
   */
  online(signal?: AbortSignal): Promise<void> {
    return this.local.online(signal);
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

function relayUnreachable(options: NetworkOptions, timeout: number): RelayUnreachableError {
  const mode = options.relayMode;
  const relays =
    mode === undefined || mode === 'default'
      ? "n0's public relays"
      : typeof mode === 'object'
        ? mode.urls.join(', ')
        : mode;
  return new RelayUnreachableError(
    `no relay answered within ${timeout} ms (relays: ${relays}), and waitForRelay was set. ` +
      'This machine may have no internet access, or a firewall blocks the relays. ' +
      "For nodes on one host use preset: 'local'; to run on direct addresses only, leave waitForRelay off.",
  );
}
