import { describe, expect, it } from 'vitest';
import { Harness, sorted } from '../../test/gossip-harness.js';
import { MessageType } from './types.js';

describe('HyParView membership', () => {
  it('a join makes both sides neighbours and reports NeighborUp on both', () => {
    const h = new Harness([0, 1]);
    h.input(1, { type: 'join', peers: [{ id: 0, data: new Uint8Array([0]) }] });
    h.pump();
    expect(h.engine(0).neighbors()).toEqual([1]);
    expect(h.engine(1).neighbors()).toEqual([0]);
    expect(h.outputs.get(0)).toContainEqual({ type: 'neighborUp', peer: 1 });
    expect(h.outputs.get(1)).toContainEqual({ type: 'neighborUp', peer: 0 });
    // Address data travels with the join so the contact can dial back.
    expect(h.outputs.get(0)).toContainEqual({ type: 'peerData', peer: 1, data: new Uint8Array([1]) });
  });

  it('answers a Join from a peer it already lists: a restarted run of it gets the neighbour back', () => {
    const h = new Harness([0, 1]);
    h.joinAll(0, [1]);
    // Node 1 is killed and restarts with the same id before 0 noticed: a fresh engine joins 0.
    h.add(1);
    h.input(1, { type: 'join', peers: [{ id: 0, data: new Uint8Array([0]) }] });
    h.pump();
    expect(h.engine(1).neighbors()).toEqual([0]);
    expect(h.engine(0).neighbors()).toEqual([1]);
  });

  it('spreads ForwardJoin with TTL = active random walk length (6) to the other neighbours', () => {
    const h = new Harness([0, 1, 2, 3]);
    h.joinAll(0, [1, 2]);
    h.sent.length = 0;
    h.input(3, { type: 'join', peers: [{ id: 0 }] });
    h.pump((s) => s.message.t === MessageType.Join);
    const forwards = h.queue.filter((s) => s.message.t === MessageType.ForwardJoin);
    expect(sorted(forwards.map((s) => s.to))).toEqual([1, 2]);
    for (const f of forwards) expect(f.message).toMatchObject({ peer: { id: 3 }, ttl: 6 });
  });

  it('a ForwardJoin is accepted at TTL 0, lands in the passive view at TTL 3, and is forwarded otherwise', () => {
    const h = new Harness([0, 1, 2, 9]);
    h.joinAll(0, [1, 2]); // 0 has two neighbours
    h.input(0, {
      type: 'message',
      from: 1,
      message: { t: MessageType.ForwardJoin, peer: { id: 9 }, ttl: 3 },
    });
    expect(h.engine(0).passivePeers()).toContain(9);
    const fwd = h.queue.filter((s) => s.from === 0 && s.message.t === MessageType.ForwardJoin);
    expect(fwd).toEqual([
      { from: 0, to: 2, message: { t: MessageType.ForwardJoin, peer: { id: 9 }, ttl: 2 } },
    ]);

    h.input(0, {
      type: 'message',
      from: 1,
      message: { t: MessageType.ForwardJoin, peer: { id: 9 }, ttl: 0 },
    });
    expect(h.engine(0).neighbors()).toContain(9);
  });

  it('keeps the active view at 5 and never refuses a high-priority join', () => {
    const h = new Harness([0, 1, 2, 3, 4, 5, 6]);
    h.joinAll(0, [1, 2, 3, 4, 5]);
    expect(h.engine(0).neighbors()).toHaveLength(5);
    h.input(6, { type: 'join', peers: [{ id: 0 }] });
    h.pump();
    expect(h.engine(0).neighbors()).toHaveLength(5);
    expect(h.engine(0).neighbors()).toContain(6);
    // The evicted neighbour was told (alive) and kept as a backup.
    const evicted = h.sentOfType(MessageType.Disconnect, (s) => s.from === 0);
    expect(evicted).toHaveLength(1);
    expect(evicted[0]?.message).toEqual({ t: MessageType.Disconnect, alive: true });
    expect(h.engine(0).passivePeers()).toContain(evicted[0]?.to);
    // Views stay symmetric.
    for (const [id, e] of h.engines)
      for (const n of e.neighbors()) expect(h.engine(n).neighbors()).toContain(id);
  });

  it('refuses a low-priority neighbour request when full, with a Disconnect', () => {
    const h = new Harness([0, 1, 2, 3, 4, 5, 7]);
    h.joinAll(0, [1, 2, 3, 4, 5]);
    h.input(0, { type: 'message', from: 7, message: { t: MessageType.Neighbor, high: false } });
    expect(h.engine(0).neighbors()).not.toContain(7);
    expect(h.queue.at(-1)).toEqual({ from: 0, to: 7, message: { t: MessageType.Disconnect, alive: true } });
    h.input(0, { type: 'message', from: 7, message: { t: MessageType.Neighbor, high: true } });
    expect(h.engine(0).neighbors()).toContain(7);
  });

  it('replaces a failed neighbour from the passive view, with high priority when it has none left', () => {
    const h = new Harness([0, 1, 8]);
    h.joinAll(0, [1]);
    h.input(1, { type: 'message', from: 0, message: { t: MessageType.ShuffleReply, nodes: [{ id: 8 }] } });
    expect(h.engine(1).passivePeers()).toEqual([8]);
    const out = h.input(1, { type: 'disconnected', peer: 0 });
    expect(out).toContainEqual({ type: 'neighborDown', peer: 0 });
    expect(out).toContainEqual({
      type: 'send',
      to: 8,
      message: { t: MessageType.Neighbor, high: true, data: new Uint8Array([1]) },
    });
    expect(out).toContainEqual({ type: 'timer', afterMs: 500, timer: { kind: 'neighborRequest', peer: 8 } });
    h.pump();
    expect(h.engine(1).neighbors()).toEqual([8]);
    expect(h.engine(8).neighbors()).toEqual([1]);
  });

  it('drops an unanswered backup after the 500 ms neighbour timeout and tries the next', () => {
    const h = new Harness([0, 1]);
    h.joinAll(0, [1]);
    h.input(1, {
      type: 'message',
      from: 0,
      message: { t: MessageType.ShuffleReply, nodes: [{ id: 8 }, { id: 9 }] },
    });
    h.input(1, { type: 'disconnected', peer: 0 });
    const firstTry = h.timers.filter((t) => t.timer.kind === 'neighborRequest').map((t) => t.timer);
    // Capacity 5 > 2 backups: both are asked at once.
    expect(firstTry).toHaveLength(2);
    h.fire('neighborRequest', 1);
    expect(h.engine(1).passivePeers()).toEqual([]);
    expect(h.engine(1).neighbors()).toEqual([]);
  });

  it('a Disconnect (alive) moves the peer to the passive view; (not alive) forgets it', () => {
    const h = new Harness([0, 1, 2]);
    h.joinAll(0, [1, 2]);
    h.input(0, { type: 'message', from: 1, message: { t: MessageType.Disconnect, alive: true } });
    expect(h.engine(0).neighbors()).toEqual([2]);
    expect(h.engine(0).passivePeers()).toContain(1);
    h.input(0, { type: 'message', from: 2, message: { t: MessageType.Disconnect, alive: false } });
    expect(h.engine(0).passivePeers()).not.toContain(2);
  });

  it('a peer that left for good is forgotten everywhere: no repair ever asks it again', () => {
    const h = new Harness([0, 1, 2]);
    h.joinAll(0, [1]);
    h.input(0, { type: 'suggest', peers: [{ id: 2 }] });
    // Forgotten by a departure learned elsewhere, and by its own final Disconnect.
    h.input(0, { type: 'forget', peer: 2 });
    h.input(0, { type: 'message', from: 1, message: { t: MessageType.Disconnect, alive: false } });
    h.queue.length = 0;
    h.input(0, { type: 'timer', timer: { kind: 'repair' } });
    expect(h.queue.filter((m) => m.to === 1 || m.to === 2)).toEqual([]);
    expect(h.engine(0).neighbors()).toEqual([]);
    expect(h.engine(0).passivePeers()).toEqual([]);
  });

  it('leave tells every neighbour it is gone for good', () => {
    const h = new Harness([0, 1, 2]);
    h.joinAll(0, [1, 2]);
    h.input(0, { type: 'leave' });
    h.pump();
    expect(h.engine(0).neighbors()).toEqual([]);
    expect(h.engine(1).neighbors()).not.toContain(0);
    expect(h.engine(1).passivePeers()).not.toContain(0);
  });

  it('shuffles every 60 s with up to 3 active and 4 passive entries, and integrates the reply', () => {
    const h = new Harness([0, 1, 2, 3, 4]);
    expect(h.engine(0).start()).toContainEqual({
      type: 'timer',
      afterMs: 60_000,
      timer: { kind: 'shuffle' },
    });
    h.joinAll(0, [1, 2, 3, 4]);
    const passive = Array.from({ length: 10 }, (_, i) => ({ id: 100 + i }));
    h.input(0, { type: 'message', from: 1, message: { t: MessageType.ShuffleReply, nodes: passive } });
    h.sent.length = 0;
    h.input(0, { type: 'timer', timer: { kind: 'shuffle' } });
    const [shuffle] = h.sentOfType(MessageType.Shuffle, (s) => s.from === 0);
    if (shuffle?.message.t !== MessageType.Shuffle) throw new Error('no shuffle sent');
    expect(shuffle.message.ttl).toBe(6);
    expect(shuffle.message.nodes).toHaveLength(7);
    expect(shuffle.message.nodes.filter((n) => n.id >= 100)).toHaveLength(4);
    expect(h.timers).toContainEqual({ node: 0, afterMs: 60_000, timer: { kind: 'shuffle' } });
    // A walk endpoint with one neighbour answers the origin directly.
    const hx = new Harness([5, 6]);
    hx.joinAll(5, [6]);
    hx.input(6, {
      type: 'message',
      from: 5,
      message: { t: MessageType.Shuffle, origin: { id: 50 }, nodes: [{ id: 51 }], ttl: 4 },
    });
    expect(hx.engine(6).passivePeers()).toEqual(expect.arrayContaining([50, 51]));
    expect(hx.queue.at(-1)).toMatchObject({ from: 6, to: 50, message: { t: MessageType.ShuffleReply } });
  });

  it('islands that joined at once merge: a sparse view repairs from suggested catalog peers', () => {
    const h = new Harness([0, 1, 2, 3]);
    // Two pairs joined each other at the same moment: no random walk connects them.
    h.joinAll(0, [1]);
    h.joinAll(2, [3]);
    expect(h.engine(0).neighbors()).toEqual([1]);
    expect(h.engine(0).start()).toContainEqual({ type: 'timer', afterMs: 2_000, timer: { kind: 'repair' } });
    // The catalog knows everyone; suggesting peers sends nothing by itself.
    h.sent.length = 0;
    for (const n of [0, 1, 2, 3])
      h.input(n, { type: 'suggest', peers: [0, 1, 2, 3].filter((p) => p !== n).map((id) => ({ id })) });
    expect(h.queue).toHaveLength(0);
    for (const n of [0, 1, 2, 3]) h.input(n, { type: 'timer', timer: { kind: 'repair' } });
    h.pump();
    for (const n of [0, 1, 2, 3]) expect(h.engine(n).neighbors()).toHaveLength(3);
    expect(h.timers).toContainEqual({ node: 0, afterMs: 2_000, timer: { kind: 'repair' } });
  });

  it('a pair of survivors that only know each other rejoins: repair requests cannot be refused', () => {
    // 0 is full (1-5); 6 and 7 only know each other, and 6 knows 0 as a backup.
    const h = new Harness([0, 1, 2, 3, 4, 5, 6, 7]);
    h.joinAll(0, [1, 2, 3, 4, 5]);
    h.joinAll(6, [7]);
    h.input(6, { type: 'message', from: 7, message: { t: MessageType.ShuffleReply, nodes: [{ id: 0 }] } });
    // A polite request from a one-neighbour view is refused by a full node...
    h.input(0, { type: 'message', from: 6, message: { t: MessageType.Neighbor, high: false } });
    expect(h.engine(0).neighbors()).not.toContain(6);
    h.pump();
    // ...so the sparse view's repair tick asks with high priority, and 0 makes room.
    h.sent.length = 0;
    h.input(6, { type: 'timer', timer: { kind: 'repair' } });
    expect(h.sentOfType(MessageType.Neighbor, (s) => s.from === 6 && s.to === 0)[0]?.message).toMatchObject({
      high: true,
    });
    h.pump();
    expect(h.engine(0).neighbors()).toContain(6);
    expect(h.engine(0).neighbors()).toHaveLength(5);
  });

  it('a full active view sends nothing on repair', () => {
    const h = new Harness([0, 1, 2, 3, 4, 5, 6]);
    h.joinAll(0, [1, 2, 3, 4, 5]);
    h.input(0, { type: 'suggest', peers: [{ id: 6 }] });
    h.sent.length = 0;
    h.queue.length = 0;
    h.input(0, { type: 'timer', timer: { kind: 'repair' } });
    expect(h.queue).toHaveLength(0);
  });
});
