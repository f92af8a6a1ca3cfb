/**
 * The snapshot model of the diagnostics page: a pure function from what a node reads about
 * itself (its entry, catalog, gossip views, {@link NodeReport}, event log) to what the page and
 * the JSON API show. Rates come from the previous reading; nothing here reads a clock or a socket.
 */
import type { DiagnosticsEvent } from './events.js';
import type {
  BondReport,
  ConsumedStreamReport,
  GroupReport,
  NodeReport,
  ProducedStreamReport,
  SourceReport,
  SubscriberReport,
} from './report.js';

/** A peer as the catalog holds it. Ids are hex; times are ms since the epoch. */
export interface PeerInput extends Pick<PeerView, 'peer' | 'tags' | 'addresses' | 'streams' | 'groups'> {
  readonly relay: string | undefined;
  readonly rttMs: number | undefined;
  /** When its entry last changed (its heartbeat re-announces bump this). */
  readonly updatedAt: number;
  readonly startedAt: number;
}

/** This node. */
export interface SelfInput {
  readonly peer: string;
  readonly network: string;
  readonly addresses: readonly string[];
  readonly relay: string | undefined;
  readonly bootstrap: string;
  readonly tags: readonly string[];
  readonly startedAt: number;
}

/** Everything {@link buildSnapshot} needs. */
export interface SnapshotInput {
  readonly now: number;
  readonly self: SelfInput;
  readonly peers: readonly PeerInput[];
  /** Gossip active view (neighbours) and passive view (backups), hex ids. */
  readonly active: readonly string[];
  readonly passive: readonly string[];
  readonly report: NodeReport;
  /** The report of the previous snapshot, for rates. */
  readonly previous?: NodeReport | undefined;
  readonly events: readonly DiagnosticsEvent[];
  /** Names of well-known tags by their hex digest. */
  readonly tagNames?: ReadonlyMap<string, string>;
  /** A bond silent for longer than this is shown unhealthy (default 1500 ms). */
  readonly bondSilenceLimitMs?: number;
  /** How many log events the snapshot carries (default 200). */
  readonly eventLimit?: number;
}

/** Where a peer sits in this node's gossip overlay: an active or passive neighbour, or neither. */
export type OverlayView = 'active' | 'passive' | 'none';

/** A peer of the catalog as the diagnostics snapshot shows it. */
export interface PeerView {
  readonly peer: string;
  readonly tags: readonly string[];
  readonly addresses: readonly string[];
  readonly relay: string | null;
  readonly rttMs: number | null;
  /** ms since its entry last changed. */
  readonly lastSeenMs: number;
  readonly uptimeMs: number;
  readonly streams: readonly string[];
  readonly groups: readonly string[];
  /** Where the peer sits in this node's gossip overlay. */
  readonly view: OverlayView;
}

/** A counter's pace: datums per second since the previous snapshot. */
export interface Rated {
  readonly rate: number;
}

/** A subscriber of a produced stream, with its datum rate. */
export interface SubscriberView extends Omit<SubscriberReport, 'bytes'>, Rated {}

/** A stream this node produces, with its rate and subscribers. */
export interface ProducedView extends Omit<ProducedStreamReport, 'subscribers'>, Rated {
  readonly subscribers: readonly SubscriberView[];
}

/** A producer a local consumer is attached to, with its datum rate. */
export interface SourceView extends Omit<SourceReport, 'bytes'>, Rated {}

/** A stream this node consumes, with its rate and producers. */
export interface ConsumedView extends Omit<ConsumedStreamReport, 'producers'>, Rated {
  readonly producers: readonly SourceView[];
}

/** A bond of a group member, with its health. */
export interface BondView extends Omit<BondReport, 'cluster'> {
  /** Heard from within the silence limit. */
  readonly healthy: boolean;
}

/** A group this node is a member of, with its bonds and latest elections. */
export interface GroupView extends Omit<GroupReport, 'bonds' | 'machine'> {
  readonly bonds: readonly BondView[];
  /** This group's latest elections and resets, newest first (at most 10). */
  readonly elections: readonly DiagnosticsEvent[];
}

/** A group whose state machine reports a size and version (replicated collections). */
export interface CollectionView {
  readonly group: string;
  readonly kind: string;
  readonly size: number | null;
  readonly version: number | null;
}

/** What the diagnostics page and `GET /api/snapshot` show. */
export interface DiagnosticsSnapshot {
  readonly at: number;
  readonly node: SelfInput & { readonly uptimeMs: number };
  readonly peers: readonly PeerView[];
  readonly overlay: { readonly active: readonly string[]; readonly passive: readonly string[] };
  readonly streams: {
    readonly produced: readonly ProducedView[];
    readonly consumed: readonly ConsumedView[];
  };
  readonly groups: readonly GroupView[];
  readonly collections: readonly CollectionView[];
  readonly events: readonly DiagnosticsEvent[];
}

