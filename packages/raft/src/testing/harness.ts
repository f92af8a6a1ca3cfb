import { SnapshotAssembler } from '../core/assembler.js';
import { RaftNode, type RaftOptions } from '../core/raft.js';
import { MemoryStorage } from '../storage/memory.js';
import type { Entry, Message, NodeId, ReadState, Ready } from '../types.js';

/** One node of a `Harness`. */
export interface HarnessNode {
  node: RaftNode;
  readonly storage: MemoryStorage;
  /** Every committed entry handed to this node, in order (across restarts). */
  readonly applied: Entry[];
  readonly readStates: ReadState[];
  /** Puts snapshot chunks from the leader back together (replaced on restart). */
  assembler: SnapshotAssembler;
}

/**
 * A minimal synchronous cluster for unit tests: every message is delivered in order unless its
 * link is cut. For randomized fault injection use the `Simulator`.
 */
export class Harness {
  readonly nodes = new Map<NodeId, HarnessNode>();
  readonly #cut = new Set<string>();
  #queue: Message[] = [];
  readonly #options: Omit<RaftOptions, 'id' | 'storage'>;
  /** Optional filter: return false to drop a message. */
  filter: ((m: Message) => boolean) | undefined;

  constructor(ids: readonly NodeId[], options: Omit<RaftOptions, 'id' | 'storage'> = {}) {
    this.#options = { bootstrap: { voters: ids, learners: [] }, ...options };
    for (const id of ids) this.add(id, this.#options);
  }

  /** Adds a node (for joiners pass `bootstrap: undefined`). */
  add(id: NodeId, options: Omit<RaftOptions, 'id' | 'storage'> = this.#options): HarnessNode {
    const storage = new MemoryStorage();
    const hn: HarnessNode = {
      node: new RaftNode({ ...options, id, storage }),
      storage,
      applied: [],
      readStates: [],
      assembler: new SnapshotAssembler(),
    };
    this.nodes.set(id, hn);
    return hn;
  }

  get(id: NodeId): HarnessNode {
    const n = this.nodes.get(id);
    if (n === undefined) throw new Error(`no node ${id}`);
    return n;
  }

  /** Recreates the node from its storage, as after a crash (volatile state lost). */
  restart(id: NodeId, options: Omit<RaftOptions, 'id' | 'storage'> = {}): void {
    const hn = this.get(id);
    const applied = hn.applied.length > 0 ? hn.applied[hn.applied.length - 1]!.index : 0;
    hn.node = new RaftNode({ ...this.#options, ...options, id, storage: hn.storage, applied });
    hn.assembler = new SnapshotAssembler();
    this.#queue = this.#queue.filter((m) => m.to !== id && m.from !== id);
  }

  /** Cuts (both directions) the links between `a` and each of `others`. */
  cut(a: NodeId, ...others: NodeId[]): void {
    for (const b of others) {
      this.#cut.add(`${a}>${b}`);
      this.#cut.add(`${b}>${a}`);
    }
  }

  /** Cuts `a` from every other node. */
  isolate(a: NodeId): void {
    this.cut(a, ...[...this.nodes.keys()].filter((b) => b !== a));
  }

  heal(): void {
    this.#cut.clear();
  }

  /** Handles one node's Ready: persist, queue messages, record applied entries. */
  processReady(id: NodeId): Ready | undefined {
    const hn = this.get(id);
    if (!hn.node.hasReady()) return undefined;
    const rd = hn.node.ready();
    const snapshot = hn.assembler.take(rd);
    if (snapshot !== undefined) hn.storage.applySnapshot(snapshot);
    hn.storage.append(rd.entries);
    if (rd.hardState !== undefined) hn.storage.setHardState(rd.hardState);
    for (const m of rd.messages) this.#queue.push(m);
    for (const e of rd.committedEntries) hn.applied.push(e);
    for (const r of rd.readStates) hn.readStates.push(r);
    hn.node.advance(rd);
    return rd;
  }

  /** Runs until no node has work and no message is in flight. */
  settle(maxRounds = 10_000): void {
    for (let round = 0; round < maxRounds; round++) {
      let busy = false;
      for (const id of this.nodes.keys()) if (this.processReady(id) !== undefined) busy = true;
      const queue = this.#queue;
      this.#queue = [];
      for (const m of queue) {
        busy = true;
        if (this.#cut.has(`${m.from}>${m.to}`)) continue;
        if (this.filter !== undefined && !this.filter(m)) continue;
        this.nodes.get(m.to)?.node.step(m);
      }
      if (!busy) return;
    }
    throw new Error('harness did not settle');
  }

  /** Ticks every node `n` times, settling after each tick. */
  tick(n = 1, only?: readonly NodeId[]): void {
    for (let i = 0; i < n; i++) {
      for (const [id, hn] of this.nodes) if (only === undefined || only.includes(id)) hn.node.tick();
      this.settle();
    }
  }

  /** Makes `id` campaign and settles. */
  elect(id: NodeId): void {
    this.get(id).node.campaign();
    this.settle();
  }

  leaders(): NodeId[] {
    return [...this.nodes].filter(([, hn]) => hn.node.role === 'leader').map(([id]) => id);
  }
}
