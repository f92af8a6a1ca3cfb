/**
 * One member process of the chaos test (`chaos.heavy.test.ts`): a node with a fixed identity, a
 * key-value group on `FileStorage`, a fault-injecting bond wrapper the test controls, and a
 * client that executes puts and strong reads and reports every call and return over IPC (a
 * process killed with -9 leaves its open calls without a return: unknown outcome).
 *
 * Test → member: `peers {addrs}`, `cut {peers}`, `heal`, `work {client, seed}`, `stopWork`,
 * `state`, `ping {n}`, `exit`. Member → test: `ready {addr}`, `joined`, `call {id, input, at}`,
 * `ret {id, output, at, served}`, `stopped`, `state {entries, committed, leader}`, `pong {n, at}`
 * (its clock, so the test can measure how far the members' clocks are from its own).
 */
import { PeerId } from '@mosaik/id';
import { FAST_CONSENSUS, Kv } from '@mosaik/testkit';
import { storage } from '../src/storage.js';
import { LinkFaults } from '../src/testing/faults.js';
import { joinPeers, startMemberNode, type WireAddr, wireAddrOf } from './member-process.js';

process.env.RUST_LIB_BACKTRACE ??= '0';

export interface ChaosMemberConfig {
  readonly network: string;
  /** Seed string of the node's secret key: a restarted member keeps its peer id. */
  readonly identity: string;
  readonly dir: string;
}

export type KvIn = { op: 'put'; key: string; value: string } | { op: 'get'; key: string };
export type KvOut = { value: string | null } | undefined;

/**
 * Diagnostics of one answered call: the log index a put got, or the applied index a read was
 * served at, and this member's view (term, role, leader) when it answered.
 */
export interface Served {
  readonly index: number;
  readonly term: number;
  readonly role: string;
  readonly leader: string;
}

export type ToChaos =
  | { t: 'peers'; addrs: WireAddr[] }
  | { t: 'cut'; peers: string[] }
  | { t: 'heal' }
  | { t: 'work'; client: number; keys: number }
  | { t: 'stopWork' }
  | { t: 'state' }
  | { t: 'ping'; n: number }
  | { t: 'exit' };

export type FromChaos =
  | { t: 'ready'; addr: WireAddr }
  | { t: 'joined' }
  | { t: 'call'; id: number; input: KvIn; at: number }
  | { t: 'ret'; id: number; output: KvOut; at: number; served: Served }
  | { t: 'pong'; n: number; at: number }
  | { t: 'stopped' }
  | { t: 'state'; entries: [string, string][]; committed: number; leader: string; cluster: string };

const send = (m: FromChaos) => {
  if (process.connected) process.send?.(m);
};
/**
 * Sends `m` and resolves once it is written to the pipe: a put starts only after its `call` is
 * there, so a kill -9 right after cannot leave a committed put whose call the test never saw.
 */
const sendFlushed = (m: FromChaos) =>
  new Promise<void>((resolve) => {
    if (!process.connected || process.send === undefined) resolve();
    else process.send(m, undefined, {}, () => resolve());
  });
/**
 * The system's monotonic clock in ms, as the test reads it too: one clock for every process on
 * the machine. (`performance.timeOrigin + performance.now()` is not: each process pins its own
 * wall-clock origin at start, and under load members came out up to 8 ms apart.)
 */
const now = () => Number(process.hrtime.bigint()) / 1e6;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const served = (index: number): Served => {
  const s = group.status();
  return { index, term: s.term, role: s.role, leader: (s.leader ?? '').slice(0, 8) };
};

const cfg = JSON.parse(process.argv[2]!) as ChaosMemberConfig;
const faults = new LinkFaults();
const member = await startMemberNode(cfg.network, cfg.identity, (peer) => ({
  wrapLink: faults.wrapper(peer),
}));
const { node, groups } = member;
const machine = new Kv();
const group = groups
  .withKey('rsm-chaos')
  .withStateMachine(machine)
  .withStorage(storage.file(cfg.dir))
  // Killed members stay voters: the test restarts them.
  .withConsensus({ ...FAST_CONSENSUS, deadMemberTimeout: 600_000 })
  .join();
send({ t: 'ready', addr: wireAddrOf(member) });

let working = false;
let worker: Promise<void> | undefined;
let nextId = 0;

async function work(client: number, keys: number): Promise<void> {
  let n = 0;
  while (working) {
    n++;
    const id = nextId++;
    const r = Math.random();
    if (r < 0.45) {
      const input: KvIn = { op: 'put', key: `k${Math.floor(Math.random() * keys)}`, value: `${client}-${n}` };
      await sendFlushed({ t: 'call', id, input, at: now() });
      try {
        const index = await group.execute({ put: input.key, value: input.value });
        send({ t: 'ret', id, output: undefined, at: now(), served: served(index) });
      } catch {
        // OfflineError or reset: the command may still commit. Its call stays open (unknown outcome).
      }
    } else if (r < 0.6) {
      // A key written once: an acknowledged one must be in the final state.
      const input: KvIn = { op: 'put', key: `u${client}-${n}`, value: 'x' };
      await sendFlushed({ t: 'call', id, input, at: now() });
      try {
        const index = await group.execute({ put: input.key, value: input.value });
        send({ t: 'ret', id, output: undefined, at: now(), served: served(index) });
      } catch {}
    } else {
      const input: KvIn = { op: 'get', key: `k${Math.floor(Math.random() * keys)}` };
      const at = now();
      try {
        const { result, at: applied } = await group.query(input.key, 'strong');
        send({ t: 'call', id, input, at });
        send({ t: 'ret', id, output: { value: result }, at: now(), served: served(applied) });
      } catch {
        // A failed read has no effect: it is left out of the history.
      }
    }
    await sleep(15 + Math.random() * 20);
  }
}

process.on('message', (m: ToChaos) => {
  void (async () => {
    switch (m.t) {
      case 'peers':
        await joinPeers(member, m.addrs);
        send({ t: 'joined' });
        return;
      case 'cut':
        for (const p of m.peers) faults.set(node.peerId, PeerId.parse(p), { cut: true });
        return;
      case 'heal':
        faults.heal();
        return;
      case 'work':
        working = true;
        worker = work(m.client, m.keys);
        return;
      case 'stopWork':
        working = false;
        await worker;
        send({ t: 'stopped' });
        return;
      case 'state':
        send({
          t: 'state',
          entries: [...machine.map.entries()].sort(([x], [y]) => (x < y ? -1 : 1)),
          committed: group.committed(),
          leader: group.leader()?.toString() ?? '',
          cluster: group.cluster,
        });
        return;
      case 'ping':
        send({ t: 'pong', n: m.n, at: now() });
        return;
      case 'exit':
        working = false;
        await worker;
        await member.close();
        process.disconnect();
        return;
    }
  })().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
});
