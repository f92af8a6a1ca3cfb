/**
 * Raft core throughput: an in-process 3-node cluster over an instant in-memory network.
 * Prints one JSON line per measurement: {"bench", "unit", "ours", "baseline", "baselineValue", "ratio"}.
 *
 *   pnpm --filter @mosaik/raft bench            (RAFT_BENCH_SECONDS=2 per measurement by default)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  FileStorage,
  MemoryStorage,
  type Message,
  RaftNode,
  SnapshotAssembler,
  type Storage,
} from '../src/index.js';

const SECONDS = Number(process.env.RAFT_BENCH_SECONDS ?? 2);
const ids = ['a', 'b', 'c'];

interface Member {
  readonly node: RaftNode;
  readonly storage: Storage;
  readonly assembler: SnapshotAssembler;
}

class Cluster {
  readonly members = new Map<string, Member>();
  committed = 0;
  #queue: Message[] = [];

  constructor(makeStorage: (id: string) => Storage) {
    for (const id of ids) {
      const storage = makeStorage(id);
      const node = new RaftNode({
        id,
        storage,
        bootstrap: { voters: ids, learners: [] },
        maxSizePerMsg: 4 * 1024 * 1024,
        maxInflightMsgs: 1024,
      });
      this.members.set(id, { node, storage, assembler: new SnapshotAssembler() });
    }
    this.members.get('a')!.node.campaign();
    this.settle();
    if (this.members.get('a')!.node.role !== 'leader') throw new Error('no leader');
  }

  get leader(): RaftNode {
    return this.members.get('a')!.node;
  }

  /** One round: every node handles its Ready, then every queued message is delivered. */
  round(): boolean {
    let busy = false;
    for (const [id, m] of this.members) {
      if (!m.node.hasReady()) continue;
      busy = true;
      const rd = m.node.ready();
      const snapshot = m.assembler.take(rd);
      if (snapshot) m.storage.applySnapshot(snapshot);
      m.storage.append(rd.entries);
      if (rd.hardState) m.storage.setHardState(rd.hardState);
      if (rd.mustSync) m.storage.sync();
      for (const msg of rd.messages) this.#queue.push(msg);
      if (id === 'a') for (const e of rd.committedEntries) if (e.data.length > 0) this.committed++;
      m.node.advance(rd);
    }
    const q = this.#queue;
    this.#queue = [];
    for (const msg of q) this.members.get(msg.to)!.node.step(msg);
    return busy || q.length > 0;
  }

  settle(): void {
    while (this.round()) {}
  }
}

/** Runs `proposers` closed-loop clients (each waits for its commit before proposing again). */
function measure(cluster: Cluster, proposers: number): number {
  const cmd = new Uint8Array(64).fill(7);
  const deadline = performance.now() + SECONDS * 1000;
  const start = performance.now();
  const base = cluster.committed;
  let proposed = 0;
  while (performance.now() < deadline) {
    // All free proposers submit; the leader batches them into shared appends at its next Ready.
    while (proposed - (cluster.committed - base) < proposers) {
      cluster.leader.propose([cmd]);
      proposed++;
    }
    cluster.round();
  }
  cluster.settle();
  return (cluster.committed - base) / ((performance.now() - start) / 1000);
}

function emit(bench: string, ours: number, baseline: string | null, baselineValue: number | null): void {
  const round = (x: number) => Math.round(x);
  process.stdout.write(
    `${JSON.stringify({
      bench,
      unit: 'commits/s',
      ours: round(ours),
      baseline,
      baselineValue: baselineValue === null ? null : round(baselineValue),
      ratio: baselineValue === null ? null : Number((ours / baselineValue).toFixed(3)),
    })}\n`,
  );
}

const GOAL_64 = 50_000;

const mem1 = measure(new Cluster(() => new MemoryStorage()), 1);
emit('raft-memory-1-proposer', mem1, null, null);
const mem64 = measure(new Cluster(() => new MemoryStorage()), 64);
emit('raft-memory-64-proposers', mem64, 'goal', GOAL_64);

const dir = mkdtempSync(join(tmpdir(), 'mosaik-raft-bench-'));
try {
  const files: FileStorage[] = [];
  const fileCluster = (tag: string) =>
    new Cluster((id) => {
      const s = FileStorage.open(join(dir, `${tag}-${id}`));
      files.push(s);
      return s;
    });
  const file1 = measure(fileCluster('one'), 1);
  emit('raft-file-1-proposer', file1, 'memory-1-proposer', mem1);
  const file64 = measure(fileCluster('many'), 64);
  emit('raft-file-64-proposers', file64, 'memory-64-proposers', mem64);
  for (const f of files) f.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
