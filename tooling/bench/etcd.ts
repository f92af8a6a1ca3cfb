/**
 * A 3-member etcd cluster for the benchmarks (Debian `etcd-server`, installed when missing and
 * running as root, else an error) and an `etcd3` client factory. Shared by the rsm and collections benches.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePorts } from '../testkit/src/process.js';
import { requireDebianPeer } from './peers.mjs';

const log = (...args: unknown[]) => console.error('[bench]', ...args);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Raft timing of the cluster, ms. */
export interface EtcdTiming {
  readonly heartbeatMs: number;
  readonly electionMs: number;
}

/**
 * Makes sure etcd-server from Debian runs here (installed after `apt-get update` when missing, as
 * root); throws naming the fix when it cannot be had, since a bench without its peer is no bench.
 */
export function ensureEtcd(): void {
  requireDebianPeer({ binary: 'etcd', pkg: 'etcd-server', log });
}

export type Etcd3Client = import('etcd3').Etcd3;

export async function client(
  hosts: string[],
  deadlineMs: number | undefined,
  noPolicies: boolean,
): Promise<Etcd3Client> {
  const { Etcd3 } = await import('etcd3');
  const { noop } = await import('cockatiel');
  return new Etcd3({
    hosts,
    ...(deadlineMs === undefined
      ? {}
      : { defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + deadlineMs }) }),
    ...(noPolicies ? { faultHandling: { global: noop, host: () => noop } } : {}),
  });
}

export interface EtcdCluster {
  readonly procs: Map<string, ChildProcess>;
  readonly urls: Map<string, string>;
  /** Name of the leader. */
  leader(): Promise<string>;
  close(): Promise<void>;
}

export async function etcdCluster(timing: EtcdTiming): Promise<EtcdCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'etcd-bench-'));
  const names = ['m1', 'm2', 'm3'];
  const ports = await freePorts(2 * names.length);
  const urls = new Map(names.map((n, i) => [n, `http://127.0.0.1:${ports[2 * i]}`]));
  const peers = new Map(names.map((n, i) => [n, `http://127.0.0.1:${ports[2 * i + 1]}`]));
  const initial = names.map((n) => `${n}=${peers.get(n)}`).join(',');
  const token = `bench-${Math.random()}`;
  const procs = new Map<string, ChildProcess>();
  for (const n of names) {
    const out = openSync(join(dir, `${n}.log`), 'w');
    const proc = spawn(
      'etcd',
      [
        '--name',
        n,
        '--data-dir',
        join(dir, `${n}.data`),
        '--listen-client-urls',
        urls.get(n)!,
        '--advertise-client-urls',
        urls.get(n)!,
        '--listen-peer-urls',
        peers.get(n)!,
        '--initial-advertise-peer-urls',
        peers.get(n)!,
        '--initial-cluster',
        initial,
        '--initial-cluster-state',
        'new',
        '--initial-cluster-token',
        token,
        '--heartbeat-interval',
        String(timing.heartbeatMs),
        '--election-timeout',
        String(timing.electionMs),
      ],
      { stdio: ['ignore', out, out] },
    );
    procs.set(n, proc);
  }
  let admin: Etcd3Client | undefined;
  const close = async () => {
    admin?.close();
    const exits = [...procs.values()]
      .filter((p) => p.exitCode === null && p.signalCode === null)
      .map((p) => {
        const exited = once(p, 'exit');
        p.kill('SIGTERM');
        const timer = setTimeout(() => p.kill('SIGKILL'), 10_000);
        return exited.then(() => clearTimeout(timer));
      });
    await Promise.all(exits);
    rmSync(dir, { recursive: true, force: true });
  };
  const leader = async () => {
    const st = await admin!.maintenance.status();
    const list = await admin!.cluster.memberList({});
    const m = list.members.find((x) => x.ID === st.leader);
    if (m === undefined) throw new Error('no etcd leader');
    return m.name;
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      // A fresh client per attempt: a gRPC channel that failed to connect backs off for long.
      admin?.close();
      admin = await client([...urls.values()], 1000, true);
      await admin.put('bench-ready').value('1');
      await leader();
      return { procs, urls, leader, close };
    } catch (error) {
      if (Date.now() > deadline) {
        for (const n of names) {
          const text = readFileSync(join(dir, `${n}.log`), 'utf8')
            .split('\n')
            .slice(-5)
            .join('\n');
          log(`etcd ${n} log tail:\n${text}`);
        }
        await close();
        throw new Error(`etcd cluster not healthy: ${String(error)}`);
      }
      await sleep(200);
    }
  }
}
