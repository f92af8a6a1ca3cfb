// The quick-start demo (`pnpm demo`): three nodes in this one process on 127.0.0.1, no external
// services. A typed stream with a schema, then a replicated group that loses its leader and keeps
// every committed command. Each step prints one line with the time since start and its duration.
// Every wait has a deadline, so a broken step fails with a message instead of hanging.
import {
  Digest,
  decodeCbor,
  defineStream,
  encodeCbor,
  type Group,
  Network,
  type PeerId,
  type StateMachine,
  waitFor,
} from './index.js';

/** How long any single step may take before the demo gives up. */
const STEP_DEADLINE_MS = 15_000;

const started = performance.now();
const seconds = (ms: number) => `${(ms / 1000).toFixed(2).padStart(5)} s`;

/** Prints one line: time since start, a topic, what happened, and how long it took. */
function report(topic: string, text: string, tookMs?: number): void {
  const took = tookMs === undefined ? '' : `  (${Math.round(tookMs)} ms)`;
  console.log(`[${seconds(performance.now() - started)}] ${topic.padEnd(7)} ${text}${took}`);
}

/** Runs one timed step; `fn` gets a signal that aborts at the step deadline. */
async function step<T>(fn: (signal: AbortSignal) => Promise<T>): Promise<{ value: T; tookMs: number }> {
  const t = performance.now();
  const value = await fn(AbortSignal.timeout(STEP_DEADLINE_MS));
  return { value, tookMs: performance.now() - t };
}

// -------------------------------------------------------------------------------------- streams

interface Reading {
  readonly sensor: string;
  readonly celsius: number;
}

function isReading(v: unknown): v is Reading {
  if (typeof v !== 'object' || v === null) return false;
  const { sensor, celsius } = v as Record<string, unknown>;
  return typeof sensor === 'string' && typeof celsius === 'number' && celsius >= -50 && celsius <= 60;
}

/**
 * A typed stream with a schema: consumers validate every datum (any Standard Schema works, e.g.
 * zod or valibot; this one is written by hand to keep the demo free of dependencies).
 */
const Temperatures = defineStream<Reading>('demo/temperatures', {
  schema: {
    '~standard': {
      version: 1,
      vendor: 'mosaik-demo',
      validate: (value: unknown) =>
        isReading(value)
          ? { value }
          : { issues: [{ message: 'expected { sensor: string, celsius: number from -50 to 60 }' }] },
    },
  },
});

async function streamsStep(): Promise<void> {
  const producer = node('alice').streams.produce(Temperatures);
  const consumer = node('bob').streams.consume(Temperatures);
  const subscribed = await step((signal) => producer.when.subscribed({ atLeast: 1 }).wait(signal));
  report('stream', `bob subscribed to alice's "demo/temperatures" (schema-checked)`, subscribed.tookMs);

  const readings: Reading[] = [
    { sensor: 'greenhouse', celsius: 21.5 },
    { sensor: 'greenhouse', celsius: 22.0 },
    { sensor: 'greenhouse', celsius: 22.4 },
  ];
  const delivered = await step(async (signal) => {
    for (const r of readings) await producer.send(r, { signal });
    const received: Reading[] = [];
    while (received.length < readings.length) {
      const r = await consumer.recv(signal);
      if (r === undefined) throw new Error('the stream ended early');
      received.push(r);
    }
    return received;
  });
  const temps = delivered.value.map((r) => `${r.celsius.toFixed(1)} °C`).join(', ');
  report(
    'stream',
    `alice sent ${readings.length} readings, bob received them in order: ${temps}`,
    delivered.tookMs,
  );
  await consumer.close();
  await producer.close();
}

// --------------------------------------------------------------------------------------- groups

interface Deposit {
  readonly amount: number;
}

interface LedgerState {
  readonly deposits: number;
  readonly total: number;
}

/** A deterministic state machine: counts deposits and their total. */
class Ledger implements StateMachine<Deposit, null, LedgerState> {
  readonly signature = Digest.from('mosaik-demo/ledger/v1');
  #state: LedgerState = { deposits: 0, total: 0 };

