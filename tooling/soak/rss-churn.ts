/**
 * A focused repro for the soak witness's RSS growth (issue 19): one long-lived node (this
 * process) serves an echo link; peer processes connect to it with a few nodes each, exchange
 * messages, and are killed with SIGKILL, over and over. After each round this process forces a
 * GC and prints one JSON line: RSS, heap, external and array-buffer memory, active handles, and
 * the links the node still holds. Run with the peers reusing their keys and ports (like the
 * soak's restarts) or fresh ones, and under `MALLOC_ARENA_MAX=2` to tell allocator behaviour from
 * a leak:
 *
 *   node --expose-gc --conditions=@mosaik/source --import tsx tooling/soak/rss-churn.ts \
 *     [rounds=40] [nodesPerPeer=3] [same|fresh] [transport|network]
 *
 * `transport`: bare `LocalNode`s and one echo link per peer node. `network`: the full stack as the
 * soak runs it (discovery, a tick stream produced and consumed on every node).
 */
import { type ChildProcess, fork } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Digest, SecretKey } from '../../packages/id/src/index.js';
import {
  decodeCbor,
  defineStream,
  encodeCbor,
  type Group,
  Network,
  type StateMachine,
  storage,
} from '../../packages/mosaik/src/index.js';
import { LocalNode } from '../../packages/transport/src/index.js';

const NETWORK = 'rss-churn';
const ALPN = '/rss-churn/echo/1';
const SELF = fileURLToPath(import.meta.url);

interface PeerConfig {
  readonly witness: { id: string; directAddresses: string[] };
  readonly keys: string[];
  readonly ports: number[];
  readonly stack: 'transport' | 'network';
  /** Data directory of the peer's group member (network stack). */
  readonly dir: string;
}

/** A counter: the group's machine (the state stays small, the log is what churns). */
class Count implements StateMachine<number, null, number> {
  readonly signature = Digest.from('rss-churn/count');
  value = 0;
  apply(n: number): void {
    this.value += n;
  }
  query(): number {
    return this.value;
  }
  snapshot(): Uint8Array {
    return encodeCbor(this.value);
  }
  restore(bytes: Uint8Array): void {
    this.value = decodeCbor(bytes) as number;
  }
}

interface Tick {
  readonly from: string;
  readonly s: number;
}
const Ticks = defineStream<Tick>('rss-churn/ticks');
/**
 * `RSS_SNAPSHOT_THRESHOLD`: the group's snapshot threshold (default 10 000, the library's): the
 * Raft log stays in memory up to it, which a run shorter than that sees as steady heap growth.
 */
const SNAPSHOT_THRESHOLD = Number(process.env.RSS_SNAPSHOT_THRESHOLD ?? 10_000);

if (process.argv[2] === 'peer') {
  const cfg = JSON.parse(process.argv[3]!) as PeerConfig;
  await (cfg.stack === 'network' ? networkPeer(cfg) : peer(cfg));
} else await witness();

/** A full-stack node producing ticks every 50 ms and consuming everyone's. */
async function tickingNetwork(
  key: string,
  port: number | undefined,
  bootstrap: string | undefined,
  onTick: () => void,
  memberDir: string,
): Promise<{ net: Network; stop: () => void; group: Group<number, null, number> }> {
  const net = await Network.create(NETWORK, {
    preset: 'local',
    secretKey: key,
    ...(port ? { bindAddrs: [`127.0.0.1:${port}`] } : {}),
    ...(bootstrap === undefined ? {} : { bootstrap: [bootstrap] }),
    timeout: 30_000,
  });
  const producer = net.streams.produce(Ticks);
  let s = 0;
  const timer = setInterval(() => {
    try {
      producer.trySend({ from: key, s: s++ });
    } catch {
      // No consumer yet.
    }
  }, 50);
  void (async () => {
    try {
      for await (const _ of net.streams.consume(Ticks)) onTick();
    } catch {
      // Closed.
    }
  })();
  const group = net.groups
    .withKey('rss-churn/group')
    .withStateMachine(new Count())
    .withStorage(storage.file(memberDir))
    .withConsensus({ snapshotThreshold: SNAPSHOT_THRESHOLD })
    .join();
  return { net, stop: () => clearInterval(timer), group };
}

async function networkPeer(cfg: PeerConfig): Promise<void> {
  const seed = `${cfg.witness.id}@${cfg.witness.directAddresses.join(',')}`;
  let ticks = 0;
  await Promise.all(
    cfg.keys.map((k, i) =>
      tickingNetwork(
        k,
        cfg.ports[i],
        seed,
        () => {
          if (++ticks === 40 * cfg.keys.length) process.send?.('running');
        },
        join(cfg.dir, `slot-${i}`),
      ),
    ),
  );
}

/** A peer process: its nodes dial the witness and echo until the process is killed. */
async function peer(cfg: PeerConfig): Promise<void> {
  const nodes = await Promise.all(
    cfg.keys.map((k, i) =>
      LocalNode.bind(NETWORK, {
        preset: 'local',
        secretKey: SecretKey.fromDigest(Digest.from(k)),
        ...(cfg.ports[i] ? { bindAddrs: [`127.0.0.1:${cfg.ports[i]}`] } : {}),
      }),
    ),
  );
  const { PeerId } = await import('../../packages/id/src/index.js');
  const target = { id: PeerId.parse(cfg.witness.id), directAddresses: cfg.witness.directAddresses };
  let sent = 0;
  await Promise.all(
    nodes.map(async (n) => {
      const link = await n.connect<Uint8Array>(target, ALPN);
      const payload = new Uint8Array(2048);
      for (;;) {
        await link.send(payload);
        await link.recv();
        if (++sent === 50) process.send?.('running');
      }
    }),
  );
}

