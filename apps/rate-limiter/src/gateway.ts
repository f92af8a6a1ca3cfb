/**
 * One rate-limiter gateway: a mosaik node (for the distributed modes), a limiter and the HTTP
 * server, with the app's metrics.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createLogger,
  createMetrics,
  type Logger,
  type Metrics,
  type PrometheusExporter,
  startPrometheusExporter,
} from '@mosaik/metrics';
import { type EndpointAddr, InvalidArgumentError, Network, storage } from 'mosaik';
import { formatAddr } from './addr.js';
import { checkBucketConfig } from './bucket.js';
import { GossipLimiter } from './gossip.js';
import { createGatewayServer, type Outcome } from './http.js';
import { LeaseLimiter } from './lease.js';
import { type Limiter, MODES, type Mode, within } from './limiter.js';
import { LocalLimiter } from './local.js';
import { BudgetMachine } from './machine.js';
import { type BudgetGroup, StrictLimiter } from './strict.js';

/** The default network name. */
export const DEFAULT_NETWORK = 'mosaik.example.rate-limiter';

/** The group secret used when none is given: fine on loopback, never across machines. */
export const INSECURE_DEFAULT_KEY = 'mosaik.example.rate-limiter.insecure-default-key';

/**
 * Consensus timing of the budget group: a gateway answers HTTP, so a lost leader should be
 * replaced within about a second rather than the library's conservative defaults.
 */
export const GATEWAY_CONSENSUS = {
  tickInterval: 50,
  heartbeatInterval: 150,
  maxMissedHeartbeats: 8,
  electionTimeout: 1000,
  bootstrapDelay: 1500,
  forwardTimeout: 1000,
  queryTimeout: 1000,
  deadMemberTimeout: 10_000,
} as const;

/** Options of {@link Gateway.start}. */
export interface GatewayOptions {
  readonly mode: Mode;
  /** Tokens per minute per user. */
  readonly rpm: number;
  /** Bucket capacity per user (default `rpm`). */
  readonly burst?: number;
  /** HTTP port; 0 picks a free one. Default 3000. */
  readonly port?: number;
  /** HTTP host. Default 127.0.0.1. */
  readonly host?: string;
  /** mosaik network name. */
  readonly network?: string;
  /** The budget group's secret (strict and lease modes). */
  readonly key?: string;
  /** Other gateways to join through. */
  readonly bootstrap?: readonly EndpointAddr[];
  /** Serve Prometheus metrics on `host:port` at `/metrics`. */
  readonly metrics?: string;
  /** Grant requests while the limiter cannot decide. */
  readonly failOpen?: boolean;
  /** Transport preset: `local` (loopback only, no relays; default) or `n0`. */
  readonly preset?: 'local' | 'n0';
  /** Logger for the gateway and its node; default pino on stderr. */
  readonly logger?: Logger;
  /** Lease lifetime (lease mode). Default 2000. */
  readonly leaseTtlMs?: number;
  /** Tokens per lease (lease mode). Default ⌈burst / 10⌉. */
  readonly leaseChunk?: number;
  /** A commit slower than this answers 503 (or is granted with `failOpen`). Default 2000. */
  readonly commitTimeoutMs?: number;
  /** Gossip batch period. Default 100. */
  readonly flushMs?: number;
}

/** A running gateway. Close it with {@link close} or `await using`. */
export class Gateway implements AsyncDisposable {
  private constructor(
    readonly mode: Mode,
    readonly limiter: Limiter,
    readonly server: Server,
    /** The mosaik node; `undefined` in `local` mode. */
    readonly net: Network | undefined,
    /** The budget group (strict and lease modes). */
    readonly group: BudgetGroup | undefined,
    readonly metrics: Metrics,
    readonly logger: Logger,
    readonly burst: number,
    readonly rpm: number,
    readonly exporter: PrometheusExporter | undefined,
  ) {}