  apply(command: Deposit): void {
    this.#state = { deposits: this.#state.deposits + 1, total: this.#state.total + command.amount };
  }
  query(): LedgerState {
    return this.#state;
  }
  snapshot(): Uint8Array {
    return encodeCbor([this.#state.deposits, this.#state.total]);
  }
  restore(bytes: Uint8Array): void {
    const [deposits, total] = decodeCbor(bytes) as [number, number];
    this.#state = { deposits, total };
  }
}

type LedgerGroup = Group<Deposit, null, LedgerState>;

async function groupsStep(): Promise<void> {
  // Shorter timeouts than the defaults (3 s bootstrap delay, 2 s election timeout) keep the demo brisk.
  const consensus = { bootstrapDelay: 1000, electionTimeout: 1000, heartbeatInterval: 200 };
  const groups = new Map<Name, LedgerGroup>(
    names.map((n) => [
      n,
      node(n)
        .groups.withKey('demo-ledger-secret')
        .withStateMachine(new Ledger())
        .withConsensus(consensus)
        .join(),
    ]),
  );
  const group = (name: Name): LedgerGroup => groups.get(name)!;

  // Online means "in the configuration and following a leader"; newcomers join as learners and
  // the leader promotes them to voters once they caught up. Failover needs a majority of voters.
  const online = await step(async (signal) => {
    await Promise.all(names.map((n) => group(n).when.online(signal)));
    await waitFor(() => names.every((n) => group(n).members().voters.length === 3), {
      timeout: STEP_DEADLINE_MS,
      signal,
      message: 'the leader did not promote every member to voter',
    });
    return nameOf(await group('alice').when.leaderElected(signal));
  });
  report('group', `3 members online, all 3 voting, ${online.value} leads`, online.tookMs);

  let sent = 0;
  const deposit = async (via: Name, amount: number, signal: AbortSignal) => {
    await group(via).execute({ amount }, { signal });
    sent += amount;
  };
  const before = await step(async (signal) => {
    for (const [i, via] of names.entries()) await deposit(via, 10 * (i + 1), signal);
    return (await group('alice').query(null, 'strong', { signal })).result;
  });
  report('group', `3 deposits committed through every member: total ${before.value.total}`, before.tookMs);

  const leader = online.value;
  const survivors = names.filter((n) => n !== leader);
  // The leader's node shuts down. A closing leader first hands leadership to the most caught-up
  // voter, so the others need not wait for an election timeout (a crashed leader is replaced by
  // an election instead: see the partition and chaos tests of @mosaik/rsm).
  const changed = Promise.all(
    survivors.map((n) => group(n).when.leaderChanged(AbortSignal.timeout(STEP_DEADLINE_MS))),
  );
  closed.add(leader);
  const failover = await step(async () => {
    await node(leader).close();
    await changed;
    return nameOf(group(survivors[0]!).leader()!);
  });
  report('group', `stopped the leader ${leader}; ${failover.value} took over`, failover.tookMs);

  const after = await step(async (signal) => {
    for (const via of survivors) await deposit(via, 100, signal);
    return Promise.all(survivors.map(async (n) => (await group(n).query(null, 'strong', { signal })).result));
  });
  const totals = after.value.map((s) => s.total);
  if (totals.some((t) => t !== sent))
    throw new Error(`a committed deposit was lost: totals ${totals}, sent ${sent}`);
  report(
    'group',
    `${after.value[0]!.deposits} deposits, total ${sent} on both survivors: no committed command lost`,
    after.tookMs,
  );
}

// ---------------------------------------------------------------------------------------- nodes

const names = ['alice', 'bob', 'carol'] as const;
type Name = (typeof names)[number];

const { value: nodes, tookMs: boundMs } = await step(async (signal) => {
  const alice = await Network.create('mosaik-demo', { preset: 'local', signal });
  const others = await Promise.all(
    ['bob', 'carol'].map(() =>
      Network.create('mosaik-demo', { preset: 'local', bootstrap: [alice.addr], signal }),
    ),
  );
  return new Map<Name, Network>([
    ['alice', alice],
    ['bob', others[0]!],
    ['carol', others[1]!],
  ]);
});
const nameOf = (peer: PeerId): Name => names.find((n) => nodes.get(n)!.peerId.equals(peer)) ?? 'alice';
const node = (name: Name): Network => nodes.get(name)!;
report(
  'nodes',
  `${names.map((n) => `${n} ${node(n).peerId.short()}`).join(', ')} on ${node('alice').addr.directAddresses[0]}`,
  boundMs,
);

const closed = new Set<Name>();
try {
  await streamsStep();
  await groupsStep();
  // A replicated map step (`Balances.writer(net)` / `.reader(net)`) joins here once
  // @mosaik/collections lands.
} finally {
  // One at a time, like separate processes stopping: each says goodbye to peers that are still up.
  const t = performance.now();
  for (const n of names) if (!closed.has(n)) await node(n).close();
  report('done', 'every node closed; the process exits by itself', performance.now() - t);
}
