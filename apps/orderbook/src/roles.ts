/**
 * The multi-process roles: `matcher` (a member of the book's group), `trader` (sends orders,
 * waits for acknowledgements) and `observer` (follows the book without voting). Each runs until
 * its work is done or `signal` aborts (Ctrl-C), and closes everything it opened.
 */
import { createInterface } from 'node:readline';
import type { Logger } from '@mosaik/metrics';
import { type EndpointAddr, formatBootstrapAddr, Network, type StorageSpec, sleep, storage } from 'mosaik';
import { unlessAborted, within } from './deadline.js';
import { RandomFlow } from './flow.js';
import { type BookGroup, joinBook, Matcher, queryBook } from './matcher.js';
import { OrderbookMetrics } from './metrics.js';
import { formatBook, type Printer, toJson } from './output.js';
import { parseOrderSpec } from './spec.js';
import { NotAcknowledgedError, Trader } from './trader.js';
import {
  type Fill,
  formatFill,
  formatOutcome,
  formatRequest,
  type NewRequest,
  type OrderAck,
  type TradingPair,
} from './types.js';

/** What every role needs. */
export interface RoleContext {
  readonly network: string;
  readonly key: string;
  readonly pair: TradingPair;
  readonly bootstrap: readonly EndpointAddr[];
  readonly preset: 'local' | 'n0';
  readonly metricsAddr?: string | undefined;
  readonly printer: Printer;
  readonly logger: Logger;
  /** Aborts on Ctrl-C / SIGTERM. */
  readonly signal: AbortSignal;
  /** Extra flags to repeat in the printed commands (network, key, pair when not the defaults). */
  readonly sharedFlags: string;
}

async function openNetwork(ctx: RoleContext): Promise<Network> {
  return Network.create(ctx.network, {
    preset: ctx.preset,
    logger: ctx.logger,
    bootstrap: ctx.bootstrap,
    ...(ctx.metricsAddr === undefined ? {} : { prometheusAddr: ctx.metricsAddr }),
  });
}

/** Resolves when `signal` aborts. */
function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

/** Prints leader changes until `signal` aborts. */
async function reportLeaders(
  group: BookGroup,
  net: Network,
  printer: Printer,
  signal: AbortSignal,
): Promise<void> {
  let leader = await unlessAborted(group.when.leaderElected(), signal);
  while (leader !== undefined) {
    const self = leader.equals(net.peerId);
    printer.event(
      'leader',
      { leader: leader.toString(), self },
      `leader: ${leader.short()}${self ? ' (this node)' : ''}`,
    );
    leader = await unlessAborted(group.when.leaderChanged(), signal);
  }
}

/**
 * Prints it when this member's cluster lost a merge with another cluster of the group (founded
 * while the members could not see each other): what it had committed there is gone.
 */
async function reportResets(group: BookGroup, printer: Printer, signal: AbortSignal): Promise<void> {
  for (;;) {
    const reset = await unlessAborted(group.when.reset(), signal);
    if (reset === undefined) return;
    printer.event(
      'reset',
      { discarded: reset.discarded, joined: reset.joined },
      `WARNING: this matcher's cluster ${reset.discarded.cluster} merged into ${reset.joined}; ` +
        `its ${reset.discarded.committed} committed entries were discarded`,
    );
  }
}

/**
 * Answers commands typed on stdin: `book`, `fills`, `dump` (the whole state as one JSON line,
 * for scripts and tests). Returns a function that stops reading.
 */
function stdinCommands(group: BookGroup, ctx: RoleContext): () => void {
  const rl = createInterface({ input: process.stdin, terminal: false });
  rl.on('line', (line) => {
    void (async () => {
      const command = line.trim();
      if (command === 'book') {
        const { result } = await queryBook(group, { t: 'top', depth: 10 });
        ctx.printer.event('book', { top: result }, formatBook(ctx.pair, result, 10));
      } else if (command === 'fills') {
        const { result } = await queryBook(group, { t: 'fills' });
        const last = result.slice(-10);
        ctx.printer.event(
          'fills',
          { fills: last, total: result.length },
          [
            `fills: ${result.length} in total, the last ${last.length}:`,
            ...last.map((f) => `  ${formatFill(f)}`),
          ].join('\n'),
        );
      } else if (command === 'dump') {
        const { result, at } = await queryBook(group, { t: 'dump' });
        const members = group.members();
        ctx.printer.write(
          toJson({
            event: 'dump',
            at,
            committed: group.committed(),
            leader: group.leader()?.toString(),
            members: { voters: [...members.voters], learners: [...members.learners] },
            ...result,
          }),
        );
      } else if (command !== '') {
        ctx.printer.say('commands: book, fills, dump');
      }
    })().catch((error: unknown) => ctx.logger.warn({ err: error }, 'stdin command failed'));
  });
  return () => rl.close();
}

/** Options of the matcher role. */
export interface MatcherRoleOptions {
  /** Keep the Raft log and snapshots here (survives restarts); default in memory. */
  readonly dataDir?: string | undefined;
  /**
   * How long this matcher waits for an existing book before it may found one, in ms. Default:
   * 1 s for a matcher started without `--bootstrap` (it is the first), an hour otherwise.
   */
  readonly foundAfter?: number | undefined;
}

