import { id, type PeerId, SecretKey } from '@mosaik/id';
import { describe, expect, it } from 'vitest';
import {
  authorizeEntry,
  bondQuiet,
  bondWanted,
  DialBackoff,
  dialOrder,
  dialPlan,
  revalidate,
  SEEKING_DIALS,
  shouldDial,
  visibleMembers,
} from './admission.js';

const peer = () => SecretKey.generate().peerId;
const validator = {} as never;

describe('admission', () => {
  it('authorizes everyone without validators, else by the entry’s tickets', () => {
    expect(authorizeEntry([], undefined).ok).toBe(true);
    expect(authorizeEntry([validator], undefined)).toMatchObject({ ok: false, unknown: true });
    expect(authorizeEntry([validator], { validateTickets: () => undefined })).toMatchObject({ ok: true });
    const bad = {
      validateTickets: () => {
        throw new Error('expired');
      },
    };
    expect(authorizeEntry([validator], bad)).toMatchObject({ ok: false, unknown: false });
  });

  it('lists the authorized peers of the group, never ourselves', () => {
    const group = id('g');
    const [self, a, b, c] = [peer(), peer(), peer(), peer()];
    const listed = [self, a, b, c].map((p, i) => ({ peerId: p, entry: { hasGroup: () => i !== 2 } }));
    const out = visibleMembers(self, group, listed, (p) =>
      p.equals(c) ? { ok: false, unknown: false, reason: 'no' } : { ok: true, expires: undefined },
    );
    expect(out.map(String)).toEqual([a.toString()]);
  });

  it('backs off a failed peer for the given delay, and bonding clears it', () => {
    const [self, p] = [peer(), peer()];
    const backoff = new DialBackoff();
    const dial = (now: number, bonded = false) => shouldDial({ peer: p, self, bonded, backoff, now });
    expect(dial(0)).toBe(true);
    backoff.failed(p.toString(), 100, 1000);
    expect(dial(1099)).toBe(false);
    expect(dial(1100)).toBe(true);
    expect(dial(1100, true)).toBe(false);
    expect(shouldDial({ peer: self, self, bonded: false, backoff, now: 0 })).toBe(false);
    backoff.failed(p.toString(), 2000, 1000);
    backoff.clear(p.toString());
    expect(dial(2001)).toBe(true);
  });

  it('bonds every pair except two learners of a configuration with all its voters', () => {
    const conf = { voters: ['v1', 'v2', 'v3'], learners: ['l1', 'l2', 'o1'] };
    const wanted = (self: string, peer: string) => bondWanted(conf, self, peer, 3);
    expect(wanted('v1', 'v2')).toBe(true);
    expect(wanted('v1', 'l1')).toBe(true);
    expect(wanted('l1', 'v3')).toBe(true);
    expect(wanted('l1', 'l2')).toBe(false);
    expect(wanted('o1', 'l1')).toBe(false);
    // Outside the configuration (a newcomer, another cluster's member, or ourselves not in it yet).
    expect(wanted('l1', 'new')).toBe(true);
    expect(wanted('new', 'l1')).toBe(true);
    expect(bondWanted({ voters: [], learners: [] }, 'a', 'b', 3)).toBe(true);
    // Fewer voters than the group may have: learners are about to be promoted, they stay bonded.
    expect(bondWanted(conf, 'l1', 'l2', 5)).toBe(true);
    const [a, b] = [peer(), peer()];
    const backoff = new DialBackoff();
    expect(shouldDial({ peer: b, self: a, bonded: false, backoff, now: 0 })).toBe(true);
    expect(shouldDial({ peer: b, self: a, bonded: false, wanted: false, backoff, now: 0 })).toBe(false);
  });

  it('dials what each member needs: a voter everyone, others the voters and the reported leaders', () => {
    const conf = { voters: ['v1', 'v2', 'v3'], learners: ['l1', 'l2'] };
    const inCluster = { cluster: 'c', lead: 'v2' };
    expect(dialPlan(conf, 'v1', [])).toEqual({ targets: undefined, budget: Number.POSITIVE_INFINITY });
    expect(dialPlan(conf, 'l1', [inCluster])).toEqual({
      targets: new Set(['v1', 'v2', 'v3']),
      budget: Number.POSITIVE_INFINITY,
    });
    // Outside the configuration it knows (removed, or catching up from an older snapshot).
    expect(dialPlan(conf, 'x', [{ cluster: 'c', lead: 'v4' }]).targets).toEqual(
      new Set(['v1', 'v2', 'v3', 'v4']),
    );
    const empty = { voters: [], learners: [] };
    // A newcomer that met a member of a cluster dials its leader only.
    expect(dialPlan(empty, 'n', [undefined, { cluster: '', lead: '' }, inCluster]).targets).toEqual(
      new Set(['v2']),
    );
    // Nobody known yet: everyone, a few at a time.
    expect(dialPlan(empty, 'n', [{ cluster: '', lead: '' }])).toEqual({
      targets: undefined,
      budget: SEEKING_DIALS,
    });
    expect(dialPlan(empty, 'n', [{ cluster: 'c', lead: '' }]).targets).toBeUndefined();
  });

  it('orders dials around the ring of ids from the next one after ourselves', () => {
    const ps = Array.from({ length: 6 }, () => peer()).sort((a, b) => (a.toString() < b.toString() ? -1 : 1));
    const [p0, p1, p2, p3, p4, p5] = ps as [PeerId, PeerId, PeerId, PeerId, PeerId, PeerId];
    expect(dialOrder(p2, [p5, p0, p3, p1, p4]).map(String)).toEqual([p3, p4, p5, p0, p1].map(String));
    expect(dialOrder(p5, [p1, p0]).map(String)).toEqual([p0, p1].map(String));
  });

  it('quiets the bonds between learners and the voters that do not lead, once the voters are all there', () => {
    const conf = { voters: ['v1', 'v2', 'v3'], learners: ['l1', 'l2'] };
    const quiet = (self: string, peer: string, lead = 'v1', maxVoters = 3) =>
      bondQuiet(conf, self, peer, lead, maxVoters);
    expect(quiet('l1', 'v2')).toBe(true);
    expect(quiet('v3', 'l2')).toBe(true);
    // The leader's bonds, and the voters' among themselves, keep their pace.
    expect(quiet('l1', 'v1')).toBe(false);
    expect(quiet('v1', 'l2')).toBe(false);
    expect(quiet('v2', 'v3')).toBe(false);
    // No leader known (an election): every learner bond is quiet, the voters' are not.
    expect(quiet('l1', 'v1', '')).toBe(true);
    expect(quiet('v1', 'v2', '')).toBe(false);
    // Peers outside the configuration (newcomers) and groups still forming are never quiet.
    expect(quiet('v2', 'new')).toBe(false);
    expect(quiet('l1', 'new')).toBe(false);
    expect(quiet('new', 'v2')).toBe(false);
    expect(quiet('l1', 'l2')).toBe(false);
    expect(quiet('l1', 'v2', 'v1', 5)).toBe(false);
  });

  it('quiets the leader’s bonds with its learners too when it paces them (more learners than voters)', () => {
    const conf = { voters: ['v1', 'v2', 'v3'], learners: ['l1', 'l2', 'l3', 'l4'] };
    const quiet = (self: string, peer: string) => bondQuiet(conf, self, peer, 'v1', 3);
    expect(quiet('v1', 'l2')).toBe(true);
    expect(quiet('l4', 'v1')).toBe(true);
    expect(quiet('l1', 'v3')).toBe(true);
    expect(quiet('v1', 'v2')).toBe(false);
    expect(quiet('v1', 'new')).toBe(false);
    // Three learners are not paced by three voters: the leader's bonds keep their pace.
    const three = { voters: ['v1', 'v2', 'v3'], learners: ['l1', 'l2', 'l3'] };
    expect(bondQuiet(three, 'v1', 'l2', 'v1', 3)).toBe(false);
  });

  it('revalidation keeps passing bonds with their expiry and drops the rest', () => {
    const [a, b] = [peer(), peer()];
    const { keep, drop } = revalidate([{ peer: a }, { peer: b }], (p) =>
      p.equals(a) ? { ok: true, expires: undefined } : { ok: false, unknown: false, reason: 'revoked' },
    );
    expect(keep.map((k) => k.bond.peer)).toEqual([a]);
    expect(drop.map((d) => d.peer)).toEqual([b]);
  });
});
