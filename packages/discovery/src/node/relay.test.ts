import { describe, expect, it } from 'vitest';
import { entriesToRelay } from './relay.js';

const limits = { newRunMs: 10_000, maxPerSync: 2 };
const run = (name: string, startMs: number) => ({ name, startMs });
const startOf = (e: { startMs: number }) => e.startMs;

describe('relaying new runs learned by sync', () => {
  it('relays the entries of runs that started within the horizon, well after our own', () => {
    const now = 100_000;
    const discovered = [run('restarted', now - 2_000), run('old', now - 60_000)];
    // 30 peers known before the sync, 2 learned from it.
    expect(entriesToRelay(discovered, 32, startOf, now, 0, limits).map((e) => e.name)).toEqual(['restarted']);
  });

  it('relays nothing of runs that started about when we did: the swarm is forming', () => {
    const now = 100_000;
    const discovered = [run('peer', now - 3_000)];
    expect(entriesToRelay(discovered, 32, startOf, now, now - 5_000, limits)).toEqual([]);
  });

  it('relays nothing when the sync taught us as many peers as we knew: we are the newcomer', () => {
    const now = 100_000;
    const discovered = [run('a', now), run('b', now), run('c', now)];
    expect(entriesToRelay(discovered, 6, startOf, now, 0, limits)).toEqual([]);
    expect(entriesToRelay(discovered, 3, startOf, now, 0, limits)).toEqual([]);
    expect(entriesToRelay(discovered.slice(0, 1), 3, startOf, now, 0, limits).map((e) => e.name)).toEqual([
      'a',
    ]);
  });

  it('relays at most the per-sync cap', () => {
    const now = 100_000;
    const discovered = [run('a', now), run('b', now), run('c', now)];
    expect(entriesToRelay(discovered, 40, startOf, now, 0, limits).map((e) => e.name)).toEqual(['a', 'b']);
  });
});
