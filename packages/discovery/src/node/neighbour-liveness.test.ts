import { describe, expect, it } from 'vitest';
import { judgeNeighbours, type NeighbourState, probeFailed, probeTimeoutMs } from './neighbour-liveness.js';

const SILENT_MS = 5_400;
const heard = (lastHeard: number, more: Partial<NeighbourState> = {}): NeighbourState => ({
  lastHeard,
  probing: false,
  ...more,
});

describe('gossip neighbour liveness', () => {
  it('drops a neighbour silent past the limit while others talk, and probes nobody', () => {
    const now = 10_000;
    const verdict = judgeNeighbours(
      new Map([
        ['dead', heard(now - 6_000)],
        ['quiet', heard(now - 3_000)],
        ['talking', heard(now - 100)],
      ]),
      now,
      SILENT_MS,
    );
    expect(verdict).toEqual({ probe: [], drop: ['dead'] });
  });

  it('probes every neighbour when all of them went silent (a view killed together), dropping none', () => {
    // Dropping them on silence alone would be wrong here (all silent looks like our own process
    // starving), and doing nothing kept such a node cut off until QUIC's idle timeout: the
    // probes tell the two apart.
    const now = 60_000;
    const all = new Map([
      ['a', heard(now - 20_000)],
      ['b', heard(now - 20_000)],
      ['c', heard(now - 6_000)],
    ]);
    expect(judgeNeighbours(all, now, SILENT_MS)).toEqual({ probe: ['a', 'b', 'c'], drop: [] });
  });

  it('does not probe again while a probe is out or was answered within the limit', () => {
    const now = 60_000;
    const verdict = judgeNeighbours(
      new Map([
        ['out', heard(now - 9_000, { probing: true })],
        ['answered', heard(now - 9_000, { lastAnswered: now - 2_000 })],
        ['answeredLongAgo', heard(now - 9_000, { lastAnswered: now - 6_000 })],
      ]),
      now,
      SILENT_MS,
    );
    expect(verdict).toEqual({ probe: ['answeredLongAgo'], drop: [] });
  });

  it('leaves a view alone while any neighbour is heard within the limit', () => {
    const now = 10_000;
    const quiet = new Map([
      ['a', heard(now - 5_000)],
      ['b', heard(now - 1_000)],
    ]);
    expect(judgeNeighbours(quiet, now, SILENT_MS)).toEqual({ probe: [], drop: [] });
    expect(judgeNeighbours(new Map(), now, SILENT_MS)).toEqual({ probe: [], drop: [] });
  });

  it('an unanswered probe fails the neighbour unless a frame came after it went out', () => {
    expect(probeFailed(heard(900), 1_000)).toBe(true);
    expect(probeFailed(heard(1_200), 1_000)).toBe(false);
  });

  it('waits half the silence limit for an answer, between 1 s and 5 s', () => {
    expect(probeTimeoutMs(SILENT_MS)).toBe(2_700);
    expect(probeTimeoutMs(1_500)).toBe(1_000);
    expect(probeTimeoutMs(180_000)).toBe(5_000);
  });
});
