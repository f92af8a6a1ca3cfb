/**
 * One member process of the crash-restart test (`src/crash-restart.test.ts`): a node with a fixed
 * identity and a key-value group on `FileStorage` in `dir`, whose storage kills the process with
 * SIGKILL when it reaches the fault point `point` (none when `null`).
 *
 * Test → member: `peers {addrs}`, `state`, `exit`. Member → test: `ready {addr}`, `joined`,
 * `state {keys, status}`.
 */
import type { StorageFaultPoint } from '@mosaik/raft';
import { Kv } from '@mosaik/testkit';
import type { ConsensusConfig, GroupStatus } from '../src/index.js';
import { LeadershipPreference, storage } from '../src/index.js';
import { joinPeers, startMemberNode, type WireAddr, wireAddrOf } from './member-process.js';

process.env.RUST_LIB_BACKTRACE ??= '0';

export interface CrashMemberConfig {
  readonly network: string;
  /** Seed of the node's secret key: a restarted member keeps its peer id. */
  readonly identity: string;
  readonly dir: string;
  readonly key: string;
  readonly consensus: Partial<ConsensusConfig>;
  /** Where the storage kills this process. */
  readonly point: StorageFaultPoint | null;
}

export type ToCrashMember = { t: 'peers'; addrs: WireAddr[] } | { t: 'state' } | { t: 'exit' };

export type FromCrashMember =
  | { t: 'ready'; addr: WireAddr }
  | { t: 'joined' }
  | { t: 'state'; keys: string[]; status: Pick<GroupStatus, 'applied' | 'commit' | 'voters' | 'leader'> };

/** The test's key-value machine, reluctant to lead: the leader stays in the test process. */
class FollowerKv extends Kv {
  readonly leadershipPreference = LeadershipPreference.reluctant(5);
}

const send = (m: FromCrashMember) => {
  if (process.connected) process.send?.(m);
};

const cfg = JSON.parse(process.argv[2]!) as CrashMemberConfig;
const member = await startMemberNode(cfg.network, cfg.identity, true);
const { groups } = member;
const machine = new FollowerKv();
const group = groups
  .withKey(cfg.key)
  .withStateMachine(machine)
  .withStorage(
    storage.file(cfg.dir, {
      // Every compaction rewrites the log, so a compaction passes through the rewrite points.
      rewriteSlack: 0,
      faults: (point) => {
        if (point === cfg.point) process.kill(process.pid, 'SIGKILL');
      },
    }),
  )
  .withConsensus(cfg.consensus)
  .join();
send({ t: 'ready', addr: wireAddrOf(member) });

process.on('message', (m: ToCrashMember) => {
  void (async () => {
    switch (m.t) {
      case 'peers':
        await joinPeers(member, m.addrs);
        send({ t: 'joined' });
        return;
      case 'state': {
        const { applied, commit, voters, leader } = group.status();
        send({ t: 'state', keys: [...machine.map.keys()], status: { applied, commit, voters, leader } });
        return;
      }
      case 'exit':
        await member.close();
        process.disconnect();
        return;
    }
  })().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
});
