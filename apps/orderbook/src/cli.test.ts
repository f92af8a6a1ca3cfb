/**
 * The app as users run it: child processes started like `pnpm start`, talking over loopback.
 */
import { freePort } from '@mosaik/testkit';
import { CommanderError } from 'commander';
import { SecretKey, scaled } from 'mosaik';
import { afterEach, describe, expect, it } from 'vitest';
import { AppProcess } from '../test/app-process.js';
import { program } from './cli.js';

// Each process loads the TypeScript sources through tsx, which takes seconds on a loaded machine.
const SLOW = scaled(120_000);

/** A process loads the app's TypeScript through tsx: seconds each, more with several at once. */
const STARTUP = 90_000;

const running: AppProcess[] = [];
function app(args: readonly string[], options?: { stdin?: 'pipe' | 'ignore' }): AppProcess {
  const p = new AppProcess(args, options);
  running.push(p);
  return p;
}

afterEach(async () => {
  await Promise.all(running.splice(0).map((p) => p.kill()));
});

/** `--bootstrap` values as the program parses them, or the error message it exits with. */
function parseBootstrap(...values: string[]): { id: string; directAddresses: readonly string[] }[] | string {
  const cmd = program()
    .exitOverride()
    .configureOutput({ writeErr: () => {} });
  try {
    cmd.parse(
      values.flatMap((v) => ['--bootstrap', v]),
      { from: 'user' },
    );
  } catch (error) {
    if (error instanceof CommanderError) return error.message;
    throw error;
  }
  const all = cmd.opts<{ bootstrap: { id: { toString(): string }; directAddresses: readonly string[] }[] }>();
  return all.bootstrap.map((a) => ({ id: a.id.toString(), directAddresses: a.directAddresses }));
}

describe('--bootstrap', () => {
  it('takes the printed address form, several times, and a bare peer id', () => {
    const a = SecretKey.generate().peerId.toString();
    const b = SecretKey.generate().peerId.toString();
    expect(parseBootstrap(`${a}@127.0.0.1:4433,[::1]:4433`, b)).toEqual([
      { id: a, directAddresses: ['127.0.0.1:4433', '[::1]:4433'] },
      { id: b, directAddresses: [] },
    ]);
  });

  it('refuses malformed addresses, saying what is wrong', () => {
    const id = SecretKey.generate().peerId.toString();
    for (const bad of ['nope', `${id}@localhost`, `${id}@1.2.3.4:5@x`, '@127.0.0.1:1'])
      expect(parseBootstrap(bad)).toMatch(/bootstrap address .*(is not a peer id|is not host:port)/);
  });
});

