import fc from 'fast-check';
import { waitFor } from 'mosaik';
import { describe, expect, it } from 'vitest';
import { burstOf, Gateways, load } from '../test/gateways.js';
import type { GossipLimiter } from './gossip.js';
import { GossipCore, type HitBatch } from './gossip-core.js';

describe('GossipCore', () => {
  const config = { rpm: 60, burst: 6 };

  it('debits the grants of other gateways and catches up after a lost batch', () => {
    const a = new GossipCore(config, 'a');
    const b = new GossipCore(config, 'b');
    for (let i = 0; i < 2; i++) expect(a.decide('u', 0).kind).toBe('allow');
    b.receive(a.flush(0), 0);
    expect(b.gateways(0)).toBe(2);
    a.decide('u', 100);
    a.flush(100); // lost
    a.decide('u', 200);
    b.receive(a.flush(200), 200);
    // b saw 4 grants of a: it has 2 tokens left and a share of 3 per interval.
    expect(b.decide('u', 200)).toMatchObject({ kind: 'allow', remaining: 1 });
    expect(b.decide('u', 200)).toMatchObject({ kind: 'allow', remaining: 0 });
    expect(b.decide('u', 200).kind).toBe('deny');
    // A repeated batch is not debited twice.
    const again = { node: 'a', next: 2, entries: [['u', 4, 1, 1]] as const };
    b.receive(again, 1200);
    expect(b.decide('u', 1200)).toMatchObject({ kind: 'allow', remaining: 0 });
  });

  it('debits a whole new count when its first batch was lost, only recent grants of an older one', () => {
    const a = new GossipCore(config, 'a');
    const b = new GossipCore(config, 'b');
    const c = new GossipCore(config, 'c');
    b.receive(a.flush(0), 0); // b hears a before any grant
    a.decide('u', 10);
    a.decide('u', 10);
    a.flush(100); // lost for b; c is not listening yet
    a.decide('u', 150);
    const batch = a.flush(200);
    b.receive(batch, 200);
    c.receive(batch, 200);
    // b knows the count began after it first heard a: all 3 grants are new.
    expect(b.decide('u', 200)).toMatchObject({ kind: 'allow', remaining: 2 });
    // c cannot know: it debits only the grant since the previous batch.
    expect(c.decide('u', 200)).toMatchObject({ kind: 'allow', remaining: 4 });
  });

  it('limits unpublished grants to the share of each gateway', () => {
    const a = new GossipCore(config, 'a');
    a.receive({ node: 'b', next: 1, entries: [] }, 0);
    a.receive({ node: 'c', next: 1, entries: [] }, 0);
    expect(a.share(0)).toBe(2);
    const kinds = Array.from({ length: 4 }, () => a.decide('u', 10).kind);
    expect(kinds).toEqual(['allow', 'allow', 'deny', 'deny']);
    const denied = a.decide('u', 10);
    expect(denied).toMatchObject({ kind: 'deny' });
    a.flush(100);
    expect(a.decide('u', 100).kind).toBe('allow');
    // Peers not heard from for a second no longer count.
    expect(a.gateways(1200)).toBe(1);
    expect(a.share(1200)).toBe(6);
  });

  it('starts a new count after an idle period and forgets idle users', () => {
    const a = new GossipCore(config, 'a', { idleMs: 1000 });
    const b = new GossipCore(config, 'b', { idleMs: 1000 });
    a.decide('u', 0);
    b.receive(a.flush(0), 0);
    a.decide('u', 5000);
    const batch = a.flush(5000);
    expect(batch).toEqual({ node: 'a', next: 3, entries: [['u', 1, 2, 1]] });
    b.receive(batch, 5000);
    expect(b.decide('u', 5000)).toMatchObject({ kind: 'allow', remaining: 4 });
    a.sweep(20_000);
    expect(a.size).toBe(0);
  });
});

