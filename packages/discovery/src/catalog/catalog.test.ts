import { id, type PeerId } from '@mosaik/id';
import { describe, expect, it } from 'vitest';
import { entryOf, key, NET, OTHER_NET, signedOf, T0 } from '../../test/fixtures.js';
import { GracefulDeparture } from '../entry/departure.js';
import { SignedPeerEntry } from '../entry/signed.js';
import { RttTracker } from '../rtt/rtt.js';
import { Catalog, type Scheduler } from './catalog.js';
import type { DiscoveryEvent, Lagged } from './events.js';

const me = key(0);
const a = key(1);
const b = key(2);
const c = key(3);

class FakeScheduler implements Scheduler {
  timers: { at: number; fn: () => void; cancelled: boolean }[] = [];
  constructor(readonly clock: { now: number }) {}
  schedule(delayMs: number, fn: () => void): () => void {
    const t = { at: this.clock.now + delayMs, fn, cancelled: false };
    this.timers.push(t);
    return () => {
      t.cancelled = true;
    };
  }
  /** The single live timer's due time. */
  next(): number | undefined {
    const live = this.timers.filter((t) => !t.cancelled);
    return live.length === 0 ? undefined : Math.min(...live.map((t) => t.at));
  }
  /** Advance to `at`, firing due timers. */
  advance(to: number): void {
    for (;;) {
      const due = this.timers.filter((t) => !t.cancelled && t.at <= to).sort((x, y) => x.at - y.at)[0];
      if (due === undefined) break;
      due.cancelled = true;
      this.clock.now = due.at;
      due.fn();
    }
    this.clock.now = to;
  }
}

function setup(
  opts: { purgeAfterMs?: number; maxRttMs?: number; withScheduler?: boolean; graceMs?: () => number } = {},
) {
  const clock = { now: T0 };
  const rtt = new RttTracker<PeerId>();
  const scheduler = new FakeScheduler(clock);
  const catalog = new Catalog({
    local: signedOf(me),
    now: () => clock.now,
    rtt,
    ...(opts.purgeAfterMs === undefined ? {} : { purgeAfterMs: opts.purgeAfterMs }),
    ...(opts.maxRttMs === undefined ? {} : { maxRttMs: opts.maxRttMs }),
    ...(opts.withScheduler ? { scheduler } : {}),
    ...(opts.graceMs === undefined ? {} : { purgeGraceMs: opts.graceMs }),
  });
  return { clock, rtt, scheduler, catalog };
}

async function take(
  it: AsyncIterator<DiscoveryEvent | Lagged>,
  n: number,
): Promise<(DiscoveryEvent | Lagged)[]> {
  const out: (DiscoveryEvent | Lagged)[] = [];
  for (let i = 0; i < n; i++) out.push((await it.next()).value as DiscoveryEvent | Lagged);
  return out;
}

const ids = (entries: { peerId: PeerId }[]) => entries.map((e) => e.peerId.toString());

