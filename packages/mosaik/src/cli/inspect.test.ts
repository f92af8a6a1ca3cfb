import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Cluster, collect, exited, spawnCli, startCluster, stop, Ticks } from '../../test/fixtures.js';
import { formatBootstrapAddr, scaled, waitFor } from '../index.js';
import { buildInspection, type Inspection } from './inspection.js';

describe('mosaik inspect', () => {
  const network = `inspect-test-${Math.random()}`;
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await startCluster(network);
  }, scaled(60_000));
  afterAll(async () => {
    await cluster?.close();
  });

  it('lists every peer, the stream with its consumers and the group with its leader, as JSON', async () => {
    const { nets, groups } = cluster;
    const child = spawnCli([
      'inspect',
      '--network',
      network,
      '--bootstrap',
      formatBootstrapAddr(nets[4]!.addr),
      '--preset',
      'local',
      '--json',
      '--wait',
      '3',
    ]);
    const out = collect(child);
    try {
      const code = await waitFor(exited(child), { timeout: 30_000, message: 'inspect exited' });
      expect(code, out.stderr).toBe(0);
    } finally {
      await stop(child);
    }
    const x = JSON.parse(out.stdout) as Inspection;
    const hex = nets.map((n) => n.peerId.toString());
    expect(x.peers.map((p) => p.peer).sort()).toEqual([...hex].sort());
    expect(x.peers.every((p) => p.addresses.length > 0 && p.rttMs !== null)).toBe(true);
    expect(x.unreachable).toEqual([]);

    const stream = x.streams.find((s) => s.stream === Ticks.id.toString());
    expect(stream?.producers).toEqual([{ peer: hex[1], consumers: [hex[2], hex[3]].sort() }]);

    const leader = groups[0]!.leader()!.toString();
    expect(x.groups).toHaveLength(1);
    const group = x.groups[0]!;
    expect(group.group).toBe(groups[0]!.id.toString());
    expect(group.leader).toBe(leader);
    expect(group.term).toBeGreaterThan(0);
    expect(group.members.map((m) => m.peer)).toEqual(hex.slice(0, 3).sort());
    expect(group.members.find((m) => m.peer === leader)?.role).toBe('leader');
    expect(group.members.every((m) => (m.commit ?? 0) >= 1)).toBe(true);

    // A passive observer: it appeared nowhere as a subscriber or member.
    expect(hex).not.toContain(x.observer);
    expect(cluster.producer.subscriptions().map((s) => s.consumerId.toString())).not.toContain(x.observer);
    for (const g of groups) {
      const st = g.status();
      expect([...st.voters, ...st.learners, ...st.observers]).not.toContain(x.observer);
      expect(
        g
          .bonds()
          .peers()
          .map((p) => p.toString()),
      ).not.toContain(x.observer);
    }
    // It left gracefully: nobody keeps its entry.
    await waitFor(
      () =>
        nets.every((n) =>
          n.discovery
            .catalog()
            .signedPeers()
            .every((s) => s.peerId.toString() !== x.observer),
        ),
      { timeout: 5_000, message: 'every node dropped the observer after it left' },
    );
  });

  it('prints tables without colours when stdout is not a terminal', async () => {
    const child = spawnCli([
      'inspect',
      '-n',
      network,
      '-b',
      formatBootstrapAddr(cluster.nets[0]!.addr),
      '--preset',
      'local',
      '--wait',
      '2',
    ]);
    const out = collect(child);
    try {
      expect(await waitFor(exited(child), { timeout: 30_000, message: 'inspect exited' })).toBe(0);
    } finally {
      await stop(child);
    }
    expect(out.stdout).not.toContain('\x1b[');
    expect(out.stdout).toContain('PEERS (5)');
    expect(out.stdout).toContain('STREAMS (1)');
    expect(out.stdout).toContain('GROUPS (1)');
    expect(out.stdout).toMatch(/leader [0-9a-f]{10}/);
  });

  it('refreshes with --watch until interrupted, one JSON document per line', async () => {
    const child = spawnCli([
      'inspect',
      '-n',
      network,
      '-b',
      formatBootstrapAddr(cluster.nets[2]!.addr),
      '--preset',
      'local',
      '--wait',
      '2',
      '--json',
      '--watch',
      '1',
    ]);
    const out = collect(child);
    try {
      await waitFor(() => out.stdout.split('\n').filter(Boolean).length >= 2, {
        timeout: 30_000,
        message: () => `two refreshes (stderr: ${out.stderr})`,
      });
      child.kill('SIGINT');
      expect(await waitFor(exited(child), { timeout: 15_000, message: 'inspect stopped' })).toBe(0);
    } finally {
      await stop(child);
    }
    const docs = out.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Inspection);
    expect(docs.length).toBeGreaterThanOrEqual(2);
    for (const d of docs) expect(d.peers).toHaveLength(5);
    expect(docs[1]!.at > docs[0]!.at).toBe(true);
  });

  it('fails plainly when no peer answers', async () => {
    const child = spawnCli([
      'inspect',
      '-n',
      `${network}-empty`,
      '-b',
      // A well-formed address nobody listens on.
      `${cluster.nets[0]!.peerId.toString()}@127.0.0.1:9`,
      '--preset',
      'local',
      '--wait',
      '1',
    ]);
    const out = collect(child);
    try {
      expect(await waitFor(exited(child), { timeout: 30_000, message: 'inspect exited' })).toBe(1);
    } finally {
      await stop(child);
    }
    expect(out.stderr).toContain('no peer found');
  });
});

describe('buildInspection', () => {
  it('takes the leader of the highest term and marks members whose status failed', () => {
    const base = { network: 'n', observer: 'obs', now: 0 };
    const peer = (p: string, groups: string[]) => ({
      peer: p,
      tags: [],
      addresses: [],
      relay: null,
      rttMs: null,
      entryAgeMs: 0,
      uptimeMs: 0,
      streams: [],
      groups,
    });
    const report = (p: string, term: number, leader: string) => ({
      peer: p,
      network: 'n',
      at: 0,
      produced: [],
      consumed: [],
      groups: [
        {
          group: 'g',
          role: p === leader ? 'leader' : 'follower',
          term,
          leader,
          commit: 3,
          applied: 3,
          lastIndex: 3,
          voters: [],
          learners: [],
          observers: [],
          cluster: 'c',
          bonds: [],
          machine: null,
        },
      ],
    });
    const x = buildInspection({
      ...base,
      peers: [peer('a', ['g']), peer('b', ['g']), peer('c', ['g']), peer('obs', [])],
      reports: new Map([
        ['a', report('a', 2, 'a')],
        ['b', report('b', 3, 'b')],
      ]),
      failures: new Map([['c', 'timed out']]),
    });
    expect(x.peers.map((p) => p.peer)).toEqual(['a', 'b', 'c']);
    expect(x.groups[0]).toMatchObject({ leader: 'b', term: 3 });
    expect(x.groups[0]!.members.map((m) => m.role)).toEqual(['leader', 'leader', 'unreachable']);
    expect(x.unreachable).toEqual([{ peer: 'c', error: 'timed out' }]);
  });
});
