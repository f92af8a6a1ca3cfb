/**
 * Several members of the wide-group benchmark in one process, driven by `wide.bench.ts` over
 * IPC. Each member is a whole node (its own endpoint, discovery and groups), as on separate
 * machines; a process holds several only because 50 processes would not fit two cores.
 *
 * Orchestrator → host: `seeds {addrs}` (sync discovery with them, join the group, report
 * `joined`), `status`, `run {member, clients, ms, warmupMs, valueBytes}`, `probe {since, deadlineMs}`
 * (write through this host's first member until one succeeds), `exit`.
 * Host → orchestrator: `ready {addrs}`, `joined`, `status {members}`, `result`, `probed`.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Discovery } from '@mosaik/discovery';
import { PeerId } from '@mosaik/id';
import { LocalNode } from '@mosaik/transport';
import { closedLoop, quantile } from '../../../tooling/bench/load.mjs';
import { saveProfile, startProfile } from '../../../tooling/bench/profile.mjs';
import { syncWithAnySeed } from '../../../tooling/bench/seeds.mjs';
import { type Group, Groups, storage } from '../src/index.js';
import { commitTrace } from '../src/trace.js';
import { Kv, type Put } from './kv.js';

process.env.RUST_LIB_BACKTRACE ??= '0';

export interface HostConfig {
  readonly network: string;
  /** FileStorage directories go below this one (one per member). */
  readonly dir: string;
  readonly members: number;
  readonly heartbeatMs: number;
  readonly electionMs: number;
  /** Where a `run` writes a V8 CPU profile of this process during its load, if anywhere. */
  readonly profileDir?: string | undefined;
}

/**
 * With `MOSAIK_COMMIT_TRACE=1`: ms from the leader's `propose` of each entry to each later mark
 * the leader made for it (`sent`, `synced`, `applied`, `ack:<voter>`), p50 and p90 over the run.
 */
export type StageTimes = Record<string, { n: number; p50: number; p90: number }>;

export interface WireAddr {
  readonly id: string;
  readonly directAddresses: string[];
}

/** One member as the orchestrator sees it. */
export interface MemberStatus {
  readonly id: string;
  readonly leader: boolean;
  readonly lead: string;
  readonly voters: number;
  readonly learners: number;
  readonly online: boolean;
  readonly role: string;
  readonly term: number;
  readonly commit: number;
}

export type ToHost =
  | { t: 'seeds'; addrs: WireAddr[] }
  | { t: 'status' }
  | { t: 'run'; member: string; clients: number; ms: number; warmupMs: number; valueBytes: number }
  | { t: 'probe'; since: number; deadlineMs: number }
  | { t: 'exit' };

export type FromHost =
  | { t: 'ready'; addrs: WireAddr[] }
  | { t: 'joined' }
  | { t: 'status'; members: MemberStatus[] }
  | {
      t: 'result';
      count: number;
      failed: number;
      ms: number;
      p50: number;
      p99: number;
      /** Bytes the member's bonds sent during the run (warm-up included). */
      bytesSent: number;
      stages?: StageTimes;
    }
  | { t: 'probed'; at: number; attempts: number; errors: Record<string, number> };

interface Member {
  readonly node: LocalNode;
  readonly discovery: Discovery;
  readonly groups: Groups;
  group?: Group<Put, string, number>;
}

const send = (m: FromHost) => process.send?.(m);
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

const cfg = JSON.parse(process.argv[2]!) as HostConfig;
const members: Member[] = [];
for (let i = 0; i < cfg.members; i++) {
  const node = await LocalNode.bind(cfg.network, { preset: 'local' });
  const discovery = await Discovery.start(node, { rttProbeIntervalMs: 600_000 });
  members.push({ node, discovery, groups: new Groups(node, discovery) });
}
send({
  t: 'ready',
  addrs: members.map(({ node }) => {
    const a = node.addr();
    return { id: a.id.toString(), directAddresses: [...a.directAddresses] };
  }),
});

function joinGroup(m: Member, index: number): Group<Put, string, number> {
  const dir = join(cfg.dir, m.node.peerId.toString().slice(0, 16));
  mkdirSync(dir, { recursive: true });
  m.group = m.groups
    .withKey('mosaik-bench-wide')
    .withStateMachine(new Kv())
    .withStorage(process.env.BENCH_STORAGE === 'memory' ? storage.memory() : storage.file(dir))
    .withConsensus({
      tickInterval: Math.max(10, Math.round(cfg.heartbeatMs / 5)),
      heartbeatInterval: cfg.heartbeatMs,
      electionTimeout: cfg.electionMs,
      // The first host's members found the group; later ones find it already there.
      bootstrapDelay: 500 + index * 50,
    })
    .join();
  return m.group;
}