describe('Catalog contents', () => {
  it('always holds the local entry, which remote data cannot overwrite', () => {
    const { catalog } = setup();
    expect(
      catalog
        .snapshot()
        .all()
        .map((e) => e.peerId.toString()),
    ).toEqual([me.peerId.toString()]);
    expect(catalog.upsertSigned(SignedPeerEntry.sign(entryOf(me, { nowMs: T0 + 10 }), me))).toBe('local');
    expect(catalog.insertUnsigned(entryOf(me))).toBe(false);
    expect(catalog.snapshot().peersCount()).toBe(0);
  });

  it('orders by PeerId bytes, signed entries before unsigned ones', () => {
    const { catalog } = setup();
    catalog.feed(signedOf(c));
    catalog.feed(signedOf(a));
    catalog.insertUnsigned(entryOf(b));
    const signedIds = [a, c].map((k) => k.peerId.toString()).sort();
    expect(ids(catalog.snapshot().peers())).toEqual([...signedIds, b.peerId.toString()]);
    expect(catalog.snapshot().signedPeersCount()).toBe(2);
    expect(catalog.snapshot().peersCount()).toBe(3);
    expect(ids(catalog.snapshot().allSigned())[0]).toBe(me.peerId.toString());
  });

  it('snapshots are immutable: a later change does not alter an old snapshot', () => {
    const { catalog } = setup();
    const before = catalog.snapshot();
    catalog.feed(signedOf(a));
    expect(before.peersCount()).toBe(0);
    expect(catalog.snapshot().peersCount()).toBe(1);
  });

  it('evaluates staleness on read: a stale signed entry disappears without any mutation', () => {
    const { catalog, clock } = setup({ purgeAfterMs: 4000 });
    catalog.feed(signedOf(a));
    catalog.insertUnsigned(entryOf(b));
    const snap = catalog.snapshot();
    clock.now = T0 + 4000;
    expect(snap.signedPeersCount()).toBe(1); // exactly at the horizon: not yet stale
    clock.now = T0 + 4001;
    expect(snap.signedPeersCount()).toBe(0);
    expect(snap.get(a.peerId)).toBeUndefined();
    expect(snap.getSigned(a.peerId)).toBeUndefined();
    expect(snap.unsignedPeers()).toHaveLength(1); // unsigned entries are never stale
    expect(snap.getSigned(me.peerId)).toBe(snap.local); // nor is the local one
  });

  it('maxRtt hides a peer from peers()/get() only, with ≤, and admits unknown RTTs', () => {
    const { catalog, rtt } = setup({ maxRttMs: 100 });
    catalog.feed(signedOf(a));
    catalog.feed(signedOf(b));
    catalog.feed(signedOf(c));
    rtt.sample(a.peerId, 100); // equal: admitted
    rtt.sample(b.peerId, 101); // above: hidden
    const snap = catalog.snapshot();
    expect(ids(snap.peers())).not.toContain(b.peerId.toString());
    expect(snap.peers()).toHaveLength(2);
    expect(snap.get(b.peerId)).toBeUndefined();
    expect(snap.get(a.peerId)).toBeDefined();
    expect(snap.get(c.peerId)).toBeDefined();
    expect(snap.getSigned(b.peerId)).toBeDefined();
    expect(snap.signedPeers()).toHaveLength(3);
    expect(snap.peersCount()).toBe(3);
    expect(snap.all()).toHaveLength(4);
    expect(snap.peerInfo(a.peerId)?.rtt).toBe(100);
  });
});

