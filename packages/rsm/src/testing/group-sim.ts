/**
 * A deterministic simulator of whole groups: many {@link GroupMember}s (the real wiring, the real
 * founding, merge, forwarding, admission and autopilot policies, the real Raft driver) on a seeded
 * simulated network and a {@link ManualClock}. Only the bond layer and discovery are simulated:
 * bonds form between connected members after a delay, carry messages in order with latency, and
 * break when a partition or a crash cuts them; discovery lists the members a member can reach.
 *
 * A run partitions the members at bootstrap (so rival clusters form), then joins, leaves, crashes
 * and restarts members and splits the network while clients write; finally it heals everything
 * and waits for the group to converge. After every step it checks:
 * - at most one leader per term in each cluster;
 * - no two members of one cluster applied different commands at one index, and every write a
 *   client saw acknowledged is applied at its index by every member of that cluster that got there;
 * - a member only changes cluster by a reset that reports what it discarded;
 * and at the end: exactly one cluster, every member with identical state, holding every write
 * acknowledged in it.
 *
 * @example
 * ```ts
 * const r = await simulateGroups({ seed: 7 });
 * if (r.violations.length > 0) console.error(r.violations);
 * ```
 */
import { decodeCbor, encodeCbor, every, id, ManualClock, type PeerId, SecretKey } from '@mosaik/id';
import { createLogger, createMetrics } from '@mosaik/metrics';
import { createPrng, MemoryStorage, type Prng } from '@mosaik/raft';
import { CloseCode, type CloseInfo } from '@mosaik/transport';
import { type ConsensusConfig, resolveConsensus } from '../config.js';
import type { MemberDirectory } from '../directory.js';
import { type BondHandlers, GroupMember, type MemberBond, type MemberBonds } from '../member.js';
import { GroupsMetrics } from '../metrics.js';
import type { ApplyContext, StateMachine } from '../state-machine.js';
import type { StorageSpec } from '../storage.js';
import type { ResetEvent } from '../when.js';
import { type BondMessage, type PeerStatus, WireType } from '../wire.js';

/** Options of one simulated run. */
export interface GroupSimOptions {
  /** Picks the scenario and every random choice in it; a seed replays the same run. */
  readonly seed: number;
  /** Virtual ms of faults and writes after bootstrap. Default 30 000. */
  readonly duration?: number;
  /** Virtual ms the healed group gets to converge. Default 60 000. */
  readonly settle?: number;
  /** Receives one line per notable event. */
  readonly trace?: (line: string) => void;
  /**
   * Clients read local state without a read index (a broken strong read), to show that the
   * read check catches stale reads. Default false.
   */
  readonly weakReads?: boolean;
}

/** What a run found. */
export interface GroupSimResult {
  readonly seed: number;
  /** Members that took part (initial ones and later joiners). */
  readonly members: number;
  /** What the checks found; empty when the run is correct. */
  readonly violations: readonly string[];
  /** Converged to one cluster with identical state within `settle`. */
  readonly live: boolean;
  /** Clusters founded during the run. */
  readonly clusters: number;
  /** Resets seen (members discarding a losing cluster's state). */
  readonly resets: number;
  /** Client writes attempted. */
  readonly writes: number;
  /** Client writes acknowledged as committed. */
  readonly acknowledged: number;
  /** Strong reads attempted. */
  readonly reads: number;
  /** Strong reads answered (and checked against the writes acknowledged before them). */
  readonly readsAnswered: number;
  /** Bond messages sent. */
  readonly messages: number;
  /** Virtual ms simulated. */
  readonly virtualMs: number;
}

const CONSENSUS = resolveConsensus({
  tickInterval: 100,
  heartbeatInterval: 300,
  maxMissedHeartbeats: 10,
  electionTimeout: 1500,
  bootstrapDelay: 2000,
  forwardTimeout: 2000,
  queryTimeout: 2000,
  deadMemberTimeout: 8000,
  snapshotThreshold: 64,
});

const GROUP = id('mosaik.rsm.sim/group');
const logger = createLogger({ level: 'silent' });

/** A replicated log of strings that remembers the index of each entry (for the checks). */
class LogMachine implements StateMachine<string, 'entries', ReadonlyArray<readonly [number, string]>> {
  readonly signature = id('mosaik.rsm.sim/log');
  entries: Array<readonly [number, string]> = [];
  /** How many entries the checks already saw; a restore starts over. */
  checked = 0;
  apply(command: string, ctx: ApplyContext): void {
    this.entries.push([ctx.index, command]);
  }
  query(): ReadonlyArray<readonly [number, string]> {
    return this.entries;
  }
  snapshot(): Uint8Array {
    return encodeCbor(this.entries);
  }
  restore(snapshot: Uint8Array): void {
    this.entries = (decodeCbor(snapshot) as Array<[number, string]>).map(([i, c]) => [i, c] as const);
    this.checked = 0;
  }
}

