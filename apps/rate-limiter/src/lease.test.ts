import { describe, expect, it } from 'vitest';
import { burstOf, Gateways, load } from '../test/gateways.js';
import type { LeaseLimiter } from './lease.js';
import type { BucketView } from './machine.js';

describe('lease mode across three gateways', () => {
  it('never grants more than the budget, with fewer commits than requests', async () => {
    await using cluster = new Gateways();
    const gateways = await cluster.start(3, { mode: 'lease', rpm: 1, burst: 30 });
    const { count } = await burstOf(gateways, 'alice', 90);
    expect(count(200)).toBeLessThanOrEqual(30);
    // Tokens still lent to a gateway that ran out of requests are the only ones not granted.
    expect(count(200)).toBeGreaterThanOrEqual(30 - 3 * 3);
    expect(count(503)).toBe(0);
    const commits = gateways.reduce((n, g) => n + (g.limiter as LeaseLimiter).commits, 0);
    expect(commits).toBeLessThan(90);
  });

  it('stays within burst + rate·t under sustained load, and gives unspent tokens back', async () => {
    await using cluster = new Gateways();
    const rpm = 600;
    const burst = 10;
    const gateways = await cluster.start(3, { mode: 'lease', rpm, burst, leaseChunk: 2 });
    const started = Date.now();
    const deadline = started + 2000;
    const replies = await load(
      gateways.map((g) => g.url),
      'bob',
      2,
      () => Date.now() >= deadline,
    );
    const elapsed = Math.max(...replies.map((r) => r.at)) - started;
    const granted = replies.filter((r) => r.status === 200).length;
    expect(granted).toBeLessThanOrEqual(burst + (rpm * elapsed) / 60_000);
    expect(granted).toBeGreaterThanOrEqual(burst);
    // Idle leases come back: the shared bucket ends with nothing lent out.
    const group = gateways[0]!.group!;
    await expect
      .poll(
        async () => ((await group.query({ t: 'peek', key: 'bob' }, 'strong')).result as BucketView).lent,
        {
          timeout: 5000,
        },
      )
      .toBe(0);
  });
});