describe('Catalog mutation rules', () => {
  it('a merged batch judges each entry against the ones before it, and drops unsigned copies', () => {
    const { catalog } = setup();
    const v1 = signedOf(a);
    const v2 = SignedPeerEntry.sign(v1.entry.addTags([id('t')], T0), a);
    catalog.insertUnsigned(entryOf(b));
    const events = catalog.mergeSnapshot([v1, v2, v1, signedOf(b)]);
    expect(events.map((e) => e.type)).toEqual(['peerDiscovered', 'peerUpdated', 'peerDiscovered']);
    const snap = catalog.snapshot();
    expect(snap.getSigned(a.peerId)?.equals(v2)).toBe(true);
    expect(snap.unsignedPeers()).toHaveLength(0);
    // Older first, then newer in another batch: nothing older replaces what is held.
    expect(catalog.mergeSnapshot([v1])).toEqual([]);
    expect(catalog.snapshot()).toBe(snap);
  });

  it('upsert: new, updated when strictly newer, rejected otherwise', () => {
    const { catalog } = setup();
    const v1 = signedOf(a);
    expect(catalog.upsertSigned(v1)).toBe('new');
    expect(catalog.upsertSigned(v1)).toBe('rejected');
    const v2 = SignedPeerEntry.sign(v1.entry.addTags([id('t')], T0), a);
    expect(catalog.upsertSigned(v2)).toBe('updated');
    expect(catalog.upsertSigned(v1)).toBe('rejected');
    expect(catalog.snapshot().getSigned(a.peerId)?.equals(v2)).toBe(true);
  });

  it('upsert refuses another network and entries older than purgeAfter; future ones pass', () => {
    const { catalog } = setup({ purgeAfterMs: 1000 });
    expect(catalog.upsertSigned(signedOf(a, { network: OTHER_NET }))).toBe('differentNetwork');
    expect(catalog.upsertSigned(signedOf(a, { nowMs: T0 - 1001 }))).toBe('outdated');
    expect(catalog.upsertSigned(signedOf(a, { nowMs: T0 + 3_600_000 }))).toBe('new');
  });

  it('a signed entry supersedes an unsigned one; unsigned cannot shadow a signed one', () => {
    const { catalog } = setup();
    expect(catalog.insertUnsigned(entryOf(a))).toBe(true);
    expect(catalog.snapshot().unsignedPeers()).toHaveLength(1);
    catalog.feed(signedOf(a));
    expect(catalog.snapshot().unsignedPeers()).toHaveLength(0);
    expect(catalog.snapshot().signedPeersCount()).toBe(1);
    expect(catalog.insertUnsigned(entryOf(a))).toBe(false);
  });

  it('insert accepts a signed entry (stored unsigned), refuses other networks; remove/clear touch unsigned only', () => {
    const { catalog } = setup();
    expect(catalog.insertUnsigned(signedOf(a))).toBe(true);
    expect(catalog.insertUnsigned(entryOf(b, { network: OTHER_NET }))).toBe(false);
    catalog.feed(signedOf(c));
    expect(catalog.removeUnsigned(c.peerId)).toBe(false);
    expect(catalog.removeUnsigned(a.peerId)).toBe(true);
    expect(catalog.clearUnsigned()).toBe(false);
    catalog.insertUnsigned(entryOf(b));
    expect(catalog.clearUnsigned()).toBe(true);
    expect(catalog.snapshot().peersCount()).toBe(1);
  });

  it('updateLocal always bumps and re-signs; the internal variant only when the version grew', () => {
    const { catalog, clock } = setup();
    const before = catalog.local;
    const after = catalog.updateLocal((e) => e, me);
    expect(after.entry.isNewerThan(before.entry)).toBe(true);
    expect(catalog.updateLocalIfChanged((e) => e.addTags([], clock.now), me)).toBe(after);
    const tagged = catalog.updateLocalIfChanged((e) => e.addTags([id('x')], clock.now), me);
    expect(tagged.entry.hasTag(id('x'))).toBe(true);
    expect(catalog.local).toBe(tagged);
  });

  it('the ping reply is one version up and not stored', () => {
    const { catalog } = setup();
    const reply = catalog.pingReply(me);
    expect(reply.entry.version.updateMs).toBe(catalog.local.entry.version.updateMs + 1);
    expect(catalog.local.entry.isNewerThan(reply.entry)).toBe(false);
  });
});

