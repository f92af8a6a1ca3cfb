/**
 * Test fixtures of the mosaik package: a small network of real nodes on 127.0.0.1 with one
 * stream and one replicated group, and a way to run the `mosaik` binary as a child process.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Counter, type CounterGroup } from '@mosaik/testkit';
import {
  type Consumer,
  defineStream,
  Network,
  type NetworkOptions,
  type Producer,
  waitFor,
} from '../src/index.js';

export { Counter, collect, exited, freePort, type Output, stop } from '@mosaik/testkit';

export const Ticks = defineStream<{ n: number }>('mosaik-ops-test/ticks');

/** A running test network. */
export interface Cluster {
  readonly nets: Network[];
  /** Node 1 produces {@link Ticks}; nodes 2 and 3 consume it. */
  readonly producer: Producer<{ n: number }>;
  readonly consumers: Consumer<{ n: number }>[];
  /** Nodes 0, 1 and 2 are members of one counter group. */
  readonly groups: CounterGroup[];
  close(): Promise<void>;
}

/**
 * Starts `size` (≥ 4) nodes on `network`, all bootstrapping from node 0 (or from `bootstrap`),
 * with a stream and a three-member group, and waits until the stream has its two subscribers
 * and the group has a leader every member follows.
 */
export async function startCluster(
  network: string,
  options: { size?: number; bootstrap?: string; node?: (i: number) => NetworkOptions } = {},
): Promise<Cluster> {
  const size = options.size ?? 5;
  const nets: Network[] = [];
  const close = async () => {
    await Promise.allSettled(nets.map((n) => n.close()));
  };
  try {
    for (let i = 0; i < size; i++) {
      const seed = options.bootstrap ?? (i === 0 ? undefined : nets[0]!.addr);
      nets.push(
        await Network.create(network, {
          preset: 'local',
          ...(seed === undefined ? {} : { bootstrap: [seed] }),
          ...(options.node?.(i) ?? {}),
        }),
      );
    }
    const producer = nets[1]!.streams.produce(Ticks);
    const consumers = [nets[2]!.streams.consume(Ticks), nets[3]!.streams.consume(Ticks)];
    const groups = [0, 1, 2].map((i) =>
      nets[i]!.groups.withKey(`${network}/group`)
        .withStateMachine(new Counter())
        .withConsensus({ bootstrapDelay: 500 })
        .join(),
    );
    await waitFor(producer.when.subscribed({ atLeast: 2 }).wait(), {
      timeout: 20_000,
      message: 'two subscribers',
    });
    await waitFor(Promise.all(groups.map((g) => g.when.online())), {
      timeout: 20_000,
      message: 'group online',
    });
    await waitFor(
      () => {
        const leaders = groups.map((g) => g.leader()?.toString());
        return leaders[0] !== undefined && leaders.every((l) => l === leaders[0]);
      },
      { timeout: 20_000, message: 'every member follows one leader' },
    );
    await groups[0]!.execute({ inc: 1 });
    return { nets, producer, consumers, groups, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** Sends a datum every 25 ms while the producer is online; clear the returned timer to stop. */
export function startTicker(producer: Producer<{ n: number }>): NodeJS.Timeout {
  let n = 0;
  return setInterval(() => {
    if (producer.isOnline) producer.trySend({ n: n++ });
  }, 25);
}

/** The package root (where `tsx` resolves). */
export const PACKAGE_ROOT = fileURLToPath(new URL('..', import.meta.url));
const MAIN = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));

/** Starts the `mosaik` binary from its sources, as a user runs it (stdout and stderr piped). */
export function spawnCli(args: readonly string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  return spawn(process.execPath, ['--conditions=@mosaik/source', '--import', 'tsx', MAIN, ...args], {
    cwd: PACKAGE_ROOT,
    env: { ...process.env, RUST_LIB_BACKTRACE: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}
