/**
 * Where a lone client's commit spends its time: joins the leader's and the followers' commit
 * trace marks (`MOSAIK_COMMIT_TRACE=1`, see `src/trace.ts`) by log index and reports the median
 * of every stage, plus the work per commit (Readies, fsyncs, frames, messages) of each role.
 */
import { quantile } from '../../../tooling/bench/load.mjs';
import type { CommitTraceDump } from '../src/trace.js';

/** One stage of a commit: from mark `from` on `fromRole` to mark `to` on `toRole`. */
interface Stage {
  readonly name: string;
  readonly from: readonly [Role, string];
  readonly to: readonly [Role, string];
}

type Role = 'leader' | 'follower';

/** The critical path of one commit with a lone client, in order (they add up to `total`). */
const PATH: readonly Stage[] = [
  { name: 'leader: propose → Append handed to QUIC', from: ['leader', 'propose'], to: ['leader', 'sent'] },
  { name: 'network + decode: leader → follower', from: ['leader', 'sent'], to: ['follower', 'received'] },
  { name: 'follower: write + fsync', from: ['follower', 'received'], to: ['follower', 'synced'] },
  { name: 'follower: ack handed to QUIC', from: ['follower', 'synced'], to: ['follower', 'sent'] },
  { name: 'network + decode: follower → leader', from: ['follower', 'sent'], to: ['leader', 'ack'] },
  { name: 'leader: ack → applied', from: ['leader', 'ack'], to: ['leader', 'applied'] },
  { name: 'leader: applied → execute resolved', from: ['leader', 'applied'], to: ['leader', 'resolved'] },
];

/** Stages beside the path. */
const ASIDE: readonly Stage[] = [
  { name: '(parallel) leader: own write + fsync', from: ['leader', 'sent'], to: ['leader', 'synced'] },
  { name: '(parallel) leader: fsync done → ack', from: ['leader', 'synced'], to: ['leader', 'ack'] },
];

export interface CommitBreakdown {
  /** Entries traced end to end. */
  readonly commits: number;
  /** Stage name → median ms. */
  readonly stages: Record<string, number>;
  /** Median propose → resolved, ms. */
  readonly total: number;
  /** Per commit: counter name → value, for the leader and the (quorum) follower. */
  readonly work: { leader: Record<string, number>; follower: Record<string, number> };
}

/**
 * @param dumps every member's dump, keyed by its raft id (hex peer id)
 * @param leaderId the leader's raft id
 */
export function commitBreakdown(dumps: Map<string, CommitTraceDump>, leaderId: string): CommitBreakdown {
  const leader = dumps.get(leaderId);
  if (leader === undefined) throw new Error('no trace from the leader');
  const followers = [...dumps.entries()].filter(([id]) => id !== leaderId);
  const samples = new Map<string, number[]>();
  const totals: number[] = [];
  const quorumFollowerCount = new Map<string, number>();
  for (const [key, lm] of Object.entries(leader.marks)) {
    const index = Number(key);
    if (lm.propose === undefined || lm.resolved === undefined) continue;
    // The follower whose acknowledgement arrived first made the quorum.
    let best: { id: string; marks: Record<string, number>; ack: number } | undefined;
    for (const [id, d] of followers) {
      const ack = lm[`ack:${id}`];
      const fm = d.marks[index];
      if (ack === undefined || fm === undefined) continue;
      if (best === undefined || ack < best.ack) best = { id, marks: fm, ack };
    }
    if (best === undefined) continue;
    const at = (role: Role, mark: string): number | undefined =>
      role === 'leader' ? (mark === 'ack' ? best!.ack : lm[mark]) : best!.marks[mark];
    const values: [string, number][] = [];
    let complete = true;
    for (const s of [...PATH, ...ASIDE]) {
      const a = at(...s.from);
      const b = at(...s.to);
      if (a === undefined || b === undefined) {
        complete = false;
        break;
      }
      values.push([s.name, b - a]);
    }
    if (!complete) continue;
    for (const [name, v] of values) {
      const list = samples.get(name) ?? [];
      if (list.length === 0) samples.set(name, list);
      list.push(v);
    }
    totals.push(lm.resolved - lm.propose);
    quorumFollowerCount.set(best.id, (quorumFollowerCount.get(best.id) ?? 0) + 1);
  }
  const median = (xs: number[]) =>
    quantile(
      [...xs].sort((a, b) => a - b),
      0.5,
    );
  const stages: Record<string, number> = {};
  for (const s of [...PATH, ...ASIDE]) stages[s.name] = round(median(samples.get(s.name) ?? []));
  // Work per commit: counters over every entry the leader applied since the reset.
  const applied = Object.values(leader.marks).filter((m) => m.applied !== undefined).length;
  const perCommit = (d: CommitTraceDump | undefined): Record<string, number> => {
    const out: Record<string, number> = {};
    if (d === undefined || applied === 0) return out;
    for (const [k, v] of Object.entries(d.counters)) out[k] = round(v / applied);
    return out;
  };
  const quorumFollower = [...quorumFollowerCount.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
  return {
    commits: totals.length,
    stages,
    total: round(median(totals)),
    work: {
      leader: perCommit(leader),
      follower: perCommit(quorumFollower === undefined ? undefined : dumps.get(quorumFollower)),
    },
  };
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
