import { describe, expect, it } from 'vitest';
import { runBroadcastScenario } from './scenario.js';
import { GossipSimulator } from './simulator.js';

describe('gossip simulator', () => {
  it('is deterministic for a seed', () => {
    const opts = { nodes: 60, broadcasts: 5, crashFraction: 0.2, seed: 11, settleMs: 5_000 };
    expect(runBroadcastScenario(opts)).toEqual(runBroadcastScenario(opts));
  });

  it('crashed nodes stop, and their neighbours notice after the detection delay', () => {
    const sim = new GossipSimulator(10, { seed: 3, failureDetectionMs: 1000 });
    for (let i = 1; i < 10; i++) sim.schedule(i, { type: 'join', peers: [{ id: 0 }] }, i);
    sim.runFor(2_000);
    const neighbours = sim.engines[0]?.neighbors() ?? [];
    expect(neighbours.length).toBeGreaterThan(0);
    sim.crash([0]);
    sim.runFor(999);
    expect(sim.engines[neighbours[0] as number]?.neighbors()).toContain(0);
    sim.runFor(2);
    for (const n of neighbours) expect(sim.engines[n]?.neighbors()).not.toContain(0);
  });

  it('delivers to every node of a small overlay and repairs after crashes', () => {
    const report = runBroadcastScenario({
      nodes: 100,
      broadcasts: 10,
      crashFraction: 0.3,
      seed: 5,
      settleMs: 10_000,
    });
    expect(report.healthy.deliveryRatio).toBe(1);
    expect(report.afterCrash?.connected).toBe(true);
    expect(report.afterCrash?.deliveryRatio).toBe(1);
  });
});
