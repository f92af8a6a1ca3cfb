import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bestCluster, clusterViews, mergeTarget, raftVerdict } from './cluster-merge.js';

const r = (cluster: string, commit: number, yieldTo = '') => ({ cluster, commit, yield: yieldTo });

describe('cluster merge', () => {
  it('the longer log wins, ties go to the lower cluster id', () => {
    const view = clusterViews([r('b', 7), r('a', 5)]);
    expect(mergeTarget('a', view)).toBe('b');
    expect(mergeTarget('b', view)).toBe('');
    const tie = clusterViews([r('b', 5), r('a', 5)]);
    expect(mergeTarget('b', tie)).toBe('a');
    expect(mergeTarget('a', tie)).toBe('');
  });

  it('a decision one member made is kept even when the loser’s commit overtakes', () => {
    // Cluster a yields to b (some member decided), then a's no-op made it longer.
    const view = clusterViews([r('a', 9, 'b'), r('b', 7)]);
    expect(mergeTarget('a', view)).toBe('b');
    expect(mergeTarget('b', view)).toBe('');
  });

  it('mutual yields fall back to the indices', () => {
    const view = clusterViews([r('a', 9, 'b'), r('b', 7, 'a')]);
    expect(mergeTarget('a', view)).toBe('');
    expect(mergeTarget('b', view)).toBe('a');
  });

  it('exactly one of two settled clusters yields (property)', () => {
    fc.assert(
      fc.property(
        fc.tuple(fc.string({ minLength: 1 }), fc.string({ minLength: 1 })).filter(([a, b]) => a !== b),
        fc.nat(100),
        fc.nat(100),
        ([a, b], ca, cb) => {
          const view = clusterViews([r(a, ca), r(b, cb)]);
          const yields = [mergeTarget(a, view) === b, mergeTarget(b, view) === a];
          expect(yields.filter(Boolean)).toHaveLength(1);
        },
      ),
    );
  });

  it('a fresh member joins the best settled cluster and adopts only its batches', () => {
    const view = clusterViews([r('a', 3, 'b'), r('b', 2), r('c', 1)]);
    expect(bestCluster(view)).toBe('b');
    const verdict = (from: string, mine = '', yieldTo = '') =>
      raftVerdict({ from, mine, yieldTo, view: () => view });
    expect(verdict('b')).toBe('adopt');
    expect(verdict('a')).toBe('drop');
    expect(verdict('')).toBe('drop');
    expect(verdict('a', 'a')).toBe('accept');
    expect(verdict('b', 'a', 'b')).toBe('reset');
    expect(verdict('c', 'a', 'b')).toBe('drop');
  });
});
