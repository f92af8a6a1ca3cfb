import type { Discovery, PeerEntry } from '@mosaik/discovery';
import type { Logger } from '@mosaik/metrics';
import type { EndpointAddr, LocalNode } from '@mosaik/transport';
import type { BackoffPolicy } from './backoff.js';
import type { StreamsMetrics } from './metrics.js';

/** Options of the {@link Streams} subsystem. */
export interface StreamsConfig {
  /** Default reconnect policy of consumers (a consumer's own `backoff` wins). Reference defaults. */
  readonly backoff?: Partial<BackoffPolicy>;
  /** How often a consumer with `prefer` other than `'all'` re-ranks producers (RTTs and coordinates move). Default 1000 ms. */
  readonly rerankIntervalMs?: number;
  /** Minimum time between two RTT samples a receiver reports to discovery. Default 1000 ms. */
  readonly rttSampleIntervalMs?: number;
}

/** @internal What sinks, subscriptions, consumers and receivers share. */
export interface StreamsContext {
  readonly node: LocalNode;
  readonly discovery: Discovery;
  readonly metrics: StreamsMetrics;
  readonly log: Logger;
  readonly config: Required<StreamsConfig>;
  /** Aborted when the subsystem closes. */
  readonly signal: AbortSignal;
}

/** The dialable address of an entry. */
export function addrOf(entry: PeerEntry): EndpointAddr {
  const a = entry.address;
  return {
    id: a.peerId,
    directAddresses: a.directAddresses,
    ...(a.relayUrl === undefined ? {} : { relayUrl: a.relayUrl }),
  };
}

/** Logs a fire-and-forget failure instead of leaving an unhandled rejection. */
export function background(log: Logger, what: string, task: Promise<unknown>): void {
  task.catch((error: unknown) => log.debug({ err: errorText(error) }, `${what} failed`));
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