/**
 * A matcher started with `--bootstrap` joins a book that exists. Were it to found its own cluster
 * because the existing one was slow to answer (a loaded machine), the two would merge later and
 * the loser's committed requests, acknowledged to traders, would be discarded. So it waits.
 */
const JOINER_FOUND_AFTER = 3_600_000;

/** Runs a matcher until `ctx.signal` aborts. */
export async function runMatcher(ctx: RoleContext, options: MatcherRoleOptions): Promise<void> {
  const net = await openNetwork(ctx);
  const { printer } = ctx;
  const spec: StorageSpec = options.dataDir === undefined ? storage.memory() : storage.file(options.dataDir);
  const matcher = Matcher.start(net, {
    key: ctx.key,
    pair: ctx.pair,
    storage: spec,
    logger: ctx.logger,
    consensus: {
      bootstrapDelay: options.foundAfter ?? (ctx.bootstrap.length === 0 ? 1000 : JOINER_FOUND_AFTER),
    },
    metrics: new OrderbookMetrics(net.local.metrics),
    onFill: (fill) => printer.event('fill', { fill }, formatFill(fill)),
    onCommitted: (ack) =>
      printer.event(
        'committed',
        { ack },
        `committed ${ack.trader}#${ack.clientId} at ${ack.index}: ${formatOutcome(ack.outcome)}`,
      ),
  });
  const addr = formatBootstrapAddr(net.addr);
  printer.event(
    'ready',
    { role: 'matcher', peer: net.peerId.toString(), addr },
    [
      `matcher ${net.peerId.short()} on network '${ctx.network}', book ${ctx.pair.base}/${ctx.pair.quote}`,
      `address: ${addr}`,
      'run these in other terminals (from the repository root):',
      `  pnpm orderbook --role matcher  --bootstrap ${addr}${ctx.sharedFlags}`,
      `  pnpm orderbook --role trader   --bootstrap ${addr}${ctx.sharedFlags} --rate 5`,
      `  pnpm orderbook --role observer --bootstrap ${addr}${ctx.sharedFlags}`,
      'type book, fills or dump here; Ctrl-C leaves the group',
    ].join('\n'),
  );
  const stopStdin = stdinCommands(matcher.group, ctx);
  void reportResets(matcher.group, printer, ctx.signal);
  try {
    await reportLeaders(matcher.group, net, printer, ctx.signal);
    await aborted(ctx.signal);
  } finally {
    stopStdin();
    await matcher.close();
    await net.close();
  }
}

/** Runs an observer until `ctx.signal` aborts: prints the book whenever it changes (at most every `interval` ms). */
export async function runObserver(ctx: RoleContext, options: { readonly interval: number }): Promise<void> {
  const net = await openNetwork(ctx);
  const { printer, signal } = ctx;
  const group = joinBook(net, {
    key: ctx.key,
    pair: ctx.pair,
    observer: true,
    consensus: { bootstrapDelay: 1000 },
  });
  const metrics = new OrderbookMetrics(net.local.metrics);
  printer.event(
    'ready',
    { role: 'observer', peer: net.peerId.toString(), addr: formatBootstrapAddr(net.addr) },
    `observer ${net.peerId.short()} following book ${ctx.pair.base}/${ctx.pair.quote} on '${ctx.network}' (type book, fills or dump)`,
  );
  const stopStdin = stdinCommands(group, ctx);
  try {
    const online = await unlessAborted(
      within(group.when.online(), 60_000, 'the book group to take this observer in'),
      signal,
    );
    if (online === undefined && signal.aborted) return;
    let shownFills = 0;
    let shown = -1;
    while (!signal.aborted) {
      const { result: dump, at } = await queryBook(group, { t: 'dump' });
      if (at !== shown) {
        shown = at;
        for (const fill of dump.fills.slice(shownFills)) {
          metrics.fill(fill);
          printer.event('fill', { fill }, formatFill(fill));
        }
        shownFills = dump.fills.length;
        metrics.book((await queryBook(group, { t: 'stats' })).result);
        const { result: top } = await queryBook(group, { t: 'top', depth: 5 });
        printer.event(
          'book',
          { at, top, orders: dump.orders.length },
          `${formatBook(ctx.pair, top, 5)}\n(index ${at}, ${dump.orders.length} resting, ${dump.fills.length} fills)`,
        );
      }
      await unlessAborted(
        Promise.all([group.when.committed().advanced(), new Promise((r) => setTimeout(r, options.interval))]),
        signal,
      );
    }
  } finally {
    stopStdin();
    await group.close();
    await net.close();
  }
}

/** Options of the trader role. */
export interface TraderRoleOptions {
  readonly name: string;
  /** Orders given on the command line, already parsed. */
  readonly orders: readonly NewRequest[];
  /** Random orders per second (0: none). */
  readonly rate: number;
  readonly seed: number;
  /** Stop after this many random orders (default: until Ctrl-C). */
  readonly count?: number | undefined;
  readonly ackTimeout: number;
  readonly firstClientId: number;
}