/** Datums per second between two counter readings; 0 without a usable previous one. */
export function rate(now: number, nowAt: number, before: number | undefined, beforeAt: number | undefined) {
  if (before === undefined || beforeAt === undefined || nowAt <= beforeAt || now < before) return 0;
  return ((now - before) * 1000) / (nowAt - beforeAt);
}

const byPeer = <T extends { readonly peer: string }>(a: T, b: T) =>
  a.peer < b.peer ? -1 : a.peer > b.peer ? 1 : 0;

/** Builds the snapshot. Pure: equal inputs give equal outputs. */
export function buildSnapshot(input: SnapshotInput): DiagnosticsSnapshot {
  const { now, report, previous } = input;
  const name = (tag: string) => input.tagNames?.get(tag) ?? tag.slice(0, 10);
  const active = new Set(input.active);
  const passive = new Set(input.passive);
  const prevAt = previous?.at;

  const peers: PeerView[] = input.peers
    .map((p) => ({
      peer: p.peer,
      tags: p.tags.map(name),
      addresses: p.addresses,
      relay: p.relay ?? null,
      rttMs: p.rttMs ?? null,
      lastSeenMs: Math.max(0, now - p.updatedAt),
      uptimeMs: Math.max(0, now - p.startedAt),
      streams: p.streams,
      groups: p.groups,
      view: (active.has(p.peer) ? 'active' : passive.has(p.peer) ? 'passive' : 'none') as OverlayView,
    }))
    .sort(byPeer);

  const produced: ProducedView[] = report.produced.map((s) => {
    const before = previous?.produced.find((x) => x.stream === s.stream);
    return {
      stream: s.stream,
      online: s.online,
      datums: s.datums,
      rate: rate(s.datums, report.at, before?.datums, prevAt),
      dropped: s.dropped,
      subscribers: s.subscribers
        .map((sub) => ({
          peer: sub.peer,
          state: sub.state,
          datums: sub.datums,
          rate: rate(
            sub.datums,
            report.at,
            before?.subscribers.find((x) => x.peer === sub.peer)?.datums,
            prevAt,
          ),
          queued: sub.queued,
          capacity: sub.capacity,
          dropped: sub.dropped,
        }))
        .sort(byPeer),
    };
  });

  const consumed: ConsumedView[] = report.consumed.map((c, i) => {
    // Several consumers of one stream may exist: pair them by position among that stream's.
    const nth = report.consumed.slice(0, i).filter((x) => x.stream === c.stream).length;
    const before = previous?.consumed.filter((x) => x.stream === c.stream)[nth];
    return {
      stream: c.stream,
      online: c.online,
      datums: c.datums,
      rate: rate(c.datums, report.at, before?.datums, prevAt),
      queued: c.queued,
      producers: c.producers
        .map((p) => ({
          peer: p.peer,
          state: p.state,
          datums: p.datums,
          rate: rate(p.datums, report.at, before?.producers.find((x) => x.peer === p.peer)?.datums, prevAt),
        }))
        .sort(byPeer),
    };
  });

  const limit = input.bondSilenceLimitMs ?? 1500;
  const groups: GroupView[] = report.groups.map((g) => ({
    group: g.group,
    role: g.role,
    term: g.term,
    leader: g.leader,
    commit: g.commit,
    applied: g.applied,
    lastIndex: g.lastIndex,
    voters: [...g.voters].sort(),
    learners: [...g.learners].sort(),
    observers: [...g.observers].sort(),
    cluster: g.cluster,
    bonds: g.bonds
      .map((b) => ({
        peer: b.peer,
        rttMs: b.rttMs,
        silenceMs: b.silenceMs,
        healthy: b.silenceMs <= limit,
        term: b.term,
        commit: b.commit,
      }))
      .sort(byPeer),
    elections: input.events
      .filter((e) => e.group === g.group && (e.kind === 'election' || e.kind === 'reset'))
      .slice(-10)
      .reverse(),
  }));

  const collections: CollectionView[] = report.groups.flatMap((g) =>
    g.machine === null
      ? []
      : [{ group: g.group, kind: g.machine.kind, size: g.machine.size, version: g.machine.version }],
  );

  return {
    at: now,
    node: {
      ...input.self,
      tags: input.self.tags.map(name),
      uptimeMs: Math.max(0, now - input.self.startedAt),
    },
    peers,
    overlay: { active: [...input.active].sort(), passive: [...input.passive].sort() },
    streams: { produced, consumed },
    groups,
    collections,
    events: input.events.slice(-(input.eventLimit ?? 200)),
  };
}
