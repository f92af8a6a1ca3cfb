/**
 * Restart safety with `FileStorage` over real QUIC: a three-member group where member C runs in a
 * child process on `FileStorage` whose fault point kills it (SIGKILL) in the middle of a snapshot
 * install from the leader, a snapshot of its own, a log compaction or rewrite, or an append. C is
 * restarted with the same key and directory each time; at the end it must have rejoined and
 * caught up, and no command the client saw acknowledged may be missing, on C or on the group.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Digest, SecretKey, scaled } from '@mosaik/id';
import { MemoryStorage, type StorageFaultPoint } from '@mosaik/raft';
import { Cluster, freshNetwork, Kv, type KvCommand, until } from '@mosaik/testkit';
import { describe, expect, it } from 'vitest';
import type { CrashMemberConfig, FromCrashMember, ToCrashMember } from '../test/crash-member.js';
import { FAST, leadersConverged, votersAre } from '../test/fixtures.js';
import type { Group } from './group.js';
import { storage } from './storage.js';

const PACKAGE = fileURLToPath(new URL('..', import.meta.url));
const MEMBER = fileURLToPath(new URL('../test/crash-member.ts', import.meta.url));

/** Small snapshots and a short tail behind them: a member that falls behind gets a snapshot. */
const CONSENSUS = { ...FAST, snapshotThreshold: 20, snapshotKeep: 5, deadMemberTimeout: 600_000 };

/** Where C is killed, in this order (the storage tests cover every point; these are the steps of a rejoin). */
const POINTS: StorageFaultPoint[] = [
  'install:partial',
  'install:renamed',
  'create:written',
  'compact:recorded',
  'rewrite:partial',
  'rewrite:renamed',
  'append:partial',
];

/** One incarnation of the member process. */
class MemberProcess {
  readonly proc: ChildProcess;
  readonly exited: Promise<void>;
  readonly #inbox: FromCrashMember[] = [];
  readonly #waiters = new Set<() => void>();

  constructor(cfg: CrashMemberConfig) {
    this.proc = fork(MEMBER, [JSON.stringify(cfg)], {
      cwd: PACKAGE,
      execArgv: ['--conditions=@mosaik/source', '--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: { ...process.env, MOSAIK_LOG: 'silent', RUST_LIB_BACKTRACE: '0' },
    });
    this.exited = new Promise((r) => this.proc.once('exit', () => r()));
    const wake = () => {
      for (const w of this.#waiters) w();
    };
    this.proc.on('message', (m: FromCrashMember) => {
      this.#inbox.push(m);
      wake();
    });
    void this.exited.then(wake);
  }

  get alive(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  send(m: ToCrashMember): void {
    if (this.alive && this.proc.connected) this.proc.send(m);
  }

  /** The next message of type `t`. */
  next<K extends FromCrashMember['t']>(t: K, ms = 20_000): Promise<Extract<FromCrashMember, { t: K }>> {
    const take = () => {
      const i = this.#inbox.findIndex((m) => m.t === t);
      if (i >= 0) return this.#inbox.splice(i, 1)[0] as Extract<FromCrashMember, { t: K }>;
      if (!this.alive)
        throw new Error(`member exited (${this.proc.signalCode ?? this.proc.exitCode}) before '${t}'`);
      return undefined;
    };
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => done(new Error(`no '${t}' from the member within ${scaled(ms)} ms`)),
        scaled(ms),
      );
      const check = () => {
        try {
          const m = take();
          if (m !== undefined) done(undefined, m);
        } catch (error) {
          done(error as Error);
        }
      };
      const done = (error?: Error, m?: Extract<FromCrashMember, { t: K }>) => {
        clearTimeout(timer);
        this.#waiters.delete(check);
        if (error !== undefined) reject(error);
        else resolve(m!);
      };
      this.#waiters.add(check);
      check();
    });
  }

  async state(): Promise<Extract<FromCrashMember, { t: 'state' }>> {
    this.send({ t: 'state' });
    return this.next('state');
  }

  async stop(): Promise<void> {
    if (!this.alive) return;
    this.send({ t: 'exit' });
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), scaled(10_000));
    await this.exited;
    clearTimeout(timer);
  }
}

/** The client: unique keys, a few in flight; remembers which puts were acknowledged. */
class Workload {
  readonly acknowledged = new Set<string>();
  #next = 0;

  constructor(readonly group: Group<KvCommand, string, string | null>) {}

  /** Puts keys until `done` holds; fails after `timeout` ms (scaled) saying what it waited for. */
  async drive(done: () => boolean, what: string, timeout = 60_000): Promise<void> {
    const deadline = performance.now() + scaled(timeout);
    const worker = async () => {
      while (!done()) {
        if (performance.now() > deadline) throw new Error(`timed out driving the group until ${what}`);
        const key = `k${this.#next++}`;
        try {
          await this.group.execute({ put: key, value: 'v' });
          this.acknowledged.add(key);
        } catch {
          // Unknown outcome: the key may or may not be there; only acknowledged keys must be.
        }
      }
    };
    await Promise.all([worker(), worker()]);
  }
}