/**
 * Runs a trader: the command-line orders one after the other, or a random flow at `rate`, or the
 * orders typed on stdin. When `ctx.signal` aborts (Ctrl-C) it sends nothing new but still waits
 * for the requests already sent: their fate is unknown until acknowledged (a second Ctrl-C ends
 * the process at once). Resolves to the number of requests that were never acknowledged.
 */
export async function runTrader(ctx: RoleContext, options: TraderRoleOptions): Promise<number> {
  const net = await openNetwork(ctx);
  const { printer, signal } = ctx;
  const mine = new Set<number>();
  // A fill can arrive before the acknowledgement that tells which order is ours: keep the
  // recent ones and show them once the acknowledgement names the order.
  const recent: Fill[] = [];
  const shown = new Set<number>();
  const show = (fill: Fill) => {
    if (shown.has(fill.seq) || !(mine.has(fill.bidOrderId) || mine.has(fill.askOrderId))) return;
    shown.add(fill.seq);
    printer.event('fill', { fill }, `fill: ${formatFill(fill)}`);
  };
  const trader = Trader.start(net, {
    name: options.name,
    logger: ctx.logger,
    ackTimeout: options.ackTimeout,
    firstClientId: options.firstClientId,
    onFill: (fill: Fill) => {
      recent.push(fill);
      if (recent.length > 1000) recent.shift();
      show(fill);
    },
  });
  let failed = 0;
  const inFlight = new Set<Promise<void>>();
  const flow = new RandomFlow(options.seed, ctx.pair);
  const submit = (request: NewRequest): Promise<void> => {
    const p = trader
      .submit(request)
      .then((ack: OrderAck) => {
        if (ack.outcome.kind === 'placed') {
          mine.add(ack.outcome.orderId);
          if (ack.outcome.resting > 0n) flow.resting(ack.outcome.orderId);
        }
        printer.event(
          'ack',
          { trader: ack.trader, clientId: ack.clientId, request, outcome: ack.outcome, index: ack.index },
          `${ack.trader}#${ack.clientId} ${formatRequest(request)} -> ${formatOutcome(ack.outcome)}`,
        );
        if (ack.outcome.kind === 'placed' && ack.outcome.filled > 0n) for (const fill of recent) show(fill);
      })
      .catch((error: unknown) => {
        failed++;
        const message = error instanceof NotAcknowledgedError ? error.message : String(error);
        printer.event(
          'unacknowledged',
          { request, error: message },
          `NOT acknowledged: ${formatRequest(request)} (${message})`,
        );
      })
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
    return p;
  };
  printer.event(
    'ready',
    { role: 'trader', name: options.name, peer: net.peerId.toString(), seed: options.seed },
    `trader ${options.name} (${net.peerId.short()}) on '${ctx.network}'${options.rate > 0 ? `, random flow with --seed ${options.seed}` : ''}: waiting for a matcher…`,
  );
  try {
    await unlessAborted(
      within(
        trader.acks.when.subscribed({ atLeast: 1 }).wait(signal),
        60_000,
        'a matcher to publish acknowledgements',
      ),
      signal,
    );
    if (signal.aborted) return failed;
    printer.say(`connected to ${trader.acks.producers().length} matcher(s)`);
    if (options.orders.length > 0) {
      for (const order of options.orders) {
        if (signal.aborted) break;
        await submit(order);
      }
    } else if (options.rate > 0) {
      const period = 1000 / options.rate;
      const started = Date.now();
      for (let i = 0; options.count === undefined || i < options.count; i++) {
        // Paced against the start time, so a slow acknowledgement does not slow the flow down.
        const wait = started + i * period - Date.now();
        if (
          wait > 0 &&
          (await unlessAborted(
            sleep(wait, signal).then(() => true),
            signal,
          )) === undefined
        )
          break;
        if (signal.aborted) break;
        void submit(flow.next());
      }
    } else {
      printer.say('type orders: "bid 10 @ 3000.50", "ask 5 @ 3010", "cancel <order id>"; Ctrl-D to finish');
      const rl = createInterface({ input: process.stdin, terminal: false });
      const stop = () => rl.close();
      signal.addEventListener('abort', stop, { once: true });
      for await (const line of rl) {
        if (line.trim() === '') continue;
        const parsed = parseOrderSpec(line, ctx.pair);
        if ('error' in parsed) printer.event('invalid', { line, error: parsed.error }, parsed.error);
        else void submit(parsed);
      }
      signal.removeEventListener('abort', stop);
    }
    if (signal.aborted && inFlight.size > 0)
      printer.say(`stopping: waiting for ${inFlight.size} acknowledgement(s); Ctrl-C again to quit now`);
    await Promise.all([...inFlight]);
    printer.event(
      'done',
      { failed },
      failed === 0 ? 'all requests acknowledged' : `${failed} request(s) NOT acknowledged`,
    );
    return failed;
  } finally {
    await trader.close();
    await net.close();
  }
}