interface SimMemberState {
  readonly index: number;
  readonly key: SecretKey;
  readonly peer: PeerId;
  readonly hex: string;
  /** Running (joined, not crashed). */
  alive: boolean;
  /** Left gracefully (it may come back later, with nothing). */
  gone: boolean;
  incarnation: number;
  machine: LogMachine;
  member: GroupMember<string> | undefined;
  bonds: SimBondSet | undefined;
  /**
   * Survives crashes: a crashed member restarts with its state. Only a member that left (told
   * its peers) may come back with nothing; a voter that forgets what it acknowledged without
   * saying so is outside Raft's fault model.
   */
  disk: MemoryStorage;
  /** The cluster it was last seen in, and the reset it was last seen with. */
  cluster: string;
  reset: ResetEvent | undefined;
  stopPings: () => void;
}

/** One end of a simulated bond. */
class SimBond implements MemberBond {
  readonly peer: PeerId;
  status: PeerStatus | undefined;
  isClosed = false;
  #closed: (info: CloseInfo) => void = () => {};
  readonly #terminated = new Promise<CloseInfo>((resolve) => {
    this.#closed = resolve;
  });
  constructor(
    readonly world: World,
    readonly owner: SimMemberState,
    readonly other: SimMemberState,
    readonly incarnation: number,
  ) {
    this.peer = other.peer;
  }
  /** The other end, while the bond lives. */
  partner: SimBond | undefined;
  send(message: BondMessage): void {
    this.world.send(this, message);
  }
  ping(): void {
    if (!this.isClosed) this.world.send(this, { t: WireType.Ping, status: this.world.statusOf(this.owner) });
  }
  close(code: number = CloseCode.Cancelled): Promise<void> {
    this.world.closePair(this, code, 'closed locally');
    return Promise.resolve();
  }
  terminated(): Promise<CloseInfo> {
    return this.#terminated;
  }
  reauthorized(): void {}
  /** @internal */
  markClosed(info: CloseInfo): void {
    this.isClosed = true;
    this.#closed(info);
  }
}

/** A member's simulated bonds. */
class SimBondSet implements MemberBonds {
  readonly map = new Map<string, SimBond>();
  constructor(
    readonly world: World,
    readonly owner: SimMemberState,
    readonly handlers: BondHandlers,
  ) {}
  get(peer: PeerId | string): SimBond | undefined {
    return this.map.get(typeof peer === 'string' ? peer : peer.toString());
  }
  list(): readonly SimBond[] {
    return [...this.map.values()].sort((a, b) => (a.other.hex < b.other.hex ? -1 : 1));
  }
  dial(peer: PeerId): Promise<unknown> {
    return this.world.dial(this.owner, peer.toString());
  }
}

class World {
  readonly clock = new ManualClock(0);
  readonly rng: Prng;
  readonly members: SimMemberState[] = [];
  readonly violations: string[] = [];
  readonly trace: ((line: string) => void) | undefined;
  readonly metrics = new GroupsMetrics(createMetrics());
  /** Partition side of each member; members on one side are connected. */
  readonly side = new Map<number, number>();
  /** Per direction, the time of the last delivery: bonds are ordered streams. */
  readonly #lastDelivery = new Map<string, number>();
  /** Cluster → index → command, as applied by any member. */
  readonly committed = new Map<string, Map<number, string>>();
  /** Writes a client saw committed: cluster, index, command. */
  readonly acks: Array<{ cluster: string; index: number; command: string }> = [];
  /** `cluster/term` → leader. */
  readonly leaders = new Map<string, string>();
  readonly clusters = new Set<string>();
  messages = 0;
  /** Bonds formed (each a handshake on a real network). */
  bondsFormed = 0;
  resets = 0;
  writes = 0;
  /** Strong reads attempted, and answered. */
  reads = 0;
  readsAnswered = 0;
  /** Picks the reads' members, apart from `rng`, so reads leave the fault schedule of a seed as it was. */
  readonly readRng: Prng;

  /**
   * Half the seeds give the members a disk that syncs asynchronously (as `FileStorage` does), so
   * a leader's Readies take the path that holds incoming messages while it syncs. A PRNG of its
   * own keeps the other choices of a seed what they were.
   */
  readonly asyncSync: boolean;

