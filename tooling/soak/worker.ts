/**
 * One soak process (forked by `soak.mjs`): a few nodes of the soak network, each producing and
 * consuming the tick stream; one node is a member of the acknowledgement group and runs an
 * execute loop, one writes to the replicated map. It reports over IPC: stream gaps, periodic
 * resource samples, and at the end the group state it applied. Acknowledged commands are
 * appended to a file at once, so they outlive a `kill -9`.
 */
import { createHook } from 'node:async_hooks';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeHeapSnapshot } from 'node:v8';
import {
  type ApplyContext,
  Digest,
  decodeCbor,
  defineCollection,
  defineStream,
  encodeCbor,
  type Group,
  Network,
  type StateMachine,
  storage,
} from '../../packages/mosaik/src/index.js';

/** One node of this process, as the parent planned it. */
interface NodePlan {
  readonly label: string;
  readonly port: number;
  /** Member of the acknowledgement group (runs the execute loop). */
  readonly member: boolean;
  /** Writer of the replicated map. */
  readonly writer: boolean;
}

interface Config {
  readonly proc: number;
  readonly incarnation: number;
  readonly runId: string;
  readonly nodes: readonly NodePlan[];
  /** Bootstrap address of the seed node in text form; absent for the seed's own process. */
  readonly seed?: string;
  readonly dataDir: string;
  readonly ackFile: string;
  readonly tickIntervalMs: number;
  readonly executeIntervalMs: number;
  readonly mapIntervalMs: number;
}

const config = JSON.parse(process.argv[2] ?? '{}') as Config;
/** Members of the acknowledgement group across the three processes. */
const PLANNED_MEMBERS = 3;

/**
 * `SOAK_TRACE_TIMERS=1`: remember where every live timer was created, to find the source of a
 * growing handle count (costly: a stack trace per timer).
 */
