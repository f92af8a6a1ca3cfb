import { describe, expect, it } from 'vitest';
import { ConfChangeError, InvalidConfigError, NotLeaderError, ProposalDroppedError } from '../errors.js';
import { MemoryStorage } from '../storage/memory.js';
import { Harness } from '../testing/harness.js';
import { EntryType, type Message, MessageType } from '../types.js';
import { RaftNode } from './raft.js';

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);
const userData = (h: Harness, id: string) =>
  h
    .get(id)
    .applied.filter((e) => e.type === EntryType.Normal && e.data.length > 0)
    .map((e) => dec(e.data));

/**
 * Voters a, b, c with a leading, and `learners` added in one change and paced (more than one
 * learner), one heartbeat period (`heartbeatTick`) after the change settled.
 */
function pacedCrowd(
  learners: readonly string[],
  heartbeatTick: number,
  maxInflightMsgs?: number,
  relayPacedLearners = false,
) {
  const h = new Harness(['a', 'b', 'c'], {
    paceLearnersAbove: 1,
    relayPacedLearners,
    heartbeatTick,
    electionTick: 50,
    ...(maxInflightMsgs === undefined ? {} : { maxInflightMsgs }),
  });
  h.elect('a');
  for (const id of learners) h.add(id, {});
  const a = h.get('a').node;
  a.proposeConfChange({ type: 'add-learners', nodes: [...learners] });
  h.settle();
  h.tick(heartbeatTick, ['a']);
  return { h, a };
}

