/**
 * The bond's heartbeat policy, on a scripted link and fake timers: a bond pings every period
 * while it carries nothing else, only every few periods while Raft traffic keeps it alive, and
 * while its group says it may stay quiet, only after a few periods with nothing else sent.
 */
import { SecretKey } from '@mosaik/id';
import { createLogger, createMetrics } from '@mosaik/metrics';
import { type CloseInfo, LinkClosedError } from '@mosaik/transport';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Bond } from './bond.js';
import type { BondLink } from './link.js';
import { GroupsMetrics } from './metrics.js';
import { decodeBondMessage, encodeWire, WireType } from './wire.js';

const INTERVAL = 100;

const STATUS = { cluster: 'c', yield: '', term: 1, commit: 0, lead: '', pref: 0, inc: '' } as const;

/**
 * A link that records what is sent and receives nothing until closed, or, with `peerPings`, a
 * ping from the peer every period (so the bond never times out).
 */
function scriptedLink(peerPings = false): BondLink & { sent: Uint8Array[]; end(): void } {
  let ended: (info: CloseInfo) => void = () => {};
  const closed = new Promise<CloseInfo>((r) => {
    ended = r;
  });
  let isClosed = false;
  const link = {
    remoteId: SecretKey.generate().peerId,
    sent: [] as Uint8Array[],
    sendRaw: async (payload: Uint8Array) => {
      link.sent.push(payload);
    },
    recvRaw: async () => {
      if (peerPings && !isClosed) {
        const ping = new Promise<Uint8Array>((r) =>
          setTimeout(() => r(encodeWire({ t: WireType.Ping, status: STATUS })), INTERVAL),
        );
        const arrived = await Promise.race([ping, closed]);
        if (arrived instanceof Uint8Array) return arrived;
      }
      throw new LinkClosedError(await closed);
    },
    close: async () => link.end(),
    closed: () => closed,
    get isClosed() {
      return isClosed;
    },
    rtt: () => undefined,
    end: () => {
      isClosed = true;
      ended({ code: 0, reason: '', local: true });
    },
  };
  return link;
}

/** A bond on `link`; without `maxMissed`, one that never times out within a test. */
function open(link: BondLink, quiet?: () => boolean, maxMissed = 1_000_000): Bond {
  const bond = new Bond(link, link.remoteId, {
    heartbeatInterval: INTERVAL,
    maxMissedHeartbeats: maxMissed,
    metrics: new GroupsMetrics(createMetrics()),
    group: 'g',
    logger: createLogger({ level: 'silent' }),
  });
  bond.start({
    message: () => {},
    closed: () => {},
    status: () => STATUS,
    revalidate: () => false,
    ...(quiet === undefined ? {} : { quiet }),
  });
  return bond;
}

const pings = (sent: readonly Uint8Array[]) =>
  sent.filter((p) => decodeBondMessage(p).t === WireType.Ping).length;

describe('bond heartbeat', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('pings every period while idle', async () => {
    const link = scriptedLink();
    const bond = open(link);
    await vi.advanceTimersByTimeAsync(30 * INTERVAL);
    // The first ping goes at start, then one per period.
    expect(pings(link.sent)).toBe(31);
    await bond.close();
  });

  it('pings every third period while Raft messages keep the bond busy', async () => {
    const link = scriptedLink();
    const bond = open(link);
    for (let t = 0; t < 30 * INTERVAL; t += 20) {
      bond.send({ t: WireType.Raft, c: 'c', msgs: [Uint8Array.of(1)] });
      await vi.advanceTimersByTimeAsync(20);
    }
    const n = pings(link.sent);
    expect(n).toBeGreaterThanOrEqual(10);
    expect(n).toBeLessThanOrEqual(12);
    await bond.close();
  });

  it('pings every third period while idle and quiet (six missed periods close it), every period again once it is not', async () => {
    const link = scriptedLink(true);
    let quiet = true;
    const bond = open(link, () => quiet, 6);
    await vi.advanceTimersByTimeAsync(30 * INTERVAL);
    // The first ping at start, then one every third period.
    expect(pings(link.sent)).toBe(11);
    quiet = false;
    await vi.advanceTimersByTimeAsync(10 * INTERVAL);
    expect(pings(link.sent)).toBe(21);
    await bond.close();
  });

  it('sends no ping while quiet as long as other messages go out at least every third period', async () => {
    const link = scriptedLink(true);
    const bond = open(link, () => true, 6);
    // Raft traffic every other period, as a leader's appends or heartbeats to a paced learner.
    for (let t = 0; t < 30 * INTERVAL; t += 2 * INTERVAL) {
      bond.send({ t: WireType.Raft, c: 'c', msgs: [Uint8Array.of(1)] });
      await vi.advanceTimersByTimeAsync(2 * INTERVAL);
    }
    // Only the ping at start.
    expect(pings(link.sent)).toBe(1);
    // Silence again: the pings come back, one every third period.
    await vi.advanceTimersByTimeAsync(30 * INTERVAL);
    expect(pings(link.sent)).toBeGreaterThanOrEqual(10);
    expect(pings(link.sent)).toBeLessThanOrEqual(11);
    await bond.close();
  });

  it('spaces a quiet bond’s pings by half the silence that closes a bond', async () => {
    const link = scriptedLink(true);
    const bond = open(link, () => true, 10);
    await vi.advanceTimersByTimeAsync(30 * INTERVAL);
    // The ping at start, then one every fifth period.
    expect(pings(link.sent)).toBe(7);
    await bond.close();
  });

  it('closes a silent bond after the missed periods, a quiet one after twice as many', async () => {
    const loud = scriptedLink();
    const quiet = scriptedLink();
    const loudBond = open(loud, undefined, 6);
    const quietBond = open(quiet, () => true, 6);
    await vi.advanceTimersByTimeAsync(8 * INTERVAL);
    expect(loud.isClosed).toBe(true);
    expect(quiet.isClosed).toBe(false);
    await vi.advanceTimersByTimeAsync(6 * INTERVAL);
    expect(quiet.isClosed).toBe(true);
    await Promise.all([loudBond.terminated(), quietBond.terminated()]);
  });

  it('stays loud when fewer than six missed periods close a bond: half of them leaves no margin', async () => {
    const link = scriptedLink(true);
    const bond = open(link, () => true, 5);
    await vi.advanceTimersByTimeAsync(10 * INTERVAL);
    expect(pings(link.sent)).toBe(11);
    await bond.close();
  });
});
