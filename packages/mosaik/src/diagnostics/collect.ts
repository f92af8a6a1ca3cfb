/** Reads a live node's streams and groups into a {@link NodeReport}. */
import type { Group, Groups, MachineDescription } from '@mosaik/rsm';
import type { Streams } from '@mosaik/streams';
import type { LocalNode } from '@mosaik/transport';
import type { GroupReport, MachineReport, NodeReport } from './report.js';

/** The parts of a node a report is read from (a `Network` has them all). */
export interface ReportSources {
  readonly local: LocalNode;
  readonly streams: Streams;
  readonly groups: Groups;
}

/**
 * Tells what a group's state machine holds, for the collections panel (size and version of a
 * replicated collection). Return `undefined` for groups it does not know; those fall back to
 * the machine's own `describe()`.
 */
export type MachineDescriber = (group: Group<unknown, unknown, unknown>) => MachineReport | undefined;

function fromDescription(d: MachineDescription | undefined): MachineReport | null {
  return d === undefined ? null : { kind: d.kind, size: d.size ?? null, version: d.version ?? null };
}

function groupReport(group: Group<unknown, unknown, unknown>, now: number, describe?: MachineDescriber) {
  const st = group.status();
  const report: GroupReport = {
    group: group.id.toString(),
    role: st.role,
    term: st.term,
    leader: st.leader ?? null,
    commit: st.commit,
    applied: st.applied,
    lastIndex: st.lastIndex,
    voters: st.voters,
    learners: st.learners,
    observers: st.observers,
    cluster: st.cluster,
    bonds: group
      .bonds()
      .list()
      .map((b) => ({
        peer: b.peer.toString(),
        rttMs: b.rtt() ?? null,
        silenceMs: Math.max(0, now - b.lastReceivedAt),
        term: b.status?.term ?? null,
        commit: b.status?.commit ?? null,
        cluster: b.status?.cluster ?? null,
      })),
    machine: describe?.(group) ?? fromDescription(st.machine),
  };
  return report;
}

/** A report of everything `sources` produces, consumes and is a member of, taken now. */
export function collectReport(sources: ReportSources, describe?: MachineDescriber): NodeReport {
  const now = Date.now();
  return {
    peer: sources.local.peerId.toString(),
    network: sources.local.networkId.toString(),
    at: now,
    produced: sources.streams.producers().map((p) => {
      const stats = p.stats();
      return {
        stream: p.streamId.toString(),
        online: p.isOnline,
        datums: stats.datums,
        dropped: stats.dropped,
        subscribers: p.subscriptions().map((s) => ({
          peer: s.consumerId.toString(),
          state: s.state,
          datums: s.datums,
          bytes: s.bytes,
          queued: s.queued,
          capacity: s.capacity,
          dropped: s.dropped,
        })),
      };
    }),
    consumed: sources.streams.consumers().map((c) => {
      const stats = c.stats();
      return {
        stream: c.streamId.toString(),
        online: c.isOnline,
        datums: stats.datums,
        queued: stats.queued,
        producers: stats.producers.map((p) => ({
          peer: p.peerId,
          state: p.state,
          datums: p.datums,
          bytes: p.bytes,
        })),
      };
    }),
    groups: sources.groups
      .list()
      .filter((g) => !g.isClosed)
      .map((g) => groupReport(g, now, describe)),
  };
}
