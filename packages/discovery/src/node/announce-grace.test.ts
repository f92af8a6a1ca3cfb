/**
 * A neighbour request on a host whose timers run late is given extra time before it counts as
 * unanswered: the dial it needs takes seconds there, and giving up early made every node short of
 * neighbours dial backup after backup (a converged 100-node swarm in one process stayed busy).
 */
import { ManualClock } from '@mosaik/id';
import { LocalNode } from '@mosaik/transport';
import { afterEach, describe, expect, it } from 'vitest';
import { announceAdapter } from '../../test/announce-adapter.js';
import { DEFAULT_GOSSIP_CONFIG } from '../gossip/config.js';
import type { GossipInput } from '../gossip/types.js';
import { LAG_GRACE_FACTOR } from './local-lag.js';
import { Timers } from './timers.js';

const opened: { close(): Promise<void> | void }[] = [];

afterEach(async () => {
  for (const o of opened.splice(0).reverse()) await o.close();
});

const DIAL_TIMEOUT_MS = 10_000;

/**
 * Virtual time after the request at which the engine hears that its neighbour request timed out,
 * when our timers ran `lateMs` late just before.
 */
async function requestTimeoutAfter(lateMs: number): Promise<number> {
  const clock = new ManualClock(1_000_000);
  const timers = new Timers(clock, 10_000);
  opened.push(timers);
  const node = await LocalNode.bind('announce-grace', { preset: 'local' });
  const backup = await LocalNode.bind('announce-grace', { preset: 'local' });
  opened.push(backup, node);
  const gossip = announceAdapter(node, timers, { dialTimeoutMs: DIAL_TIMEOUT_MS });
  opened.push({ close: () => gossip.close(0) });

  const timedOutAt: number[] = [];
  const handle = gossip.engine.handle.bind(gossip.engine);
  gossip.engine.handle = (input: GossipInput<typeof node.peerId>) => {
    if (input.type === 'timer' && input.timer.kind === 'neighborRequest') timedOutAt.push(clock.now());
    return handle(input);
  };

  // A backup known from the catalog; the repair tick of a view with no neighbour asks it.
  gossip.input({ type: 'suggest', peers: [{ id: backup.peerId }] });
  timers.lag.observe(clock.now(), lateMs);
  clock.advance(DEFAULT_GOSSIP_CONFIG.repairIntervalMs);
  const requestedAt = clock.now();
  // Neither the dial nor its failure can land here: virtual time moves synchronously.
  clock.advance(DEFAULT_GOSSIP_CONFIG.neighborRequestTimeoutMs + DIAL_TIMEOUT_MS);
  expect(timedOutAt).toHaveLength(1);
  return (timedOutAt[0] as number) - requestedAt;
}

describe('neighbour requests on a late host', () => {
  it('time out after the configured wait on a healthy host', async () => {
    expect(await requestTimeoutAfter(0)).toBe(DEFAULT_GOSSIP_CONFIG.neighborRequestTimeoutMs);
  });

  it('get a grace of a few times our own lateness, so a slow dial is not given up on', async () => {
    expect(await requestTimeoutAfter(1_000)).toBe(
      DEFAULT_GOSSIP_CONFIG.neighborRequestTimeoutMs + LAG_GRACE_FACTOR * 1_000,
    );
  });

  it('never wait longer than a dial may take on top of the configured wait', async () => {
    expect(await requestTimeoutAfter(60_000)).toBe(
      DEFAULT_GOSSIP_CONFIG.neighborRequestTimeoutMs + DIAL_TIMEOUT_MS,
    );
  });
});
