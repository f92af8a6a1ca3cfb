/**
 * Membership and resets seen from collection handles, over real QUIC: who votes, who observes,
 * who leads and who is connected; and the reset a replica reports when the side of the
 * collection it was written on loses a merge.
 */
import type { PeerId } from '@mosaik/id';
import { describe, expect, it } from 'vitest';
import { Cluster, FAST, sharedNodes, storeName, T, until, within } from '../test/fixtures.js';
import { defineCollection } from './collection.js';
import type { CollectionMembers } from './handle.js';

const net = sharedNodes();

const hex = (peers: readonly PeerId[]) => peers.map((p) => p.toString()).sort();
const show = (m: CollectionMembers) =>
  JSON.stringify({
    leader: m.leader?.short(),
    voters: m.voters.map((p) => p.short()),
    learners: m.learners.map((p) => p.short()),
    observers: m.observers.map((p) => p.short()),
    connected: m.connected.map((p) => p.short()),
  });

describe('members()', () => {
  it('two writers and a reader: writers vote or stand by, the reader observes, all agree on the leader', async () => {
    const Def = defineCollection.map<string, number>(storeName('members'), { consensus: FAST });
    await using a = Def.writer(net.n0);
    const b = Def.writer(net.n1);
    await using r = Def.reader(net.n2);
    await Promise.all([a, b, r].map((h) => h.when.online(within())));
    const writers = hex([net.n0.node.peerId, net.n1.node.peerId]);
    const everyone = hex([net.n0.node.peerId, net.n1.node.peerId, net.n2.node.peerId]);
    // The group keeps an odd number of voters: one writer votes, the other stands by as a learner.
    const settled = (m: CollectionMembers) =>
      m.voters.length === 1 &&
      JSON.stringify(hex([...m.voters, ...m.learners])) === JSON.stringify(writers) &&
      JSON.stringify(hex(m.observers)) === JSON.stringify([net.n2.node.peerId.toString()]) &&
      JSON.stringify(hex(m.connected)) === JSON.stringify(everyone) &&
      m.leader !== undefined;
    for (const h of [a, b, r])
      await until(
        () => settled(h.members()),
        () => `members: ${show(h.members())}`,
      );

    const views = [a, b, r].map((h) => h.members());
    expect(views.map((m) => m.self.toString())).toEqual(
      [net.n0, net.n1, net.n2].map((n) => n.node.peerId.toString()),
    );
    const leader = views[0]!.leader!.toString();
    expect(hex(views[0]!.voters)).toEqual([leader]); // the voter leads; a reader never does
    for (const m of views) {
      expect(m.leader?.toString()).toBe(leader);
      expect(m.cluster).not.toBe('');
      expect(m.cluster).toBe(views[0]!.cluster);
    }

    // The writer that votes leaves: it makes the other one a voter first, which still commits.
    const [gone, stays] = leader === net.n0.node.peerId.toString() ? [a, b] : [b, a];
    await gone.close();
    await until(
      () => !hex(stays.members().connected).includes(leader),
      () => `the leaver still connected: ${show(stays.members())}`,
    );
    await stays.when.online(within());
    const v = await stays.set('after', 1);
    await r.when.reaches(v, within());
    await stays.close();
  });
});

describe('when.reset() and lastReset()', () => {
  it('the side written apart with the shorter history resets to the winner’s contents when they meet', async () => {
    await using c = new Cluster();
    // Side A: x alone. Side B: y (writer) and z (reader) know each other but not x.
    const x = await c.add();
    const y = await c.add({ isolated: true });
    const z = await c.add({ isolated: true });
    await Promise.all([y.discovery.syncWith(z.node.addr()), z.discovery.syncWith(y.node.addr())]);

    const Def = defineCollection.map<string, number>(storeName('reset'), { consensus: FAST });
    await using wa = await Def.onlineWriter(x, within());
    await using wb = await Def.onlineWriter(y, within());
    await using rb = Def.reader(z);
    expect(wb.members().cluster).not.toBe(wa.members().cluster);
    expect(wb.lastReset()).toBeUndefined();

    const vb = await wb.set('only-on-b', 1);
    await rb.when.reaches(vb, within());
    expect(rb.get('only-on-b')).toBe(1);
    // Side A's committed history is far longer, so A wins the merge.
    let va = 0;
    for (let i = 0; i < 30; i++) va = await wa.set(`a${i}`, i);
    expect(va).toBeGreaterThan(wb.version + 10);
    const losing = wb.members().cluster;
    const winning = wa.members().cluster;

    const resets = [wb.when.reset(within(T * 3)), rb.when.reset(within(T * 3))];
    await c.discoverAll();
    const [onWriter, onReader] = await Promise.all(resets);
    for (const reset of [onWriter!, onReader!]) {
      expect(reset.discarded.cluster).toBe(losing);
      expect(reset.joined).toBe(winning);
      expect(reset.discarded.version).toBeGreaterThanOrEqual(vb);
    }
    expect(wb.lastReset()).toEqual(onWriter);

    // After the reset both replicas of side B hold exactly side A's contents.
    for (const h of [wb, rb]) {
      await h.when.reaches(va, within(T * 3));
      expect(h.members().cluster).toBe(winning);
      expect(h.get('only-on-b')).toBeUndefined();
      expect([...h.entries()]).toEqual([...wa.entries()]);
    }
    expect(wa.lastReset()).toBeUndefined();
  });
});