describe('GossipCore bound (model)', () => {
  it('three gateways never exceed burst + rate·t + 2·(N−1)·share when batches arrive within a flush', () => {
    const flushMs = 100;
    const step = 10;
    fc.assert(
      fc.property(
        fc.record({ rpm: fc.integer({ min: 1, max: 3000 }), burst: fc.integer({ min: 1, max: 30 }) }),
        // Per 10 ms step: requests arriving at each of the three gateways.
        fc.array(fc.tuple(fc.nat(6), fc.nat(6), fc.nat(6)), { minLength: 1, maxLength: 150 }),
        fc.array(fc.integer({ min: 0, max: flushMs - step }), { minLength: 3, maxLength: 3 }),
        (config, arrivals, delays) => {
          const cores = ['a', 'b', 'c'].map((n) => new GossipCore(config, n, { flushMs }));
          for (const x of cores) for (const y of cores) if (x !== y) y.receive(x.flush(0), 0);
          const inFlight: { at: number; to: number; batch: HitBatch }[] = [];
          const grants: number[] = [];
          for (let i = 0; i < arrivals.length; i++) {
            const now = (i + 1) * step;
            for (const m of inFlight.filter((m) => m.at <= now)) cores[m.to]!.receive(m.batch, now);
            inFlight.splice(0, inFlight.length, ...inFlight.filter((m) => m.at > now));
            arrivals[i]!.forEach((n, g) => {
              for (let k = 0; k < n; k++) if (cores[g]!.decide('u', now).kind === 'allow') grants.push(now);
            });
            if (now % flushMs === 0)
              cores.forEach((core, g) => {
                const batch = core.flush(now);
                for (let to = 0; to < 3; to++)
                  if (to !== g) inFlight.push({ at: now + delays[g]!, to, batch });
              });
          }
          // Without the share term the property fails at once (e.g. burst 1, one request at two gateways).
          const slack = 2 * 2 * Math.ceil(config.burst / 3);
          for (let i = 0; i < grants.length; i++)
            for (let j = i; j < grants.length; j++)
              if (j - i + 1 > config.burst + (config.rpm * (grants[j]! - grants[i]!)) / 60_000 + slack)
                return false;
          return true;
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('gossip mode across three gateways', () => {
  it('keeps a flash crowd within burst + 2·(N−1)·share and sustained load within its bound', async () => {
    await using cluster = new Gateways();
    const burst = 30;
    const gateways = await cluster.start(3, { mode: 'gossip', rpm: 1, burst });
    await waitFor(() => gateways.every((g) => (g.limiter as GossipLimiter).gateways() === 3), {
      timeout: 15_000,
      message: 'every gateway hears the two others',
    });
    const share = burst / 3;
    const flash = await burstOf(gateways, 'alice', 90);
    expect(flash.count(200)).toBeLessThanOrEqual(burst + 2 * 2 * share);
    expect(flash.count(200)).toBeGreaterThanOrEqual(share);
    expect(flash.count(429) + flash.count(200)).toBe(90);

    const rpm = 600;
    await using sustained = new Gateways();
    const g2 = await sustained.start(3, { mode: 'gossip', rpm, burst: 10 });
    await waitFor(() => g2.every((g) => (g.limiter as GossipLimiter).gateways() === 3), {
      timeout: 15_000,
      message: 'every gateway hears the two others',
    });
    const started = Date.now();
    const replies = await load(
      g2.map((g) => g.url),
      'bob',
      2,
      () => Date.now() >= started + 2000,
    );
    const elapsed = Math.max(...replies.map((r) => r.at)) - started;
    const granted = replies.filter((r) => r.status === 200).length;
    const bound = 10 + (rpm * elapsed) / 60_000 + 2 * 2 * Math.ceil(10 / 3);
    expect(granted).toBeLessThanOrEqual(bound);
    expect(granted).toBeGreaterThanOrEqual(10);
  });
});