async function witness(): Promise<void> {
  const rounds = Number(process.argv[2] ?? 40);
  const perPeer = Number(process.argv[3] ?? 3);
  const reuse = (process.argv[4] ?? 'same') === 'same';
  const stack = process.argv[5] === 'network' ? 'network' : 'transport';
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run with --expose-gc');
  let open = 0;
  let ticks = 0;
  let node: LocalNode;
  let stopTicks = () => {};
  let close: () => Promise<void>;
  const dir = mkdtempSync(join(tmpdir(), 'rss-churn-'));
  let executed = 0;
  if (stack === 'network') {
    // Two members here and one per peer process (restarted with its data directory), like the
    // soak's acknowledgement group; this process runs the execute loop.
    const { net, stop, group } = await tickingNetwork(
      'rss-witness',
      undefined,
      undefined,
      () => ticks++,
      join(dir, 'w0'),
    );
    const a0 = net.local.addr();
    const second = await tickingNetwork(
      'rss-witness-2',
      undefined,
      `${a0.id.toString()}@${a0.directAddresses.join(',')}`,
      () => {},
      join(dir, 'w1'),
    );
    let inflight = 0;
    const load = setInterval(() => {
      if (inflight >= 8) return;
      inflight++;
      group.execute(1, { signal: AbortSignal.timeout(10_000) }).then(
        () => {
          executed++;
          inflight--;
        },
        () => {
          inflight--;
        },
      );
    }, 20);
    node = net.local;
    stopTicks = () => {
      clearInterval(load);
      stop();
      second.stop();
    };
    close = async () => {
      await second.net.close();
      await net.close();
    };
  } else {
    const local = await LocalNode.bind(NETWORK, { preset: 'local' });
    local.handle<Uint8Array>(ALPN, async (link) => {
      open++;
      try {
        for await (const m of link) await link.send(m);
      } catch {
        // The peer was killed: the link ends with an error once QUIC notices.
      } finally {
        open--;
      }
    });
    node = local;
    close = () => local.close();
  }
  const a = node.addr();
  const witnessAddr = { id: a.id.toString(), directAddresses: [...a.directAddresses] };
  const fixedPorts = await freeUdpPorts(perPeer);
  const sample = (round: number, phase: string) => {
    gc();
    gc();
    const m = process.memoryUsage();
    const mb = (x: number) => Math.round((x / 1048576) * 10) / 10;
    console.log(
      JSON.stringify({
        round,
        phase,
        rssMb: mb(m.rss),
        heapMb: mb(m.heapUsed),
        heapTotalMb: mb(m.heapTotal),
        externalMb: mb(m.external),
        arrayBuffersMb: mb(m.arrayBuffers),
        handles: process.getActiveResourcesInfo().length,
        openLinks: open,
        ticks,
        executed,
        stack,
        reuse,
        arena: process.env.MALLOC_ARENA_MAX ?? 'default',
      }),
    );
  };
  sample(0, 'start');
  for (let r = 1; r <= rounds; r++) {
    const keys = Array.from({ length: perPeer }, (_, i) => `rss-peer-${i}${reuse ? '' : `-${r}`}`);
    const ports = Array.from({ length: perPeer }, (_, i) => (reuse ? fixedPorts[i]! : 0));
    const cfg: PeerConfig = {
      witness: witnessAddr,
      keys,
      ports,
      stack,
      dir: join(dir, reuse ? 'peer' : `peer-${r}`),
    };
    const child: ChildProcess = fork(SELF, ['peer', JSON.stringify(cfg)], {
      execArgv: ['--conditions=@mosaik/source', '--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: { ...process.env, MOSAIK_LOG: 'silent' },
    });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('peer did not start')), 60_000);
      child.once('message', () => {
        clearTimeout(timer);
        resolve();
      });
      child.once('exit', (code) => reject(new Error(`peer exited ${code}`)));
    });
    child.removeAllListeners('exit');
    const gone = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await gone;
    if (r % 5 === 0 || r === 1) sample(r, 'churn');
  }
  // Let QUIC time out the killed peers' connections, then look again.
  const settle = Date.now() + 45_000;
  while (open > 0 && Date.now() < settle) await new Promise((resolve) => setTimeout(resolve, 1000));
  if (stack === 'network') await new Promise((resolve) => setTimeout(resolve, 45_000));
  sample(rounds, 'settled');
  stopTicks();
  await close();
  rmSync(dir, { recursive: true, force: true });
  sample(rounds, 'closed');
}

/** `count` distinct UDP ports free on 127.0.0.1 right now (the peers rebind them every round). */
async function freeUdpPorts(count: number): Promise<number[]> {
  const sockets = Array.from({ length: count }, () => createSocket('udp4'));
  await Promise.all(sockets.map((s) => new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve))));
  const ports = sockets.map((s) => s.address().port);
  await Promise.all(sockets.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  return ports;
}
