import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { probeRound } from './probe.js';

const ids = (n: number) => Array.from({ length: n }, (_, i) => `p${String(i).padStart(3, '0')}`);

describe('probeRound', () => {
  it('probes every peer of a swarm no larger than the bound', () => {
    expect(probeRound(ids(5), new Map(), 16).sort()).toEqual(ids(5));
  });

  it('never-probed peers first, then the longest ago', () => {
    const peers = ids(4);
    const last = new Map([
      ['p000', 30],
      ['p001', 10],
      ['p003', 20],
    ]);
    expect(probeRound(peers, last, 2)).toEqual(['p002', 'p001']);
  });

  it('covers a large swarm in ⌈n / limit⌉ rounds, each of `limit` peers', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 200 }), fc.integer({ min: 1, max: 32 }), (n, limit) => {
        const peers = ids(n);
        const last = new Map<string, number>();
        const seen = new Set<string>();
        const rounds = Math.ceil(n / limit);
        for (let round = 0; round < rounds; round++) {
          const picked = probeRound(peers, last, limit);
          expect(picked.length).toBe(Math.min(n, limit));
          for (const p of picked) {
            seen.add(p);
            last.set(p, round);
          }
        }
        expect(seen.size).toBe(n);
      }),
    );
  });
});
