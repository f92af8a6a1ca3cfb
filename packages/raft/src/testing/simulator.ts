import { MosaikError } from '@mosaik/id';
import { createPrng, type Prng } from '../core/prng.js';
import { RaftNode } from '../core/raft.js';
import { RaftInvariantError } from '../errors.js';
import { maybeCompact } from '../storage/compaction.js';
import { MemoryStorage } from '../storage/memory.js';
import type { SnapshotWriter } from '../storage/storage.js';
import type { ConfState, Entry, Message, NodeId, Ready } from '../types.js';
import { EntryType } from '../types.js';
import {
  decodeKvCommand,
  encodeKvCommand,
  type KvInput,
  type KvOutput,
  KvStateMachine,
  kvModel,
} from './kv.js';
import { type CheckResult, checkOperations, type Operation } from './linearizability.js';
import { SimNetwork } from './network.js';

/** Options of one simulated run. */
export interface SimOptions {
  readonly seed: number;
  /** Virtual time units (≈ ms) with faults. Default 2000. */
  readonly steps?: number;
  /** Receives one line per notable event (elections, faults, client operations). */
  readonly trace?: (line: string) => void;
  /** Extra time units after the faults stop, to check liveness. Default 3000. */
  readonly livenessSteps?: number;
  /**
   * Rewrites every message before delivery. Only for testing the checks themselves: a tamper
   * that breaks the protocol (e.g. turns vote rejections into grants) must make them fire.
   */
  readonly tamper?: (m: Message) => Message;
}

/** What a run found. */
export interface SimResult {
  readonly seed: number;
  readonly nodes: number;
  readonly violations: readonly string[];
  readonly linearizability: CheckResult;
  readonly live: boolean;
  readonly operations: number;
  readonly commits: number;
  readonly elections: number;
  readonly snapshotsSent: number;
  readonly messages: number;
}

interface SimNode {
  readonly id: NodeId;
  readonly storage: MemoryStorage;
  raft: RaftNode | undefined;
  incarnation: number;
  /** The snapshot being received from the leader, stored piece by piece (lost in a crash). */
  receiving: SnapshotWriter | undefined;
  kv: KvStateMachine;
  applied: number;
  appliedConf: ConfState;
  /** Persisted commit index (never decreases, also across restarts). */
  commit: number;
  readonly tickPeriod: number;
  nextTick: number;
  /** The term in which we last checked this node as a new leader. */
  leaderCheckedTerm: number;
  readonly bootstrap: boolean;
}

interface PendingOp {
  readonly client: number;
  readonly node: NodeId;
  readonly input: KvInput;
  readonly call: number;
  readonly deadline: number;
  /** Reads: the index to wait for, once the ReadState arrived. */
  readIndex?: number;
  readonly incarnation: number;
}

const ELECTION_TICK = 10;

/**
 * Runs one deterministic simulation of a Raft cluster with faults, checking the safety
 * invariants after every step, liveness after the faults stop, and linearizability of the
 * client history at the end. The same seed always gives the same run.
 */
export function simulate(options: SimOptions): SimResult {
  return new Simulation(options).run();
}

class Simulation {
  readonly #o: SimOptions;
  readonly #rand: Prng;
  readonly #net: SimNetwork;
  readonly #nodes: SimNode[] = [];
  readonly #byId = new Map<NodeId, SimNode>();
  readonly #violations: string[] = [];
  readonly #trace: ((line: string) => void) | undefined;
  #now = 0;

  // Safety bookkeeping.
  readonly #leaderOf = new Map<number, NodeId>();
  /** (index:term) → [command key, term of the previous entry]. */
  readonly #logMatch = new Map<string, [string, number | undefined]>();
  /** index → committed entry (term, key) and the term in which it was first seen committed. */
  readonly #committed = new Map<number, { term: number; key: string; commitTerm: number }>();
  #maxCommitted = 0;
  readonly #snapshots = new Map<number, string>();

  // Workload.
  readonly #history: Operation<KvInput, KvOutput>[] = [];
  /** Writes whose client gave up: resolved against the log at the end of the run. */
  readonly #unknownWrites: { id: string; p: PendingOp }[] = [];
  /** Command id → event clock when its entry was first seen committed. */
  readonly #commitClock = new Map<string, number>();
  /** Command id → whether it took effect (for CAS), from the first node that applied it. */
  readonly #applyResult = new Map<string, boolean>();
  readonly #pending = new Map<string, PendingOp>();
  readonly #clientBusy: boolean[];
  readonly #clientLeader: NodeId[];
  #opSeq = 0;
  #eventClock = 0;

