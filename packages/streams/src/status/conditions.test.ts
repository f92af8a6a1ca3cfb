import type { PeerEntry } from '@mosaik/discovery';
import { scaled } from '@mosaik/id';
import { describe, expect, it } from 'vitest';
import type { ChannelInfo } from './channel.js';
import { ChannelConditions, ChannelSet } from './conditions.js';

/** A connected channel as far as conditions look at one. */
const connected = { isConnected: true, peer: {} as PeerEntry } as ChannelInfo;

describe('channel conditions', () => {
  it('a spell that began and ended between a poll and a wait is still reported', async () => {
    const channels = new ChannelSet();
    for (const k of ['a', 'b', 'c']) channels.add(k, connected);
    const unmet = new ChannelConditions(channels, 3, [], true);
    expect(unmet.poll()).toBe(false);
    // A subscriber leaves and its slot is taken again before anyone waits.
    channels.delete('a');
    channels.add('d', connected);
    await unmet.wait(AbortSignal.timeout(scaled(1_000)));
    // Reported once: the next wait needs a new edge.
    expect(unmet.poll()).toBe(false);
    channels.delete('b');
    expect(unmet.poll()).toBe(true);
  });

  it('reports a condition that holds at the first poll, then only new edges', async () => {
    const channels = new ChannelSet();
    channels.add('a', connected);
    const subscribed = new ChannelConditions(channels, 1, [], false);
    expect(subscribed.poll()).toBe(true);
    expect(subscribed.poll()).toBe(false);
    const next = subscribed.wait(AbortSignal.timeout(scaled(1_000)));
    channels.delete('a');
    channels.add('b', connected);
    await next;
    expect(subscribed.poll()).toBe(false);
  });
});
