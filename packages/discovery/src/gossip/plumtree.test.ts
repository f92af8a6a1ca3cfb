import { describe, expect, it } from 'vitest';
import { Harness } from '../../test/gossip-harness.js';
import { GossipPayloadTooLargeError } from '../errors.js';
import { fastDigest } from '../sim/prng.js';
import { MessageType } from './types.js';

const payload = (n: number) => new Uint8Array([n, 1, 2, 3]);

/** Triangle 0-1-2 (every pair neighbours). */
function triangle(): Harness {
  const h = new Harness([0, 1, 2]);
  h.joinAll(0, [1, 2]);
  h.input(1, { type: 'join', peers: [{ id: 2 }] });
  h.pump();
  for (const i of [0, 1, 2]) expect(h.engine(i).neighbors()).toHaveLength(2);
  h.sent.length = 0;
  return h;
}

describe('Plumtree broadcast', () => {
  it('delivers once per node; a duplicate prunes the edge it came over, for that root only', () => {
    const h = triangle();
    const root = h.engine(0).broadcastRoot;
    h.input(0, { type: 'broadcast', content: payload(1) });
    h.pump();
    const deliveries = h.delivered.filter((d) => d.content[0] === 1);
    expect(deliveries.map((d) => d.node).sort()).toEqual([1, 2]);
    expect(deliveries.every((d) => d.round === 0)).toBe(true);
    // 1 and 2 each forward to the other; each second copy is a duplicate and is pruned.
    const prunes = h.sentOfType(MessageType.Prune);
    expect(prunes).toHaveLength(2);
    for (const p of prunes) expect(p.message).toEqual({ t: MessageType.Prune, root });
    // 0's tree: both are its children; 1 and 2 are leaves (a parent is never a child).
    expect(h.engine(0).eagerPeersOf(root).sort()).toEqual([1, 2]);
    expect(h.engine(1).eagerPeersOf(root)).toEqual([]);
    expect(h.engine(2).eagerPeersOf(root)).toEqual([]);
    // Other roots' trees and the shared tree are untouched.
    expect(h.engine(1).eagerPeers().sort()).toEqual([0, 2]);
    expect(h.engine(1).eagerPeersOf(h.engine(2).broadcastRoot).sort()).toEqual([0, 2]);
  });

  it('the second broadcast of a root follows its tree: one payload per node, IHave elsewhere', () => {
    const h = triangle();
    h.input(0, { type: 'broadcast', content: payload(1) });
    h.pump();
    h.fire('ihave');
    h.pump();
    h.sent.length = 0;
    h.input(0, { type: 'broadcast', content: payload(2) });
    h.pump();
    expect(
      h
        .sentOfType(MessageType.Gossip)
        .map((s) => s.to)
        .sort(),
    ).toEqual([1, 2]);
    expect(h.sentOfType(MessageType.Prune)).toEqual([]);
    h.fire('ihave');
    expect(
      h
        .sentOfType(MessageType.IHave)
        .map((s) => [s.from, s.to])
        .sort(),
    ).toEqual([
      [1, 2],
      [2, 1],
    ]);
  });

  it('a flooded broadcast (a departure) goes to lazy neighbours too, with no IHave round', () => {
    const h = triangle();
    h.input(0, { type: 'broadcast', content: payload(1) });
    h.pump();
    const root = h.engine(1).broadcastRoot;
    h.input(1, { type: 'message', from: 2, message: { t: MessageType.Prune, root } });
    expect(h.engine(1).eagerPeersOf(root)).toEqual([0]);
    h.sent.length = 0;
    h.queue.length = 0;
    h.timers.length = 0;
    h.input(1, { type: 'broadcast', content: payload(9), flood: true });
    const direct = h.queue.filter((s) => s.from === 1 && s.message.t === MessageType.Gossip).map((s) => s.to);
    expect(direct.sort()).toEqual([0, 2]);
    expect(h.timers.filter((t) => t.node === 1 && t.timer.kind === 'ihave')).toEqual([]);
  });

  it('a flood of a payload delivered before relays it to every neighbour but its sender', () => {
    const h = triangle();
    h.input(0, { type: 'broadcast', content: payload(1) });
    h.pump();
    h.queue.length = 0;
    h.timers.length = 0;
    // Node 1 got payload 1 from node 0; flooding it again sends it on to node 2 only, at once.
    h.input(1, { type: 'broadcast', content: payload(1), flood: true });
    const relayed = h.queue.filter((s) => s.from === 1 && s.message.t === MessageType.Gossip);
    expect(relayed.map((s) => s.to)).toEqual([2]);
    expect(relayed[0]?.message).toMatchObject({ round: 1, root: h.engine(0).broadcastRoot });
    // Without `flood`, a payload seen before is ignored.
    h.queue.length = 0;
    h.input(1, { type: 'broadcast', content: payload(1) });
    expect(h.queue.filter((s) => s.from === 1)).toEqual([]);
  });

  it('sends IHave to lazy peers only after the 5 ms dispatch delay', () => {
    const h = triangle();
    h.input(0, { type: 'broadcast', content: payload(1) });
    h.pump();
    h.timers.length = 0;
    h.sent.length = 0;
    h.input(0, { type: 'broadcast', content: payload(2) });
    h.pump();
    // 1 forwards to nobody eagerly (2 is lazy) and queues an IHave.
    expect(h.sentOfType(MessageType.IHave)).toHaveLength(0);
    expect(h.timers).toContainEqual({ node: 1, afterMs: 5, timer: { kind: 'ihave' } });
    h.fire('ihave');
    const ihaves = h.sentOfType(MessageType.IHave);
    expect(ihaves.length).toBeGreaterThan(0);
    expect(ihaves[0]?.message).toMatchObject({ entries: [{ id: fastDigest(payload(2)), round: 1 }] });
  });

  it('grafts a payload announced by IHave after 80 ms, then tries the next announcer after 40 ms', () => {
    const h = new Harness([0, 1, 2]);
    h.joinAll(0, [1, 2]);
    const id = fastDigest(payload(7));
    h.input(0, { type: 'message', from: 1, message: { t: MessageType.IHave, entries: [{ id, round: 3 }] } });
    h.input(0, { type: 'message', from: 2, message: { t: MessageType.IHave, entries: [{ id, round: 2 }] } });
    const graftTimers = h.timers.filter((t) => t.timer.kind === 'graft');
    expect(graftTimers).toHaveLength(1); // one timer per id
    expect(graftTimers[0]?.afterMs).toBe(80);
    h.fire('graft');
    expect(h.queue.at(-1)).toEqual({ from: 0, to: 1, message: { t: MessageType.Graft, id, round: 3 } });
    expect(h.timers.at(-1)).toMatchObject({ afterMs: 40, timer: { kind: 'graft' } });
    h.fire('graft');
    expect(h.queue.at(-1)).toEqual({ from: 0, to: 2, message: { t: MessageType.Graft, id, round: 2 } });
    h.fire('graft');
    expect(h.timers.filter((t) => t.timer.kind === 'graft')).toHaveLength(0);
  });

  it('answers a Graft with the cached payload until the 30 s cache retention ends', () => {
    const h = triangle();
    h.input(0, { type: 'broadcast', content: payload(3) });
    const id = fastDigest(payload(3));
    h.queue.length = 0;
    h.input(0, { type: 'message', from: 1, message: { t: MessageType.Graft, id, round: 0 } });
    const root = h.engine(0).broadcastRoot;
    expect(h.queue.at(-1)?.message).toEqual({
      t: MessageType.Gossip,
      id,
      content: payload(3),
      round: 0,
      root,
    });
    // The grafting peer becomes a child in that payload's tree.
    expect(h.engine(0).eagerPeersOf(root)).toContain(1);
    h.now = 30_000;
    h.fire('evict');
    h.queue.length = 0;
    h.input(0, { type: 'message', from: 1, message: { t: MessageType.Graft, id, round: 0 } });
    expect(h.queue).toEqual([]);
  });

  it('suppresses an identical payload for the 90 s id retention, then accepts it again', () => {
    const h = triangle();
    h.input(0, { type: 'broadcast', content: payload(4) });
    h.pump();
    h.sent.length = 0;
    h.input(0, { type: 'broadcast', content: payload(4) });
    expect(h.sent).toEqual([]);
    for (h.now = 1000; h.now <= 90_000; h.now += 1000) h.fire('evict');
    h.input(0, { type: 'broadcast', content: payload(4) });
    expect(h.sentOfType(MessageType.Gossip).length).toBeGreaterThan(0);
  });

  it('rejects a payload whose id is not its hash, and delivers nothing', () => {
    const h = triangle();
    const out = h.input(0, {
      type: 'message',
      from: 1,
      message: { t: MessageType.Gossip, id: new Uint8Array(32), content: payload(5), round: 0 },
    });
    expect(out).toEqual([{ type: 'violation', peer: 1, reason: 'gossip id is not the hash of its content' }]);
    expect(h.delivered).toEqual([]);
  });

  it('a copy of a delivered payload is not hashed: whatever content it carries, it is a duplicate', () => {
    const h = triangle();
    const content = payload(7);
    const id = fastDigest(content);
    h.input(0, { type: 'message', from: 1, message: { t: MessageType.Gossip, id, content, round: 0 } });
    expect(h.delivered).toHaveLength(1);
    // The same id again with other bytes: dropped as a duplicate (the sender's edge is pruned),
    // never delivered, and no violation, as the content of a known id is never looked at.
    const out = h.input(0, {
      type: 'message',
      from: 2,
      message: { t: MessageType.Gossip, id, content: payload(8), round: 0 },
    });
    expect(out.some((o) => o.type === 'violation' || o.type === 'deliver')).toBe(false);
    expect(h.delivered).toHaveLength(1);
  });

  it('optimises the tree when a lazy path is >= 7 rounds shorter', () => {
    const h = triangle();
    const content = payload(6);
    const id = fastDigest(content);
    h.input(0, { type: 'message', from: 2, message: { t: MessageType.IHave, entries: [{ id, round: 1 }] } });
    h.queue.length = 0;
    h.input(0, { type: 'message', from: 1, message: { t: MessageType.Gossip, id, content, round: 8 } });
    expect(h.queue).toContainEqual({ from: 0, to: 2, message: { t: MessageType.Graft, round: 1 } });
    expect(h.queue).toContainEqual({ from: 0, to: 1, message: { t: MessageType.Prune } });
    expect(h.engine(0).lazyPeers()).toEqual([1]);
  });

  it("optimises one root's tree: Graft and Prune name the root, the shared tree stays", () => {
    const h = triangle();
    const content = payload(6);
    const id = fastDigest(content);
    const root = new Uint8Array(8).fill(7);
    h.input(0, { type: 'message', from: 2, message: { t: MessageType.IHave, entries: [{ id, round: 1 }] } });
    h.queue.length = 0;
    const gossip = { t: MessageType.Gossip, id, content, round: 8, root } as const;
    h.input(0, { type: 'message', from: 1, message: gossip });
    expect(h.queue).toContainEqual({ from: 0, to: 2, message: { t: MessageType.Graft, round: 1, root } });
    expect(h.queue).toContainEqual({ from: 0, to: 1, message: { t: MessageType.Prune, root } });
    expect(h.engine(0).eagerPeers().sort()).toEqual([1, 2]);
    expect(h.engine(0).treeStats().optimizations).toBe(1);
    // The receivers move that root's tree only.
    h.pump();
    expect(h.engine(2).eagerPeersOf(root)).toContain(0);
    expect(h.engine(1).eagerPeersOf(root)).not.toContain(0);
    expect(h.engine(1).eagerPeers()).toContain(0);
  });

  it('optimises on an IHave that comes after the payload (a late shorter path)', () => {
    const h = triangle();
    const content = payload(10);
    const id = fastDigest(content);
    const root = new Uint8Array(8).fill(9);
    h.input(0, {
      type: 'message',
      from: 1,
      message: { t: MessageType.Gossip, id, content, round: 10, root },
    });
    h.queue.length = 0;
    h.input(0, { type: 'message', from: 2, message: { t: MessageType.IHave, entries: [{ id, round: 3 }] } });
    expect(h.queue).toContainEqual({ from: 0, to: 2, message: { t: MessageType.Graft, round: 3, root } });
    expect(h.queue).toContainEqual({ from: 0, to: 1, message: { t: MessageType.Prune, root } });
    // Not again for the same path.
    h.queue.length = 0;
    h.input(0, { type: 'message', from: 2, message: { t: MessageType.IHave, entries: [{ id, round: 3 }] } });
    expect(h.queue).toEqual([]);
  });

  it("a duplicate over a path >= 2 rounds shorter makes its sender the parent in a root's tree", () => {
    const h = triangle();
    const content = payload(11);
    const id = fastDigest(content);
    const root = new Uint8Array(8).fill(5);
    h.input(0, { type: 'message', from: 1, message: { t: MessageType.Gossip, id, content, round: 6, root } });
    h.queue.length = 0;
    h.now = 10;
    h.input(0, { type: 'message', from: 2, message: { t: MessageType.Gossip, id, content, round: 4, root } });
    // 2 pushes to us already: no Graft, and no Prune for it; the old parent is pruned.
    expect(h.queue).toEqual([{ from: 0, to: 1, message: { t: MessageType.Prune, root } }]);
    expect(h.engine(0).treeStats().optimizations).toBe(1);
    // Neither the new parent nor the old one is our child.
    expect(h.engine(0).eagerPeersOf(root)).toEqual([]);
    // The delivery now counts with round 4: a copy that saves one round more is only pruned.
    h.queue.length = 0;
    h.input(0, { type: 'message', from: 1, message: { t: MessageType.Gossip, id, content, round: 3, root } });
    expect(h.queue).toEqual([{ from: 0, to: 1, message: { t: MessageType.Prune, root } }]);
    expect(h.engine(0).treeStats().optimizations).toBe(1);
  });

  it('keeps the faster path when the shorter one is slower than 20 ms per round saved', () => {
    const h = triangle();
    const content = payload(12);
    const id = fastDigest(content);
    const root = new Uint8Array(8).fill(6);
    h.input(0, { type: 'message', from: 1, message: { t: MessageType.Gossip, id, content, round: 6, root } });
    h.queue.length = 0;
    h.now = 61; // 3 rounds saved are worth 60 ms at most
    h.input(0, { type: 'message', from: 2, message: { t: MessageType.Gossip, id, content, round: 3, root } });
    expect(h.queue).toEqual([{ from: 0, to: 2, message: { t: MessageType.Prune, root } }]);
    expect(h.engine(0).treeStats().optimizations).toBe(0);
    // A late IHave is judged the same way, less the 5 ms it waited for its batch.
    h.now = 66;
    h.input(0, { type: 'message', from: 2, message: { t: MessageType.IHave, entries: [{ id, round: 3 }] } });
    expect(h.engine(0).treeStats().optimizations).toBe(0);
    h.now = 65;
    h.queue.length = 0;
    h.input(0, { type: 'message', from: 2, message: { t: MessageType.IHave, entries: [{ id, round: 3 }] } });
    expect(h.engine(0).treeStats().optimizations).toBe(1);
    expect(h.queue).toEqual([
      { from: 0, to: 2, message: { t: MessageType.Graft, round: 3, root } },
      { from: 0, to: 1, message: { t: MessageType.Prune, root } },
    ]);
  });

  it('the shared tree (payloads without a root) keeps the 7-round threshold for duplicates', () => {
    const h = triangle();
    const content = payload(13);
    const id = fastDigest(content);
    h.input(0, { type: 'message', from: 1, message: { t: MessageType.Gossip, id, content, round: 9 } });
    h.queue.length = 0;
    h.input(0, { type: 'message', from: 2, message: { t: MessageType.Gossip, id, content, round: 3 } });
    expect(h.queue).toEqual([{ from: 0, to: 2, message: { t: MessageType.Prune } }]);
    expect(h.engine(0).lazyPeers()).toEqual([2]);
    h.queue.length = 0;
    h.input(0, { type: 'message', from: 2, message: { t: MessageType.Gossip, id, content, round: 2 } });
    expect(h.queue).toEqual([{ from: 0, to: 1, message: { t: MessageType.Prune } }]);
    expect(h.engine(0).eagerPeers()).toEqual([2]);
    expect(h.engine(0).lazyPeers()).toEqual([1]);
  });

  it("a duplicate in a root's tree asks its sender to stop, but the sender stays our child until it prunes us", () => {
    const h = triangle();
    const content = payload(14);
    const id = fastDigest(content);
    const root = new Uint8Array(8).fill(8);
    h.input(0, { type: 'message', from: 1, message: { t: MessageType.Gossip, id, content, round: 2, root } });
    // We pushed to 2; 2 may take us as its parent after its own copy reached us.
    expect(h.engine(0).eagerPeersOf(root)).toEqual([2]);
    h.input(0, { type: 'message', from: 2, message: { t: MessageType.Gossip, id, content, round: 2, root } });
    expect(h.queue.at(-1)).toEqual({ from: 0, to: 2, message: { t: MessageType.Prune, root } });
    expect(h.engine(0).eagerPeersOf(root)).toEqual([2]);
    h.input(0, { type: 'message', from: 2, message: { t: MessageType.Prune, root } });
    expect(h.engine(0).eagerPeersOf(root)).toEqual([]);
  });

  it('a Prune from an older node (no root) stops every root and the shared tree', () => {
    const h = triangle();
    h.input(0, { type: 'broadcast', content: payload(1) });
    h.input(0, { type: 'message', from: 1, message: { t: MessageType.Prune } });
    expect(h.engine(0).eagerPeersOf(h.engine(0).broadcastRoot)).toEqual([2]);
    expect(h.engine(0).eagerPeers()).toEqual([2]);
    expect(h.engine(0).lazyPeers()).toEqual([1]);
  });

  it('keeps at most maxRootTrees trees, forgetting the least recently used', () => {
    const h = new Harness([0, 1], { maxRootTrees: 2 });
    h.joinAll(0, [1]);
    for (let i = 0; i < 5; i++) {
      const content = payload(20 + i);
      const root = new Uint8Array(8).fill(i);
      const message = { t: MessageType.Gossip, id: fastDigest(content), content, round: 0, root } as const;
      h.input(0, { type: 'message', from: 1, message });
    }
    expect(h.engine(0).treeStats().rootTrees).toBe(2);
  });

  it('does not optimise below the threshold', () => {
    const h = triangle();
    const content = payload(8);
    const id = fastDigest(content);
    h.input(0, { type: 'message', from: 2, message: { t: MessageType.IHave, entries: [{ id, round: 2 }] } });
    h.queue.length = 0;
    h.input(0, { type: 'message', from: 1, message: { t: MessageType.Gossip, id, content, round: 8 } });
    expect(h.queue.filter((s) => s.message.t === MessageType.Prune)).toEqual([]);
  });

  it('refuses a payload above the cap (4096 by default, configurable)', () => {
    const h = new Harness([0]);
    expect(() => h.input(0, { type: 'broadcast', content: new Uint8Array(4097) })).toThrow(
      GossipPayloadTooLargeError,
    );
    expect(h.engine(0).fits(new Uint8Array(4096))).toBe(true);
    const small = new Harness([0], { maxPayloadSize: 100 });
    expect(() => small.input(0, { type: 'broadcast', content: new Uint8Array(101) })).toThrow(/100-byte cap/);
  });

  it('a lost neighbour stops receiving pushes', () => {
    const h = triangle();
    h.input(0, { type: 'disconnected', peer: 1 });
    h.input(0, { type: 'broadcast', content: payload(9) });
    expect(h.queue.filter((s) => s.from === 0 && s.to === 1)).toEqual([]);
  });
});
