import { describe, expect, it } from 'vitest';
import type { DiagnosticsEvent } from './events.js';
import { buildSnapshot, rate, type SnapshotInput } from './model.js';
import type { NodeReport } from './report.js';

function report(at: number, sent: number, toB: number, received: number): NodeReport {
  return {
    peer: 'me',
    network: 'net',
    at,
    produced: [
      {
        stream: 's',
        online: true,
        datums: sent,
        dropped: 2,
        subscribers: [
          { peer: 'b', state: 'connected', datums: toB, bytes: 0, queued: 3, capacity: 8, dropped: 2 },
          { peer: 'a', state: 'connecting', datums: 0, bytes: 0, queued: 0, capacity: 8, dropped: 0 },
        ],
      },
    ],
    consumed: [
      {
        stream: 't',
        online: true,
        datums: received,
        queued: 1,
        producers: [{ peer: 'c', state: 'connected', datums: received, bytes: 0 }],
      },
    ],
    groups: [
      {
        group: 'g',
        role: 'follower',
        term: 4,
        leader: 'c',
        commit: 9,
        applied: 8,
        lastIndex: 9,
        voters: ['me', 'c', 'b'],
        learners: ['a'],
        observers: [],
        cluster: 'k',
        bonds: [
          { peer: 'c', rttMs: 1.5, silenceMs: 100, term: 4, commit: 9, cluster: 'k' },
          { peer: 'b', rttMs: null, silenceMs: 5_000, term: 3, commit: 2, cluster: 'k' },
        ],
        machine: null,
      },
      {
        group: 'h',
        role: 'leader',
        term: 1,
        leader: 'me',
        commit: 1,
        applied: 1,
        lastIndex: 1,
        voters: ['me'],
        learners: [],
        observers: ['z'],
        cluster: 'l',
        bonds: [],
        machine: { kind: 'map', size: 12, version: 30 },
      },
    ],
  };
}

const events: DiagnosticsEvent[] = [
  { seq: 1, at: 10, kind: 'join', peer: 'c', text: 'peer joined' },
  { seq: 2, at: 20, kind: 'election', group: 'g', peer: 'b', text: 'leader b elected in term 3' },
  { seq: 3, at: 30, kind: 'election', group: 'g', peer: 'c', text: 'leader c elected in term 4' },
  { seq: 4, at: 40, kind: 'election', group: 'h', peer: 'me', text: 'leader me elected in term 1' },
];

function input(overrides: Partial<SnapshotInput> = {}): SnapshotInput {
  return {
    now: 12_000,
    self: {
      peer: 'me',
      network: 'net',
      addresses: ['127.0.0.1:1'],
      relay: undefined,
      bootstrap: 'me@127.0.0.1:1',
      tags: ['t1'],
      startedAt: 2_000,
    },
    peers: [
      {
        peer: 'c',
        tags: ['t1'],
        addresses: [],
        relay: undefined,
        rttMs: 2,
        updatedAt: 11_000,
        startedAt: 1_000,
        streams: [],
        groups: ['g'],
      },
      {
        peer: 'a',
        tags: ['t2'],
        addresses: [],
        relay: 'https://r/',
        rttMs: undefined,
        updatedAt: 13_000,
        startedAt: 1_000,
        streams: ['s'],
        groups: [],
      },
      {
        peer: 'b',
        tags: [],
        addresses: [],
        relay: undefined,
        rttMs: 1,
        updatedAt: 1_000,
        startedAt: 500,
        streams: [],
        groups: ['g'],
      },
    ],
    active: ['c'],
    passive: ['a'],
    report: report(12_000, 300, 200, 50),
    previous: report(10_000, 100, 100, 10),
    events,
    tagNames: new Map([['t1', 'beacon']]),
    ...overrides,
  };
}

describe('diagnostics snapshot model', () => {
  it('computes rates per stream and per subscription from the previous reading', () => {
    const s = buildSnapshot(input());
    const produced = s.streams.produced[0]!;
    expect(produced.rate).toBe(100);
    expect(produced.subscribers.map((x) => [x.peer, x.rate, x.queued, x.dropped])).toEqual([
      ['a', 0, 0, 0],
      ['b', 50, 3, 2],
    ]);
    expect(s.streams.consumed[0]).toMatchObject({ rate: 20, queued: 1 });
    expect(s.streams.consumed[0]!.producers[0]!.rate).toBe(20);
  });

  it('shows no rate without a previous reading, or when counters went back', () => {
    expect(buildSnapshot(input({ previous: undefined })).streams.produced[0]!.rate).toBe(0);
    expect(rate(5, 2_000, 10, 1_000)).toBe(0);
    expect(rate(20, 1_000, 10, 1_000)).toBe(0);
    expect(rate(20, 1_500, 10, 1_000)).toBe(20);
  });

  it('sorts peers, names known tags, places them in the overlay and ages their entries', () => {
    const s = buildSnapshot(input());
    expect(s.peers.map((p) => [p.peer, p.view, p.lastSeenMs, p.rttMs])).toEqual([
      ['a', 'passive', 0, null],
      ['b', 'none', 11_000, 1],
      ['c', 'active', 1_000, 2],
    ]);
    expect(s.peers.find((p) => p.peer === 'c')!.tags).toEqual(['beacon']);
    expect(s.node.tags).toEqual(['beacon']);
    expect(s.node.uptimeMs).toBe(10_000);
    expect(s.overlay).toEqual({ active: ['c'], passive: ['a'] });
  });

  it('summarises groups with bond health and their own recent elections', () => {
    const s = buildSnapshot(input({ bondSilenceLimitMs: 1_000 }));
    const g = s.groups.find((x) => x.group === 'g')!;
    expect(g).toMatchObject({
      role: 'follower',
      term: 4,
      leader: 'c',
      commit: 9,
      applied: 8,
      voters: ['b', 'c', 'me'],
    });
    expect(g.bonds.map((b) => [b.peer, b.healthy])).toEqual([
      ['b', false],
      ['c', true],
    ]);
    expect(g.elections.map((e) => e.seq)).toEqual([3, 2]);
    expect(s.groups.find((x) => x.group === 'h')!.observers).toEqual(['z']);
  });

  it('feeds the collections panel from groups whose machine reports a size and version', () => {
    expect(buildSnapshot(input()).collections).toEqual([{ group: 'h', kind: 'map', size: 12, version: 30 }]);
  });

  it('keeps the latest events only, and is deterministic', () => {
    expect(buildSnapshot(input({ eventLimit: 2 })).events.map((e) => e.seq)).toEqual([3, 4]);
    expect(buildSnapshot(input())).toEqual(buildSnapshot(input()));
  });
});