describe('Catalog events', () => {
  it('gossip emits discovered/updated with unsigned entries; feed/insert/remove emit nothing', async () => {
    const { catalog } = setup();
    const sub = catalog.events.subscribe();
    catalog.feed(signedOf(b));
    catalog.insertUnsigned(entryOf(c));
    catalog.removeUnsigned(c.peerId);
    catalog.clearUnsigned();
    const v1 = signedOf(a);
    expect(catalog.receiveGossip(v1).result).toBe('new');
    const v2 = SignedPeerEntry.sign(v1.entry.incrementVersion(T0), a);
    expect(catalog.receiveGossip(v2).result).toBe('updated');
    expect(catalog.receiveGossip(v2).result).toBe('rejected');
    const events = await take(sub, 2);
    expect(events).toEqual([
      { type: 'peerDiscovered', entry: v1.entry },
      { type: 'peerUpdated', entry: v2.entry },
    ]);
    expect(catalog.events.head).toBe(2);
  });

  it('gossip drift check is symmetric (50 s); sync merge has none', () => {
    const { catalog } = setup();
    expect(catalog.receiveGossip(signedOf(a, { nowMs: T0 + 50_001 })).result).toBe('drift');
    expect(catalog.receiveGossip(signedOf(a, { nowMs: T0 - 50_001 })).result).toBe('drift');
    expect(catalog.receiveGossip(signedOf(a, { nowMs: T0 + 50_000 })).result).toBe('new');
    expect(catalog.mergeSnapshot([signedOf(b, { nowMs: T0 + 3_600_000 })])).toHaveLength(1);
    expect(catalog.receiveGossip(signedOf(c, { network: OTHER_NET })).result).toBe('differentNetwork');
  });

  it('a sync merge emits one event per new/updated peer and skips local and foreign entries', () => {
    const { catalog } = setup();
    catalog.feed(signedOf(a));
    const newer = SignedPeerEntry.sign(signedOf(a).entry.incrementVersion(T0), a);
    const events = catalog.mergeSnapshot([
      newer,
      signedOf(b),
      signedOf(me),
      signedOf(c, { network: OTHER_NET }),
    ]);
    expect(events.map((e) => e.type)).toEqual(['peerUpdated', 'peerDiscovered']);
    expect(catalog.snapshot().signedPeersCount()).toBe(2);
  });

  it('a lagging subscriber is told how many events it missed', async () => {
    const { catalog } = setup();
    const small = new Catalog({ local: catalog.local, eventsBacklog: 2, now: () => T0 });
    const sub = small.events.subscribe();
    for (const k of [a, b, c]) small.receiveGossip(signedOf(k));
    const [first, second] = await take(sub, 2);
    expect(first).toEqual({ type: 'lagged', missed: 1 });
    expect(second).toMatchObject({ type: 'peerDiscovered' });
    small.close();
    await take(sub, 1);
    expect((await sub.next()).done).toBe(true);
  });

  it('a new subscriber sees only later events', async () => {
    const { catalog } = setup();
    catalog.receiveGossip(signedOf(a));
    const sub = catalog.events.subscribe();
    catalog.receiveGossip(signedOf(b));
    expect(await take(sub, 1)).toEqual([{ type: 'peerDiscovered', entry: signedOf(b).entry }]);
  });
});

describe('Graceful departure', () => {
  it('removes the peer at once and forgets its RTT', async () => {
    const { catalog, rtt } = setup();
    const s = signedOf(a);
    catalog.feed(s);
    rtt.sample(a.peerId, 10);
    const sub = catalog.events.subscribe();
    const event = catalog.applyDeparture(GracefulDeparture.create(a, NET, s.entry.version, T0));
    expect(event).toEqual({ type: 'peerDeparted', peerId: a.peerId });
    expect(catalog.snapshot().signedPeersCount()).toBe(0);
    expect(rtt.get(a.peerId)).toBeUndefined();
    expect(await take(sub, 1)).toEqual([event]);
  });

  it('is ignored when older than the known entry, outside the drift window, or of another network', () => {
    const { catalog } = setup();
    const s = SignedPeerEntry.sign(entryOf(a).incrementVersion(T0 + 5), a);
    catalog.feed(s);
    expect(catalog.applyDeparture(GracefulDeparture.create(a, NET, entryOf(a).version, T0))).toBeUndefined();
    expect(
      catalog.applyDeparture(GracefulDeparture.create(a, NET, s.entry.version, T0 - 50_001)),
    ).toBeUndefined();
    expect(
      catalog.applyDeparture(GracefulDeparture.create(a, OTHER_NET, s.entry.version, T0)),
    ).toBeUndefined();
    expect(catalog.snapshot().signedPeersCount()).toBe(1);
    expect(catalog.applyDeparture(GracefulDeparture.create(a, NET, s.entry.version, T0))).toBeDefined();
  });
});

