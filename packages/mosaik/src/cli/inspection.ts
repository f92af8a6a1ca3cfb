/**
 * What `mosaik inspect` prints, built from the observer's catalog and the peers' status reports
 * (pure: the command gathers the inputs, this shapes them into peers, streams and groups).
 */
import type { PeerView } from '../diagnostics/model.js';
import type { NodeReport } from '../diagnostics/report.js';

/**
 * A catalog entry as the observer saw it. Ids are hex. The same fields as a peer on the
 * diagnostics page, with the entry's age under the name `mosaik inspect --json` has always used.
 */
export interface ObservedPeer extends Omit<PeerView, 'lastSeenMs' | 'view'> {
  /** ms since the entry last changed. */
  readonly entryAgeMs: number;
}

export interface InspectedStream {
  readonly stream: string;
  readonly producers: readonly { readonly peer: string; readonly consumers: readonly string[] }[];
}

export interface InspectedMember {
  readonly peer: string;
  /** `'unreachable'` when its status could not be read. */
  readonly role: string;
  readonly term: number | null;
  readonly leader: string | null;
  readonly commit: number | null;
  readonly applied: number | null;
}

export interface InspectedGroup {
  readonly group: string;
  /** The leader claimed in the highest term any member reports, if any. */
  readonly leader: string | null;
  readonly term: number | null;
  readonly members: readonly InspectedMember[];
}

/** The whole `--json` document. */
export interface Inspection {
  readonly network: string;
  /** The observer's own peer id (never listed among the peers). */
  readonly observer: string;
  readonly at: string;
  readonly peers: readonly ObservedPeer[];
  readonly streams: readonly InspectedStream[];
  readonly groups: readonly InspectedGroup[];
  /** Peers whose status could not be read, with the reason. */
  readonly unreachable: readonly { readonly peer: string; readonly error: string }[];
}

const sorted = (items: Iterable<string>) => [...new Set(items)].sort();

/** The value under `key`, created by `make` when missing. */
function upsert<K, V>(map: Map<K, V>, key: K, make: () => V): V {
  let value = map.get(key);
  if (value === undefined) {
    value = make();
    map.set(key, value);
  }
  return value;
}

/** Shapes the catalog and reports into an {@link Inspection}. */
export function buildInspection(input: {
  readonly network: string;
  readonly observer: string;
  readonly now: number;
  readonly peers: readonly ObservedPeer[];
  readonly reports: ReadonlyMap<string, NodeReport>;
  readonly failures: ReadonlyMap<string, string>;
}): Inspection {
  const peers = input.peers
    .filter((p) => p.peer !== input.observer)
    .sort((a, b) => (a.peer < b.peer ? -1 : 1));
  const reports = [...input.reports.values()].filter((r) => r.peer !== input.observer);

  // Streams: producers from the entries and the reports; consumers from both sides' reports.
  const streams = new Map<string, Map<string, Set<string>>>();
  const consumersOf = (stream: string, producer: string) =>
    upsert(
      upsert(streams, stream, () => new Map<string, Set<string>>()),
      producer,
      () => new Set<string>(),
    );
  for (const p of peers) for (const s of p.streams) consumersOf(s, p.peer);
  for (const r of reports) {
    for (const s of r.produced) for (const sub of s.subscribers) consumersOf(s.stream, r.peer).add(sub.peer);
    for (const c of r.consumed)
      for (const src of c.producers)
        if (src.state === 'connected') consumersOf(c.stream, src.peer).add(r.peer);
  }

  // Groups: members from the entries; consensus state from each member's own report.
  const groupMembers = new Map<string, Set<string>>();
  for (const p of peers) for (const g of p.groups) upsert(groupMembers, g, () => new Set()).add(p.peer);
  for (const r of reports)
    for (const g of r.groups) upsert(groupMembers, g.group, () => new Set()).add(r.peer);

  const groups: InspectedGroup[] = sorted(groupMembers.keys()).map((group) => {
    const members: InspectedMember[] = sorted(groupMembers.get(group) ?? []).map((peer) => {
      const g = input.reports.get(peer)?.groups.find((x) => x.group === group);
      if (g === undefined)
        return {
          peer,
          role: input.failures.has(peer) ? 'unreachable' : 'unknown',
          term: null,
          leader: null,
          commit: null,
          applied: null,
        };
      return { peer, role: g.role, term: g.term, leader: g.leader, commit: g.commit, applied: g.applied };
    });
    let best: InspectedMember | undefined;
    for (const m of members)
      if (m.leader !== null && m.term !== null && (best === undefined || m.term > (best.term ?? -1)))
        best = m;
    return { group, leader: best?.leader ?? null, term: best?.term ?? null, members };
  });

  return {
    network: input.network,
    observer: input.observer,
    at: new Date(input.now).toISOString(),
    peers,
    streams: sorted(streams.keys()).map((stream) => ({
      stream,
      producers: sorted(streams.get(stream)?.keys() ?? []).map((peer) => ({
        peer,
        consumers: sorted(streams.get(stream)?.get(peer) ?? []).filter((c) => c !== input.observer),
      })),
    })),
    groups,
    unreachable: sorted(input.failures.keys()).map((peer) => ({
      peer,
      error: input.failures.get(peer) ?? '',
    })),
  };
}
