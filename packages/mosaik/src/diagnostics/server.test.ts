import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Cluster, startCluster, startTicker, Ticks } from '../../test/fixtures.js';
import { type DiagnosticsSnapshot, Network, scaled, waitFor } from '../index.js';

const TOKEN = 'let-me-in';

describe('diagnostics JSON API', () => {
  let cluster: Cluster;
  let base: string;
  let ticker: NodeJS.Timeout | undefined;
  beforeAll(async () => {
    cluster = await startCluster(`diag-api-${Math.random()}`, {
      node: (i) => (i === 1 ? { diagnosticsAddr: '127.0.0.1:0', diagnosticsToken: TOKEN } : {}),
    });
    base = cluster.nets[1]!.diagnostics!.url;
    ticker = startTicker(cluster.producer);
  }, scaled(60_000));
  afterAll(async () => {
    clearInterval(ticker);
    await cluster?.close();
  });

  const get = (path: string, headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` }) =>
    fetch(new URL(path, base), { headers });

  it('binds to 127.0.0.1 by default', () => {
    expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
  });

  it('refuses a missing or wrong token with 401, unknown paths with 404, other methods with 405', async () => {
    for (const headers of [{}, { authorization: 'Bearer nope' }, { authorization: TOKEN }] as Record<
      string,
      string
    >[]) {
      const res = await get('/api/snapshot', headers);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toContain('Bearer');
      await res.body?.cancel();
    }
    expect((await get('/?token=wrong', {})).status).toBe(401);
    for (const path of ['/api', '/api/snapshot/x', '/../etc/passwd', '/metrics', '/%00', '/api/snapshotx']) {
      const res = await get(path);
      expect(res.status, path).toBe(404);
      await res.body?.cancel();
    }
    const post = await fetch(new URL('/api/snapshot', base), {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(post.status).toBe(405);
  });

  it('serves the page and a snapshot with peers, the stream rate and the group', async () => {
    const page = await get(`/?token=${TOKEN}`, {});
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    const html = await page.text();
    expect(html).toContain('mosaik diagnostics');
    // Self-contained: nothing is loaded from elsewhere.
    expect(html).not.toMatch(/(src|href)=["']?(https?:)?\/\//);

    const net = cluster.nets[1]!;
    const snapshot = await waitFor(
      async () => {
        const s = (await (await get('/api/snapshot')).json()) as DiagnosticsSnapshot;
        return s.streams.produced[0]?.rate !== undefined && s.streams.produced[0].rate > 0 ? s : undefined;
      },
      { timeout: 10_000, message: 'a stream rate above zero' },
    );
    expect(snapshot.node.peer).toBe(net.peerId.toString());
    expect(snapshot.node.bootstrap).toContain(net.addr.directAddresses[0]);
    expect(snapshot.peers.map((p) => p.peer).sort()).toEqual(
      cluster.nets
        .filter((n) => n !== net)
        .map((n) => n.peerId.toString())
        .sort(),
    );
    expect(snapshot.overlay.active.length).toBeGreaterThan(0);
    const produced = snapshot.streams.produced[0]!;
    expect(produced.stream).toBe(Ticks.id.toString());
    expect(produced.subscribers.map((s) => s.peer).sort()).toEqual(
      [cluster.nets[2]!, cluster.nets[3]!].map((n) => n.peerId.toString()).sort(),
    );
    const group = snapshot.groups[0]!;
    expect(group.leader).toBe(cluster.groups[0]!.leader()!.toString());
    expect(group.term).toBeGreaterThan(0);
    expect([...group.voters, ...group.learners]).toHaveLength(3);
    expect(group.bonds).toHaveLength(2);
    expect(group.bonds.every((b) => b.healthy)).toBe(true);
    expect(snapshot.events.some((e) => e.kind === 'election' && e.group === group.group)).toBe(true);
    // The counter describes itself: the collections panel gets it.
    expect(snapshot.collections).toEqual([{ group: group.group, kind: 'counter', size: 1, version: 1 }]);
  });

  it('streams snapshots as server-sent events', async () => {
    const controller = new AbortController();
    const res = await fetch(new URL(`/api/events?token=${TOKEN}`, base), { signal: controller.signal });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const reader = res.body!.getReader();
    let text = '';
    try {
      await waitFor(
        async () => {
          const { value } = await reader.read();
          text += new TextDecoder().decode(value);
          return (text.match(/event: snapshot/g) ?? []).length >= 2;
        },
        { timeout: 5_000, message: 'two snapshots in the event stream' },
      );
    } finally {
      controller.abort();
    }
    const first = JSON.parse(/data: (.*)\n/.exec(text)![1]!) as DiagnosticsSnapshot;
    expect(first.node.peer).toBe(cluster.nets[1]!.peerId.toString());
  });

  it('logs a departure and is gone once the node closes', async () => {
    const extra = await Network.create(cluster.nets[0]!.networkId, {
      preset: 'local',
      bootstrap: [cluster.nets[1]!.addr],
      diagnosticsAddr: 0,
    });
    const url = extra.diagnostics!.url;
    expect((await fetch(new URL('/api/log', url))).status).toBe(200);
    // Known to node 1, and with a gossip neighbour to hand its departure to.
    await waitFor(
      () =>
        cluster.nets[1]!.discovery.catalog().get(extra.peerId) !== undefined &&
        extra.discovery.neighbors().length > 0,
      { timeout: 10_000, message: 'the extra node joined' },
    );
    const extraNbrs = extra.discovery.neighbors().map((p) => p.short());
    const lastOfExtra = extra.discovery.me().entry.version;
    await extra.close();
    await expect(fetch(new URL('/api/log', url))).rejects.toThrow();
    const log = await waitFor(
      async () => {
        const events = (await (await get('/api/log')).json()) as DiagnosticsSnapshot['events'];
        return events.some((e) => e.kind === 'departure' && e.peer === extra.peerId.toString())
          ? events
          : undefined;
      },
      // About 0.1 s on a quiet machine; a busy one may need a gossip repair round.
      {
        timeout: 10_000,
        message: () => {
          const held = cluster.nets[1]!.discovery.catalog().getSigned(extra.peerId);
          return (
            `the departure in the log (extra's neighbours ${extraNbrs}, node 1 is ${cluster.nets[1]!.peerId.short()}` +
            ` and holds version ${JSON.stringify(held?.entry.version)} of extra, whose stored one was ${JSON.stringify(lastOfExtra)})`
          );
        },
      },
    );
    expect(log.some((e) => e.kind === 'join' && e.peer === extra.peerId.toString())).toBe(true);
  });
});
