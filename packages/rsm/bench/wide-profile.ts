/**
 * In-process profile of a wide group (dev only): N members (V voters, the rest learners) in this
 * process on loopback, memory storage; puts/s from the leader with `CLIENTS` clients.
 *   WIDE_N=15 WIDE_V=5 node --conditions=@mosaik/source --import tsx bench/wide-profile.ts
 */
import { Discovery } from '@mosaik/discovery';
import { LocalNode } from '@mosaik/transport';
import { closedLoop } from '../../../tooling/bench/load.mjs';
import { type Group, Groups, storage } from '../src/index.js';
import { Kv, type Put } from './kv.js';

const N = Number(process.env.WIDE_N ?? 3);
const V = Number(process.env.WIDE_V ?? Math.min(N, 5));
const CLIENTS = Number(process.env.CLIENTS ?? 1);
const MS = Number(process.env.BENCH_MS ?? 3000);
const network = `wide-profile-${Math.random()}`;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

const nodes = [];
for (let i = 0; i < N; i++) {
  const node = await LocalNode.bind(network, { preset: 'local' });
  const discovery = await Discovery.start(node, { rttProbeIntervalMs: 600_000 });
  nodes.push({ node, discovery, groups: new Groups(node, discovery) });
}
const first = nodes[0]!;
await Promise.all(nodes.slice(1).map((n) => n.discovery.syncWith(first.node.addr())));
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
      bootstrapDelay: 300 + i * 50,
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
const r = await closedLoop({
  clients: CLIENTS,
  warmupMs: 500,
  ms: MS,
  op: (c, seq) => leader.execute({ k: `key-${c}-${seq % 1000}`, v: value }),
});
console.log(
  JSON.stringify({
    N,
    V,
    clients: CLIENTS,
    settleMs: Math.round(settled),
    rate: Math.round((r.count / r.ms) * 1000),
    p50: r.p50,
    p99: r.p99,
  }),
);
for (const n of nodes) {
  await n.groups.close();
  await n.discovery.close();
  await n.node.close();
}
process.exit(0);