  // Fault profile of this seed.
  readonly #faultRate: number;
  readonly #leaseReads: boolean;
  readonly #preVote: boolean;
  readonly #checkQuorum: boolean;
  readonly #compactEvery: number;
  readonly #chunk: number;
  /** Half the seeds: leaders defer commit notices, flushed at a random later step. */
  readonly #deferCommit: boolean;
  readonly #flushRand: () => number;
  /** Half the seeds: leaders pace every learner (see `paceLearnersAbove`). */
  readonly #paceLearners: boolean;
  /** Half the seeds that pace learners: leaders relay their appends through voters. */
  readonly #relayLearners: boolean;
  #elections = 0;
  #snapshotsSent = 0;

  constructor(o: SimOptions) {
    this.#o = o;
    this.#trace = o.trace;
    const r = createPrng(o.seed);
    this.#rand = r;
    const voters = 3 + Math.floor(r() * 3); // 3..5
    const spares = Math.min(7 - voters, Math.floor(r() * 3)); // 0..2
    this.#faultRate = 0.002 + r() * 0.01;
    this.#leaseReads = r() < 0.3;
    // Some seeds run without pre-vote, or without check-quorum (stale leaders then linger, which
    // ReadIndex must survive); lease reads need check-quorum.
    this.#preVote = r() >= 0.2;
    this.#checkQuorum = this.#leaseReads || r() >= 0.25;
    this.#compactEvery = 5 + Math.floor(r() * 40);
    this.#chunk = 16 + Math.floor(r() * 200);
    // A PRNG of its own, so the other choices of a seed stay what they were.
    this.#flushRand = createPrng(`${o.seed}/commit-notice`);
    this.#deferCommit = this.#flushRand() < 0.5;
    this.#paceLearners = createPrng(`${o.seed}/pace-learners`)() < 0.5;
    this.#relayLearners = this.#paceLearners && createPrng(`${o.seed}/relay-learners`)() < 0.5;
    this.#net = new SimNetwork(createPrng(`${o.seed}/net`), {
      drop: r() * 0.1,
      duplicate: r() * 0.05,
      maxDelay: 1 + Math.floor(r() * 15),
    });
    const clients = 3 + Math.floor(r() * 6);
    this.#clientBusy = new Array(clients).fill(false);
    this.#clientLeader = new Array(clients).fill('n1');
    const ids = Array.from({ length: voters + spares }, (_, i) => `n${i + 1}`);
    const conf: ConfState = { voters: ids.slice(0, voters), learners: [] };
    for (let i = 0; i < ids.length; i++) {
      // Lease seeds run nodes at different tick rates (within the declared drift bound).
      const period = this.#leaseReads ? 9 + Math.floor(r() * 3) : 10;
      const n: SimNode = {
        id: ids[i]!,
        storage: new MemoryStorage(),
        raft: undefined,
        receiving: undefined,
        incarnation: 0,
        kv: new KvStateMachine(),
        applied: 0,
        appliedConf: { voters: [], learners: [] },
        commit: 0,
        tickPeriod: period,
        nextTick: 1 + Math.floor(r() * period),
        leaderCheckedTerm: 0,
        bootstrap: i < voters,
      };
      this.#nodes.push(n);
      this.#byId.set(n.id, n);
      this.#start(n, i < voters ? conf : undefined);
    }
    this.#log(
      `seed ${o.seed}: ${voters} voters + ${spares} spares, drop ${this.#net.faults.drop.toFixed(3)}, ` +
        `dup ${this.#net.faults.duplicate.toFixed(3)}, delay ≤${this.#net.faults.maxDelay}, ` +
        `faults ${this.#faultRate.toFixed(4)}/step, lease ${this.#leaseReads}, pre-vote ${this.#preVote}, ` +
        `check-quorum ${this.#checkQuorum}, compact every ${this.#compactEvery}, ` +
        `chunk ${this.#chunk}, ${clients} clients`,
    );
  }

  run(): SimResult {
    const steps = this.#o.steps ?? 2000;
    for (let i = 0; i < steps && this.#violations.length === 0; i++) this.#step(true);
    // Faults stop: heal, restart everyone, a clean (but still slow and reordering) network.
    this.#net.heal();
    this.#net.faults = { drop: 0, duplicate: 0, maxDelay: this.#net.faults.maxDelay };
    for (const n of this.#nodes) if (n.raft === undefined) this.#restart(n);
    this.#log('faults stop');
    const live = this.#violations.length === 0 ? this.#checkLiveness(this.#o.livenessSteps ?? 3000) : false;
    // Operations still pending have unknown outcomes.
    for (const [id, p] of this.#pending) this.#giveUp(id, p);
    this.#pending.clear();
    this.#resolveUnknownWrites();
    const linearizability = checkOperations(kvModel, this.#history, { maxSteps: 1_000_000 });
    if (linearizability === 'illegal') this.#log('history is NOT linearizable');
    return {
      seed: this.#o.seed,
      nodes: this.#nodes.length,
      violations: this.#violations,
      linearizability,
      live,
      operations: this.#history.length,
      commits: this.#maxCommitted,
      elections: this.#elections,
      snapshotsSent: this.#snapshotsSent,
      messages: this.#net.sent,
    };
  }

  #log(line: string): void {
    this.#trace?.(`${String(this.#now).padStart(5)} ${line}`);
  }

  #violation(what: string): void {
    this.#violations.push(`t=${this.#now}: ${what}`);
    this.#log(`VIOLATION ${what}`);
  }

  // ---------------------------------------------------------------- node lifecycle

  #start(n: SimNode, bootstrap: ConfState | undefined): void {
    n.incarnation++;
    n.receiving = undefined;
    const snap = n.storage.snapshot();
    n.kv = KvStateMachine.restore(snap.data);
    n.applied = snap.meta.index;
    n.appliedConf = snap.meta.conf;
    n.raft = new RaftNode({
      id: n.id,
      storage: n.storage,
      electionTick: ELECTION_TICK,
      heartbeatTick: 2,
      random: createPrng(`${this.#o.seed}/${n.id}/${n.incarnation}`),
      leaseReads: this.#leaseReads,
      preVote: this.#preVote,
      checkQuorum: this.#checkQuorum,
      maxClockDrift: 0.25,
      snapshotChunkSize: this.#chunk,
      maxSizePerMsg: 512,
      maxInflightMsgs: 4,
      deferCommitNotice: this.#deferCommit,
      ...(this.#paceLearners ? { paceLearnersAbove: 0 } : {}),
      ...(this.#relayLearners ? { relayPacedLearners: true } : {}),
      ...(bootstrap !== undefined ? { bootstrap } : {}),
    });
  }

  #crash(n: SimNode): void {
    n.raft = undefined;
    n.receiving?.abort();
    n.receiving = undefined;
    this.#log(`crash ${n.id}`);
  }

  #restart(n: SimNode): void {
    this.#start(n, undefined);
    this.#log(`restart ${n.id}`);
  }

  // ---------------------------------------------------------------- one step

  #step(faults: boolean): void {
    try {
      this.#stepUnchecked(faults);
    } catch (e) {
      // The core refuses to break its own invariants (e.g. truncating a committed entry).
      if (!(e instanceof RaftInvariantError)) throw e;
      this.#violation(`core invariant: ${e.message}`);
    }
  }

  #stepUnchecked(faults: boolean): void {
    this.#now++;
    for (const n of this.#nodes) {
      if (n.nextTick <= this.#now) {
        n.nextTick += n.tickPeriod;
        n.raft?.tick();
      }
    }
    const tamper = this.#o.tamper;
    for (let m = this.#net.next(this.#now); m !== undefined; m = this.#net.next(this.#now)) {
      this.#byId.get(m.to)?.raft?.step(tamper === undefined ? m : tamper(m));
    }
    if (faults) this.#maybeFault();
    this.#clients(faults);
    for (const n of this.#nodes) {
      if (n.raft?.commitNoticeDue && this.#flushRand() < 0.5) n.raft.flushCommit();
      this.#processReady(n);
    }
    this.#finishReads();
    this.#checkLeaders();
  }

  #processReady(n: SimNode): void {
    const raft = n.raft;
    if (raft === undefined || !raft.hasReady()) return;
    const rd = raft.ready();
    this.#persist(n, rd);
    for (const m of rd.messages) {
      if (m.t === 9 && m.offset === 0) this.#snapshotsSent++;
      this.#net.send(this.#now, m);
    }
    if (rd.snapshot !== undefined) {
      n.kv = KvStateMachine.restore(n.storage.snapshot().data);
      n.applied = rd.snapshot.index;
      n.appliedConf = rd.snapshot.conf;
      this.#log(`${n.id} installed snapshot at ${n.applied}`);
    }
    for (const e of rd.committedEntries) this.#apply(n, e);
    for (const rs of rd.readStates) {
      const p = this.#pending.get(rs.ctx);
      if (p !== undefined && p.node === n.id && p.incarnation === n.incarnation) p.readIndex = rs.index;
    }
    raft.advance(rd);
    this.#maybeCompact(n);
  }

  #persist(n: SimNode, rd: Ready): void {
    const st = n.storage;
    if (rd.snapshotAbandoned) {
      n.receiving?.abort();
      n.receiving = undefined;
    }
    for (const c of rd.snapshotChunks) {
      if (c.offset === 0) {
        n.receiving?.abort();
        n.receiving = st.receiveSnapshot(c.meta, c.total);
      }
      if (n.receiving === undefined) {
        this.#violation(`${n.id} got a snapshot chunk at ${c.offset} without its start`);
        continue;
      }
      n.receiving.write(c.data);
    }
    if (rd.snapshot !== undefined) {
      const { index } = rd.snapshot;
      if (index <= n.commit)
        this.#violation(`${n.id} installs snapshot ${index} at or below its commit ${n.commit}`);
      if (n.receiving === undefined) this.#violation(`${n.id} installs snapshot ${index} it never received`);
      n.receiving?.finish();
      n.receiving = undefined;
      this.#checkSnapshot(index, st.snapshot().data);
    }
    if (rd.entries.length > 0) {
      const first = rd.entries[0]!.index;
      if (first <= n.commit)
        this.#violation(`${n.id} overwrites its committed entry ${first} (commit ${n.commit})`);
      let prevTerm = st.term(first - 1);
      for (const e of rd.entries) {
        const k = `${e.index}:${e.term}`;
        const key = entryKey(e);
        const seen = this.#logMatch.get(k);
        if (seen === undefined) {
          this.#logMatch.set(k, [key, prevTerm]);
        } else if (seen[0] !== key) {
          this.#violation(`log matching: two different entries at index ${e.index} term ${e.term}`);
        } else if (seen[1] !== undefined && prevTerm !== undefined && seen[1] !== prevTerm) {
          this.#violation(`log matching: entries (${e.index}, ${e.term}) follow different terms`);
        }
        prevTerm = e.term;
      }
      st.append(rd.entries);
    }
    if (rd.hardState !== undefined) {
      const hs = rd.hardState;
      if (hs.commit < n.commit) this.#violation(`${n.id} commit went back from ${n.commit} to ${hs.commit}`);
      st.setHardState(hs);
      const from = Math.max(n.commit + 1, st.firstIndex());
      for (let i = from; i <= hs.commit; i++) {
        const t = st.term(i);
        if (t === undefined) {
          this.#violation(`${n.id} committed ${i} which it does not hold`);
          break;
        }
        const key = entryKey(st.entries(i, i + 1)[0]!);
        const c = this.#committed.get(i);
        if (c === undefined) {
          this.#committed.set(i, { term: t, key, commitTerm: hs.term });
          if (i > this.#maxCommitted) this.#maxCommitted = i;
          const id = commandId(key);
          if (id !== undefined) this.#commitClock.set(id, ++this.#eventClock);
        } else if (c.term !== t || c.key !== key) {
          this.#violation(`state machine safety: ${n.id} committed a different entry at ${i}`);
        }
      }
      n.commit = Math.max(n.commit, hs.commit);
    }
  }

  #checkSnapshot(index: number, data: Uint8Array): void {
    const s = new TextDecoder().decode(data);
    const seen = this.#snapshots.get(index);
    if (seen === undefined) this.#snapshots.set(index, s);
    else if (seen !== s) this.#violation(`two different snapshots at index ${index}`);
  }

  #apply(n: SimNode, e: Entry): void {
    if (e.index !== n.applied + 1) this.#violation(`${n.id} applied ${e.index} after ${n.applied}`);
    n.applied = e.index;
    const c = this.#committed.get(e.index);
    if (c === undefined || c.term !== e.term || c.key !== entryKey(e)) {
      this.#violation(`${n.id} applied an entry at ${e.index} that is not the committed one`);
    }
    if (e.type === EntryType.Conf) {
      n.appliedConf = e.conf!;
      return;
    }
    if (e.data.length === 0) return;
    const cmd = decodeKvCommand(e.data);
    const ok = n.kv.apply(cmd);
    if (!this.#applyResult.has(cmd.id)) this.#applyResult.set(cmd.id, ok);
    const p = this.#pending.get(cmd.id);
    if (p !== undefined && p.node === n.id && p.incarnation === n.incarnation) {
      this.#pending.delete(cmd.id);
      this.#finish(p, cmd.op === 'cas' ? { ok } : { ok: true });
    }
  }

  #maybeCompact(n: SimNode): void {
    const keep = Math.floor(this.#rand() * 5);
    const taken = maybeCompact(n.storage, n.applied, n.appliedConf, () => n.kv.snapshot(), {
      threshold: this.#compactEvery,
      keep,
    });
    if (taken) this.#checkSnapshot(n.applied, n.storage.snapshot().data);
  }

  /** Election safety, and leader completeness for every node that just became leader. */
  #checkLeaders(): void {
    for (const n of this.#nodes) {
      const raft = n.raft;
      if (raft === undefined || raft.role !== 'leader') continue;
      const term = raft.term;
      const other = this.#leaderOf.get(term);
      if (other === undefined) {
        this.#leaderOf.set(term, n.id);
        this.#elections++;
        this.#log(`${n.id} leads term ${term}`);
      } else if (other !== n.id) {
        this.#violation(`election safety: ${other} and ${n.id} both lead term ${term}`);
      }
      if (n.leaderCheckedTerm === term) continue;
      n.leaderCheckedTerm = term;
      const first = raft.status().firstIndex;
      for (let i = first; i <= this.#maxCommitted; i++) {
        const c = this.#committed.get(i);
        if (c === undefined || c.commitTerm >= term) continue;
        if (raft.termAt(i) !== c.term) {
          this.#violation(`leader completeness: ${n.id} (term ${term}) lacks committed entry ${i}`);
          break;
        }
      }
    }
  }

  // ---------------------------------------------------------------- faults

  #maybeFault(): void {
    const r = this.#rand;
    if (r() >= this.#faultRate) return;
    const up = this.#nodes.filter((n) => n.raft !== undefined);
    const down = this.#nodes.filter((n) => n.raft === undefined);
    const pick = <T>(xs: readonly T[]): T | undefined =>
      xs.length === 0 ? undefined : xs[Math.floor(r() * xs.length)];
    const kind = Math.floor(r() * 10);
    switch (kind) {
      case 0: {
        const n = pick(up);
        if (n !== undefined) this.#crash(n);
        break;
      }
      case 1: {
        const n = pick(down);
        if (n !== undefined) this.#restart(n);
        break;
      }
      case 2: {
        const ids = this.#nodes.map((n) => n.id);
        const a = ids.filter(() => r() < 0.5);
        const b = ids.filter((id) => !a.includes(id));
        this.#net.partition(a, b);
        this.#log(`partition [${a.join(',')}] | [${b.join(',')}]`);
        break;
      }
      case 3: {
        const a = pick(this.#nodes)!;
        const b = pick(this.#nodes)!;
        if (a !== b) {
          this.#net.block(a.id, b.id);
          this.#log(`block ${a.id} -> ${b.id}`);
        }
        break;
      }
      case 4:
      case 5:
        this.#net.heal();
        this.#log('heal');
        break;
      case 6:
        this.#membershipChange();
        break;
      case 8:
      case 9: {
        // Cut the leader off with a minority: the classic stale-leader situation.
        const lead = up.find((n) => n.raft!.role === 'leader');
        if (lead === undefined) break;
        const others = this.#nodes.filter((n) => n !== lead).map((n) => n.id);
        const friends = others.filter(() => r() < 0.25);
        const side = [lead.id, ...friends];
        const rest = others.filter((id) => !friends.includes(id));
        this.#net.partition(side, rest);
        this.#log(`partition leader side [${side.join(',')}] | [${rest.join(',')}]`);
        break;
      }
      case 7: {
        const lead = up.find((n) => n.raft!.role === 'leader');
        if (lead === undefined) break;
        const target = pick(lead.raft!.conf.voters.filter((v) => v !== lead.id));
        if (target !== undefined) {
          this.#log(`transfer ${lead.id} -> ${target}`);
          lead.raft!.transferLeadership(target);
        }
        break;
      }
    }
  }

  #membershipChange(): void {
    const lead = this.#nodes.find((n) => n.raft?.role === 'leader');
    if (lead === undefined) return;
    const raft = lead.raft!;
    const conf = raft.conf;
    const r = this.#rand;
    const outsiders = this.#nodes.filter((n) => !conf.voters.includes(n.id) && !conf.learners.includes(n.id));
    const options: { type: 'add-learner' | 'add-voter' | 'remove'; node: NodeId }[] = [];
    for (const n of outsiders) options.push({ type: 'add-learner', node: n.id });
    for (const l of conf.learners) {
      if (conf.voters.length < 7) options.push({ type: 'add-voter', node: l });
      options.push({ type: 'remove', node: l });
    }
    if (conf.voters.length > 3) {
      for (const v of conf.voters) {
        options.push({ type: 'remove', node: v });
        options.push({ type: 'add-learner', node: v });
      }
    }
    const change = options[Math.floor(r() * options.length)];
    if (change === undefined) return;
    try {
      const index = raft.proposeConfChange(change);
      this.#log(`${lead.id} proposes ${change.type} ${change.node} at ${index}`);
    } catch (e) {
      if (!(e instanceof MosaikError)) throw e;
    }
  }

  // ---------------------------------------------------------------- clients

  #clients(active: boolean): void {
    const r = this.#rand;
    for (const [id, p] of this.#pending) {
      if (p.deadline <= this.#now) {
        this.#pending.delete(id);
        this.#giveUp(id, p);
      }
    }
    if (!active) return;
    for (let c = 0; c < this.#clientBusy.length; c++) {
      if (this.#clientBusy[c] || r() > 0.2) continue;
      const key = `k${Math.floor(r() * 2)}`;
      const roll = r();
      const value = `v${this.#opSeq}`;
      const input: KvInput =
        roll < 0.4
          ? { op: 'get', key }
          : roll < 0.75
            ? { op: 'put', key, value }
            : { op: 'cas', key, expected: r() < 0.5 ? null : `v${Math.floor(r() * this.#opSeq)}`, value };
      // Reads go anywhere half the time (followers forward them); writes go to the guessed leader.
      const target =
        input.op === 'get' && r() < 0.5
          ? this.#nodes[Math.floor(r() * this.#nodes.length)]!
          : this.#byId.get(this.#clientLeader[c]!)!;
      const raft = target.raft;
      if (raft === undefined) {
        this.#clientLeader[c] = this.#nodes[Math.floor(r() * this.#nodes.length)]!.id;
        continue;
      }
      const id = `c${c}-${this.#opSeq++}`;
      const p: PendingOp = {
        client: c,
        node: target.id,
        input,
        call: ++this.#eventClock,
        deadline: this.#now + 300,
        incarnation: target.incarnation,
      };
      try {
        if (input.op === 'get') raft.readIndex(id);
        else raft.propose([encodeKvCommand({ id, ...input })]);
      } catch (e) {
        if (!(e instanceof MosaikError)) throw e;
        // Not issued: no effect, no history entry. Follow the hint if any.
        const hint = (e as { leader?: string }).leader;
        this.#clientLeader[c] =
          hint !== undefined && hint !== '' ? hint : this.#nodes[Math.floor(r() * this.#nodes.length)]!.id;
        continue;
      }
      this.#clientBusy[c] = true;
      this.#pending.set(id, p);
      this.#log(
        `c${c} ${input.op} ${key}${input.op === 'get' ? '' : ` ${input.value}`} at ${target.id} (${id})`,
      );
    }
  }

  #finishReads(): void {
    for (const [id, p] of this.#pending) {
      if (p.readIndex === undefined) continue;
      const n = this.#byId.get(p.node)!;
      if (n.raft === undefined || n.incarnation !== p.incarnation) continue;
      if (n.applied >= p.readIndex) {
        this.#pending.delete(id);
        this.#finish(p, { value: n.kv.get(p.input.key) });
      }
    }
  }

  /** The client stops waiting. A read without an answer had no effect and is left out. */
  #giveUp(id: string, p: PendingOp): void {
    this.#clientBusy[p.client] = false;
    this.#log(`c${p.client} ${p.input.op} ${p.input.key} -> ? (gave up)`);
    if (p.input.op !== 'get') this.#unknownWrites.push({ id, p });
  }

  /**
   * A write the client gave up on took effect iff its entry committed. If it did, it took effect
   * by its commit time (so that bounds its linearization point) with the result any node
   * computed; if it is in no log at all it never will. Only writes still sitting uncommitted in
   * some log stay open-ended. Bounding them keeps the checker's search small.
   */
  #resolveUnknownWrites(): void {
    const inLogs = new Set<string>();
    for (const n of this.#nodes) {
      const first = n.storage.firstIndex();
      const last = n.storage.lastIndex();
      if (last < first) continue;
      for (const e of n.storage.entries(first, last + 1)) {
        const id = e.type === EntryType.Normal && e.data.length > 0 ? decodeKvCommand(e.data).id : undefined;
        if (id !== undefined) inLogs.add(id);
      }
    }
    for (const { id, p } of this.#unknownWrites) {
      const committedAt = this.#commitClock.get(id);
      const { client, input, call } = p;
      if (committedAt !== undefined) {
        const ok = this.#applyResult.get(id);
        const output: KvOutput = ok === undefined ? undefined : { ok };
        this.#history.push({ client, input, output, call, ret: committedAt });
      } else if (inLogs.has(id)) {
        this.#history.push({ client, input, output: undefined, call, ret: Number.POSITIVE_INFINITY });
      }
    }
  }

  #finish(p: PendingOp, output: KvOutput): void {
    this.#clientBusy[p.client] = false;
    // A read without an answer had no effect: leave it out. A write may or may not have happened.
    if (output === undefined && p.input.op === 'get') return;
    const ret = output === undefined ? Number.POSITIVE_INFINITY : ++this.#eventClock;
    this.#history.push({ client: p.client, input: p.input, output, call: p.call, ret });
    this.#log(
      `c${p.client} ${p.input.op} ${p.input.key} -> ${output === undefined ? '?' : JSON.stringify(output)}`,
    );
  }

  // ---------------------------------------------------------------- liveness

  /** After faults stop, a leader must emerge and a fresh proposal must commit. */
  #checkLiveness(budget: number): boolean {
    let probe: { node: NodeId; term: number; index: number } | undefined;
    for (let i = 0; i < budget; i++) {
      this.#step(false);
      if (this.#violations.length > 0) return false;
      const lead = this.#nodes.find((n) => n.raft?.role === 'leader');
      if (lead === undefined) continue;
      const raft = lead.raft!;
      if (probe !== undefined && (probe.node !== lead.id || probe.term !== raft.term)) probe = undefined;
      if (probe === undefined) {
        try {
          const id = `probe-${this.#now}`;
          const { first } = raft.propose([encodeKvCommand({ id, op: 'put', key: 'probe', value: id })]);
          probe = { node: lead.id, term: raft.term, index: first };
        } catch {
          // Leadership transfer in progress or leader being removed: retry next step.
        }
        continue;
      }
      if (raft.status().commit >= probe.index && raft.termAt(probe.index) === probe.term) {
        // Then every member must catch up (and stale uncommitted tails get truncated).
        const conf = raft.conf;
        const members = this.#nodes.filter((n) => conf.voters.includes(n.id) || conf.learners.includes(n.id));
        const last = raft.status().lastIndex;
        if (members.every((n) => n.applied >= probe!.index && n.storage.lastIndex() === last)) {
          this.#log(`live: ${lead.id} committed probe at ${probe.index}, all members caught up`);
          return true;
        }
      }
    }
    this.#violation(`liveness: no commit on every member within ${budget} steps after faults stopped`);
    return false;
  }
}

/** The command id inside an entry key (see `entryKey`), if it is a client command. */
function commandId(key: string): string | undefined {
  if (key === 'noop' || key.startsWith('conf:')) return undefined;
  return (JSON.parse(key) as { id: string }).id;
}

/** A string that identifies an entry's content (for cross-node comparison). */
function entryKey(e: Entry): string {
  if (e.type === EntryType.Conf) return `conf:${JSON.stringify(e.conf)}`;
  return e.data.length === 0 ? 'noop' : new TextDecoder().decode(e.data);
}