describe('crash restart with FileStorage (real QUIC, member in a child process)', () => {
  it('a member killed -9 inside snapshot install, snapshot, compaction and append rejoins and loses nothing', {
    timeout: scaled(400_000),
  }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rsm-crash-'));
    const network = freshNetwork('rsm-crash');
    const key = `rsm-crash-${Math.random()}`;
    const cluster = new Cluster({ network, node: { groups: true } });
    const procs: MemberProcess[] = [];
    /** What happened, shown if the test fails. */
    const trail: string[] = [];
    try {
      const nodes = await cluster.addMany(2);
      await cluster.discoverAll();
      const stores: MemoryStorage[] = [];
      const machines = nodes.map(() => new Kv());
      const groups = nodes.map((n, i) =>
        n.groups
          .withKey(key)
          .withStateMachine(machines[i]!)
          .withStorage(
            storage.custom(() => {
              stores[i] = new MemoryStorage();
              return stores[i];
            }),
          )
          .withConsensus(CONSENSUS)
          .join(),
      );
      await leadersConverged(groups);
      const workload = new Workload(groups[0]!);
      await workload.drive(() => workload.acknowledged.size >= 10, '10 keys are acknowledged');

      const identity = `${network}/c`;
      const cId = SecretKey.fromDigest(Digest.from(identity)).peerId.toString();
      const startC = async (point: StorageFaultPoint | null) => {
        const c = new MemberProcess({
          network,
          identity,
          dir: join(dir, 'c'),
          key,
          consensus: CONSENSUS,
          point,
        });
        procs.push(c);
        const addr = (await c.next('ready')).addr;
        expect(addr.id).toBe(cId);
        c.send({
          t: 'peers',
          addrs: nodes.map((n) => {
            const a = n.addr();
            return { id: a.id.toString(), directAddresses: [...a.directAddresses] };
          }),
        });
        // An armed member may die before it answers (an append reaches it at once).
        await Promise.race([c.next('joined').catch(() => {}), c.exited]);
        return c;
      };

      // C joins as a third voter, then dies a first time by a plain kill -9.
      let c = await startC(null);
      await votersAre(groups, 3);
      c.proc.kill('SIGKILL');
      await c.exited;

      for (const point of POINTS) {
        if (point.startsWith('install:')) {
          // Fall behind: the log C would need is compacted away on A and B, so the leader sends a snapshot.
          const behind = Math.max(...stores.map((s) => s.lastIndex()));
          await workload.drive(
            () => stores.every((s) => s.firstIndex() > behind + 1),
            `A and B compact their logs past ${behind}`,
          );
        }
        trail.push(`${point} at ${Math.max(...groups.map((g) => g.status().commit))}`);
        c = await startC(point);
        if (point.startsWith('install:')) {
          // No new commands meanwhile: the leader's log stays where it was, so after this crash
          // C is sent entries following the snapshot (not yet another snapshot).
          await until(() => !c.alive, `C dies at ${point}`, 30_000);
        } else {
          // C first catches up with what it missed (entries when it can), and only then gets
          // the new commands that make it snapshot and compact.
          const commit = Math.max(...groups.map((g) => g.status().commit));
          await until(
            async () => !c.alive || ((await c.state().catch(() => undefined))?.status.applied ?? 0) >= commit,
            `C catches up to ${commit} before ${point}`,
            30_000,
            100,
          );
          await workload.drive(() => !c.alive, `C dies at ${point}`);
        }
        await c.exited;
        expect(c.proc.signalCode, `C should be killed at ${point}, exit code ${c.proc.exitCode}`).toBe(
          'SIGKILL',
        );
      }

      // The last restart, without a fault: C rejoins and catches up with everything acknowledged.
      trail.push('unarmed restart');
      c = await startC(null);
      expect(c.alive, 'C runs without a fault').toBe(true);
      const before = workload.acknowledged.size;
      await workload.drive(() => workload.acknowledged.size >= before + 20, '20 more keys are acknowledged');
      const commit = Math.max(...groups.map((g) => g.status().commit));
      const missing = (keys: Iterable<string>) => {
        const have = new Set(keys);
        return [...workload.acknowledged].filter((k) => !have.has(k));
      };
      let last: Extract<FromCrashMember, { t: 'state' }> | undefined;
      await until(
        async () => {
          last = await c.state();
          return last.status.applied >= commit && missing(last.keys).length === 0;
        },
        () =>
          `C to apply ${commit} with all ${workload.acknowledged.size} acknowledged keys; ` +
          `it applied ${last?.status.applied}, missing ${missing(last?.keys ?? []).length}`,
        30_000,
        100,
      );
      expect(last!.status.voters).toContain(cId);
      expect(last!.status.voters).toHaveLength(3);
      for (const m of machines) expect(missing(m.map.keys())).toEqual([]);
      // C holds the group's state exactly (no command twice, none extra).
      await until(() => groups.every((g) => g.status().applied >= commit), 'A and B apply the last commit');
      const final = await c.state();
      expect(new Set(final.keys)).toEqual(new Set(machines[0]!.map.keys()));
    } catch (error) {
      console.error(`crash-restart: ${trail.join(' | ')}`);
      throw error;
    } finally {
      await Promise.all(procs.map((p) => p.stop()));
      await cluster.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
