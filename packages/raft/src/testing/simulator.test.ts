import { describe, expect, it } from 'vitest';
import { type Message, MessageType } from '../types.js';
import { simulate } from './simulator.js';

const SEEDS = Number(process.env.RAFT_SIM_SEEDS ?? 100);

describe('simulator', () => {
  it(`keeps every safety invariant, stays live and linearizable over ${SEEDS} seeds`, () => {
    const failures: string[] = [];
    let ops = 0;
    let elections = 0;
    let snapshots = 0;
    for (let seed = 1; seed <= SEEDS; seed++) {
      const r = simulate({ seed, steps: 2000 });
      ops += r.operations;
      elections += r.elections;
      snapshots += r.snapshotsSent;
      if (r.violations.length > 0 || r.linearizability === 'illegal' || !r.live) {
        failures.push(`seed ${seed}: ${r.violations.join('; ')} linearizability=${r.linearizability}`);
      }
    }
    expect(failures).toEqual([]);
    // The workload and the faults really happened.
    expect(ops).toBeGreaterThan(SEEDS * 50);
    expect(elections).toBeGreaterThan(SEEDS);
    expect(snapshots).toBeGreaterThan(SEEDS / 2);
  });

  it('detects a protocol violation (voters that grant every vote)', () => {
    const tamper = (m: Message): Message =>
      m.t === MessageType.VoteResp || m.t === MessageType.PreVoteResp ? { ...m, reject: false } : m;
    const found = new Set<string>();
    for (let seed = 1; seed <= 30; seed++) {
      for (const v of simulate({ seed, steps: 2000, tamper }).violations)
        found.add(v.replace(/^t=\d+: /, '').split(':')[0]!);
    }
    expect(found.size).toBeGreaterThan(0);
    expect(
      [...found].some((v) => /election safety|leader completeness|state machine safety|log matching/.test(v)),
    ).toBe(true);
  });

  it('reproduces a seed exactly', () => {
    const a: string[] = [];
    const b: string[] = [];
    const ra = simulate({ seed: 42, steps: 800, trace: (l) => a.push(l) });
    const rb = simulate({ seed: 42, steps: 800, trace: (l) => b.push(l) });
    expect(a.length).toBeGreaterThan(10);
    expect(b).toEqual(a);
    expect(rb).toEqual(ra);
    const c: string[] = [];
    simulate({ seed: 43, steps: 800, trace: (l) => c.push(l) });
    expect(c).not.toEqual(a);
  });
});
