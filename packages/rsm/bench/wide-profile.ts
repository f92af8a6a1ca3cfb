/**
 * In-process profile of a wide group (dev only): N members (V voters, the rest learners) in this
 * process on loopback, memory storage; puts/s from the leader with `CLIENTS` clients.
 *   WIDE_N=15 WIDE_V=5 node --conditions=@mosaik/source --import tsx bench/wide-profile.ts
 * Only the first member founds (the others join it), so no clusters merge. It prints the process's
 * CPU per member over 2 s without writes (`idleCpuPerMember`, JS thread and transport threads,
 * in cores) and during the load (`loadCpu`). `WIDE_PROFILE=idle|load` writes a V8 CPU profile of
 * that phase to `wide-<phase>.cpuprofile`; `MOSAIK_COMMIT_TRACE=1` adds the median and p90 of
 * propose → sent → first follower's receipt → each voter's ack → quorum → applied.
 */
import { Discovery } from '@mosaik/discovery';
import { LocalNode } from '@mosaik/transport';
import { closedLoop } from '../../../tooling/bench/load.mjs';
import { saveProfile, startProfile } from '../../../tooling/bench/profile.mjs';
import { syncWithAnySeed } from '../../../tooling/bench/seeds.mjs';
import { type Group, Groups, storage } from '../src/index.js';
import { commitTrace } from '../src/trace.js';
import { Kv, type Put } from './kv.js';

const N = Number(process.env.WIDE_N ?? 3);
const V = Number(process.env.WIDE_V ?? Math.min(N, 5));
const CLIENTS = Number(process.env.CLIENTS ?? 1);
const MS = Number(process.env.BENCH_MS ?? 3000);
const network = `wide-profile-${Math.random()}`;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

const nodes: { node: LocalNode; discovery: Discovery; groups: Groups }[] = [];
for (let i = 0; i < N; i++) {
  const node = await LocalNode.bind(network, { preset: 'local' });
  const discovery = await Discovery.start(node, { rttProbeIntervalMs: 600_000 });
  nodes.push({ node, discovery, groups: new Groups(node, discovery) });
}
const first = nodes[0]!;
// All at once, the joiners' first syncs are refused as busy by the one seed: retried.
await Promise.all(nodes.slice(1).map((n) => syncWithAnySeed(n.discovery, [first.node.addr()])));
const t0 = performance.now();
const groups: Group<Put, string, number>[] = nodes.map((n, i) =>
  n.groups
    .withKey('wide-profile')
    .withStateMachine(new Kv())
    .withStorage(storage.memory())
    .withConsensus({
      tickInterval: 20,
      heartbeatInterval: 100,
      electionTimeout: 1000,
      maxVoters: V,
      // Only the first member founds: the others join it (no clusters to merge).
      bootstrapDelay: i === 0 ? 300 : 10_000,
    })
    .join(),
);
const SETTLE_MAX = Number(process.env.SETTLE_MAX_MS ?? 600_000);
let lastReport = 0;
for (;;) {
  const s = groups.map((g) => g.status());
  if (performance.now() - lastReport > 5000) {
    lastReport = performance.now();
    const lead = s.find((x) => x.role === 'leader');
    console.error(
      `t=${Math.round(performance.now() - t0)} leader=${lead?.leader?.slice(0, 6)} conf=${lead?.voters.length}v+${lead?.learners.length}l ` +
        `know-leader=${s.filter((x) => x.leader !== undefined && x.leader === lead?.leader).length} ` +
        `in-conf=${s.filter((x, i) => x.voters.length + x.learners.length > 0 && [...x.voters, ...x.learners].includes(nodes[i]!.node.peerId.toString())).length} ` +
        `bonds=${groups.map((g) => g.bonds().size).join(',')} applied=${s.map((x) => x.applied).join(',')}`,
    );
  }
  if (performance.now() - t0 > SETTLE_MAX) {
    console.error('not settled');
    break;
  }
  const lead = s.find((x) => x.role === 'leader');
  if (
    lead &&
    lead.voters.length === V &&
    lead.learners.length === N - V &&
    s.every((x) => x.leader === lead.leader && x.applied >= lead.commit - 5)
  )
    break;
  await sleep(100);
}
const settled = performance.now() - t0;
const leader = groups.find((g) => g.status().role === 'leader')!;
const value = new Uint8Array(100).fill(7);
// Idle cost: the whole process's CPU (JS thread and the transport's threads) while nobody writes.
const PROFILE = process.env.WIDE_PROFILE;
const stopIdleProfile = PROFILE === 'idle' ? await startProfile() : undefined;
const idleFrom = process.cpuUsage();
await sleep(2000);
const idle = process.cpuUsage(idleFrom);
if (stopIdleProfile) saveProfile('wide-idle.cpuprofile', await stopIdleProfile());
const stopLoadProfile = PROFILE === 'load' ? await startProfile() : undefined;
const idleCpu = (idle.user + idle.system) / 1000 / 2000;
const loadFrom = process.cpuUsage();
commitTrace?.reset();
const r = await closedLoop({
  clients: CLIENTS,
  warmupMs: 500,
  ms: MS,
  op: (c, seq) => leader.execute({ k: `key-${c}-${seq % 1000}`, v: value }),
});
const load = process.cpuUsage(loadFrom);
if (stopLoadProfile) saveProfile('wide-load.cpuprofile', await stopLoadProfile());
console.log(
  JSON.stringify({
    idleCpuPerMember: Number((idleCpu / N).toFixed(4)),
    loadCpu: Number(((load.user + load.system) / 1000 / (r.ms + 500)).toFixed(3)),
    N,
    V,
    clients: CLIENTS,
    settleMs: Math.round(settled),
    rate: Math.round((r.count / r.ms) * 1000),
    p50: r.p50,
    p99: r.p99,
  }),
);
if (commitTrace !== undefined) traceReport(leader.status().voters, leader.status().leader ?? '');
for (const n of nodes) {
  await n.groups.close();
  await n.discovery.close();
  await n.node.close();
}
process.exit(0);