describe('orderbook CLI', () => {
  it('runs the single-process demo by default and prints the reference result', {
    timeout: SLOW,
  }, async () => {
    const demo = app([]);
    expect(await demo.exited).toBe(0);
    const out = demo.lines.join('\n');
    expect(out).toContain('alice ASK 10 ETH/USDC @ 3000.00    -> order 1 (filled 0, resting 10)');
    expect(out).toContain('alice ASK 5 ETH/USDC @ 3010.00     -> order 2 (filled 0, resting 5)');
    expect(out).toContain('bob   BID 8 ETH/USDC @ 2990.00     -> order 3 (filled 0, resting 8)');
    expect(out).toContain('bob   BID 15 ETH/USDC @ 3005.00    -> order 4 (filled 10, resting 5)');
    expect(out).toContain('fills (strong query): 1\n  Fill(bid=4, ask=1, ETH/USDC@300000, qty=10)');
    expect(out).toContain('alice notified: Fill(bid=4, ask=1, ETH/USDC@300000, qty=10)');
    expect(out).toContain(
      [
        'book ETH/USDC (top 5):',
        '  ASK    3010.00       5',
        '  ---',
        '  BID    3005.00       5',
        '  BID    2990.00       8',
      ].join('\n'),
    );
    expect(out).toMatch(/follower matcher-\d sees 1 fill\(s\) \(consistent with the leader\)/);
    expect(out).toContain('orders resting: 3');
    expect(demo.lines.at(-1)).toBe('orderbook example complete');
    // Logs never reach stdout.
    expect(demo.lines.some((l) => l.startsWith('{'))).toBe(false);
  });

  it('runs matcher, trader and observer as separate processes, with metrics on --metrics', {
    timeout: SLOW,
  }, async () => {
    const port = await freePort();
    const network = `orderbook-cli-test-${Math.random().toString(16).slice(2)}`;
    const common = ['--network', network, '--key', `${network}-key`, '--json'];
    const matcher = app(['--role', 'matcher', ...common, '--metrics', `127.0.0.1:${port}`], {
      stdin: 'pipe',
    });
    const ready = await matcher.event('ready', undefined, STARTUP);
    await matcher.event('leader', (e) => e.self === true);
    const addr = String(ready.addr);
    const observer = app(['--role', 'observer', ...common, '--bootstrap', addr, '--interval', '100']);
    const orders = ['ask 10 @ 3000', 'ask 5 @ 3010', 'bid 8 @ 2990', 'bid 15 @ 3005', 'cancel 3'];
    const trader = app([
      '--role',
      'trader',
      ...common,
      '--bootstrap',
      addr,
      '--name',
      'carol',
      ...orders.flatMap((o) => ['--order', o]),
    ]);
    expect(await trader.exited).toBe(0);
    const acks = trader.events().filter((e) => e.event === 'ack');
    expect(acks.map((a) => a.outcome)).toEqual([
      { kind: 'placed', orderId: 1, filled: '0', resting: '10' },
      { kind: 'placed', orderId: 2, filled: '0', resting: '5' },
      { kind: 'placed', orderId: 3, filled: '0', resting: '8' },
      { kind: 'placed', orderId: 4, filled: '10', resting: '5' },
      { kind: 'cancelled', orderId: 3, remaining: '8' },
    ]);
    expect(trader.events().find((e) => e.event === 'done')).toEqual({ event: 'done', failed: 0 });

    // The observer follows the book without being a voter.
    await observer.event(
      'book',
      (e) => JSON.stringify(e.top) === JSON.stringify({ bids: [['300500', '5']], asks: [['301000', '5']] }),
    );

    matcher.send('dump');
    const dump = await matcher.event('dump');
    expect(dump.orders).toEqual([
      {
        orderId: 4,
        trader: 'carol',
        clientId: expect.any(Number),
        side: 'bid',
        price: '300500',
        remaining: '5',
      },
      {
        orderId: 2,
        trader: 'carol',
        clientId: expect.any(Number),
        side: 'ask',
        price: '301000',
        remaining: '5',
      },
    ]);

    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const sample = (name: string, label = '') =>
      Number(new RegExp(`^${name}\\{[^}]*${label}[^}]*\\} (\\S+)$`, 'm').exec(metrics)?.[1]);
    expect(sample('orderbook_fills_total')).toBe(1);
    expect(sample('orderbook_book_levels', 'side="bid"')).toBe(1);
    expect(sample('orderbook_book_quantity', 'side="ask"')).toBe(5);
    // A request the trader re-sent (no acknowledgement in time on a loaded machine) counts again.
    expect(sample('orderbook_request_commit_seconds_count')).toBeGreaterThanOrEqual(5);
    expect(sample('orderbook_requests_total', 'outcome="cancelled"')).toBeGreaterThanOrEqual(1);
    expect(metrics).toContain('mosaik_groups_command_commit_seconds');

    expect(await observer.stop()).toBe(0);
    expect(await matcher.stop()).toBe(0);
  });

  it('refuses bad options with a message and a non-zero exit code', { timeout: SLOW }, async () => {
    const badOrder = app(['--role', 'trader', '--order', 'bid ten @ 1']);
    expect(await badOrder.exited).toBe(2);
    expect(badOrder.stderr).toContain('quantity must be a positive whole number');
    const badAddr = app(['--role', 'trader', '--bootstrap', 'nonsense']);
    expect(await badAddr.exited).not.toBe(0);
    expect(badAddr.stderr).toMatch(/bootstrap address "nonsense": "nonsense" is not a peer id/);
    const badRole = app(['--role', 'banker']);
    expect(await badRole.exited).not.toBe(0);
    expect(badRole.stderr).toMatch(/Allowed choices are matcher, trader, observer/);
  });
});