  constructor(
    seed: number,
    trace: ((line: string) => void) | undefined,
    readonly consensus: ConsensusConfig = CONSENSUS,
  ) {
    this.rng = createPrng(`group-sim:${seed}`);
    this.asyncSync = createPrng(`group-sim-sync:${seed}`)() < 0.5;
    this.readRng = createPrng(`group-sim-read:${seed}`);
    this.trace = trace;
  }

  /** An empty disk for a member. */
  newDisk(): MemoryStorage {
    return this.asyncSync ? new AsyncSyncDisk() : new MemoryStorage();
  }

  log(line: string): void {
    this.trace?.(`${String(this.clock.now()).padStart(6)} ${line}`);
  }

  int(lo: number, hi: number): number {
    return lo + Math.floor(this.rng() * (hi - lo + 1));
  }

  /** On one side of the current partition. */
  sameSide(a: SimMemberState, b: SimMemberState): boolean {
    return (this.side.get(a.index) ?? 0) === (this.side.get(b.index) ?? 0);
  }

  connected(a: SimMemberState, b: SimMemberState): boolean {
    return a.alive && b.alive && this.sameSide(a, b);
  }

  addMember(): SimMemberState {
    const index = this.members.length;
    const key = SecretKey.fromSeed(id(`sim-member-${index}-${this.rng()}`).bytes);
    const m: SimMemberState = {
      index,
      key,
      peer: key.peerId,
      hex: key.peerId.toString(),
      alive: false,
      gone: false,
      incarnation: 0,
      machine: new LogMachine(),
      member: undefined,
      bonds: undefined,
      disk: this.newDisk(),
      cluster: '',
      reset: undefined,
      stopPings: () => {},
    };
    this.members.push(m);
    return m;
  }

  /** Starts (or restarts) `m`; with `keepState`, on what its disk holds. */
  start(m: SimMemberState, keepState: boolean): void {
    if (!keepState) m.disk = this.newDisk();
    m.incarnation++;
    m.alive = true;
    m.machine = new LogMachine();
    m.cluster = '';
    m.reset = undefined;
    const storage: StorageSpec = {
      kind: 'custom',
      open: () => m.disk,
      wipe: () => {
        m.disk = this.newDisk();
        return m.disk;
      },
    };
    const directory: MemberDirectory = {
      entry: () => undefined,
      listed: () =>
        this.members
          .filter((o) => o !== m && this.connected(m, o))
          .map((o) => ({ peerId: o.peer, entry: { hasGroup: () => true } })),
      wireOf: () => undefined,
      feed: () => ({ ok: false, why: 'invalid signed entry' }),
      localVersion: () => 0,
      localWire: () => undefined,
      subscribe: () => () => {},
    };
    const incarnation = m.incarnation;
    const member = new GroupMember<string>({
      self: m.peer,
      spec: {
        id: GROUP,
        machine: m.machine as StateMachine<string, unknown, unknown>,
        storage,
        consensus: this.consensus,
        validators: [],
      },
      bonds: (handlers) => {
        m.bonds = new SimBondSet(this, m, handlers);
        return m.bonds;
      },
      directory,
      clock: this.clock,
      metrics: this.metrics,
      logger,
      offline: () => !m.alive || m.incarnation !== incarnation,
    });
    m.member = member;
    member.start();
    m.stopPings = every(this.clock, this.consensus.heartbeatInterval, () => {
      for (const b of m.bonds?.list() ?? []) b.ping();
    });
    this.log(`start m${m.index}${keepState ? ' (with its state)' : ''}`);
  }

  /** A crash: the member stops at once; its peers notice when their bonds time out. */
  crash(m: SimMemberState): void {
    if (!m.alive) return;
    this.log(`crash m${m.index}`);
    m.alive = false;
    m.stopPings();
    void m.member?.stop();
    for (const b of m.bonds?.list() ?? []) {
      this.silence(b);
      if (b.partner !== undefined) this.silence(b.partner);
    }
  }

  /** A graceful leave: hand-off, `Departure` on every bond, then the bonds close. */
  async leave(m: SimMemberState): Promise<void> {
    if (!m.alive) return;
    this.log(`leave m${m.index}`);
    m.gone = true;
    const member = m.member!;
    await member.stop();
    m.alive = false;
    m.stopPings();
    for (const b of m.bonds?.list() ?? []) {
      this.send(b, { t: WireType.Departure }, true);
      this.clock.schedule(50, () => this.closePair(b, CloseCode.Cancelled, 'departed'));
    }
    member.release();
  }

