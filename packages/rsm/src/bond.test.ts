/**
 * The bond's heartbeat policy, on a scripted link and fake timers: a bond pings every period
 * while it carries nothing else, and only every few periods while Raft traffic keeps it alive or
 * its group says it may stay quiet.
 */
import { SecretKey } from '@mosaik/id';
import { createLogger, createMetrics } from '@mosaik/metrics';
import { type CloseInfo, LinkClosedError } from '@mosaik/transport';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Bond } from './bond.js';
import type { BondLink } from './link.js';
import { GroupsMetrics } from './metrics.js';
import { decodeBondMessage, WireType } from './wire.js';

const INTERVAL = 100;

/** A link that records what is sent and never receives (until closed). */
function scriptedLink(): BondLink & { sent: Uint8Array[]; end(): void } {
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

function open(link: BondLink, quiet?: () => boolean): Bond {
  const bond = new Bond(link, link.remoteId, {
    heartbeatInterval: INTERVAL,
    // Nothing is ever received here: never time out within the test.
    maxMissedHeartbeats: 1_000_000,
    metrics: new GroupsMetrics(createMetrics()),
    group: 'g',
    logger: createLogger({ level: 'silent' }),
  });
  bond.start({
    message: () => {},
    closed: () => {},
    status: () => ({ cluster: 'c', yield: '', term: 1, commit: 0, lead: '', pref: 0, inc: '' }),
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

  it('pings every third period while idle and quiet, every period again once it is not', async () => {
    const link = scriptedLink();
    let quiet = true;
    const bond = open(link, () => quiet);
    await vi.advanceTimersByTimeAsync(30 * INTERVAL);
    // The first ping at start, then one every third period.
    expect(pings(link.sent)).toBe(11);
    quiet = false;
    await vi.advanceTimersByTimeAsync(10 * INTERVAL);
    expect(pings(link.sent)).toBe(21);
    await bond.close();
  });
});
