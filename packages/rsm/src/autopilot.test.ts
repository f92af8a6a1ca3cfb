import { describe, expect, it } from 'vitest';
import { type MemberView, nextChange, oddFloor } from './autopilot.js';

function m(id: string, over: Partial<MemberView> = {}): MemberView {
  return {
    id,
    reachable: true,
    unreachableFor: 0,
    departed: false,
    pref: 0,
    match: 10,
    joinable: true,
    ...over,
  };
}

function run(voters: string[], learners: string[], members: MemberView[], maxVoters = 5) {
  return nextChange({
    self: 'a',
    conf: { voters, learners },
    commit: 10,
    members: new Map(members.map((x) => [x.id, x])),
    maxVoters,
    deadMemberTimeout: 1000,
  });
}

describe('autopilot', () => {
  it('keeps the voter count odd', () => {
    expect([0, 1, 2, 3, 4, 5, 6].map(oddFloor)).toEqual([1, 1, 1, 3, 3, 5, 5]);
  });

  it('demotes a voter back without its log first, and removes such a learner to add it again', () => {
    const back = m('b', { backWithoutLog: true });
    expect(run(['a', 'b', 'c'], [], [m('a'), back, m('c', { departed: true })])).toEqual({
      type: 'add-learner',
      node: 'b',
    });
    expect(run(['a', 'c'], ['b'], [m('a'), back, m('c')])).toEqual({ type: 'remove', node: 'b' });
    expect(run(['a', 'c', 'd'], ['b'], [m('a'), m('b'), m('c'), m('d')])).toBeUndefined();
  });

  it('adds a reachable newcomer as a learner, never one of another cluster', () => {
    expect(run(['a'], [], [m('a'), m('b')])).toEqual({ type: 'add-learner', node: 'b' });
    expect(run(['a'], [], [m('a'), m('b', { joinable: false })])).toBeUndefined();
  });

  it('adds every reachable newcomer in one change, learners only', () => {
    const members = [
      m('a'),
      m('b'),
      m('c'),
      m('e'),
      m('d'),
      m('f', { reachable: false }),
      m('g', { joinable: false }),
    ];
    expect(run(['a', 'b', 'c'], [], members)).toEqual({ type: 'add-learners', nodes: ['d', 'e'] });
  });

  it('removes a member that went over to another cluster (merge), voter or learner', () => {
    expect(run(['a', 'b', 'c'], ['d'], [m('a'), m('b', { foreign: true }), m('c'), m('d')])).toEqual({
      type: 'remove',
      node: 'b',
    });
    expect(run(['a'], ['d'], [m('a'), m('d', { foreign: true })])).toEqual({ type: 'remove', node: 'd' });
  });

  it('promotes caught-up learners to an odd count up to maxVoters, normal before reluctant', () => {
    const members = [m('a'), m('b', { pref: 1 }), m('c')];
    expect(run(['a'], ['b', 'c'], members)).toEqual({ type: 'add-voter', node: 'c' });
    expect(run(['a', 'c'], ['b'], members)).toEqual({ type: 'add-voter', node: 'b' });
    // A lagging learner waits.
    expect(run(['a'], ['b', 'c'], [m('a'), m('b', { match: 3 }), m('c', { match: 3 })])).toBeUndefined();
    // Never above maxVoters.
    const many = ['a', 'b', 'c', 'd', 'e'];
    expect(
      run(
        many,
        ['f', 'g'],
        [...many, 'f', 'g'].map((id) => m(id)),
      ),
    ).toBeUndefined();
  });

  it('never promotes observers and demotes an observer voter', () => {
    expect(run(['a'], ['b', 'c'], [m('a'), m('b', { pref: 2 }), m('c', { pref: 2 })])).toBeUndefined();
    expect(run(['a', 'b', 'c'], [], [m('a'), m('b', { pref: 2 }), m('c')])).toEqual({
      type: 'add-learner',
      node: 'b',
    });
  });

  it('removes departed and long-unreachable members, never itself', () => {
    expect(run(['a', 'b', 'c'], [], [m('a'), m('b', { departed: true }), m('c')])).toEqual({
      type: 'remove',
      node: 'b',
    });
    expect(
      run(['a', 'b', 'c'], [], [m('a'), m('b'), m('c', { reachable: false, unreachableFor: 1500 })]),
    ).toEqual({
      type: 'remove',
      node: 'c',
    });
    expect(
      run(['a', 'b', 'c'], [], [m('a'), m('b'), m('c', { reachable: false, unreachableFor: 500 })]),
    ).toBeUndefined();
  });

  it('grows from one voter to three through an even count without flapping back', () => {
    // b is caught up, c lags: b is promoted although the next step is not possible yet.
    expect(run(['a'], ['b', 'c'], [m('a'), m('b'), m('c', { match: 3 })])).toEqual({
      type: 'add-voter',
      node: 'b',
    });
    // Two voters while c catches up: nobody is demoted.
    expect(run(['a', 'b'], ['c'], [m('a'), m('b'), m('c', { match: 3 })])).toBeUndefined();
    expect(run(['a', 'b'], ['c'], [m('a'), m('b'), m('c')])).toEqual({ type: 'add-voter', node: 'c' });
    // Once c can no longer vote (unreachable or an observer), the even count is cut back.
    for (const c of [m('c', { reachable: false, unreachableFor: 10 }), m('c', { pref: 2 })])
      expect(run(['a', 'b'], ['c'], [m('a'), m('b'), c])).toEqual({ type: 'add-learner', node: 'b' });
  });

  it('demotes a surplus voter, the unreachable one first', () => {
    expect(
      run(
        ['a', 'b', 'c', 'd'],
        [],
        [m('a'), m('b'), m('c', { reachable: false, unreachableFor: 10 }), m('d')],
      ),
    ).toEqual({
      type: 'add-learner',
      node: 'c',
    });
  });
});
