import { setMaxListeners } from 'node:events';
import {
  Digest,
  InvalidArgumentError,
  id,
  linkSignals,
  type NetworkId,
  type PeerId,
  type ReadonlyWatch,
  SecretKey,
} from '@mosaik/id';
import { createLogger, createMetrics, type Logger, type Metrics } from '@mosaik/metrics';
import { AddressBook, type EndpointAddr, fromNativeAddr, peerIdFromNative, toNativeAddr } from './address.js';
import { CloseCode, type CloseInfo } from './close-code.js';
import { bindEndpoint, checkEndpointOptions, type EndpointOptions, relaysDisabled } from './endpoint.js';
import { CancelledError, ConnectFailedError, nativeMessage } from './errors.js';
import { Link, type LinkCounters, type LinkOptions } from './link.js';
import {
  type NativeBiStream,
  type NativeConnection,
  type NativeEndpointType,
  nativeString,
} from './native.js';
import { RelayMonitor, type RelayStatus } from './relay-status.js';
import { AlpnRouter } from './router.js';

/** How long an accepted connection may take to open its stream (the opener writes first). */
const ACCEPT_STREAM_TIMEOUT_MS = 10_000;
/** Default dial timeout. */
const CONNECT_TIMEOUT_MS = 10_000;
/** Default time without a home relay before the node warns that it is reachable only directly. */
const RELAY_GRACE_PERIOD_MS = 5_000;

/** Options of {@link LocalNode.bind}. */
export interface LocalNodeOptions extends Omit<EndpointOptions, 'secretKey' | 'alpns'> {
  /** The node's identity; default a fresh random key. */
  readonly secretKey?: SecretKey;
  /** Metrics facade to register into; default a new one on its own registry. */
  readonly metrics?: Metrics;
  /** Logger; default a pino logger (level from `MOSAIK_LOG`). */
  readonly logger?: Logger;
  /** Receive cap for one frame's payload on every link; default 16 MiB. */
  readonly maxFrameSize?: number;
  /**
   * With relays: how long the node may look for a home relay before its relay status turns
   * `unreachable` and it logs a warning (it keeps working on direct addresses). Default 5000 ms.
   */
  readonly relayGracePeriod?: number;
}

/** Options of {@link LocalNode.connect}. */
export interface ConnectOptions<T> extends LinkOptions<T> {
  /** Give up dialing after this many milliseconds; default 10 s. */
  readonly timeout?: number;
}

/** A link of this node ended: who, which protocol, how. */
export interface LinkClosedEvent {
  readonly peer: PeerId;
  readonly alpn: string;
  /** `true` when this node dialed the link. */
  readonly outgoing: boolean;
  readonly info: CloseInfo;
}

/** Handles one accepted link of a registered ALPN. The handler owns the link and closes it. */
export type LinkHandler<T> = (link: Link<T>) => Promise<void> | void;

/**
 * The transport core of a node: its identity, its QUIC endpoint, the ALPN router,
 * the address book and the links. Upper layers register ALPN handlers with
 * {@link handle}, dial with {@link connect}, and shut down through {@link onClose}.
 */
export class LocalNode implements AsyncDisposable {
  readonly #endpoint: NativeEndpointType;
  readonly #router: AlpnRouter;
  readonly #abort = new AbortController();
  readonly #closeHooks: (() => Promise<void> | void)[] = [];
  readonly #relay: RelayMonitor;
  readonly #counters: LinkCounters;
  readonly #connectionsOpened: { inc(n?: number): void };
  readonly #maxFrameSize: number | undefined;
  /** Whether the endpoint can resolve a bare PeerId (the n0 preset's address lookup). */
  readonly #resolvesBareIds: boolean;
  readonly #linkListeners = new Set<(event: LinkClosedEvent) => void>();
  #closing: Promise<void> | undefined;

  /** Peers' known addresses; discovery and bootstrap feed it, dialing reads it. */
  readonly addressBook = new AddressBook();