describe('Departed peers stay departed', () => {
  it('refuses copies up to the departure version for purgeAfter, and accepts a newer one (a restart)', () => {
    const { catalog, clock } = setup({ purgeAfterMs: 4000 });
    const last = signedOf(a, { nowMs: T0 + 10 });
    const earlier = signedOf(a, { nowMs: T0 + 5 });
    catalog.feed(last);
    expect(
      catalog.applyDeparture(GracefulDeparture.create(a, NET, last.entry.version, T0 + 10)),
    ).toBeDefined();
    // The peer's last heartbeat, still travelling, arrives after its departure: no resurrection.
    expect(catalog.receiveGossip(last).result).toBe('outdated');
    expect(catalog.mergeSnapshot([earlier, last])).toEqual([]);
    expect(catalog.snapshot().signedPeersCount()).toBe(0);
    // A restarted peer signs a newer version and is back at once.
    clock.now = T0 + 1000;
    const restarted = signedOf(a, { nowMs: T0 + 1000 });
    expect(catalog.receiveGossip(restarted).result).toBe('new');
    expect(catalog.snapshot().signedPeersCount()).toBe(1);
  });
});

describe('Departures kept for anti-entropy', () => {
  it('lists unexpired departures newest first, drops a peer that came back, and forgets them after purgeAfter', () => {
    const { catalog, clock } = setup({ purgeAfterMs: 4000 });
    catalog.feed(signedOf(a, { nowMs: T0 }));
    catalog.feed(signedOf(b, { nowMs: T0 }));
    catalog.applyDeparture(GracefulDeparture.create(a, NET, entryOf(a).version, T0));
    clock.now = T0 + 10;
    catalog.applyDeparture(GracefulDeparture.create(b, NET, entryOf(b).version, T0 + 10));
    expect(catalog.departures().map((d) => d.peerId.toString())).toEqual([
      b.peerId.toString(),
      a.peerId.toString(),
    ]);
    expect(catalog.departures(1)).toHaveLength(1);
    expect(catalog.hasDeparted(a.peerId)).toBe(true);
    // a restarts: a newer version is accepted, and a is no longer departed.
    clock.now = T0 + 1000;
    expect(catalog.receiveGossip(signedOf(a, { nowMs: T0 + 1000 })).result).toBe('new');
    expect(catalog.hasDeparted(a.peerId)).toBe(false);
    expect(catalog.departures().map((d) => d.peerId.toString())).toEqual([b.peerId.toString()]);
    clock.now = T0 + 10 + 4000;
    expect(catalog.departures()).toEqual([]);
    expect(catalog.hasDeparted(b.peerId)).toBe(false);
  });
});