  /** Starts the node, the limiter and the HTTP server. */
  static async start(options: GatewayOptions): Promise<Gateway> {
    const rpm = options.rpm;
    const burst = options.burst ?? rpm;
    checkBucketConfig({ rpm, burst });
    if (!MODES.includes(options.mode)) throw new InvalidArgumentError(`unknown mode ${String(options.mode)}`);
    const logger = options.logger ?? createLogger({ name: 'rate-limiter', destination: process.stderr });
    const closers: (() => Promise<void>)[] = [];
    try {
      let net: Network | undefined;
      let group: BudgetGroup | undefined;
      let limiter: Limiter;
      let metrics: Metrics;
      let exporter: PrometheusExporter | undefined;
      if (options.mode === 'local') {
        metrics = createMetrics();
        limiter = new LocalLimiter({ rpm, burst });
      } else {
        const node = await Network.create(options.network ?? DEFAULT_NETWORK, {
          preset: options.preset ?? 'local',
          logger,
          ...(options.bootstrap !== undefined ? { bootstrap: options.bootstrap } : {}),
        });
        net = node;
        closers.push(() => node.close());
        metrics = node.local.metrics;
        const hist = metrics.histogram(
          'rate_limiter_commit_latency_seconds',
          'Time from submitting a budget command to its local apply',
          {
            labelNames: ['mode'],
            buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2],
          },
        );
        if (options.mode === 'gossip') {
          limiter = new GossipLimiter(node, { rpm, burst }, { flushMs: options.flushMs ?? 100 });
        } else {
          const leaseTtlMs = options.leaseTtlMs ?? 2000;
          const origin = node.peerId.short();
          const machine = new BudgetMachine({ rpm, burst, leaseTtlMs }, origin);
          const joined: BudgetGroup = node.groups
            .withKey(options.key ?? INSECURE_DEFAULT_KEY)
            .withStateMachine(machine)
            .withStorage(storage.memory())
            .withConsensus(GATEWAY_CONSENSUS)
            .join();
          group = joined;
          closers.push(() => joined.close());
          const common = {
            commitTimeoutMs: options.commitTimeoutMs ?? 2000,
            onCommit: (s: number) => hist.observe({ mode: options.mode }, s),
          };
          limiter =
            options.mode === 'strict'
              ? new StrictLimiter(joined, machine, origin, common)
              : new LeaseLimiter(joined, machine, origin, {
                  ...common,
                  ttlMs: leaseTtlMs,
                  chunk: options.leaseChunk ?? Math.ceil(burst / 10),
                });
        }
      }
      const lim = limiter;
      closers.push(() => lim.close());
      if (options.metrics !== undefined) {
        const started = await startPrometheusExporter(options.metrics, metrics.registry);
        exporter = started;
        closers.push(() => started.close());
      }
      const requests = metrics.counter('rate_limiter_requests_total', 'Requests by decision and mode', [
        'decision',
        'mode',
      ]);
      const server = createGatewayServer({
        limiter,
        burst,
        rpm,
        failOpen: options.failOpen ?? false,
        onOutcome: (decision: Outcome) => requests.inc({ decision, mode: options.mode }),
        health: () => ({
          ...(net === undefined ? {} : { peer: net.peerId.toString() }),
          ...(group === undefined
            ? {}
            : {
                leader: group.leader()?.toString() ?? null,
                isLeader: group.isLeader(),
                voters: group.members().voters.length,
              }),
          ...(limiter instanceof GossipLimiter ? { gateways: limiter.gateways() } : {}),
          ...(limiter instanceof LeaseLimiter ? { commits: limiter.commits } : {}),
        }),
      });
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(options.port ?? 3000, options.host ?? '127.0.0.1', () => {
          server.off('error', reject);
          resolve();
        });
      });
      return new Gateway(options.mode, limiter, server, net, group, metrics, logger, burst, rpm, exporter);
    } catch (error) {
      for (const close of closers.reverse()) await close().catch(() => {});
      throw error;
    }
  }

  /** The HTTP port. */
  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** `http://host:port`. */
  get url(): string {
    const a = this.server.address() as AddressInfo;
    return `http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`;
  }

  /** This gateway's mosaik address in `--bootstrap` form; `undefined` in local mode. */
  get address(): string | undefined {
    return this.net === undefined ? undefined : formatAddr(this.net.addr);
  }

  /**
   * Resolves once the gateway can decide: the budget group has a leader (strict, lease), or
   * at once (gossip, local). Rejects after `timeoutMs`.
   */
  async ready(timeoutMs = 30_000): Promise<void> {
    if (this.group === undefined) return;
    const ok = await within(
      this.group.when.online().then(() => true),
      timeoutMs,
    );
    if (ok === undefined) throw new Error(`the budget group found no leader within ${timeoutMs} ms`);
  }

  /** Stops serving, gives back leases, leaves the group and closes the node. */
  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    await this.limiter.close();
    await this.group?.close();
    await this.net?.close();
    await this.exporter?.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