/**
 * With MOSAIK_COMMIT_TRACE=1 (all members share this process's tracer, so only marks one member
 * makes are meaningful): per entry, propose → sent, propose → each voter's ack, the quorum's
 * ack, → applied; medians and p90 in ms.
 */
function traceReport(voters: readonly string[], leaderId: string): void {
  const marks = commitTrace!.dump().marks;
  const others = voters.filter((v) => v !== leaderId);
  const q = Math.floor(voters.length / 2) + 1;
  const series = new Map<string, number[]>();
  const add = (k: string, v: number | undefined) => {
    if (v === undefined || !Number.isFinite(v)) return;
    const a = series.get(k) ?? [];
    a.push(v);
    series.set(k, a);
  };
  for (const m of Object.values(marks)) {
    if (m.propose === undefined || m.applied === undefined) continue;
    const acks = others
      .map((v) => m[`ack:${v}`])
      .filter((x): x is number => x !== undefined)
      .sort((a, b) => a - b);
    const quorumAck = acks[q - 2];
    add('propose→sent', m.sent! - m.propose);
    add('propose→received(first follower)', m.received! - m.propose);
    for (const [i, a] of acks.entries()) add(`propose→ack #${i + 1}`, a - m.propose);
    add('propose→quorum ack', quorumAck! - m.propose);
    add('quorum ack→applied', m.applied - quorumAck!);
    add('propose→applied', m.applied - m.propose);
  }
  const pct = (a: number[], p: number) =>
    a.sort((x, y) => x - y)[Math.min(a.length - 1, Math.floor(p * a.length))]!;
  for (const [k, a] of series)
    console.error(
      `${k.padEnd(36)} n=${a.length} p50=${pct(a, 0.5).toFixed(2)} p90=${pct(a, 0.9).toFixed(2)} max=${pct(a, 1).toFixed(1)}`,
    );
  console.error(JSON.stringify(commitTrace!.dump().counters));
}