  /** The member's own status, as its bond layer sends it with every ping. */
  statusOf(m: SimMemberState): PeerStatus {
    return m.bonds!.handlers.status();
  }

  /** Bonds `a` with member `bHex` after a handshake delay, or fails when it cannot reach it. */
  dial(a: SimMemberState, bHex: string): Promise<unknown> {
    const b = this.members.find((o) => o.hex === bHex);
    return new Promise((resolve, reject) => {
      const existing = a.bonds?.get(bHex);
      if (existing !== undefined && !existing.isClosed) {
        resolve(existing);
        return;
      }
      const incarnation = a.incarnation;
      const fail = () => reject(new Error('unreachable'));
      if (b === undefined || !this.connected(a, b)) {
        this.clock.schedule(this.int(200, 1000), fail);
        return;
      }
      this.clock.schedule(this.int(4, 40), () => {
        if (
          !this.connected(a, b) ||
          a.incarnation !== incarnation ||
          a.bonds === undefined ||
          b.bonds === undefined
        )
          return fail();
        const mine = a.bonds.get(b.hex);
        if (mine !== undefined && !mine.isClosed) return resolve(mine);
        // The acceptor refuses a bond it has no use for (two learners of its configuration).
        if (!b.bonds.handlers.wanted(a.peer)) return fail();
        // A newer connection replaces whatever either side still holds (a restarted peer).
        const theirs = b.bonds.get(a.hex);
        if (theirs !== undefined) this.closePair(theirs, CloseCode.AlreadyBonded, 'replaced');
        const ab = new SimBond(this, a, b, a.incarnation);
        const ba = new SimBond(this, b, a, b.incarnation);
        ab.partner = ba;
        ba.partner = ab;
        // The handshake carries both statuses and the acceptor's bonded peers.
        ab.status = this.statusOf(b);
        ba.status = this.statusOf(a);
        const welcomePeers = b.bonds.list().map((x) => x.peer);
        a.bonds.map.set(b.hex, ab);
        b.bonds.map.set(a.hex, ba);
        this.bondsFormed++;
        this.log(`bond m${a.index}-m${b.index}`);
        b.bonds.handlers.up(ba);
        a.bonds.handlers.up(ab);
        a.bonds.handlers.learned(welcomePeers);
        resolve(ab);
      });
    });
  }