describe('election', () => {
  it('elects one leader by timeout and commits its no-op at the start of the term', () => {
    const h = new Harness(['a', 'b', 'c']);
    h.tick(40);
    expect(h.leaders()).toHaveLength(1);
    const lead = h.leaders()[0]!;
    const { term, commit } = h.get(lead).node.status();
    for (const id of ['a', 'b', 'c']) {
      const s = h.get(id).node.status();
      expect(s.lead).toBe(lead);
      expect(s.term).toBe(term);
      // Entry 1 is the bootstrap configuration, entry 2 the leader's no-op.
      expect(s.commit).toBe(commit);
      expect(h.get(id).applied.map((e) => [e.index, e.type, e.data.length])).toEqual([
        [1, EntryType.Conf, 0],
        [2, EntryType.Normal, 0],
      ]);
    }
  });

  it('replicates proposals in order on every node', () => {
    const h = new Harness(['a', 'b', 'c']);
    h.elect('a');
    expect(h.get('a').node.role).toBe('leader');
    const r = h.get('a').node.propose([enc('x'), enc('y')]);
    expect(r).toEqual({ first: 3, last: 4 });
    h.settle();
    for (const id of ['a', 'b', 'c']) expect(userData(h, id)).toEqual(['x', 'y']);
  });

  it('refuses proposals on followers with the known leader', () => {
    const h = new Harness(['a', 'b', 'c']);
    h.elect('a');
    const err = (() => {
      try {
        h.get('b').node.propose([enc('x')]);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(NotLeaderError);
    expect((err as NotLeaderError).leader).toBe('a');
    expect((err as NotLeaderError).code).toBe('not_leader');
    expect(() => h.get('a').node.propose([new Uint8Array(0)])).toThrow(ProposalDroppedError);
  });

  it('pre-vote keeps an isolated node from bumping its term and disrupting the leader', () => {
    const h = new Harness(['a', 'b', 'c']);
    h.elect('a');
    const term = h.get('a').node.term;
    h.isolate('c');
    h.tick(100);
    expect(h.get('c').node.term).toBe(term);
    expect(h.get('c').node.role).toBe('pre-candidate');
    h.heal();
    h.elect('a');
    h.tick(3);
    console.log(h.get('a').node.status(), h.get('c').node.status(), h.get('c').applied.length);
    expect(h.get('a').node.role).toBe('leader');
    expect(h.get('a').node.term).toBe(term);
    expect(h.get('c').node.lead).toBe('a');
  });

  it('without pre-vote an isolated node bumps its term (the contrast to the test above)', () => {
    const h = new Harness(['a', 'b', 'c'], { preVote: false });
    h.elect('a');
    const term = h.get('a').node.term;
    h.isolate('c');
    h.tick(100);
    expect(h.get('c').node.term).toBeGreaterThan(term);
  });

  it('check-quorum makes a leader that lost its quorum step down', () => {
    const h = new Harness(['a', 'b', 'c']);
    h.elect('a');
    h.isolate('a');
    h.tick(25);
    expect(h.get('a').node.role).not.toBe('leader');
    const leaders = h.leaders();
    expect(leaders).toHaveLength(1);
    expect(leaders[0]).not.toBe('a');
  });

  it('followers in contact with a leader ignore vote requests (leader stickiness)', () => {
    const h = new Harness(['a', 'b', 'c']);
    h.elect('a');
    const term = h.get('a').node.term;
    // c campaigns without pre-vote through a direct, forged-looking request: b must ignore it.
    h.get('b').node.step({
      t: MessageType.Vote,
      from: 'c',
      to: 'b',
      term: term + 1,
      index: 100,
      logTerm: term,
      force: false,
    });
    h.settle();
    expect(h.get('b').node.term).toBe(term);
    expect(h.get('b').node.lead).toBe('a');
  });

  it('grants at most one vote per term, also across a restart', () => {
    const storage = new MemoryStorage();
    const bootstrap = { voters: ['a', 'b', 'c'], learners: [] };
    let n = new RaftNode({ id: 'a', storage, bootstrap, preVote: false });
    const persist = () => {
      const rd = n.ready();
      storage.append(rd.entries);
      if (rd.hardState) storage.setHardState(rd.hardState);
      n.advance(rd);
      return rd.messages;
    };
    persist();
    const vote = (from: string): Message => ({
      t: MessageType.Vote,
      from,
      to: 'a',
      term: 5,
      index: 1,
      logTerm: 1,
      force: false,
    });
    n.step(vote('b'));
    const out1 = persist();
    expect(out1).toMatchObject([{ t: MessageType.VoteResp, to: 'b', reject: false, term: 5 }]);
    n = new RaftNode({ id: 'a', storage, bootstrap, preVote: false });
    n.step(vote('c'));
    expect(persist()).toMatchObject([{ t: MessageType.VoteResp, to: 'c', reject: true }]);
    n.step(vote('b'));
    expect(persist()).toMatchObject([{ t: MessageType.VoteResp, to: 'b', reject: false }]);
  });

  it('denies a vote to a candidate whose log is behind', () => {
    const h = new Harness(['a', 'b', 'c']);
    h.elect('a');
    h.isolate('c');
    h.get('a').node.propose([enc('x')]);
    h.settle();
    h.heal();
    h.tick(25, ['b', 'c']); // b and c lose the leader (a does not tick, so it sends nothing)
    // c's log lacks x, so b must not vote for it: any new leader holds x.
    for (const l of h.leaders()) expect(userData(h, l)).toContain('x');
  });
});

describe('log replication', () => {
  it('only commits entries of an earlier term once an entry of the current term commits', () => {
    // Raft paper figure 8: a leader must not count replicas of an old-term entry.
    const h = new Harness(['a', 'b', 'c', 'd', 'e']);
    h.elect('a');
    // a appends x (term t) while cut off from everyone but b: only a and b hold it.
    h.isolate('a');
    h.get('a').node.propose([enc('x')]);
    h.settle();
    const xIndex = h.get('a').node.status().lastIndex;
    expect(h.get('a').node.status().commit).toBeLessThan(xIndex);
    // A new leader among c, d, e; then a comes back as a follower and x is truncated away.
    h.tick(30, ['b', 'c', 'd', 'e']);
    h.heal();
    h.tick(5);
    const lead = h.leaders()[0]!;
    expect(lead).not.toBe('a');
    for (const id of ['a', 'b', 'c', 'd', 'e']) expect(userData(h, id)).not.toContain('x');
  });

  it('does not commit an old-term entry replicated on a majority until its own no-op is', () => {
    // One entry per message, so an old entry can reach a follower without the new no-op.
    const h = new Harness(['a', 'b', 'c'], { maxSizePerMsg: 1 });
    h.elect('a');
    h.isolate('a');
    h.get('a').node.propose([enc('x')]); // index 3, term t, only on a
    h.settle();
    const t = h.get('a').node.term;
    h.tick(25, ['a']); // a loses its quorum and steps down
    expect(h.get('a').node.role).toBe('follower');
    // b and c leave a's lease but cannot elect each other; then a, the most up to date, campaigns.
    h.heal();
    h.cut('b', 'c');
    h.tick(25, ['b', 'c']);
    // Deliver appends without the no-op (index 4).
    h.filter = (m) => {
      if (m.t !== MessageType.Append || !m.entries.some((e) => e.index === 4)) return true;
      h.get(m.to).node.step({ ...m, entries: m.entries.filter((e) => e.index < 4) });
      return false;
    };
    h.get('a').node.campaign();
    h.settle();
    const a = h.get('a').node;
    expect(a.role).toBe('leader');
    expect(a.term).toBeGreaterThan(t);
    expect(h.get('b').node.termAt(3)).toBe(t); // x is on a majority...
    expect(a.status().commit).toBe(2); // ...but counting replicas of an old-term entry commits nothing
    h.filter = undefined;
    h.tick(2);
    expect(a.status().commit).toBe(4);
    expect(userData(h, 'b')).toEqual(['x']);
  });

  it('repairs a divergent follower log by truncating its uncommitted suffix', () => {
    const h = new Harness(['a', 'b', 'c']);
    h.elect('a');
    h.get('a').node.propose([enc('1')]);
    h.settle();
    h.isolate('a');
    h.get('a').node.propose([enc('lost1'), enc('lost2'), enc('lost3')]);
    h.settle();
    h.tick(30, ['b', 'c']);
    const lead = h.leaders().find((l) => l !== 'a')!;
    h.get(lead).node.propose([enc('2')]);
    h.settle();
    h.heal();
    h.tick(5);
    expect(h.get('a').node.role).toBe('follower');
    for (const id of ['a', 'b', 'c']) expect(userData(h, id)).toEqual(['1', '2']);
    const last = h.get(lead).node.status().lastIndex;
    expect(h.get('a').node.termAt(last)).toBe(h.get(lead).node.termAt(last));
  });

  it('limits in-flight appends to an unresponsive follower (flow control)', () => {
    const h = new Harness(['a', 'b', 'c'], { maxInflightMsgs: 3 });
    h.elect('a');
    let toC = 0;
    h.filter = (m) => {
      if (m.to === 'c' && m.t === MessageType.Append) {
        if (m.entries.length > 0) toC++;
        return false; // c never answers
      }
      return true;
    };
    for (let i = 0; i < 10; i++) {
      h.get('a').node.propose([enc(`p${i}`)]);
      h.settle();
    }
    expect(toC).toBe(3);
    expect(userData(h, 'b')).toHaveLength(10);
  });

  it('respects maxSizePerMsg by splitting appends', () => {
    const h = new Harness(['a', 'b'], { maxSizePerMsg: 100 });
    h.elect('a');
    const sizes: number[] = [];
    h.filter = (m) => {
      if (m.t === MessageType.Append && m.entries.length > 0) sizes.push(m.entries.length);
      return true;
    };
    h.get('a').node.propose(Array.from({ length: 10 }, () => new Uint8Array(40)));
    h.settle();
    expect(Math.max(...sizes)).toBeLessThanOrEqual(2);
    expect(h.get('b').applied.filter((e) => e.data.length === 40)).toHaveLength(10);
  });

  it('ignores messages with an old term and from unknown senders', () => {
    const h = new Harness(['a', 'b', 'c']);
    h.elect('a');
    h.get('a').node.propose([enc('x')]);
    h.settle();
    const before = h.get('a').node.status();
    h.get('a').node.step({
      t: MessageType.AppendResp,
      from: 'zzz',
      to: 'a',
      term: before.term,
      index: 99,
      reject: false,
      hint: 0,
      hintTerm: 0,
    });
    h.get('b').node.step({
      t: MessageType.Append,
      from: 'c',
      to: 'b',
      term: before.term - 1,
      index: 0,
      logTerm: 0,
      entries: [{ term: 1, index: 1, type: EntryType.Normal, data: enc('evil') }],
      commit: 10,
    });
    // Same term, but the entries do not follow the probe index, or claim a future term.
    for (const [index, term] of [
      [before.lastIndex + 5, before.term],
      [before.lastIndex + 1, before.term + 1],
    ] as const) {
      h.get('c').node.step({
        t: MessageType.Append,
        from: 'a',
        to: 'c',
        term: before.term,
        index: before.lastIndex,
        logTerm: before.term,
        entries: [{ term, index, type: EntryType.Normal, data: enc('evil') }],
        commit: before.commit,
      });
    }
    h.settle();
    expect(h.get('c').node.status().lastIndex).toBe(before.lastIndex);
    expect(h.get('a').node.status().commit).toBe(before.commit);
    expect(h.get('a').node.role).toBe('leader');
    expect(userData(h, 'b')).toEqual(['x']);
  });
});

describe('membership', () => {
  it('adds a learner that receives the log but does not vote or count toward quorum', () => {
    const h = new Harness(['a', 'b', 'c']);
    h.elect('a');
    h.add('d', {});
    h.get('a').node.proposeConfChange({ type: 'add-learner', node: 'd' });
    h.settle();
    h.get('a').node.propose([enc('x')]);
    h.settle();
    expect(userData(h, 'd')).toEqual(['x']);
    expect(h.get('d').node.conf).toEqual({ voters: ['a', 'b', 'c'], learners: ['d'] });
    // With b and c down, a and the learner d are no quorum.
    h.isolate('b');
    h.isolate('c');
    h.get('a').node.propose([enc('y')]);
    h.settle();
    expect(userData(h, 'a')).toEqual(['x']);
    // A learner never campaigns.
    h.tick(50, ['d']);
    expect(h.get('d').node.role).toBe('follower');
  });

  it('adds several learners in one entry, leaving the quorum to the voters', () => {
    const h = new Harness(['a', 'b', 'c']);
    h.elect('a');
    for (const id of ['d', 'e', 'f']) h.add(id, {});
    const a = h.get('a').node;
    const index = a.proposeConfChange({ type: 'add-learners', nodes: ['f', 'd', 'e'] });
    // One change: the next waits for it.
    expect(() => a.proposeConfChange({ type: 'add-learner', node: 'g' })).toThrow(ConfChangeError);
    h.settle();
    expect(a.status().commit).toBeGreaterThanOrEqual(index);
    for (const id of ['a', 'b', 'c', 'd', 'e', 'f'])
      expect(h.get(id).node.conf).toEqual({ voters: ['a', 'b', 'c'], learners: ['d', 'e', 'f'] });
    a.propose([enc('x')]);
    h.settle();
    for (const id of ['d', 'e', 'f']) expect(userData(h, id)).toEqual(['x']);
    // The learners make no quorum: with b and c cut off nothing commits.
    h.isolate('b');
    h.isolate('c');
    a.propose([enc('y')]);
    h.settle();
    expect(userData(h, 'a')).toEqual(['x']);
    // A batch never touches voters, nor repeats a learner.
    h.heal();
    h.settle();
    expect(() => a.proposeConfChange({ type: 'add-learners', nodes: ['g', 'b'] })).toThrow(/is a voter/);
    expect(() => a.proposeConfChange({ type: 'add-learners', nodes: ['g', 'd'] })).toThrow(
      /already a learner/,
    );
    expect(() => a.proposeConfChange({ type: 'add-learners', nodes: [] })).toThrow(ConfChangeError);
    expect(a.conf.learners).toEqual(['d', 'e', 'f']);
  });

  it('paces a crowd of learners to one append per heartbeat period, spread over its ticks, never the voters nor the commits', () => {
    const learners = ['d', 'e', 'f', 'g', 'h'];
    const { h, a } = pacedCrowd(learners, 5);
    const sent: Message[] = [];
    h.filter = (m) => {
      if (m.from === 'a') sent.push(m);
      return true;
    };
    const toLearners = (t: MessageType) => sent.filter((m) => m.t === t && learners.includes(m.to));
    // A steady stream of proposals, one per tick, for two heartbeat periods.
    const appendTicks = new Map<string, number[]>();
    for (let tick = 0; tick < 10; tick++) {
      const before = toLearners(MessageType.Append).length;
      a.propose([enc(`p${tick}`)]);
      h.settle();
      if (a.commitNoticeDue) a.flushCommit();
      h.settle();
      // The voters commit every proposal as usual.
      expect(userData(h, 'b')).toHaveLength(tick + 1);
      h.tick(1, ['a']);
      for (const m of toLearners(MessageType.Append).slice(before))
        appendTicks.set(m.to, [...(appendTicks.get(m.to) ?? []), tick]);
    }
    // Each learner got one append per period, five ticks apart, and the learners' slots differ:
    // never the whole crowd in one tick.
    for (const id of learners) {
      const ticks = appendTicks.get(id) ?? [];
      expect(ticks).toHaveLength(2);
      expect(ticks[1]! - ticks[0]!).toBe(5);
    }
    expect(new Set(learners.map((id) => appendTicks.get(id)![0])).size).toBe(learners.length);
    // Those appends stood in for the learners' heartbeats; the voters still got theirs.
    expect(toLearners(MessageType.Heartbeat)).toEqual([]);
    expect(sent.filter((m) => m.t === MessageType.Heartbeat && m.to === 'b')).toHaveLength(2);
    // Within one period every learner has everything up to the last proposal of the previous one.
    h.tick(5, ['a']);
    for (const id of learners) expect(userData(h, id)).toEqual(userData(h, 'b'));
    // Nothing new: no more appends, and each learner hears from the leader once every three
    // periods, at its slot: a heartbeat.
    const appends = toLearners(MessageType.Append).length;
    h.tick(5, ['a']);
    expect(toLearners(MessageType.Append)).toHaveLength(appends);
    expect(toLearners(MessageType.Heartbeat)).toEqual([]);
    h.tick(10, ['a']);
    expect(toLearners(MessageType.Append)).toHaveLength(appends);
    const beats = toLearners(MessageType.Heartbeat);
    expect(beats.map((m) => m.to).sort()).toEqual([...learners].sort());
    h.tick(15, ['a']);
    expect(toLearners(MessageType.Heartbeat)).toHaveLength(2 * learners.length);
    // At the threshold (one learner, paced above one) nobody is paced.
    const n = new Harness(['a', 'b', 'c'], { paceLearnersAbove: 1 });
    n.elect('a');
    n.add('d', {});
    n.get('a').node.proposeConfChange({ type: 'add-learner', node: 'd' });
    n.settle();
    n.get('a').node.propose([enc('x')]);
    n.settle();
    expect(userData(n, 'd')).toEqual(['x']);
  });

  it('recovers a paced learner whose appends were lost, with nothing new to send it', () => {
    const { h, a } = pacedCrowd(['d', 'e', 'f'], 5);
    // Everything to 'd' is lost while one entry is appended and committed, and for a whole
    // heartbeat period after it (its paced append, which carried the commit, too).
    h.filter = (m) => m.to !== 'd';
    a.propose([enc('x')]);
    h.settle();
    if (a.commitNoticeDue) a.flushCommit();
    h.settle();
    h.tick(5, ['a']);
    expect(userData(h, 'e')).toEqual(['x']);
    expect(userData(h, 'd')).toEqual([]);
    // The link works again, and nothing new is proposed: the leader must still find out that
    // 'd' lacks the entry (it had counted it as in flight) and send it.
    h.filter = () => true;
    h.tick(20, ['a']);
    expect(userData(h, 'd'), 'the learner after the heal').toEqual(['x']);
  });

  it('keeps heartbeating a paced learner whose window filled with lost appends, so it recovers once the link heals', () => {
    const { h, a } = pacedCrowd(['d', 'e', 'f'], 5, 2);
    h.filter = (m) => m.to !== 'd';
    // An entry a period: two appends to 'd' fill its window, and the leader stops sending it any.
    const written: string[] = [];
    for (let i = 0; i < 4; i++) {
      written.push(`x${i}`);
      a.propose([enc(`x${i}`)]);
      h.settle();
      if (a.commitNoticeDue) a.flushCommit();
      h.settle();
      h.tick(5, ['a']);
    }
    expect(userData(h, 'e')).toEqual(written);
    expect(userData(h, 'd')).toEqual([]);
    // Healed, nothing new proposed: only a heartbeat's answer can free the window.
    h.filter = () => true;
    h.tick(20, ['a']);
    expect(userData(h, 'd'), 'the learner after the heal').toEqual(written);
  });

  it('sends a paced learner what its read waits for with the read index, and heartbeats only the voters for a read', () => {
    const { h, a } = pacedCrowd(['d', 'e', 'f'], 10);
    a.propose([enc('x')]);
    h.settle();
    if (a.commitNoticeDue) a.flushCommit();
    h.settle();
    expect(userData(h, 'd')).toEqual([]);
    const sent: Message[] = [];
    h.filter = (m) => {
      sent.push(m);
      return true;
    };
    h.get('d').node.readIndex('r1');
    h.settle();
    // The read's confirmation round went to the voters only.
    const beats = sent.filter((m) => m.t === MessageType.Heartbeat).map((m) => m.to);
    expect(beats.sort()).toEqual(['b', 'c']);
    // The learner got its answer and, with it, the entry it waits for: no tick needed.
    expect(h.get('d').readStates.map((r) => r.ctx)).toEqual(['r1']);
    expect(userData(h, 'd')).toEqual(['x']);
    expect(userData(h, 'e')).toEqual([]);
  });

  it('promotes a learner to voter, one change at a time', () => {
    const h = new Harness(['a', 'b', 'c']);
    h.elect('a');
    h.add('d', {});
    const a = h.get('a').node;
    a.proposeConfChange({ type: 'add-learner', node: 'd' });
    expect(() => a.proposeConfChange({ type: 'add-voter', node: 'd' })).toThrow(ConfChangeError);
    h.settle();
    a.proposeConfChange({ type: 'add-voter', node: 'd' });
    h.settle();
    expect(a.conf).toEqual({ voters: ['a', 'b', 'c', 'd'], learners: [] });
    // Four voters need three acks: a, d and one more.
    h.isolate('b');
    h.isolate('c');
    a.propose([enc('y')]);
    h.settle();
    expect(userData(h, 'a')).toEqual([]);
    h.heal();
    h.tick(2);
    expect(userData(h, 'a')).toEqual(['y']);
  });

  it('refuses a membership change until the new leader committed its no-op', () => {
    const h2 = new Harness(['a', 'b', 'c']);
    h2.filter = (m) => m.t !== MessageType.AppendResp;
    h2.elect('a');
    expect(h2.get('a').node.role).toBe('leader');
    expect(() => h2.get('a').node.proposeConfChange({ type: 'remove', node: 'c' })).toThrow(/not committed/);
    h2.filter = undefined;
    h2.tick(1);
    expect(h2.get('a').node.proposeConfChange({ type: 'remove', node: 'c' })).toBeGreaterThan(2);
  });

  it('removes a voter and shrinks the quorum', () => {
    const h = new Harness(['a', 'b', 'c']);
    h.elect('a');
    h.get('a').node.proposeConfChange({ type: 'remove', node: 'c' });
    h.settle();
    expect(h.get('b').node.conf.voters).toEqual(['a', 'b']);
    h.isolate('c');
    h.get('a').node.propose([enc('x')]);
    h.settle();
    expect(userData(h, 'b')).toEqual(['x']);
    expect(() => h.get('a').node.proposeConfChange({ type: 'remove', node: 'zz' })).toThrow(ConfChangeError);
  });

  it('a leader that removes itself steps down once the change commits; the rest elect', () => {
    const h = new Harness(['a', 'b', 'c']);
    h.elect('a');
    h.get('a').node.proposeConfChange({ type: 'remove', node: 'a' });
    h.settle();
    expect(h.get('a').node.role).toBe('follower');
    h.tick(40, ['b', 'c']);
    const leaders = h.leaders();
    expect(leaders).toHaveLength(1);
    expect(leaders[0]).not.toBe('a');
  });

  it('rejects removing the last voter', () => {
    const h = new Harness(['a']);
    h.elect('a');
    expect(() => h.get('a').node.proposeConfChange({ type: 'remove', node: 'a' })).toThrow(/last voter/);
  });

  it('a follower rolls back an uncommitted configuration entry that gets truncated', () => {
    const h = new Harness(['a', 'b', 'c']);
    h.elect('a');
    // Only b sees the new (uncommitted) configuration.
    h.cut('a', 'c');
    h.filter = (m) => !(m.t === MessageType.AppendResp && m.from === 'b');
    h.get('a').node.proposeConfChange({ type: 'add-learner', node: 'd' });
    h.settle();
    expect(h.get('b').node.conf.learners).toEqual(['d']);
    h.filter = undefined;
    h.isolate('a');
    h.tick(40, ['b', 'c']);
    // b holds the longer log, so b (with the new conf) or c wins; make c's leadership win a new entry.
    const lead = h.leaders().find((l) => l !== 'a')!;
    h.get(lead).node.propose([enc('z')]);
    h.settle();
    // Whoever leads, b and c agree on the configuration again.
    expect(h.get('b').node.conf).toEqual(h.get('c').node.conf);
  });
});

describe('paced learners relayed through voters', () => {
  /** Proposes one entry per tick for `ticks` ticks on `a`, committing each. */
  function proposeEveryTick(h: Harness, a: RaftNode, ticks: number): void {
    for (let tick = 0; tick < ticks; tick++) {
      a.propose([enc(`p${tick}`)]);
      h.settle();
      if (a.commitNoticeDue) a.flushCommit();
      h.settle();
      h.tick(1, ['a']);
    }
  }

  it("sends a paced learner's entries through the voters, which send the leader's append; the learner answers the leader", () => {
    const learners = ['d', 'e', 'f', 'g'];
    const { h, a } = pacedCrowd(learners, 5, undefined, true);
    const sent: Message[] = [];
    h.filter = (m) => {
      sent.push(m);
      return true;
    };
    proposeEveryTick(h, a, 10);
    h.tick(5, ['a']);
    for (const id of learners) expect(userData(h, id)).toEqual(userData(h, 'b'));
    expect(userData(h, 'b')).toHaveLength(10);
    // No entry went from the leader to a learner: the voters carried them, both of them.
    const fromLeaderToLearners = sent.filter(
      (m) => m.from === 'a' && learners.includes(m.to) && m.t === MessageType.Append && m.entries.length > 0,
    );
    expect(fromLeaderToLearners).toEqual([]);
    const relays = sent.filter((m) => m.t === MessageType.Relay);
    expect(relays.length).toBeGreaterThanOrEqual(learners.length);
    expect(new Set(relays.map((m) => m.to))).toEqual(new Set(['b', 'c']));
    const relayed = sent.filter((m) => m.t === MessageType.RelayedAppend);
    expect(relayed).toHaveLength(relays.length);
    for (const m of relayed) expect(m.t === MessageType.RelayedAppend && m.leader).toBe('a');
    // The learners answered the leader, which knows how far each got.
    expect(sent.some((m) => m.t === MessageType.AppendResp && m.from === 'd' && m.to === 'a')).toBe(true);
    const last = a.status().lastIndex;
    for (const id of learners) expect(a.status().progress.get(id)?.match).toBe(last);
  });

  it('sends directly once relayed appends stop being acknowledged', () => {
    const { h, a } = pacedCrowd(['d', 'e', 'f'], 5, undefined, true);
    const direct: Message[] = [];
    // Every relayed append to 'd' is lost.
    h.filter = (m) => {
      if (m.from === 'a' && m.to === 'd' && m.t === MessageType.Append && m.entries.length > 0)
        direct.push(m);
      return !(m.t === MessageType.RelayedAppend && m.to === 'd');
    };
    proposeEveryTick(h, a, 10);
    h.tick(20, ['a']);
    expect(userData(h, 'd')).toEqual(userData(h, 'b'));
    expect(userData(h, 'e')).toEqual(userData(h, 'b'));
    expect(direct.length).toBeGreaterThan(0);
  });

  it("a voter relays only entries its log holds with the leader's terms", () => {
    const { h, a } = pacedCrowd(['d', 'e'], 5);
    proposeEveryTick(h, a, 3);
    h.tick(5, ['a']);
    const out: Message[] = [];
    h.filter = (m) => {
      if (m.t === MessageType.RelayedAppend) out.push(m);
      return false;
    };
    const term = a.status().term;
    const last = a.status().lastIndex;
    const relay = (over: object) =>
      h.get('b').node.step({
        t: MessageType.Relay,
        from: 'a',
        to: 'b',
        term,
        target: 'd',
        index: last - 2,
        logTerm: term,
        last,
        lastTerm: term,
        commit: last,
        ...over,
      } as Message);
    relay({ lastTerm: term + 1 }); // not the leader's entry at `last`
    relay({ logTerm: term + 1 });
    relay({ last: last + 1 }); // beyond the voter's log
    relay({ term: term - 1 }); // a stale leader's
    h.settle();
    expect(out).toEqual([]);
    // More than one append may carry (`maxSizePerMsg`): dropped, not sent as one huge message.
    const small = new Harness(['a', 'b', 'c'], { maxSizePerMsg: 1 });
    small.elect('a');
    for (const x of ['x', 'y', 'z']) small.get('a').node.propose([enc(x)]);
    small.settle();
    const smallOut: Message[] = [];
    small.filter = (m) => {
      if (m.t === MessageType.RelayedAppend) smallOut.push(m);
      return false;
    };
    const b = small.get('b').node;
    const bTerm = b.status().term;
    const bLast = b.status().lastIndex;
    const toD = { t: MessageType.Relay, from: 'a', to: 'b', term: bTerm, target: 'd', logTerm: bTerm };
    b.step({ ...toD, index: bLast - 2, last: bLast, lastTerm: bTerm, commit: bLast } as Message);
    small.settle();
    expect(smallOut).toEqual([]);
    b.step({ ...toD, index: bLast - 1, last: bLast, lastTerm: bTerm, commit: bLast } as Message);
    small.settle();
    expect(smallOut).toHaveLength(1);
    relay({});
    h.settle();
    expect(out).toHaveLength(1);
    const m = out[0]!;
    expect(m.t === MessageType.RelayedAppend && m.entries.map((e) => e.index)).toEqual([last - 1, last]);
  });

  it('a learner takes a relayed append only from a voter, for the leader it follows in its term', () => {
    const { h, a } = pacedCrowd(['d', 'e'], 5);
    h.filter = (m) => !(m.to === 'd' && m.t === MessageType.Append);
    proposeEveryTick(h, a, 1);
    h.tick(5, ['a']);
    const d = h.get('d').node;
    const before = d.status().lastIndex;
    const term = a.status().term;
    const entry = { term, index: before + 1, type: EntryType.Normal, data: enc('forged?') } as const;
    const relayed = (over: object) =>
      d.step({
        t: MessageType.RelayedAppend,
        from: 'b',
        to: 'd',
        term,
        leader: 'a',
        index: before,
        logTerm: term, // every entry so far is of the leader's one term
        entries: [entry],
        commit: 0,
        ...over,
      } as Message);
    relayed({ from: 'e' }); // a learner
    relayed({ leader: 'c' }); // not the leader 'd' follows
    relayed({ term: term + 1 }); // a term 'd' has not heard of from the leader
    const sent: Message[] = [];
    h.filter = (m) => {
      if (m.from === 'd') sent.push(m);
      return false;
    };
    // One that does not follow 'd''s log (a relayed append before it was lost): dropped, and
    // not refused either.
    relayed({ index: before + 1, entries: [{ ...entry, index: before + 2 }] });
    h.settle();
    expect(sent).toEqual([]);
    expect(d.status().lastIndex).toBe(before);
    relayed({});
    expect(d.status().lastIndex).toBe(before + 1);
  });
});

describe('a voter that lost its storage', () => {
  /** a leads and commits `x` with c while b is cut off; then a goes down and c comes back empty. */
  const lostVoter = (abstain: boolean) => {
    const h = new Harness(['a', 'b', 'c']);
    h.elect('a');
    h.isolate('b');
    h.get('a').node.propose([enc('x')]);
    h.settle();
    expect(userData(h, 'a')).toEqual(['x']);
    h.heal();
    h.isolate('a');
    h.add('c', { abstain });
    return h;
  };

  it('without abstaining, votes a candidate in that lacks a committed entry', () => {
    const h = lostVoter(false);
    h.elect('b');
    expect(h.get('b').node.role).toBe('leader');
    // Index 3 held the committed `x`; b's log has its own no-op there.
    expect(h.get('a').node.entriesAt(3, 4)[0]!.data).toEqual(enc('x'));
    expect(h.get('b').node.entriesAt(3, 4)[0]!.data).toEqual(new Uint8Array(0));
  });

  it('with two voters, its weak vote elects the one that holds the log', () => {
    const h = new Harness(['a', 'c']);
    h.elect('a');
    h.get('a').node.propose([enc('x')]);
    h.settle();
    expect(userData(h, 'a')).toEqual(['x']);
    h.add('c', { abstain: true });
    h.isolate('a');
    h.tick(30, ['c']);
    expect(h.get('c').node.role).toBe('follower');
    // a stepped down (no quorum); c, back with nothing, lets it lead again.
    h.tick(30, ['a']);
    expect(h.get('a').node.role).not.toBe('leader');
    h.heal();
    h.tick(60);
    expect(h.get('a').node.role).toBe('leader');
    h.get('a').node.propose([enc('y')]);
    h.settle();
    expect(userData(h, 'c')).toEqual(['x', 'y']);
  });

  it('grants no full vote while abstaining, and neither campaigns until told it may', () => {
    const h = lostVoter(true);
    h.elect('b');
    h.tick(60, ['b', 'c']);
    expect([h.get('b').node.role, h.get('c').node.role]).not.toContain('leader');
    // a is back (still leading): c's answer to a heartbeat shows its log is short, a resends it,
    // and c's configuration now makes it a voter.
    h.heal();
    expect(h.get('a').node.role).toBe('leader');
    h.tick(2, ['a']);
    expect(userData(h, 'c')).toEqual(['x']);
    h.get('a').node.propose([enc('y')]);
    h.settle();
    expect(userData(h, 'c')).toEqual(['x', 'y']);
    expect(h.get('c').node.conf.voters).toContain('c');
    h.isolate('a');
    h.tick(60, ['c']);
    expect(h.get('c').node.role).toBe('follower');
    expect(h.get('c').node.abstaining).toBe(true);
    h.get('c').node.setAbstaining(false);
    h.heal();
    h.isolate('a');
    h.tick(60, ['b', 'c']);
    const lead = ['b', 'c'].find((id) => h.get(id).node.role === 'leader');
    expect(lead).toBeDefined();
    h.get(lead!).node.propose([enc('z')]);
    h.settle();
    expect(userData(h, lead!)).toEqual(['x', 'y', 'z']);
  });

  it('carries the context of a configuration change in its entry', () => {
    const h = new Harness(['a', 'b', 'c']);
    h.elect('a');
    h.add('d', {});
    h.get('a').node.proposeConfChange({ type: 'add-learner', node: 'd' }, enc('admitted d'));
    h.settle();
    const conf = h.get('d').applied.filter((e) => e.type === EntryType.Conf);
    expect(conf.map((e) => dec(e.data))).toEqual(['', 'admitted d']);
  });
});

describe('reads', () => {
  it('confirms leadership with a heartbeat round before answering a read index', () => {
    const h = new Harness(['a', 'b', 'c']);
    h.elect('a');
    h.get('a').node.propose([enc('x')]);
    h.settle();
    const commit = h.get('a').node.status().commit;
    h.get('a').node.readIndex('r1');
    h.settle();
    expect(h.get('a').readStates).toEqual([{ index: commit, ctx: 'r1' }]);
    // A deposed leader (cut off) never confirms.
    h.isolate('a');
    h.get('a').node.readIndex('r2');
    h.settle();
    expect(h.get('a').readStates.map((r) => r.ctx)).toEqual(['r1']);
  });

  it('forwards a follower read to the leader', () => {
    const h = new Harness(['a', 'b', 'c']);
    h.elect('a');
    h.get('a').node.propose([enc('x')]);
    h.settle();
    h.get('b').node.readIndex('rb');
    h.settle();
    expect(h.get('b').readStates).toEqual([{ index: h.get('a').node.status().commit, ctx: 'rb' }]);
    const lone = new Harness(['p', 'q', 'r']);
    expect(() => lone.get('q').node.readIndex('x')).toThrow(NotLeaderError);
  });

  it('serves lease reads without a round trip only while the lease holds', () => {
    const h = new Harness(['a', 'b', 'c'], { leaseReads: true });
    h.tick(10); // the start-up quiet period of lease mode
    h.elect('a');
    h.tick(2);
    let heartbeats = 0;
    h.filter = (m) => {
      if (m.t === MessageType.Heartbeat) heartbeats++;
      return true;
    };
    h.get('a').node.readIndex('lease');
    expect(h.get('a').node.hasReady()).toBe(true);
    h.settle();
    expect(heartbeats).toBe(0);
    expect(h.get('a').readStates.map((r) => r.ctx)).toEqual(['lease']);
    // Cut off, the lease runs out and reads need a (failing) heartbeat round.
    h.isolate('a');
    h.tick(9, ['a']);
    h.get('a').node.readIndex('late');
    h.settle();
    expect(h.get('a').readStates.map((r) => r.ctx)).toEqual(['lease']);
  });

  it('rejects lease reads without check-quorum', () => {
    expect(
      () => new RaftNode({ id: 'a', storage: new MemoryStorage(), leaseReads: true, checkQuorum: false }),
    ).toThrow(InvalidConfigError);
  });
});

describe('snapshots', () => {
  it('sends a snapshot in chunks to a follower behind the compacted log', () => {
    const h = new Harness(['a', 'b', 'c'], { snapshotChunkSize: 7 });
    h.elect('a');
    h.isolate('c');
    const a = h.get('a');
    for (let i = 0; i < 10; i++) a.node.propose([enc(`v${i}`)]);
    h.settle();
    const applied = a.applied[a.applied.length - 1]!.index;
    const state = enc('state-machine-bytes-0123456789');
    a.storage.createSnapshot(applied, a.node.conf, state);
    a.storage.compact(applied);
    let chunks = 0;
    h.filter = (m) => {
      if (m.t === MessageType.Snapshot) chunks++;
      return true;
    };
    h.heal();
    h.tick(3);
    expect(chunks).toBe(Math.ceil(state.length / 7));
    const c = h.get('c');
    expect(c.storage.snapshot().data).toEqual(state);
    expect(c.storage.snapshot().meta.index).toBe(applied);
    expect(c.node.status().commit).toBeGreaterThanOrEqual(applied);
    a.node.propose([enc('after')]);
    h.settle();
    expect(userData(h, 'c')).toEqual(['after']);
  });

  it('restarts a transfer after the follower lost its partial snapshot', () => {
    const h = new Harness(['a', 'b', 'c'], { snapshotChunkSize: 4 });
    h.elect('a');
    h.isolate('c');
    const a = h.get('a');
    a.node.propose([enc('x')]);
    h.settle();
    const applied = a.applied[a.applied.length - 1]!.index;
    a.storage.createSnapshot(applied, a.node.conf, enc('0123456789abcdef'));
    a.storage.compact(applied);
    h.heal();
    // Let exactly two chunks through, then crash c.
    let chunks = 0;
    h.filter = (m) => m.t !== MessageType.Snapshot || ++chunks <= 2;
    h.tick(1);
    h.restart('c');
    h.filter = undefined;
    h.tick(6);
    expect(h.get('c').storage.snapshot().data).toEqual(enc('0123456789abcdef'));
  });
});

describe('snapshot window', () => {
  it('keeps several chunks in flight, and recovers one that was lost', () => {
    const h = new Harness(['a', 'b', 'c'], { snapshotChunkSize: 4 });
    h.elect('a');
    h.isolate('c');
    const a = h.get('a');
    a.node.propose([enc('x')]);
    h.settle();
    const applied = a.applied[a.applied.length - 1]!.index;
    const state = enc('0123456789abcdefghijklmnopqrstuvwxyzABCD');
    a.storage.createSnapshot(applied, a.node.conf, state);
    a.storage.compact(applied);
    const offsets: number[] = [];
    let dropped = false;
    h.filter = (m) => {
      if (m.t !== MessageType.Snapshot) return true;
      offsets.push(m.offset);
      if (m.offset === 8 && !dropped) {
        dropped = true;
        return false;
      }
      return true;
    };
    h.heal();
    h.tick(8);
    // Four chunks left before the first acknowledgement came back.
    expect(offsets.slice(0, 4)).toEqual([0, 4, 8, 12]);
    expect(h.get('c').storage.snapshot().data).toEqual(state);
    expect(offsets.filter((o) => o === 8).length).toBe(2);
  });
});

describe('leader transfer', () => {
  it('hands leadership to a caught-up voter', () => {
    const h = new Harness(['a', 'b', 'c']);
    h.elect('a');
    h.get('a').node.propose([enc('x')]);
    h.settle();
    h.get('a').node.transferLeadership('c');
    h.settle();
    expect(h.leaders()).toEqual(['c']);
    expect(() => h.get('c').node.transferLeadership('zz')).toThrow(InvalidConfigError);
  });

  it('drops proposals during a transfer and aborts it after an election timeout', () => {
    const h = new Harness(['a', 'b', 'c']);
    h.elect('a');
    h.isolate('c');
    h.get('a').node.transferLeadership('c');
    expect(() => h.get('a').node.propose([enc('x')])).toThrow(ProposalDroppedError);
    h.tick(11, ['a', 'b']);
    expect(h.get('a').node.role).toBe('leader');
    expect(h.get('a').node.propose([enc('x')]).first).toBeGreaterThan(0);
  });
});

describe('deferred commit notice', () => {
  const appendsTo = (sent: Message[], to: string) =>
    sent.filter((m) => m.t === MessageType.Append && m.to === to);

  it('lets the next proposal carry the commit index, and flushCommit tell it otherwise', () => {
    const h = new Harness(['a', 'b', 'c'], { deferCommitNotice: true });
    h.elect('a');
    const leader = h.get('a').node;
    const sent: Message[] = [];
    h.filter = (m) => {
      sent.push(m);
      return true;
    };
    leader.propose([enc('x')]);
    h.settle();
    // The leader applied x; the followers hold it but were not told it committed.
    expect(userData(h, 'a')).toEqual(['x']);
    expect(userData(h, 'b')).toEqual([]);
    expect(leader.commitNoticeDue).toBe(true);
    const commit = leader.status().commit;
    // Only the Append carrying x went to each follower: no commit-only Append.
    expect(appendsTo(sent, 'b').map((m) => m.t === MessageType.Append && m.entries.length)).toEqual([1]);
    // The next proposal's Append carries the commit index: the followers apply x with it.
    sent.length = 0;
    leader.propose([enc('y')]);
    h.settle();
    const toB = appendsTo(sent, 'b');
    expect(toB[0]).toMatchObject({ commit, entries: [{ index: commit + 1 }] });
    expect(userData(h, 'b')).toEqual(['x']);
    // Nothing left to say except y's commit: flushCommit sends one empty Append per follower.
    sent.length = 0;
    leader.flushCommit();
    expect(leader.commitNoticeDue).toBe(false);
    h.settle();
    expect(appendsTo(sent, 'b')).toMatchObject([{ entries: [], commit: commit + 1 }]);
    for (const id of ['b', 'c']) expect(userData(h, id)).toEqual(['x', 'y']);
    // Every follower knows the commit index now: a second flush sends nothing.
    sent.length = 0;
    leader.propose([enc('z')]);
    h.settle();
    leader.flushCommit();
    leader.flushCommit();
    h.settle();
    expect(
      appendsTo(sent, 'b').filter((m) => m.t === MessageType.Append && m.entries.length === 0),
    ).toHaveLength(1);
  });

  it('tells the followers at once by default', () => {
    const h = new Harness(['a', 'b', 'c']);
    h.elect('a');
    h.get('a').node.propose([enc('x')]);
    h.settle();
    expect(h.get('a').node.commitNoticeDue).toBe(false);
    for (const id of ['a', 'b', 'c']) expect(userData(h, id)).toEqual(['x']);
  });
});
