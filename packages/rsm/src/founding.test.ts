import { describe, expect, it } from 'vitest';
import { type FoundingInput, shouldFound } from './founding.js';

const base: FoundingInput = {
  self: 'b',
  pref: 0,
  fresh: true,
  cluster: '',
  now: 10_000,
  startedAt: 0,
  bootstrapDelay: 3000,
  bootstrapExpect: 1,
  deadMemberTimeout: 30_000,
  visible: [],
};

describe('shouldFound', () => {
  it('founds alone once the bootstrap delay passed, not before', () => {
    expect(shouldFound(base)).toBe(true);
    expect(shouldFound({ ...base, now: 2999 })).toBe(false);
  });

  it('never founds as an observer, with a log, or inside a cluster', () => {
    expect(shouldFound({ ...base, pref: 2 })).toBe(false);
    expect(shouldFound({ ...base, fresh: false })).toBe(false);
    expect(shouldFound({ ...base, cluster: 'c' })).toBe(false);
  });

  it('leaves founding to a lower id unless that one is an observer', () => {
    const lower = { id: 'a', bonded: true, status: { cluster: '', pref: 0 as const } };
    expect(shouldFound({ ...base, visible: [lower] })).toBe(false);
    expect(shouldFound({ ...base, visible: [{ ...lower, status: { cluster: '', pref: 2 } }] })).toBe(true);
    expect(shouldFound({ ...base, visible: [{ ...lower, id: 'c' }] })).toBe(true);
  });

  it('joins instead when any visible member already belongs to a cluster', () => {
    const member = { id: 'z', bonded: true, status: { cluster: 'x', pref: 0 as const } };
    expect(shouldFound({ ...base, visible: [member] })).toBe(false);
  });

  it('a member of unknown state blocks founding until it stayed unreachable long enough', () => {
    const unknown = { id: 'z', bonded: false, status: undefined };
    expect(shouldFound({ ...base, visible: [unknown] })).toBe(false);
    expect(shouldFound({ ...base, now: 29_999, visible: [unknown] })).toBe(false);
    expect(shouldFound({ ...base, now: 30_000, visible: [unknown] })).toBe(true);
    // Bonded but silent: never skipped, it may be about to report a cluster.
    expect(shouldFound({ ...base, now: 90_000, visible: [{ ...unknown, bonded: true }] })).toBe(false);
  });

  it('with bootstrapExpect, waits for that many would-be members, observers and unknowns not counted', () => {
    const fresh = (id: string, pref: 0 | 2 = 0) => ({ id, bonded: true, status: { cluster: '', pref } });
    const three = { ...base, self: 'a', bootstrapExpect: 3 };
    expect(shouldFound(three)).toBe(false);
    expect(shouldFound({ ...three, now: 1e9, visible: [fresh('b')] })).toBe(false);
    expect(shouldFound({ ...three, visible: [fresh('b'), fresh('c', 2)] })).toBe(false);
    expect(shouldFound({ ...three, visible: [fresh('b'), fresh('c')] })).toBe(true);
    // Only the lowest id founds; the others join it.
    expect(shouldFound({ ...three, self: 'b', visible: [fresh('a'), fresh('c')] })).toBe(false);
    // A member long unreachable is skipped, but does not count either.
    const gone = { id: 'c', bonded: false, status: undefined };
    expect(shouldFound({ ...three, now: 1e9, visible: [fresh('b'), gone] })).toBe(false);
  });
});