  /** Delivers `message` to the other end after a latency, in order, unless the link is cut. */
  send(from: SimBond, message: BondMessage, evenIfStopped = false): void {
    const to = from.partner;
    if (from.isClosed || to === undefined) return;
    if (!evenIfStopped && !from.owner.alive) return;
    const key = `${from.owner.index}>${from.other.index}`;
    const at = Math.max(this.clock.now() + this.int(1, 25), this.#lastDelivery.get(key) ?? 0);
    this.#lastDelivery.set(key, at);
    this.messages++;
    this.clock.schedule(at - this.clock.now(), () => {
      if (to.isClosed || !to.owner.alive) return;
      if (evenIfStopped ? !this.sameSide(from.owner, to.owner) : !this.connected(from.owner, to.owner))
        return;
      const set = to.owner.bonds;
      if (set === undefined || set.get(from.owner.hex) !== to) return;
      if (message.t === WireType.Ping) to.status = message.status;
      set.handlers.message(to, message);
    });
  }

  /** Both ends close now (a local close, a departure, a replacement). */
  closePair(bond: SimBond, code: number, reason: string): void {
    this.closeEnd(bond, code, reason);
    if (bond.partner !== undefined) this.closeEnd(bond.partner, code, reason);
  }

  /** One end closes; its owner hears of it when it runs. */
  closeEnd(end: SimBond, code: number, reason: string): void {
    if (end.isClosed) return;
    end.markClosed({ code, reason, local: false });
    const set = end.owner.bonds;
    if (set?.get(end.other.hex) === end) {
      set.map.delete(end.other.hex);
      if (end.owner.alive && end.owner.incarnation === end.incarnation)
        set.handlers.down(end, { code, reason, local: false });
    }
  }

  /**
   * A cut link: an end that is still running notices after a silence (its missed heartbeats),
   * unless the link came back meanwhile; the end of a crashed member is gone at once.
   */
  silence(end: SimBond): void {
    if (!end.owner.alive || end.owner.incarnation !== end.incarnation) {
      this.closeEnd(end, CloseCode.Timeout, 'crashed');
      return;
    }
    const otherIncarnation = end.other.incarnation;
    this.clock.schedule(
      this.int(500, this.consensus.heartbeatInterval * this.consensus.maxMissedHeartbeats),
      () => {
        if (!this.connected(end.owner, end.other) || end.other.incarnation !== otherIncarnation)
          this.closeEnd(end, CloseCode.Timeout, 'silent');
      },
    );
  }

  /** Splits the live members into two sides; bonds across the cut break. */
  partition(): void {
    const live = this.members.filter((m) => m.alive);
    for (const m of this.members) this.side.set(m.index, this.rng() < 0.5 ? 0 : 1);
    this.log(`partition ${live.map((m) => `m${m.index}:${this.side.get(m.index)}`).join(' ')}`);
    this.cutLinks();
  }

  heal(): void {
    this.side.clear();
    this.log('heal');
  }

  cutLinks(): void {
    for (const m of this.members) {
      for (const b of m.bonds?.list() ?? []) {
        if (!this.connected(b.owner, b.other)) this.silence(b);
      }
    }
  }

  /** A client writes through a random live member and records what was acknowledged. */
  write(): void {
    const live = this.members.filter((m) => m.alive && m.member !== undefined && !m.member.stopping);
    if (live.length === 0) return;
    const m = live[this.int(0, live.length - 1)]!;
    const member = m.member!;
    const command = `w${++this.writes}`;
    member
      .submit([command])
      .then(async (r) => {
        const ok = await member.driver.awaitApplied(r.last, r.term, r.epoch);
        if (ok && m.member === member) {
          this.acks.push({ cluster: member.cluster, index: r.first, command });
          this.log(`ack ${command} @${r.first} in ${member.cluster.slice(0, 6)}`);
        }
      })
      .catch(() => {});
  }

  /**
   * A client reads through a random live member with a strong query (a read index confirmed by
   * the leader, then wait until applied): every write acknowledged in that member's cluster
   * before the read started must be in what it reads. Skipped when the member changed cluster,
   * was reset or restarted meanwhile (what a reset discards is checked elsewhere).
   */
  read(weak = false): void {
    const live = this.members.filter((m) => m.alive && m.member !== undefined && !m.member.stopping);
    if (live.length === 0) return;
    const m = live[Math.floor(this.readRng() * live.length)]!;
    const member = m.member!;
    const cluster = member.cluster;
    if (cluster === '') return;
    const epoch = member.driver.epoch;
    const mustSee = this.acks.filter((a) => a.cluster === cluster);
    const n = ++this.reads;
    (weak ? Promise.resolve(0) : member.readIndex('entries', undefined))
      .then(async (index) => {
        await member.driver.applied.until((a) => a >= index || m.member !== member);
        if (m.member !== member || member.cluster !== cluster || member.driver.epoch !== epoch) return;
        this.readsAnswered++;
        const seen = new Set(m.machine.entries.map(([, c]) => c));
        for (const a of mustSee) {
          if (!seen.has(a.command))
            this.violate(
              `strong read r${n} through m${m.index} (read index ${index}, applied ${member.driver.applied.get()}) misses ${a.command} @${a.index}, acknowledged before it started`,
            );
        }
      })
      .catch(() => {});
  }

  /** The per-step checks. */
  check(): void {
    for (const m of this.members) {
      const member = m.member;
      if (!m.alive || member === undefined) continue;
      const raft = member.driver.raft;
      const cluster = member.cluster;
      if (cluster !== '' && !this.clusters.has(cluster)) {
        this.clusters.add(cluster);
        this.log(`m${m.index} in new cluster ${cluster.slice(0, 6)}`);
      }
      // One leader per term and cluster.
      if (raft.role === 'leader' && cluster !== '') {
        const key = `${cluster}/${raft.term}`;
        const known = this.leaders.get(key);
        if (known === undefined) this.leaders.set(key, m.hex);
        else if (known !== m.hex) this.violate(`two leaders in cluster ${cluster} term ${raft.term}`);
      }
      // A cluster changes only through a reset that says what was discarded.
      const reset = member.lastReset.get();
      if (cluster !== m.cluster) {
        if (
          m.cluster !== '' &&
          (reset === m.reset || reset?.discarded.cluster !== m.cluster || reset.joined !== cluster)
        )
          this.violate(`m${m.index} moved from ${m.cluster} to ${cluster} without a reset`);
        if (m.cluster !== '')
          this.log(`m${m.index} reset ${m.cluster.slice(0, 6)} -> ${cluster.slice(0, 6)}`);
        m.cluster = cluster;
      }
      if (reset !== m.reset) {
        this.resets++;
        m.reset = reset;
      }
      // Every applied command agrees with what others of the cluster applied at that index.
      if (cluster === '') continue;
      let log = this.committed.get(cluster);
      if (log === undefined) {
        log = new Map();
        this.committed.set(cluster, log);
      }
      const entries = m.machine.entries;
      for (let i = m.machine.checked; i < entries.length; i++) {
        const [index, command] = entries[i]!;
        const known = log.get(index);
        if (known === undefined) log.set(index, command);
        else if (known !== command)
          this.violate(`cluster ${cluster} index ${index}: m${m.index} applied ${command}, another ${known}`);
      }
      m.machine.checked = entries.length;
    }
  }

  violate(what: string): void {
    if (!this.violations.includes(what)) {
      this.violations.push(what);
      this.log(`VIOLATION ${what}`);
    }
  }

  /** One cluster, identical state everywhere, nobody merging: `undefined`, else why not. */
  notConverged(): string | undefined {
    const live = this.members.filter((m) => m.alive && m.member !== undefined);
    if (live.length === 0) return undefined;
    const clusters = new Set(live.map((m) => m.member!.cluster));
    if (clusters.size !== 1 || clusters.has(''))
      return `clusters ${[...clusters].map((c) => c.slice(0, 6) || '-')}: ${live
        .map((m) => {
          const st = m.member!.status();
          const conf = m.member!.driver.raft.conf;
          const name = (id: string) => `m${this.members.find((o) => o.hex === id)?.index ?? '?'}`;
          return `m${m.index} ${m.member!.cluster.slice(0, 6) || '-'} ${st.role} t${st.term} lead ${st.leader === undefined ? '-' : name(st.leader.toString())} applied ${st.applied}/${st.commit} voters ${conf.voters.map(name)} learners ${conf.learners.map(name)}`;
        })
        .join('; ')}`;
    const first = JSON.stringify(live[0]!.machine.entries);
    if (live.some((m) => JSON.stringify(m.machine.entries) !== first))
      return `states differ: ${live
        .map((m) => {
          const st = m.member!.status();
          const conf = m.member!.driver.raft.conf;
          const name = (id: string) => `m${this.members.find((o) => o.hex === id)?.index ?? '?'}`;
          return `m${m.index} ${st.role} t${st.term} lead ${st.leader === undefined ? '-' : name(st.leader.toString())} applied ${st.applied}/${st.commit}/${st.lastIndex} (${m.machine.entries.length} entries) voters ${conf.voters.map(name)} learners ${conf.learners.map(name)} bonds ${m.bonds?.list().map((b) => name(b.other.hex))}`;
        })
        .join(', ')}`;
    if (!live.some((m) => m.member!.driver.raft.role === 'leader')) return 'no leader';
    return undefined;
  }
}

/** A memory disk whose sync completes a turn of the event loop later, like a thread-pool fsync. */
class AsyncSyncDisk extends MemoryStorage {
  syncAsync(): Promise<void> {
    return new Promise((resolve) => setImmediate(resolve));
  }
}

/** Flushes every promise continuation the last timers queued. */
/** Stops every live member at the end of a run and lets their shutdown settle. */
async function stopAll(world: World): Promise<void> {
  for (const m of world.members) {
    if (m.alive) {
      m.alive = false;
      m.stopPings();
      void m.member?.stop();
    }
  }
  await settleMicrotasks();
}

function settleMicrotasks(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Runs timers until `until` (virtual ms) or until `stop()` says so, checking after every step. */
async function run(world: World, until: number, stop?: () => boolean): Promise<void> {
  const clock = world.clock;
  for (;;) {
    const next = clock.nextAt();
    if (next === undefined || next > until) break;
    while (clock.nextAt() === next) clock.runNext();
    await settleMicrotasks();
    world.check();
    if (stop?.() === true) return;
  }
  clock.advanceTo(until);
}

/**
 * Runs `body` with `Math.random` and `crypto.getRandomValues` drawn from `rng`: the Raft driver's
 * election jitter and cluster ids use them, and a seed must replay the same run. Restored after,
 * so nothing else may run concurrently in this process meanwhile.
 */
async function withSeededRandomness<T>(rng: Prng, body: () => Promise<T>): Promise<T> {
  const random = Math.random;
  const webCrypto = globalThis.crypto as { getRandomValues: <A extends ArrayBufferView | null>(a: A) => A };
  const own = Object.getOwnPropertyDescriptor(webCrypto, 'getRandomValues');
  Math.random = rng;
  webCrypto.getRandomValues = <A extends ArrayBufferView | null>(array: A): A => {
    if (array !== null) {
      const bytes = new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
      for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(rng() * 256);
    }
    return array;
  };
  try {
    return await body();
  } finally {
    Math.random = random;
    if (own === undefined) delete (webCrypto as { getRandomValues?: unknown }).getRandomValues;
    else Object.defineProperty(webCrypto, 'getRandomValues', own);
  }
}

/** Runs one seeded scenario and checks it (see the module documentation). */
export function simulateGroups(options: GroupSimOptions): Promise<GroupSimResult> {
  return withSeededRandomness(createPrng(`group-sim-random:${options.seed}`), () => simulateSeed(options));
}

async function simulateSeed(options: GroupSimOptions): Promise<GroupSimResult> {
  const world = new World(options.seed, options.trace);
  const duration = options.duration ?? 30_000;
  const settle = options.settle ?? 60_000;
  const { clock } = world;
  const initial = world.int(3, 6);
  for (let i = 0; i < initial; i++) world.addMember();
  // Bootstrap: most runs start split, so rival clusters form and must merge later.
  if (world.rng() < 0.75) world.partition();
  for (const m of world.members) clock.schedule(world.int(0, 500), () => world.start(m, false));
  const healAt = world.int(CONSENSUS.bootstrapDelay * 2, CONSENSUS.bootstrapDelay * 6);
  clock.schedule(healAt, () => world.heal());
  // Writes all along.
  const stopWrites = every(clock, 150, () => {
    if (world.rng() < 0.6) world.write();
    if (world.readRng() < 0.5) world.read(options.weakReads);
  });
  // Faults after the bootstrap split healed.
  let t = healAt + world.int(1000, 3000);
  let joins = 0;
  let leaves = 0;
  while (t < duration) {
    const at = t;
    const roll = world.rng();
    clock.schedule(at, () => {
      const live = world.members.filter((m) => m.alive && !m.gone);
      const crashed = world.members.filter((m) => !m.alive && !m.gone && m.incarnation > 0);
      const left = world.members.filter((m) => !m.alive && m.gone);
      const pick = <T>(xs: readonly T[]): T | undefined => xs[world.int(0, xs.length - 1)];
      if (roll < 0.25) {
        world.partition();
      } else if (roll < 0.45) {
        world.heal();
      } else if (roll < 0.6 && live.length > 2) {
        world.crash(pick(live)!);
      } else if (roll < 0.72 && crashed.length > 0) {
        // A third of the restarts come back with nothing: memory storage, or a lost disk.
        world.start(pick(crashed)!, world.rng() < 0.67);
      } else if (roll < 0.84 && joins < 2) {
        joins++;
        world.start(world.addMember(), false);
      } else if (roll < 0.92 && left.length > 0) {
        const back = pick(left)!;
        back.gone = false;
        world.start(back, false);
      } else if (leaves < 2 && live.length > 3 && world.side.size === 0) {
        // Only while the network is whole. A member whose `Departure` is lost stays a voter and
        // may never come back; with another voter back without its log (the crashes above), a
        // majority of the configuration may have lost entries: nothing can safely elect then,
        // and the group waits for one of them (see the package README).
        leaves++;
        void world.leave(pick(live)!);
      }
    });
    t += world.int(1000, 4000);
  }
  await run(world, duration);
  // Heal everything, bring crashed members back, stop writing, and let the group converge.
  world.heal();
  for (const m of world.members) if (!m.alive && !m.gone && m.incarnation > 0) world.start(m, true);
  clock.advance(0);
  stopWrites();
  let live = false;
  await run(world, duration + settle, () => {
    live = world.notConverged() === undefined;
    return live;
  });
  const why = world.notConverged();
  live = why === undefined;
  if (!live) world.violate(`no convergence within ${settle} ms after healing: ${why}`);
  else {
    // Every write acknowledged in the surviving cluster is in the final state.
    const final = world.members.find((m) => m.alive)!;
    const state = new Map(final.machine.entries);
    for (const a of world.acks) {
      if (a.cluster === final.member!.cluster && state.get(a.index) !== a.command)
        world.violate(
          `acknowledged ${a.command} at ${a.index} lost from the surviving cluster (final has ${state.get(a.index)}, ${JSON.stringify(final.machine.entries.slice(-8))}, applied ${final.member!.status().applied})`,
        );
    }
  }
  const virtualMs = clock.now();
  await stopAll(world);
  return {
    seed: options.seed,
    members: world.members.length,
    violations: world.violations,
    live,
    clusters: world.clusters.size,
    resets: world.resets,
    writes: world.writes,
    acknowledged: world.acks.length,
    reads: world.reads,
    readsAnswered: world.readsAnswered,
    messages: world.messages,
    virtualMs,
  };
}

/** Options of {@link simulateWideJoin}. */
export interface WideJoinOptions {
  /** Picks every random choice of the run; a seed replays the same run. */
  readonly seed: number;
  /** Members that join the formed group at one instant. */
  readonly joiners: number;
  /** Virtual ms the joiners get to be admitted and catch up. Default 60 000. */
  readonly limit?: number;
  /** Receives one line per notable event. */
  readonly trace?: (line: string) => void;
  /** Consensus settings of every member. Default: the simulator's. */
  readonly consensus?: Partial<ConsensusConfig>;
}

/** What {@link simulateWideJoin} found. */
export interface WideJoinResult {
  /** The seed of the run. */
  readonly seed: number;
  /** Virtual ms from the joiners' start until the group settled; `undefined` if it did not within `limit`. */
  readonly settledMs: number | undefined;
  /** Why it had not settled at the end (`undefined` once settled). */
  readonly why: string | undefined;
  /** What the per-step checks found (see {@link simulateGroups}); empty when the run is correct. */
  readonly violations: readonly string[];
  /** Clusters founded during the run (1 when nobody founded a rival). */
  readonly clusters: number;
  /** Bonds formed from the joiners' start until the end (each a handshake on a real network). */
  readonly bondsFormed: number;
  /** Bond messages sent from the joiners' start until the end. */
  readonly messages: number;
}

/**
 * A crowd joins at once: three members form a group, then `joiners` more start at one instant on
 * a network without faults. The run ends when the leader's configuration holds `maxVoters` voters
 * and every other member as a learner, and every member follows that leader and applied its
 * commit index (settled), or after `limit`. It reports what that cost: the bonds formed (each a
 * handshake on a real network) and the messages sent, besides the per-step checks of
 * {@link simulateGroups}.
 *
 * @example
 * ```ts
 * const r = await simulateWideJoin({ seed: 1, joiners: 47 });
 * console.log(r.settledMs, r.bondsFormed);
 * ```
 */
export function simulateWideJoin(options: WideJoinOptions): Promise<WideJoinResult> {
  return withSeededRandomness(createPrng(`wide-join-random:${options.seed}`), () => wideJoin(options));
}

async function wideJoin(options: WideJoinOptions): Promise<WideJoinResult> {
  const world = new World(
    options.seed,
    options.trace,
    resolveConsensus({ ...CONSENSUS, ...options.consensus }),
  );
  const { clock } = world;
  const limit = options.limit ?? 60_000;
  for (let i = 0; i < 3; i++) world.addMember();
  for (const m of world.members) clock.schedule(world.int(0, 100), () => world.start(m, false));
  const formed = () => {
    const leader = world.members.find((m) => m.member?.driver.raft.role === 'leader');
    return leader !== undefined && leader.member!.driver.raft.conf.voters.length === 3;
  };
  await run(world, 30_000, formed);
  const t0 = clock.now();
  const bonds0 = world.bondsFormed;
  const messages0 = world.messages;
  for (let i = 0; i < options.joiners; i++) world.start(world.addMember(), false);
  clock.advance(0);
  const maxVoters = world.consensus.maxVoters;
  const why = (): string | undefined => {
    const live = world.members.filter((m) => m.alive);
    const leader = live.find((m) => m.member!.driver.raft.role === 'leader');
    if (leader === undefined) return 'no leader';
    const raft = leader.member!.driver.raft;
    const conf = raft.conf;
    const voters = Math.min(maxVoters, live.length);
    if (conf.voters.length !== voters || conf.learners.length !== live.length - voters)
      return `leader's view ${conf.voters.length} voters + ${conf.learners.length} learners`;
    const lagging = live.filter(
      (m) =>
        m.member!.cluster !== leader.member!.cluster ||
        m.member!.driver.raft.lead !== leader.hex ||
        m.member!.driver.applied.get() < raft.status().commit,
    );
    if (lagging.length > 0)
      return `${lagging.length} members behind: ${lagging
        .map(
          (m) =>
            `m${m.index} applied ${m.member!.driver.applied.get()} lead ${m.member!.driver.raft.lead.slice(0, 4) || '-'}`,
        )
        .join(', ')}`;
    return undefined;
  };
  let settled = false;
  await run(world, t0 + limit, () => {
    settled = why() === undefined;
    return settled;
  });
  const end = clock.now();
  const reason = why();
  await stopAll(world);
  return {
    seed: options.seed,
    settledMs: reason === undefined ? end - t0 : undefined,
    why: reason,
    violations: world.violations,
    clusters: world.clusters.size,
    bondsFormed: world.bondsFormed - bonds0,
    messages: world.messages - messages0,
  };
}
