/**
 * The rolling event log of the diagnostics page: joins, departures, elections, cluster resets
 * and abnormal link closes, newest last, bounded.
 */
import type { Discovery } from '@mosaik/discovery';
import type { Groups } from '@mosaik/rsm';
import { CloseCode, closeCodeName, type LocalNode } from '@mosaik/transport';
import { STATUS_ALPN } from './status-protocol.js';

/** Kinds of logged events. */
export type DiagnosticsEventKind = 'join' | 'update' | 'departure' | 'election' | 'reset' | 'link-closed';

/** One logged event. Ids are hex. */
export interface DiagnosticsEvent {
  /** Increasing sequence number (per log). */
  readonly seq: number;
  /** ms since the epoch. */
  readonly at: number;
  readonly kind: DiagnosticsEventKind;
  /** The peer concerned, if any. */
  readonly peer?: string;
  /** The group concerned, if any. */
  readonly group?: string;
  /** Human-readable details. */
  readonly text: string;
}

/** A bounded, append-only event log. */
export class EventLog {
  readonly #items: DiagnosticsEvent[] = [];
  #seq = 0;

  constructor(readonly capacity = 500) {}

  /** Appends an event (the oldest falls out past `capacity`). */
  add(event: Omit<DiagnosticsEvent, 'seq' | 'at'> & { at?: number }): DiagnosticsEvent {
    const full: DiagnosticsEvent = { ...event, seq: ++this.#seq, at: event.at ?? Date.now() };
    this.#items.push(full);
    if (this.#items.length > this.capacity) this.#items.shift();
    return full;
  }

  /** Every kept event, oldest first. */
  list(): readonly DiagnosticsEvent[] {
    return this.#items;
  }
}

/**
 * Link closes that are routine and would drown the log: finished exchanges (ping, sync, status)
 * and this node's own shutdown.
 */
function routineClose(code: number | undefined, alpn: string): boolean {
  return (
    code === CloseCode.Success ||
    code === CloseCode.Cancelled ||
    code === CloseCode.GracefulShutdown ||
    // Two members dialing each other at once: one of the two links is dropped by design.
    code === CloseCode.AlreadyBonded ||
    alpn === STATUS_ALPN
  );
}

/** How often group state is sampled for elections and resets. */
const GROUP_POLL_MS = 100;

/**
 * Feeds `log` from a live node until the returned function is called: discovery events,
 * abnormal link closes, and leader/term changes and resets of every group (sampled every
 * 100 ms, so an election shows up at most that late).
 */
export function watchNode(
  node: { readonly local: LocalNode; readonly discovery: Discovery; readonly groups: Groups },
  log: EventLog,
): () => void {
  const abort = new AbortController();
  void (async () => {
    for await (const ev of node.discovery.events(abort.signal)) {
      if (ev.type === 'lagged') log.add({ kind: 'update', text: `missed ${ev.missed} discovery events` });
      else if (ev.type === 'peerDiscovered')
        log.add({ kind: 'join', peer: ev.entry.peerId.toString(), text: 'peer joined' });
      else if (ev.type === 'peerDeparted')
        log.add({ kind: 'departure', peer: ev.peerId.toString(), text: 'peer departed' });
    }
  })().catch(() => {});
  const unlink = node.local.onLinkClosed((ev) => {
    if (routineClose(ev.info.code, ev.alpn)) return;
    const { code, reason, local } = ev.info;
    const how =
      code === undefined
        ? reason
        : `${closeCodeName(code)} (${code})${reason && reason !== closeCodeName(code) ? `, ${reason}` : ''}`;
    log.add({
      kind: 'link-closed',
      peer: ev.peer.toString(),
      // Without a code the reason already says who closed it ("closed by peer: …").
      text:
        code === undefined
          ? `${ev.alpn} link ended: ${how}`
          : `${ev.alpn} link closed ${local ? 'locally' : 'by peer'}: ${how}`,
    });
  });
  const seen = new Map<string, { term: number; leader: string | undefined; resetAt: number | undefined }>();
  const poll = setInterval(() => {
    for (const group of node.groups.list()) {
      if (group.isClosed) continue;
      const key = group.id.toString();
      const st = group.status();
      const resetAt = group.lastReset()?.at;
      const before = seen.get(key);
      seen.set(key, { term: st.term, leader: st.leader, resetAt });
      if (st.leader !== undefined && (before === undefined || before.leader !== st.leader)) {
        log.add({
          kind: 'election',
          group: key,
          peer: st.leader,
          text: `leader ${st.leader.slice(0, 10)} elected in term ${st.term}`,
        });
      } else if (st.leader === undefined && before?.leader !== undefined) {
        log.add({
          kind: 'election',
          group: key,
          text: `leader ${before.leader.slice(0, 10)} lost; electing`,
        });
      }
      const reset = group.lastReset();
      if (reset !== undefined && reset.at !== before?.resetAt) {
        log.add({
          kind: 'reset',
          group: key,
          text: `cluster merge: discarded ${reset.discarded.cluster} at index ${reset.discarded.committed}, joined ${reset.joined}`,
        });
      }
    }
  }, GROUP_POLL_MS);
  poll.unref();
  return () => {
    abort.abort();
    unlink();
    clearInterval(poll);
  };
}