/** Bytes a node's group bonds have sent so far (its `mosaik_groups_bonds_bytes_sent_total`). */
async function bondBytesSent(node: LocalNode): Promise<number> {
  const metric = node.metrics.registry.getSingleMetric('mosaik_groups_bonds_bytes_sent_total');
  const values = (await metric?.get())?.values ?? [];
  return values.reduce((sum, v) => sum + v.value, 0);
}

function member(id: string): Member {
  const m = members.find((x) => x.node.peerId.toString() === id);
  if (m?.group === undefined) throw new Error(`no joined member ${id} in this host`);
  return m;
}

async function onMessage(m: ToHost): Promise<void> {
  switch (m.t) {
    case 'seeds': {
      const seeds = m.addrs.map((a) => ({ id: PeerId.parse(a.id), directAddresses: a.directAddresses }));
      // A member needs one seed's catalog to find the group (gossip brings the rest).
      await Promise.all(
        members.map(({ discovery, node }) =>
          syncWithAnySeed(
            discovery,
            seeds.filter((s) => !s.id.equals(node.peerId)),
          ),
        ),
      );
      for (const [i, x] of members.entries()) joinGroup(x, i);
      send({ t: 'joined' });
      return;
    }
    case 'status': {
      send({
        t: 'status',
        members: members.map(({ node, group }) => {
          const s = group!.status();
          const me = node.peerId.toString();
          return {
            id: me,
            leader: s.role === 'leader',
            lead: s.leader ?? '',
            voters: s.voters.length,
            learners: s.learners.length,
            online: s.leader !== undefined && (s.voters.includes(me) || s.learners.includes(me)),
            role: s.role,
            term: s.term,
            commit: s.commit,
          };
        }),
      });
      return;
    }
    case 'run': {
      const runner = member(m.member);
      const g = runner.group!;
      const bytesBefore = await bondBytesSent(runner.node);
      const value = new Uint8Array(m.valueBytes).fill(7);
      commitTrace?.reset();
      const profiler = cfg.profileDir === undefined ? undefined : await startProfile();
      const r = await closedLoop({
        clients: m.clients,
        warmupMs: m.warmupMs,
        ms: m.ms,
        op: (c, seq) => g.execute({ k: `key-${c}-${seq % 1000}`, v: value }),
      });
      const { voters, learners } = g.status();
      if (profiler !== undefined) {
        const name = `leader-of-${voters.length + learners.length}-members-${m.clients}-clients.cpuprofile`;
        saveProfile(join(cfg.profileDir!, name), await profiler());
      }
      const stages = commitTrace === undefined ? undefined : stageTimes(voters);
      const bytesSent = (await bondBytesSent(runner.node)) - bytesBefore;
      send({
        t: 'result',
        count: r.count,
        failed: r.failed,
        ms: r.ms,
        p50: r.p50,
        p99: r.p99,
        bytesSent,
        stages,
      });
      return;
    }
    case 'probe': {
      // After the leader's process was killed: write until a write succeeds.
      const g = members[0]!.group!;
      let attempts = 0;
      const errors: Record<string, number> = {};
      for (;;) {
        attempts++;
        const ok = await g
          .execute({ k: 'failover', v: new Uint8Array(8) }, { signal: AbortSignal.timeout(m.deadlineMs) })
          .then(
            () => true,
            (error: unknown) => {
              // What kept the writes failing (for BENCH_TRACE_FAILOVER), without ids and numbers.
              const why = String(error)
                .replace(/[0-9a-f]{6,}/g, '…')
                .replace(/\d+/g, 'N')
                .slice(0, 120);
              errors[why] = (errors[why] ?? 0) + 1;
              return false;
            },
          );
        if (ok) {
          send({ t: 'probed', at: now(), attempts, errors });
          return;
        }
        await sleep(5);
      }
    }
    case 'exit':
      for (const x of members) {
        await x.groups.close();
        await x.discovery.close();
        await x.node.close();
      }
      process.disconnect();
      return;
  }
}

/** The leader's commit trace of the last run, per mark (acknowledgements of `voters` only). */
function stageTimes(voters: readonly string[]): StageTimes {
  const since = new Map<string, number[]>();
  for (const marks of Object.values(commitTrace!.dump().marks)) {
    const proposed = marks.propose;
    if (proposed === undefined) continue;
    for (const [mark, at] of Object.entries(marks)) {
      if (mark === 'propose' || (mark.startsWith('ack:') && !voters.includes(mark.slice(4)))) continue;
      const key = mark.startsWith('ack:') ? `ack:${mark.slice(4, 12)}` : mark;
      const times = since.get(key) ?? [];
      times.push(at - proposed);
      since.set(key, times);
    }
  }
  const out: StageTimes = {};
  for (const [mark, times] of since) {
    times.sort((a, b) => a - b);
    out[mark] = { n: times.length, p50: quantile(times, 0.5), p90: quantile(times, 0.9) };
  }
  return out;
}

process.on('message', (m: ToHost) => {
  onMessage(m).catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
});
