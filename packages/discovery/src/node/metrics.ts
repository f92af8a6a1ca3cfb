/** Discovery metrics, named like the Rust implementation's but in Prometheus style, on the node's metrics facade. */
import type { Metrics } from '@mosaik/metrics';
import { CloseCode } from '@mosaik/transport';

/** Why a piece of input was refused; the `reason` label of `mosaik_discovery_rejected_total`. */
export type RejectReason =
  | 'decode'
  | 'signature'
  | 'network'
  | 'drift'
  | 'oversized'
  | 'handshake'
  | 'gossip';

/** The instruments discovery updates. */
export class DiscoveryMetrics {
  readonly catalogSize;
  readonly discovered;
  readonly updated;
  readonly departed;
  readonly syncs;
  readonly syncBytesSent;
  readonly neighbors;
  readonly syncsServing;
  readonly syncsRefusedBusy;
  readonly #rejected;
  readonly #syncFailures;

  constructor(metrics: Metrics) {
    this.catalogSize = metrics.gauge('mosaik_discovery_catalog_size', 'Peers in the catalog');
    this.discovered = metrics.counter(
      'mosaik_discovery_peers_discovered_total',
      'Peers discovered by gossip',
    );
    this.updated = metrics.counter('mosaik_discovery_peers_updated_total', 'Peer entries updated by gossip');
    this.departed = metrics.counter(
      'mosaik_discovery_peers_departed_total',
      'Peers removed by departure or purge',
    );
    this.syncs = metrics.counter(
      'mosaik_discovery_catalog_syncs_total',
      'Catalog syncs initiated by this node that completed',
    );
    this.syncBytesSent = metrics.counter(
      'mosaik_discovery_sync_bytes_sent_total',
      'Catalog sync message bytes sent, both roles',
    );
    this.neighbors = metrics.gauge('mosaik_discovery_gossip_neighbors', 'Current gossip neighbours');
    this.syncsServing = metrics.gauge(
      'mosaik_discovery_syncs_serving',
      'Catalog syncs other peers started that this node is serving now',
    );
    this.syncsRefusedBusy = metrics.counter(
      'mosaik_discovery_syncs_refused_busy_total',
      'Catalog syncs other peers started that this node refused, serving as many as it takes',
    );
    this.#rejected = metrics.counter(
      'mosaik_discovery_rejected_total',
      'Discovery input refused (undecodable, forged, foreign, out of time)',
      ['reason'],
    );
    this.#syncFailures = metrics.counter(
      'mosaik_discovery_catalog_sync_failures_total',
      'Failed attempts of catalog syncs this node started, by reason',
      ['reason'],
    );
  }

  /** One failed attempt of a catalog sync this node started (a retried sync may fail several times). */
  syncFailed(reason: SyncFailure): void {
    this.#syncFailures.inc({ reason });
  }

  reject(reason: RejectReason): void {
    this.#rejected.inc({ reason });
  }
}

/**
 * Why an attempt of a catalog sync failed; the `reason` label of
 * `mosaik_discovery_catalog_sync_failures_total`: the dial timed out or failed, the peer closed
 * the link mid-exchange (`busy`: it was serving as many syncs as it takes), the exchange ran out
 * of time (or discovery closed) after the dial, the peer's answer was refused.
 */
export type SyncFailure = 'dial_timeout' | 'dial_failed' | 'closed_by_peer' | 'busy' | 'timeout' | 'rejected';

/** Maps the error of a failed sync attempt to its metric reason. */
export function syncFailureOf(error: unknown): SyncFailure {
  const e = error as { code?: unknown; info?: { local?: boolean; code?: number } } | undefined;
  const message = error instanceof Error ? error.message : String(error);
  if (e?.code === 'exchange_rejected') return 'rejected';
  if (e?.code === 'connect_failed') return /timed out/.test(message) ? 'dial_timeout' : 'dial_failed';
  if (e?.code === 'link_closed' && e.info?.local === false) {
    return e.info.code === CloseCode.Busy ? 'busy' : 'closed_by_peer';
  }
  return 'timeout';
}

/** Maps a decode/verify failure to its metric reason. */
export function rejectReasonOf(error: unknown): RejectReason {
  const code = (error as { code?: unknown } | undefined)?.code;
  const message = error instanceof Error ? error.message : String(error);
  if (code === 'discovery_invalid_signature' || / signed by /.test(message)) return 'signature';
  if (code === 'protocol_violation' || /longer than|more than/.test(message)) return 'oversized';
  return 'decode';
}