const liveTimers = new Map<number, string>();
if (process.env.SOAK_TRACE_TIMERS === '1') {
  createHook({
    init(asyncId, type) {
      if (type !== 'Timeout') return;
      const frames = (new Error().stack ?? '')
        .split('\n')
        .filter((f) => f.includes('/packages/') && !f.includes('node:'))
        .slice(0, 3)
        .map((f) =>
          f
            .trim()
            .replace(/^at /, '')
            .replace(/\(.*\/packages\//, '(')
            .replace(/^.*\/packages\//, ''),
        );
      liveTimers.set(asyncId, frames.join(' < ') || 'outside the packages');
    },
    destroy(asyncId) {
      liveTimers.delete(asyncId);
    },
  }).enable();
}

/** Live timers by creation site, most frequent first. */
function timerSites(): [string, number][] {
  const counts = new Map<string, number>();
  for (const site of liveTimers.values()) counts.set(site, (counts.get(site) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1]).slice(0, 15);
}
const send = (message: Record<string, unknown>) => process.send?.(message);

/** A tick of the soak stream: producer label, producer incarnation, sequence number. */
interface Tick {
  readonly p: string;
  readonly i: number;
  readonly s: number;
}
const Ticks = defineStream<Tick>('mosaik-soak/ticks');
const Kv = defineCollection.map<string, number>('mosaik-soak/kv');

/**
 * The acknowledgement set: for each client (`proc.incarnation`), the sequence numbers applied,
 * kept as sorted disjoint ranges so the state stays small while the set grows.
 */
class AckSet implements StateMachine<string, null, number> {
  readonly signature = Digest.from('mosaik-soak/ack-set/v1');
  readonly ranges = new Map<string, [number, number][]>();
  applied = 0;

  apply(command: string, _ctx: ApplyContext): void {
    const at = command.lastIndexOf(':');
    const client = command.slice(0, at);
    const seq = Number(command.slice(at + 1));
    if (!Number.isSafeInteger(seq)) return;
    this.applied++;
    const list = this.ranges.get(client) ?? [];
    this.ranges.set(client, insertSeq(list, seq));
  }

  query(): number {
    return this.applied;
  }

  snapshot(): Uint8Array {
    const clients = [...this.ranges.keys()].sort();
    return encodeCbor([this.applied, clients.map((c) => [c, this.ranges.get(c)])]);
  }

  restore(bytes: Uint8Array): void {
    const [applied, entries] = decodeCbor(bytes) as [number, [string, [number, number][]][]];
    this.applied = applied;
    this.ranges.clear();
    for (const [client, list] of entries) this.ranges.set(client, list);
  }
}

/** Inserts `seq` into sorted disjoint inclusive ranges, merging neighbours. */
function insertSeq(list: [number, number][], seq: number): [number, number][] {
  let i = 0;
  while (i < list.length && list[i]![1] < seq - 1) i++;
  if (i === list.length || list[i]![0] > seq + 1) {
    list.splice(i, 0, [seq, seq]);
    return list;
  }
  const r = list[i]!;
  r[0] = Math.min(r[0], seq);
  r[1] = Math.max(r[1], seq);
  const next = list[i + 1];
  if (next !== undefined && next[0] <= r[1] + 1) {
    r[1] = Math.max(r[1], next[1]);
    list.splice(i + 1, 1);
  }
  return list;
}

const nets: Network[] = [];
const timers: NodeJS.Timeout[] = [];
const counters = {
  ticksSent: 0,
  ticksReceived: 0,
  gaps: 0,
  reordered: 0,
  acks: 0,
  executeFailures: 0,
  resets: 0,
};
const mapCounters = { writes: 0, failures: 0 };
let stopping = false;
let member: { group: Group<string, null, number>; machine: AckSet } | undefined;
const inflight = new Set<Promise<unknown>>();

function track<T>(p: Promise<T>): void {
  const settled = p.then(
    () => {},
    () => {},
  );
  inflight.add(settled);
  void settled.then(() => inflight.delete(settled));
}

function sample(): Record<string, unknown> {
  const memory = process.memoryUsage();
  const handles: Record<string, number> = {};
  for (const r of process.getActiveResourcesInfo()) handles[r] = (handles[r] ?? 0) + 1;
  return {
    at: Date.now(),
    rss: memory.rss,
    heapUsed: memory.heapUsed,
    heapTotal: memory.heapTotal,
    external: memory.external,
    arrayBuffers: memory.arrayBuffers,
    handles: Object.values(handles).reduce((a, b) => a + b, 0),
    handleTypes: handles,
  };
}

async function startNode(plan: NodePlan, seed: string | undefined): Promise<Network> {
  const net = await Network.create(`mosaik-soak-${config.runId}`, {
    preset: 'local',
    secretKey: `mosaik-soak-${config.runId}-${plan.label}`,
    bindAddrs: [`127.0.0.1:${plan.port}`],
    ...(seed === undefined ? {} : { bootstrap: [seed] }),
    timeout: 30_000,
  });
  nets.push(net);

  // Stream: produce ticks at a steady rate, consume everyone's and report sequence gaps.
  const producer = net.streams.produce(Ticks);
  let seq = 0;
  timers.push(
    setInterval(() => {
      if (stopping) return;
      try {
        producer.trySend({ p: plan.label, i: config.incarnation, s: seq });
        seq++;
        counters.ticksSent++;
      } catch {
        // Offline (no consumer yet): the tick is not sent and its number is not used.
      }
    }, config.tickIntervalMs),
  );
  const consumer = net.streams.consume(Ticks);
  const last = new Map<string, number>();
  void (async () => {
    try {
      for await (const tick of consumer) {
        counters.ticksReceived++;
        const key = `${tick.p}/${tick.i}`;
        const before = last.get(key);
        if (before !== undefined && tick.s > before + 1) {
          counters.gaps += tick.s - before - 1;
          send({ t: 'gap', from: tick.p, to: plan.label, missing: tick.s - before - 1, at: Date.now() });
        } else if (before !== undefined && tick.s <= before) counters.reordered++;
        if (before === undefined || tick.s > before) last.set(key, tick.s);
      }
    } catch (error) {
      if (!stopping) send({ t: 'error', where: `consumer ${plan.label}`, error: String(error) });
    }
  })();

  if (plan.member) {
    const machine = new AckSet();
    const group = net.groups
      .withKey(`mosaik-soak-acks-${config.runId}`)
      .withStateMachine(machine)
      .withStorage(storage.file(join(config.dataDir, `${plan.label}-acks`)))
      // The three members found one cluster together: none founds alone on a slow start.
      .withConsensus({ bootstrapExpect: PLANNED_MEMBERS })
      .join();
    member = { group, machine };
    let next = 0;
    const client = `${config.proc}.${config.incarnation}`;
    timers.push(
      setInterval(() => {
        if (stopping || inflight.size >= 8) return;
        // Load starts once this member sees the whole group in its configuration (voters and
        // learners). Merges (reported as resets, counted below) should not happen: founding
        // waits for all planned members.
        const { voters, learners } = group.members();
        if (voters.length + learners.length < PLANNED_MEMBERS) return;
        const id = `${client}:${next++}`;
        track(
          group.execute(id, { signal: AbortSignal.timeout(10_000) }).then(
            (index) => {
              appendFileSync(config.ackFile, `${id} ${index} ${group.cluster}\n`);
              counters.acks++;
            },
            () => {
              counters.executeFailures++;
            },
          ),
        );
      }, config.executeIntervalMs),
    );
  }

  if (plan.writer) {
    const writer = Kv.writer(net, { storage: storage.file(join(config.dataDir, `${plan.label}-kv`)) });
    let n = 0;
    timers.push(
      setInterval(() => {
        if (stopping || inflight.size >= 16) return;
        const i = n++;
        track(
          writer.set(`${plan.label}-${i % 256}`, i).then(
            () => {
              mapCounters.writes++;
            },
            () => {
              mapCounters.failures++;
            },
          ),
        );
      }, config.mapIntervalMs),
    );
  }
  return net;
}

/** Executes one last command: once it is applied here, so is everything committed before it. */
async function barrier(): Promise<void> {
  if (member === undefined) return;
  const deadline = Date.now() + 60_000;
  for (let attempt = 0; Date.now() < deadline; attempt++) {
    try {
      await member.group.execute(`barrier.${config.proc}.${config.incarnation}:${attempt}`, {
        signal: AbortSignal.timeout(10_000),
      });
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  throw new Error('the final barrier command never committed');
}

async function main(): Promise<void> {
  const [first, ...rest] = config.nodes;
  if (first === undefined) throw new Error('no nodes planned');
  const head = await startNode(first, config.seed);
  const seed = config.seed ?? formatSeed(head);
  await Promise.all(rest.map((plan) => startNode(plan, seed)));
  send({ t: 'ready', seed, sample: sample() });
  let lastReset: unknown;
  timers.push(
    setInterval(() => {
      const reset = member?.group.lastReset();
      if (reset !== undefined && reset !== lastReset) {
        lastReset = reset;
        counters.resets++;
      }
      send({ t: 'stats', sample: sample(), counters, map: mapCounters });
    }, 5_000),
  );

  startDiagnostics();

  process.on('message', (m: { t: string }) => {
    if (m.t === 'quiesce') void quiesce();
    if (m.t === 'barrier') void finish();
    if (m.t === 'exit') void exit();
  });
}

/** A full collection when the process runs with `--expose-gc` (the parent adds it for diagnostics). */
const collectGarbage = (globalThis as { gc?: () => void }).gc;

/**
 * Diagnostics asked for by the parent's environment: `SOAK_SAMPLE_SECONDS` sends a memory sample
 * taken right after a full collection every so many seconds (what is still retained, not what
 * awaits collection); `SOAK_HEAP_SNAPSHOTS` (seconds after start, comma-separated) makes the
 * witness (process 0) write a heap snapshot into `SOAK_HEAP_DIR` at those times, to diff what
 * accumulates between them. Writing a snapshot blocks the process for a few seconds.
 */
function startDiagnostics(): void {
  const every = Number(process.env.SOAK_SAMPLE_SECONDS ?? 0);
  if (every > 0)
    timers.push(
      setInterval(() => {
        collectGarbage?.();
        send({ t: 'sample', sample: sample() });
      }, every * 1000),
    );
  const at = (process.env.SOAK_HEAP_SNAPSHOTS ?? '').split(',').filter(Boolean).map(Number);
  if (config.proc !== 0) return;
  for (const seconds of at) {
    if (!Number.isFinite(seconds) || seconds <= 0) continue;
    const timer = setTimeout(() => {
      collectGarbage?.();
      const file = join(process.env.SOAK_HEAP_DIR ?? '.', `soak-witness-${seconds}s.heapsnapshot`);
      const path = writeHeapSnapshot(file);
      send({ t: 'heapSnapshot', seconds, path, sample: sample() });
    }, seconds * 1000);
    timers.push(timer);
  }
}

function formatSeed(net: Network): string {
  return `${net.peerId.toString()}@${net.addr.directAddresses.join(',')}`;
}

/** Stops the load; replies once every command of this process is settled (its signal caps it). */
async function quiesce(): Promise<void> {
  stopping = true;
  await Promise.allSettled([...inflight]);
  send({ t: 'quiet' });
}

/**
 * Runs once every process is quiet: a barrier command commits after every acknowledged one, so
 * once it is applied here the state must hold them all.
 */
async function finish(): Promise<void> {
  let state: [string, [number, number][]][] | undefined;
  let barrierError: string | undefined;
  let memberInfo: Record<string, unknown> | undefined;
  try {
    await barrier();
    if (member !== undefined) state = [...member.machine.ranges.entries()];
    if (member !== undefined) {
      const reset = member.group.lastReset();
      memberInfo = {
        label: config.nodes.find((n) => n.member)?.label,
        cluster: member.group.cluster,
        committed: member.group.committed(),
        applied: member.machine.applied,
        lastReset:
          reset === undefined
            ? null
            : JSON.parse(JSON.stringify(reset, (_k, v) => (typeof v === 'bigint' ? String(v) : v))),
      };
    }
  } catch (error) {
    barrierError = String(error);
  }
  send({
    t: 'final',
    sample: sample(),
    counters,
    map: mapCounters,
    state,
    barrierError,
    memberInfo,
    ...(liveTimers.size > 0 ? { timerSites: timerSites() } : {}),
  });
}

async function exit(): Promise<void> {
  stopping = true;
  for (const t of timers) clearInterval(t);
  await Promise.allSettled(nets.map((n) => n.close()));
  process.disconnect?.();
}

main().catch((error: unknown) => {
  send({ t: 'error', where: 'start', error: String(error) });
  process.exitCode = 1;
  void exit();
});