describe('Purge schedule', () => {
  it('is armed to the earliest expiry (capped at purgeAfter) and purges with peerDeparted', async () => {
    const { catalog, clock, scheduler, rtt } = setup({ purgeAfterMs: 4000, withScheduler: true });
    expect(scheduler.next()).toBe(T0 + 4001);
    clock.now = T0 + 1000;
    catalog.receiveGossip(signedOf(a, { nowMs: T0 })); // expires after T0 + 4000
    catalog.receiveGossip(signedOf(b, { nowMs: T0 + 1000 }));
    expect(scheduler.next()).toBe(T0 + 4001);
    rtt.sample(a.peerId, 5);
    const sub = catalog.events.subscribe();
    scheduler.advance(T0 + 4001);
    expect(await take(sub, 1)).toEqual([{ type: 'peerDeparted', peerId: a.peerId }]);
    expect(rtt.get(a.peerId)).toBeUndefined();
    expect(catalog.snapshot().signedPeersCount()).toBe(1);
    expect(scheduler.next()).toBe(T0 + 5001); // re-armed to b's expiry
    scheduler.advance(T0 + 5001);
    expect(catalog.snapshot().signedPeersCount()).toBe(0);
    expect(scheduler.next()).toBe(T0 + 5001 + 4001);
    catalog.close();
    expect(scheduler.next()).toBeUndefined();
  });

  it('a gossiped entry re-arms the timer only when it could expire before the armed time', () => {
    const { catalog, clock, scheduler } = setup({ purgeAfterMs: 4000, withScheduler: true });
    catalog.receiveGossip(signedOf(a, { nowMs: T0 }));
    clock.now = T0 + 1000;
    catalog.receiveGossip(signedOf(b, { nowMs: T0 + 1000 }));
    clock.now = T0 + 2000;
    // a's heartbeat moves its expiry later: the armed timer is early now, not late.
    expect(catalog.receiveGossip(signedOf(a, { nowMs: T0 + 2000, tags: ['beat'] })).result).toBe('updated');
    expect(scheduler.next()).toBe(T0 + 4001);
    // It fires, finds nothing stale, and re-arms to the earliest expiry (b's).
    scheduler.advance(T0 + 4001);
    expect(catalog.snapshot().signedPeersCount()).toBe(2);
    expect(scheduler.next()).toBe(T0 + 5001);
    // An entry that expires before that brings the timer forward.
    expect(catalog.receiveGossip(signedOf(c, { nowMs: T0 + 500 })).result).toBe('new');
    expect(scheduler.next()).toBe(T0 + 4501);
    scheduler.advance(T0 + 4501);
    expect(catalog.snapshot().signedPeersCount()).toBe(2);
    catalog.close();
  });

  it('stretches the horizon by the grace read at each judgement, for reads and the purge timer', async () => {
    let grace = 0;
    const { catalog, clock, scheduler } = setup({
      purgeAfterMs: 4000,
      withScheduler: true,
      graceMs: () => grace,
    });
    catalog.receiveGossip(signedOf(a, { nowMs: T0 }));
    expect(catalog.horizonMs()).toBe(4000);
    grace = 1500; // the process started running late
    expect(catalog.horizonMs()).toBe(5500);
    clock.now = T0 + 5000;
    expect(catalog.snapshot().signedPeersCount()).toBe(1);
    // The timer armed before the grace grew fires at the old horizon and finds nothing stale.
    scheduler.advance(T0 + 4001);
    expect(catalog.snapshot().signedPeersCount()).toBe(1);
    expect(scheduler.next()).toBe(T0 + 5501);
    grace = 0; // healthy again: the entry is stale at once
    expect(catalog.snapshot().signedPeersCount()).toBe(0);
    const sub = catalog.events.subscribe();
    catalog.purgeStale();
    expect(await take(sub, 1)).toEqual([{ type: 'peerDeparted', peerId: a.peerId }]);
    catalog.close();
  });

  it('nextPurgeDelay is 0 for an already stale entry', () => {
    const { catalog, clock } = setup({ purgeAfterMs: 1000 });
    catalog.feed(signedOf(a));
    clock.now = T0 + 5000;
    expect(catalog.nextPurgeDelay()).toBe(0);
    expect(catalog.purgeStale()).toEqual([{ type: 'peerDeparted', peerId: a.peerId }]);
  });
});

describe('PeerInfo', () => {
  it('exposes the entry’s id, network and tags, and the strict rttBelow', () => {
    const { catalog, rtt } = setup();
    const s = signedOf(a, { tags: ['x'] });
    catalog.feed(s);
    rtt.sample(a.peerId, 150);
    const info = catalog.snapshot().peerInfo(a.peerId);
    expect(info?.peerId.equals(a.peerId)).toBe(true);
    expect(info?.network.equals(NET)).toBe(true);
    expect(info?.tags.map(String)).toEqual([id('x').toString()]);
    expect(info?.rttBelow(200)).toBe(true);
    expect(info?.rttBelow(100)).toBe(false);
    expect(catalog.snapshot().peerInfo(b.peerId)).toBeUndefined();
  });
});

describe('Catalog watch', () => {
  it('notifies watchers of every change', async () => {
    const { catalog } = setup();
    const changed = catalog.watch.changed();
    catalog.feed(signedOf(a));
    expect((await changed).signedPeersCount()).toBe(1);
    const reached = catalog.watch.until((s) => s.peersCount() === 2);
    catalog.insertUnsigned(entryOf(b));
    expect((await reached).peersCount()).toBe(2);
  });
});
