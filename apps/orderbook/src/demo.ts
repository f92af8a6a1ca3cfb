/**
 * The single-process run: three matchers form the book's group, two traders place the
 * reference's four orders, and the result is read back from the group. Orders are placed one at
 * a time (each after the previous one was acknowledged), so the order ids, the fill and the book
 * are the same on every run.
 */
import type { Logger } from '@mosaik/metrics';
import { Network, randomBytes, toHex, waitFor } from 'mosaik';
import { within } from './deadline.js';
import { Matcher, queryBook } from './matcher.js';
import { OrderbookMetrics } from './metrics.js';
import { formatBook, type Printer } from './output.js';
import { Trader } from './trader.js';
import {
  type Fill,
  formatFill,
  formatOutcome,
  formatRequest,
  type NewRequest,
  type TradingPair,
} from './types.js';

/** Options of {@link runDemo}. */
export interface DemoOptions {
  readonly pair: TradingPair;
  readonly printer: Printer;
  readonly logger: Logger;
  /** Serve the first matcher's metrics here. */
  readonly metricsAddr?: string | undefined;
}

/** Runs the demo and closes every node it started, also on failure. */
export async function runDemo(options: DemoOptions): Promise<void> {
  const { pair, printer, logger } = options;
  // A fresh network and group key per run, as in the original: runs never see each other.
  const network = `mosaik.example.orderbook.demo/${toHex(randomBytes(8))}`;
  const key = toHex(randomBytes(32));
  const nets: Network[] = [];
  const parts: { close(): Promise<void> }[] = [];
  const node = async (bootstrap: Network | undefined, extra: { prometheusAddr?: string } = {}) => {
    const net = await Network.create(network, {
      preset: 'local',
      logger,
      ...extra,
      ...(bootstrap === undefined ? {} : { bootstrap: [bootstrap.addr] }),
    });
    nets.push(net);
    return net;
  };
  try {
    printer.say(
      `mosaik orderbook: 3 matchers and 2 traders on ${pair.base}/${pair.quote}, one process, loopback only`,
    );
    const first = await node(
      undefined,
      options.metricsAddr === undefined ? {} : { prometheusAddr: options.metricsAddr },
    );
    const matcherNets = [first, await node(first), await node(first)];
    const matchers = matcherNets.map((net, i) =>
      Matcher.start(net, {
        key,
        pair,
        logger,
        // A short founding delay: all three members are up at once, no need to wait for stragglers.
        consensus: { bootstrapDelay: 500 },
        metrics: i === 0 ? new OrderbookMetrics(net.local.metrics) : undefined,
      }),
    );
    parts.push(...matchers);
    await within(
      Promise.all(matchers.map((m) => m.group.when.online())),
      30_000,
      'the three matchers to form the group',
    );
    // One cluster of three voters before any order: members that founded clusters of their own
    // (possible on a loaded machine) would merge later and drop what the losing side committed.
    await waitFor(() => matchers.every((m) => m.group.members().voters.length === 3), {
      timeout: 30_000,
      message: 'the three matchers to become voters of one cluster',
    });
    const leader = await matchers[0]!.group.when.leaderElected();
    const leaderIndex = matcherNets.findIndex((n) => n.peerId.equals(leader));
    printer.event(
      'group-online',
      { leader: leader.toString(), leaderIndex },
      `matchers online: matcher-${leaderIndex} (${leader.short()}) leads the group`,
    );

    const notified: Fill[] = [];
    const alice = Trader.start(await node(first), { name: 'alice', logger, onFill: (f) => notified.push(f) });
    const bob = Trader.start(await node(first), { name: 'bob', logger });
    parts.unshift(alice, bob);
    // Wait until every stream has all its peers, so no datum of the run is sent into the void.
    await within(
      Promise.all([
        ...[alice, bob].flatMap((t) => [
          t.orders.when.subscribed({ atLeast: 3 }).wait(),
          t.acks.when.subscribed({ atLeast: 3 }).wait(),
          t.fills.when.subscribed({ atLeast: 3 }).wait(),
        ]),
        ...matchers.map((m) => m.orders.when.subscribed({ atLeast: 2 }).wait()),
      ]),
      30_000,
      'traders and matchers to subscribe to each other’s streams',
    );
    printer.say('traders connected: alice and bob');

    const orders: [Trader, NewRequest][] = [
      [alice, { kind: 'place', pair, side: 'ask', price: 300000n, quantity: 10n }],
      [alice, { kind: 'place', pair, side: 'ask', price: 301000n, quantity: 5n }],
      [bob, { kind: 'place', pair, side: 'bid', price: 299000n, quantity: 8n }],
      [bob, { kind: 'place', pair, side: 'bid', price: 300500n, quantity: 15n }],
    ];
    for (const [trader, request] of orders) {
      const ack = await trader.submit(request);
      printer.event(
        'ack',
        { trader: trader.name, request, ack },
        `${trader.name.padEnd(5)} ${formatRequest(request).padEnd(28)} -> ${formatOutcome(ack.outcome)}`,
      );
    }

    const { result: fills } = await queryBook(matchers[0]!.group, { t: 'fills' }, 'strong');
    printer.event(
      'fills',
      { fills },
      [`fills (strong query): ${fills.length}`, ...fills.map((f) => `  ${formatFill(f)}`)].join('\n'),
    );
    await waitFor(() => notified.length >= fills.length, {
      timeout: 10_000,
      message: 'alice to be notified of the fill on the Fill stream',
    });
    for (const f of notified)
      printer.event('fill-notified', { trader: 'alice', fill: f }, `alice notified: ${formatFill(f)}`);

    const { result: top } = await queryBook(matchers[0]!.group, { t: 'top', depth: 5 }, 'strong');
    printer.event('book', { top }, formatBook(pair, top, 5));

    const leaderGroup = matchers[leaderIndex]!.group;
    const followerIndex = matchers.findIndex((m, i) => i !== leaderIndex && !m.group.isLeader());
    const follower = matchers[followerIndex]!.group;
    await within(
      follower.when.committed().reaches(leaderGroup.committed()),
      10_000,
      'the follower to catch up',
    );
    const seen = (await queryBook(follower, { t: 'fills' })).result;
    const [a, b] = await Promise.all([
      queryBook(follower, { t: 'dump' }),
      queryBook(leaderGroup, { t: 'dump' }),
    ]);
    const same = a.result.digest === b.result.digest;
    printer.event(
      'follower',
      { followerIndex, fills: seen.length, sameBook: same },
      `follower matcher-${followerIndex} sees ${seen.length} fill(s) (${same ? 'consistent with' : 'DIFFERENT from'} the leader)`,
    );
    const { result: count } = await queryBook(leaderGroup, { t: 'order-count' }, 'strong');
    printer.event('order-count', { count }, `orders resting: ${count}`);
    printer.event('complete', {}, 'orderbook example complete');
  } finally {
    for (const part of parts) await part.close().catch(() => {});
    await Promise.allSettled(nets.map((n) => n.close()));
  }
}