  private constructor(
    /** The network this node belongs to. */
    readonly networkId: NetworkId,
    /** The node's secret key. */
    readonly secretKey: SecretKey,
    endpoint: NativeEndpointType,
    /** The node's metrics facade (label `network` = short network id). */
    readonly metrics: Metrics,
    /** The node's logger (bindings `network`, `peer`). */
    readonly logger: Logger,
    options: LocalNodeOptions,
  ) {
    this.#endpoint = endpoint;
    // Every open link listens to the node's signal; their number is not a leak.
    setMaxListeners(0, this.#abort.signal);
    this.#maxFrameSize = options.maxFrameSize;
    this.#router = new AlpnRouter(endpoint, logger.child({ subsystem: 'transport' }));
    const sent = metrics.counter('mosaik_network_bytes_sent_total', 'Frame bytes sent on links');
    const received = metrics.counter('mosaik_network_bytes_received_total', 'Frame bytes received on links');
    this.#counters = { sent: (n) => sent.inc(n), received: (n) => received.inc(n) };
    this.#connectionsOpened = metrics.counter(
      'mosaik_network_connections_opened_total',
      'Links opened or accepted',
    );
    this.#router.start();
    this.#relay = new RelayMonitor({
      enabled: !relaysDisabled(options),
      homeRelay: () => endpoint.addr().relayUrl() ?? undefined,
      gracePeriod: options.relayGracePeriod ?? RELAY_GRACE_PERIOD_MS,
      onUnreachable: () =>
        logger.warn(
          { directAddresses: this.addr().directAddresses },
          `no relay answered within ${options.relayGracePeriod ?? RELAY_GRACE_PERIOD_MS} ms: this node is ` +
            "reachable only on its direct addresses. Without internet access, or for nodes on one host, use preset: 'local'",
        ),
    });
    this.#resolvesBareIds = (options.preset ?? 'n0') !== 'local';
  }

  /** Binds the endpoint and starts accepting connections. */
  static async bind(network: NetworkId | string, options: LocalNodeOptions = {}): Promise<LocalNode> {
    const networkId = checkNetwork(network);
    checkEndpointOptions(options);
    if (options.secretKey !== undefined && !(options.secretKey instanceof SecretKey)) {
      throw new InvalidArgumentError(
        'secretKey: expected a SecretKey (SecretKey.generate(), .fromString(s) or .fromSeed(bytes))',
      );
    }
    const grace = options.relayGracePeriod;
    if (grace !== undefined && !(typeof grace === 'number' && Number.isFinite(grace) && grace >= 0)) {
      throw new InvalidArgumentError(
        `relayGracePeriod: expected milliseconds (a number >= 0); got ${String(grace)}`,
      );
    }
    const secretKey = options.secretKey ?? SecretKey.generate();
    const metrics = options.metrics ?? createMetrics({ network: networkId.short() });
    const logger = (options.logger ?? createLogger({})).child({
      network: networkId.short(),
      peer: secretKey.peerId.short(),
    });
    const endpoint = await bindEndpoint({ ...options, secretKey });
    return new LocalNode(networkId, secretKey, endpoint, metrics, logger, options);
  }

  /** This node's id (its ed25519 public key). */
  get peerId(): PeerId {
    return this.secretKey.peerId;
  }

  /** Aborted when the node starts closing; upper layers derive their cancellation from it. */
  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  /** True once {@link close} was called. */
  get isClosed(): boolean {
    return this.#closing !== undefined;
  }

  /**
   * This node's current address (id, relay, direct addresses). Read it again to see
   * changes: iroh-js 1.1.0's `watchAddr` aborts the process when called from JS
   * (it needs a Tokio runtime context), so there is no change callback.
   */
  addr(): EndpointAddr {
    return fromNativeAddr(this.#endpoint.addr());
  }

  /**
   * Where the node stands with its relays (`disabled`, `connecting`, `connected`, `unreachable`),
   * watchable: `node.relay.until((s) => s.state === 'connected')`.
   */
  get relay(): ReadonlyWatch<RelayStatus> {
    return this.#relay.status;
  }

  /**
   * Resolves when the node can reach others through a relay: at once without relays, else when
   * a home relay is connected (which may be never without internet access: pass a `signal`).
   * Rejects with `signal.reason` on abort.
   */
  async online(signal?: AbortSignal): Promise<void> {
    const ready = (s: RelayStatus) => s.state === 'disabled' || s.state === 'connected';
    const stop = linkSignals(signal ? [signal, this.signal] : [this.signal]);
    try {
      await this.#relay.status.until(ready, { signal: stop.signal });
    } finally {
      stop.dispose();
    }
  }

  /** The ALPNs this node serves. */
  get alpns(): string[] {
    return this.#router.alpns;
  }

  /**
   * Serves `alpn`: each accepted connection becomes a {@link Link} handed to `handler`
   * in its own task. A connection that opens no stream within 10 s is dropped.
   */
  handle<T>(alpn: string, handler: LinkHandler<T>, options: LinkOptions<T> = {}): void {
    this.#router.register(alpn, async (conn) => {
      const link = await this.#acceptLink(conn, alpn, options);
      if (!link) return;
      try {
        await handler(link);
      } catch (error) {
        this.logger.debug(
          { alpn, peer: link.remoteId.short(), err: nativeMessage(error) },
          'link handler failed',
        );
        await link.close(CloseCode.UnexpectedClose);
      }
    });
  }

  async #acceptLink<T>(
    conn: NativeConnection,
    alpn: string,
    options: LinkOptions<T>,
  ): Promise<Link<T> | undefined> {
    let timer: NodeJS.Timeout | undefined;
    try {
      const bi = await Promise.race([
        conn.acceptBi(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error('no stream opened')), ACCEPT_STREAM_TIMEOUT_MS);
        }),
      ]);
      this.#connectionsOpened.inc();
      return this.#observed(this.#link(conn, bi, peerIdFromNative(conn.remoteId()), alpn, options), false);
    } catch (error) {
      conn.close(BigInt(CloseCode.Cancelled), nativeString('no stream opened'));
      this.logger.debug({ alpn, err: nativeMessage(error) }, 'accepted connection opened no stream');
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Dials `peer` on `alpn` and opens the link's stream. The address is merged with
   * the address book.
   *
   * @throws {@link ConnectFailedError} when the peer has no known address, the dial or the stream
   *   open failed, or `timeout` (default 10 s) passed.
   * @throws {@link CancelledError} when `signal` aborted or the node is closing.
   */
  async connect<T>(
    peer: PeerId | EndpointAddr,
    alpn: string,
    options: ConnectOptions<T> = {},
  ): Promise<Link<T>> {
    if (this.#closing) throw new CancelledError('node is closed');
    const addr = this.addressBook.resolve(peer);
    if (!this.#resolvesBareIds && addr.directAddresses.length === 0 && !addr.relayUrl) {
      // Without an address lookup service, iroh cannot find a bare id, and a failed attempt
      // also tears down its per-peer state; refuse up front instead.
      throw new ConnectFailedError(
        `no known address for ${addr.id.short()} (preset 'local' has no address lookup)`,
      );
    }
    const signals = [this.signal, AbortSignal.timeout(options.timeout ?? CONNECT_TIMEOUT_MS)];
    if (options.signal) signals.push(options.signal);
    const linked = linkSignals(signals);
    const signal = linked.signal;
    const dial = (async () => {
      const conn = await this.#endpoint.connect(toNativeAddr(addr), nativeString(alpn));
      try {
        return { conn, bi: await conn.openBi() };
      } catch (error) {
        conn.close(BigInt(CloseCode.Cancelled), nativeString('stream open failed'));
        throw error;
      }
    })();
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(signal.reason);
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      const { conn, bi } = await Promise.race([dial, aborted]);
      this.#connectionsOpened.inc();
      return this.#observed(this.#link(conn, bi, addr.id, alpn, options), true);
    } catch (error) {
      // A dial that completes after we gave up must not leak its connection.
      dial.then(
        ({ conn }) => conn.close(BigInt(CloseCode.Cancelled), nativeString('Cancelled')),
        () => {},
      );
      if (signal.aborted && error === signal.reason) {
        if (options.signal?.aborted || this.signal.aborted)
          throw new CancelledError(`dial to ${addr.id.short()} cancelled`);
        throw new ConnectFailedError(`dial to ${addr.id.short()} on ${alpn} timed out`);
      }
      throw new ConnectFailedError(`dial to ${addr.id.short()} on ${alpn} failed: ${nativeMessage(error)}`, {
        cause: error,
      });
    } finally {
      if (onAbort) signal.removeEventListener('abort', onAbort);
      linked.dispose();
    }
  }

  /**
   * Calls `listener` whenever a link of this node ends (for diagnostics: which peer, protocol and
   * close reason). Returns the unsubscribe function.
   */
  onLinkClosed(listener: (event: LinkClosedEvent) => void): () => void {
    this.#linkListeners.add(listener);
    return () => this.#linkListeners.delete(listener);
  }

  #observed<T>(link: Link<T>, outgoing: boolean): Link<T> {
    void link.closed().then((info) => {
      for (const listener of this.#linkListeners) {
        try {
          listener({ peer: link.remoteId, alpn: link.alpn, outgoing, info });
        } catch (error) {
          this.logger.debug({ err: nativeMessage(error) }, 'link listener failed');
        }
      }
    });
    return link;
  }

  /** A link of `options` that also closes with the node; the signal lives as long as the link. */
  #link<T>(
    conn: NativeConnection,
    bi: NativeBiStream,
    peer: PeerId,
    alpn: string,
    options: LinkOptions<T>,
  ): Link<T> {
    const closes = options.signal ? linkSignals([this.signal, options.signal]) : undefined;
    const link = new Link<T>(
      conn,
      bi,
      peer,
      alpn,
      { maxFrameSize: this.#maxFrameSize, ...options, signal: closes?.signal ?? this.signal },
      this.#counters,
    );
    if (closes) void link.closed().then(closes.dispose);
    return link;
  }

  /** Registers a shutdown hook; hooks run in reverse order of registration when the node closes. */
  onClose(hook: () => Promise<void> | void): void {
    this.#closeHooks.push(hook);
  }

  /**
   * Closes the node: aborts {@link signal} (links close with `Cancelled`), runs the
   * shutdown hooks (newest first), closes the endpoint and waits for every
   * connection task. Afterwards nothing of the node keeps the process alive.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#abort.abort(new CancelledError('node closed'));
      this.#relay.stop();
      for (const hook of this.#closeHooks.splice(0).reverse()) {
        try {
          await hook();
        } catch (error) {
          this.logger.warn({ err: nativeMessage(error) }, 'shutdown hook failed');
        }
      }
      this.#router.stop();
      await this.#endpoint.close();
      await this.#router.stopped();
    })();
    return this.#closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/** The network id from a name or an id, refusing what cannot be one. */
function checkNetwork(network: unknown): NetworkId {
  if (typeof network === 'string') {
    if (network.length === 0)
      throw new InvalidArgumentError('network: expected a non-empty name or a NetworkId');
    return id(network);
  }
  if (network instanceof Digest) return network;
  throw new InvalidArgumentError(
    `network: expected a name (a non-empty string) or a NetworkId (id('my-app')); got ${network === null ? 'null' : typeof network}`,
  );
}
