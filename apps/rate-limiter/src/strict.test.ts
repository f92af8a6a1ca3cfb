import { type AddressInfo, connect } from 'node:net';
import { waitFor } from 'mosaik';
import { describe, expect, it, vi } from 'vitest';
import { burstOf, Gateways, get } from '../test/gateways.js';
import { createGatewayServer } from './http.js';
import type { Limiter } from './limiter.js';
import type { BudgetQuery } from './machine.js';

describe('strict mode across three gateways', () => {
  it('grants exactly the burst to concurrent requests spread over every gateway', async () => {
    await using cluster = new Gateways();
    const gateways = await cluster.start(3, { mode: 'strict', rpm: 1, burst: 20, metrics: '127.0.0.1:0' });
    const { replies, count } = await burstOf(gateways, 'alice', 60);
    expect(count(200)).toBe(20);
    expect(count(429)).toBe(40);
    const denied = replies.find((r) => r.status === 429)!;
    expect(denied.body).toMatchObject({ ok: false });
    expect(denied.body.retryAfterMs).toBeGreaterThan(0);
    expect(Number(denied.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(denied.headers['ratelimit-remaining']).toBe('0');
    // The remaining counts of the grants are exactly 19 … 0: one bucket, one order.
    const remaining = replies
      .filter((r) => r.status === 200)
      .map((r) => r.body.remaining)
      .sort((a, b) => Number(b) - Number(a));
    expect(remaining).toEqual(Array.from({ length: 20 }, (_, i) => 19 - i));
    // Another user has a bucket of its own.
    const bob = await get(`${gateways[2]!.url}/api/resource`, { 'X-User-Id': 'bob' });
    expect(bob.status).toBe(200);
    expect(bob.body).toMatchObject({ ok: true, remaining: 19, limit: 20 });
    expect(bob.headers['ratelimit-limit']).toBe('20');
    expect(bob.headers['ratelimit-policy']).toBe('20;w=1200');
    // Each gateway's exporter shows its decisions and the commit latency, beside mosaik's metrics.
    const scraped = await Promise.all(gateways.map(async (g) => (await fetch(g.exporter!.url)).text()));
    const series = (text: string, decision: string) =>
      Number(
        text.match(
          new RegExp(`rate_limiter_requests_total\\{decision="${decision}",mode="strict"[^}]*\\} (\\d+)`),
        )?.[1] ?? 0,
      );
    expect(scraped.reduce((n, t) => n + series(t, 'allowed'), 0)).toBe(21);
    expect(scraped.reduce((n, t) => n + series(t, 'denied'), 0)).toBe(40);
    expect(scraped[0]).toMatch(/rate_limiter_commit_latency_seconds_count\{[^}]*mode="strict"[^}]*\} [1-9]/);
    expect(scraped[0]).toMatch(/mosaik_groups_raft_committed/);
  });

  it('answers malformed requests with 400 before they reach the group', async () => {
    await using cluster = new Gateways();
    const [g] = await cluster.start(1, { mode: 'strict', rpm: 10 });
    const decide = vi.spyOn(g!.limiter, 'decide');
    const api = `${g!.url}/api/resource`;
    const bad = [
      await get(api),
      await get(`${api}?user_id=`),
      await get(`${api}?user_id=a%20b`),
      await get(`${api}?user_id=${'x'.repeat(65)}`),
      await get(`${api}?user_id=%F0%9F%92%A5`),
      await get(`${api}?user_id=a&user_id=b`),
      await get(`${api}?user_id=a`, { 'X-User-Id': 'b' }),
      await get(api, { 'X-User-Id': 'a/../b' }),
      await get(api, { 'X-User-Id': 'ok', 'X-Padding': 'p'.repeat(16 * 1024) }),
    ];
    expect(bad.map((r) => r.status)).toEqual(bad.map(() => 400));
    expect(bad[0]!.body).toMatchObject({ ok: false });
    // Bytes that are not HTTP at all.
    const raw = await new Promise<string>((resolve, reject) => {
      const socket = connect(g!.port, '127.0.0.1', () => socket.end('\x00\x01garbage\r\n\r\n'));
      let text = '';
      socket.on('data', (d) => {
        text += d.toString('latin1');
      });
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    expect(raw).toMatch(/^HTTP\/1\.1 400/);
    expect(decide).not.toHaveBeenCalled();
    const size = await g!.group!.query({ t: 'size' } satisfies BudgetQuery, 'strong');
    expect(size.result).toBe(0);
    // Other paths and methods.
    expect((await get(`${g!.url}/nope?user_id=a`)).status).toBe(404);
    const health = await get(`${g!.url}/healthz`);
    expect(health.body).toMatchObject({ ok: true, mode: 'strict', available: true });
    // The metrics count the refusals.
    const metrics = await g!.metrics.registry.getSingleMetricAsString('rate_limiter_requests_total');
    expect(metrics).toMatch(/decision="rejected",mode="strict"[^}]*} 10/);
  });

  it('fails closed when the group loses its quorum', async () => {
    await using cluster = new Gateways();
    const [survivor, ...lost] = await cluster.start(3, { mode: 'strict', rpm: 10 });
    expect((await get(`${survivor!.url}/api/resource?user_id=alice`)).status).toBe(200);
    // Two gateways vanish without a word (their transport closes under them, like a crash).
    await Promise.all(lost.map((g) => g.net!.local.close()));
    const refused = await waitFor(
      async () => {
        const r = await get(`${survivor!.url}/api/resource?user_id=alice`);
        return r.status === 503 ? r : undefined;
      },
      { timeout: 15_000, interval: 100, message: 'the survivor refuses once it has no quorum' },
    );
    expect(survivor!.limiter.isAvailable()).toBe(false);
    expect(refused.headers['retry-after']).toBe('1');
    expect(refused.body).toMatchObject({ ok: false, error: 'rate limiter unavailable' });
  });

  it('fails open with failOpen', async () => {
    const limiter: Limiter = {
      mode: 'strict',
      decide: async () => ({ kind: 'unavailable', reason: 'no leader' }),
      isAvailable: () => false,
      close: async () => {},
    };
    const outcomes: string[] = [];
    const server = createGatewayServer({
      limiter,
      burst: 5,
      rpm: 5,
      failOpen: true,
      onOutcome: (o) => outcomes.push(o),
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const granted = await get(`http://127.0.0.1:${port}/api/resource?user_id=alice`);
      expect(granted.status).toBe(200);
      expect(granted.body).toMatchObject({ ok: true, degraded: true, limit: 5 });
      expect(outcomes).toEqual(['failed_open']);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
