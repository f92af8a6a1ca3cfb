/** A gossip adapter on a real node, with no-op hooks unless given: for the adapter's own tests. */
import type { LocalNode } from '@mosaik/transport';
import { AnnounceAdapter, type AnnounceHooks } from '../src/node/announce.js';
import { DiscoveryMetrics } from '../src/node/metrics.js';
import type { Timers } from '../src/node/timers.js';

export function announceAdapter(
  node: LocalNode,
  timers: Timers,
  options: { readonly hooks?: Partial<AnnounceHooks>; readonly dialTimeoutMs: number },
): AnnounceAdapter {
  return new AnnounceAdapter({
    node,
    timers,
    metrics: new DiscoveryMetrics(node.metrics),
    logger: node.logger,
    maxPayloadSize: 4096,
    gossip: {},
    dialTimeoutMs: options.dialTimeoutMs,
    hooks: { deliver: () => {}, neighborUp: () => {}, neighborDown: () => {}, ...options.hooks },
  });
}
