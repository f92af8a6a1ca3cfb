/**
 * Failover with separate processes: three matchers, two traders sending a seeded random flow,
 * and the leader killed with -9 in the middle of it. Every acknowledged request must be in the
 * final state of both survivors exactly once, with the outcome the trader was told, and no
 * quantity may appear or vanish.
 *
 * `ORDERBOOK_TEST_OUT=/tmp/run` keeps every process's stdout and stderr (`/tmp/run-<i>.out|err`).
 */
import { scaled, waitFor } from 'mosaik';
import { afterEach, describe, expect, it } from 'vitest';
import { AppProcess } from '../test/app-process.js';

/** A process loads the app's TypeScript through tsx: seconds each, more with several at once. */
const STARTUP = 90_000;

const running: AppProcess[] = [];
function app(args: readonly string[], stdin: 'pipe' | 'ignore' = 'ignore'): AppProcess {
  const p = new AppProcess(args, { stdin });
  running.push(p);
  return p;
}

afterEach(async () => {
  if (process.env.ORDERBOOK_TEST_OUT) {
    const { writeFileSync } = await import('node:fs');
    running.forEach((p, i) => {
      writeFileSync(`${process.env.ORDERBOOK_TEST_OUT}-${i}.out`, p.lines.join('\n'));
      writeFileSync(`${process.env.ORDERBOOK_TEST_OUT}-${i}.err`, p.stderr);
    });
  }
  await Promise.all(running.splice(0).map((p) => p.kill()));
});

type Json = Record<string, unknown>;
interface Dump {
  digest: string;
  leader?: string;
  members: { voters: string[]; learners: string[] };
  orders: { orderId: number; remaining: string }[];
  fills: { bidOrderId: number; askOrderId: number; quantity: string }[];
  outcomes: [string, number, Json][];
}

/** Asks a matcher for its state on stdin and waits for the answer. */
async function dump(matcher: AppProcess): Promise<Dump> {
  const before = matcher.events().filter((e) => e.event === 'dump').length;
  matcher.send('dump');
  await matcher.until(
    () => matcher.events().filter((e) => e.event === 'dump').length > before,
    'a dump',
    10_000,
  );
  return matcher
    .events()
    .filter((e) => e.event === 'dump')
    .at(-1) as unknown as Dump;
}

/** Acknowledgements (of both traders) before the kill, and again after it. */
const ACKS_PER_PHASE = 60;

/** Re-evaluates `probe` every 200 ms until it returns something truthy, for up to 30 s (scaled). */
async function poll<T>(probe: () => Promise<T | false>, what: string): Promise<T> {
  return waitFor(probe, { timeout: 30_000, interval: 200, message: `waiting for ${what}` }) as Promise<T>;
}

describe('orderbook failover (heavy, multi-process)', () => {
  it('loses no acknowledged request when the leader is killed with -9 mid-flow', {
    timeout: scaled(120_000),
  }, async () => {
    const network = `orderbook-failover-${Math.random().toString(16).slice(2)}`;
    const common = ['--network', network, '--key', `${network}-key`, '--json'];
    const t0 = Date.now();
    const mark = (what: string) => process.stderr.write(`[failover] ${what} at ${Date.now() - t0} ms\n`);
    const first = app(['--role', 'matcher', ...common], 'pipe');
    const addr = String((await first.event('ready', undefined, STARTUP)).addr);
    mark('first matcher ready');
    const matchers = [
      first,
      ...[1, 2].map(() => app(['--role', 'matcher', ...common, '--bootstrap', addr], 'pipe')),
    ];
    // The traders start at once too: orders flow while the group still grows to three voters,
    // and until the test stops them (they then wait for what they have in flight).
    const traders = ['alice', 'bob'].map((name, i) =>
      app([
        '--role',
        'trader',
        ...common,
        '--bootstrap',
        addr,
        '--name',
        name,
        '--rate',
        '15',
        '--seed',
        String(i + 1),
        '--ack-timeout',
        '1500',
      ]),
    );
    const peers = await Promise.all(
      matchers.map(async (m) => String((await m.event('ready', undefined, STARTUP)).peer)),
    );
    mark('matchers ready');
    // Kill only once all three vote: with learners left, the survivors could not elect anyone.
    await poll(async () => {
      const d = await dump(first);
      return d.members.voters.length === 3 && d.leader !== undefined;
    }, 'three voters and a leader');
    mark('three voters');
    const acked = () => traders.reduce((n, t) => n + t.events().filter((e) => e.event === 'ack').length, 0);
    await first.until(() => acked() >= ACKS_PER_PHASE, `${ACKS_PER_PHASE} acknowledgements`, 60_000);

    const leader = (await dump(first)).leader;
    const victim = peers.indexOf(String(leader));
    expect(victim).toBeGreaterThanOrEqual(0);
    const ackedBeforeKill = acked();
    await matchers[victim]!.kill();
    mark(`killed the leader after ${ackedBeforeKill} acknowledgements`);
    const survivors = matchers.filter((_, i) => i !== victim);

    // The flow goes on through the failover; then the traders stop sending and wait for every
    // request they have in flight to be acknowledged.
    // (Waiting through a trader: the first matcher may be the one that was killed.)
    await traders[0]!.until(
      () => acked() >= ackedBeforeKill + ACKS_PER_PHASE,
      'acknowledgements after the kill',
      60_000,
    );
    mark('acknowledgements after the kill');
    for (const t of traders) expect(await t.stop(60_000)).toBe(0);
    mark('traders done');
    for (const t of traders)
      expect(t.events().filter((e) => e.event === 'done')).toEqual([{ event: 'done', failed: 0 }]);

    // Both survivors converge on one state (later copies of requests change nothing).
    const states = await poll(async () => {
      const s = await Promise.all(survivors.map(dump));
      return s[0]!.digest === s[1]!.digest && s;
    }, 'both survivors to reach the same state');

    mark('survivors converged');
    const acks = traders.flatMap((t) => t.events().filter((e) => e.event === 'ack'));
    for (const state of states) {
      const decided = new Map(
        state.outcomes.map(([trader, clientId, outcome]) => [`${trader}#${clientId}`, outcome]),
      );
      // Exactly the acknowledged requests were decided, each with the outcome its trader was told.
      expect(decided.size).toBe(acks.length);
      for (const ack of acks) expect(decided.get(`${ack.trader}#${ack.clientId}`)).toEqual(ack.outcome);
      // Each placed request got one order id, never two.
      const placed = acks.filter((a) => (a.outcome as Json).kind === 'placed');
      const ids = placed.map((a) => (a.outcome as Json).orderId as number);
      expect(new Set(ids).size).toBe(ids.length);
      // Quantity: filled + resting + cancelled = ordered, for every placed order.
      const resting = new Map(state.orders.map((o) => [o.orderId, BigInt(o.remaining)]));
      expect(resting.size).toBe(state.orders.length);
      const cancelled = new Map(
        acks
          .map((a) => a.outcome as Json)
          .filter((o) => o.kind === 'cancelled')
          .map((o) => [o.orderId as number, BigInt(o.remaining as string)]),
      );
      const filled = new Map<number, bigint>();
      for (const f of state.fills) {
        for (const id of [f.bidOrderId, f.askOrderId])
          filled.set(id, (filled.get(id) ?? 0n) + BigInt(f.quantity));
      }
      for (const a of placed) {
        const id = (a.outcome as Json).orderId as number;
        const ordered = BigInt((a.request as Json).quantity as string);
        expect((filled.get(id) ?? 0n) + (resting.get(id) ?? 0n) + (cancelled.get(id) ?? 0n)).toBe(ordered);
      }
    }
  });
});
