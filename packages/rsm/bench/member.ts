/**
 * One member of the benchmark's 3-member group, in its own process (as each etcd member is),
 * driven by the orchestrator (`consensus.bench.ts`) over IPC.
 *
 * Orchestrator → member: `peers {addrs}` (sync discovery, join, report `formed`), `status`,
 * `run {clients, ms, warmupMs}` (the load runs here: clients are `execute` loops on this member),
 * `probe {since, deadlineMs}` (write until one succeeds, report when), `traceReset` and `trace`
 * (commit stage marks, with `MOSAIK_COMMIT_TRACE=1`), `exit`.
 * Member → orchestrator: `ready {addr}`, `formed`, `status {leader, voters}`,
 * `result {count, ms, p50, p99}`, `probed {at}`.
 */
import { Discovery } from '@mosaik/discovery';
import { PeerId } from '@mosaik/id';
import { LocalNode } from '@mosaik/transport';
import { closedLoop } from '../../../tooling/bench/load.mjs';
import { type Group, Groups, storage } from '../src/index.js';
import { type CommitTraceDump, commitTrace } from '../src/trace.js';
import { Kv, type Put } from './kv.js';

process.env.RUST_LIB_BACKTRACE ??= '0';

export interface MemberConfig {
  readonly network: string;
  /** FileStorage directory. */
  readonly dir: string;
  /** Raft heartbeat and minimum election timeout, ms (set equal to etcd's). */
  readonly heartbeatMs: number;
  readonly electionMs: number;
}

export interface WireAddr {
  readonly id: string;
  readonly directAddresses: string[];
}

export type ToMember =
  | { t: 'peers'; addrs: WireAddr[] }
  | { t: 'status' }
  | { t: 'run'; clients: number; ms: number; warmupMs: number; valueBytes: number }
  | { t: 'probe'; since: number; deadlineMs: number }
  | { t: 'traceReset' }
  | { t: 'trace' }
  | { t: 'exit' };

export type FromMember =
  | { t: 'ready'; addr: WireAddr }
  | { t: 'formed' }
  | { t: 'status'; leader: boolean; lead: string; voters: number }
  | { t: 'result'; count: number; ms: number; p50: number; p99: number }
  | { t: 'probed'; at: number; attempts: number }
  | { t: 'trace'; id: string; dump: CommitTraceDump | undefined };

const send = (m: FromMember) => process.send?.(m);
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Whether `p` fulfilled within `ms` (a late outcome is ignored). */
async function withDeadline(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((r) => {
    timer = setTimeout(() => r(false), ms);
  });
  try {
    return await Promise.race([
      p.then(
        () => true,
        () => false,
      ),
      late,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

async function main(): Promise<void> {
  const cfg = JSON.parse(process.argv[2]!) as MemberConfig;
  const node = await LocalNode.bind(cfg.network, { preset: 'local' });
  const discovery = await Discovery.start(node, { announceIntervalMs: 600_000, rttProbeIntervalMs: 600_000 });
  const groups = new Groups(node, discovery);
  let group: Group<Put, string, number> | undefined;
  const a = node.addr();
  send({ t: 'ready', addr: { id: a.id.toString(), directAddresses: [...a.directAddresses] } });

  const onMessage = async (m: ToMember): Promise<void> => {
    switch (m.t) {
      case 'peers': {
        await Promise.all(
          m.addrs.map((p) =>
            discovery.syncWith({ id: PeerId.parse(p.id), directAddresses: p.directAddresses }),
          ),
        );
        group = groups
          .withKey('mosaik-bench')
          .withStateMachine(new Kv())
          .withStorage(process.env.BENCH_STORAGE === 'memory' ? storage.memory() : storage.file(cfg.dir))
          .withConsensus({
            tickInterval: Math.max(10, Math.round(cfg.heartbeatMs / 2)),
            heartbeatInterval: cfg.heartbeatMs,
            electionTimeout: cfg.electionMs,
            bootstrapDelay: 500,
            forwardTimeout: 2000,
          })
          .join();
        await group.when.online();
        send({ t: 'formed' });
        return;
      }
      case 'status': {
        const g = group!;
        send({
          t: 'status',
          leader: g.isLeader(),
          lead: g.leader()?.toString() ?? '',
          voters: g.members().voters.length,
        });
        return;
      }
      case 'run': {
        const g = group!;
        const value = new Uint8Array(m.valueBytes).fill(7);
        const r = await closedLoop({
          clients: m.clients,
          warmupMs: m.warmupMs,
          ms: m.ms,
          op: async (c, seq) => {
            const index = await g.execute({ k: `key-${c}-${seq % 1000}`, v: value });
            commitTrace?.mark('resolved', index);
          },
        });
        send({ t: 'result', count: r.count, ms: r.ms, p50: r.p50, p99: r.p99 });
        return;
      }
      case 'probe': {
        // After the leader was killed: write until a write succeeds. `forwardTimeout` bounds a
        // forward to the dead leader; with no leader known a write fails at once.
        const g = group!;
        let attempts = 0;
        for (;;) {
          attempts++;
          if (await withDeadline(g.execute({ k: 'failover', v: new Uint8Array(8) }), m.deadlineMs)) {
            send({ t: 'probed', at: now(), attempts });
            return;
          }
          await sleep(5);
        }
      }
      case 'traceReset':
        commitTrace?.reset();
        return;
      case 'trace':
        send({ t: 'trace', id: node.peerId.toString(), dump: commitTrace?.dump() });
        return;
      case 'exit':
        await groups.close();
        await discovery.close();
        await node.close();
        process.disconnect();
        return;
    }
  };
  process.on('message', (m: ToMember) => {
    onMessage(m).catch((error: unknown) => {
      console.error(error);
      process.exit(1);
    });
  });
}

await main();
