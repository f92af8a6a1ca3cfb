/**
 * One member process of the crash-restart test (`src/crash-restart.test.ts`): a node with a fixed
 * identity and a key-value group on `FileStorage` in `dir`, whose storage kills the process with
 * SIGKILL when it reaches the fault point `point` (none when `null`).
 *
 * Test → member: `peers {addrs}`, `state`, `exit`. Member → test: `ready {addr}`, `joined`,
 * `state {keys, status}`.
 */
import { Digest, PeerId, SecretKey } from '@mosaik/id';
import type { StorageFaultPoint } from '@mosaik/raft';
import { Kv, startNode } from '@mosaik/testkit';
import type { ConsensusConfig, GroupStatus } from '../src/index.js';
import { LeadershipPreference, storage } from '../src/index.js';

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

export interface WireAddr {
  readonly id: string;
  readonly directAddresses: string[];
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
const member = await startNode(cfg.network, {
  secretKey: SecretKey.fromDigest(Digest.from(cfg.identity)),
  groups: true,
});
const { node, discovery, groups } = member;
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
const a = node.addr();
send({ t: 'ready', addr: { id: a.id.toString(), directAddresses: [...a.directAddresses] } });

process.on('message', (m: ToCrashMember) => {
  void (async () => {
    switch (m.t) {
      case 'peers':
        await Promise.all(
          m.addrs.map((p) =>
            discovery
              .syncWith({ id: PeerId.parse(p.id), directAddresses: p.directAddresses })
              .catch(() => {}),
          ),
        );
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
