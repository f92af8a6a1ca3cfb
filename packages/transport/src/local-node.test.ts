import { spawn } from 'node:child_process';
import { getEventListeners } from 'node:events';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { Digest, InvalidArgumentError, linkedTo, MosaikError, SecretKey, scaled, waitFor } from '@mosaik/id';
import { createLogger } from '@mosaik/metrics';
import { describe, expect, it } from 'vitest';
import { checkEndpointAddr, isSocketAddress } from './address.js';
import { LocalNode } from './local-node.js';

/** Runs the exit fixture as a child process and returns its output and exit code. */
async function runExitFixture(...args: string[]): Promise<{ output: string; exitCode: number | null }> {
  const script = fileURLToPath(new URL('./fixtures/exit-after-close.ts', import.meta.url));
  const child = spawn(process.execPath, ['--conditions=@mosaik/source', '--import', 'tsx', script, ...args], {
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const exitCode = await new Promise<number | null>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`process did not exit after close():\n${output}`));
    }, scaled(20_000));
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
  return { output, exitCode };
}

/** A logger whose JSON lines land in `lines`. */
function capturingLogger() {
  const lines: { level: number; msg: string }[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n')) if (line) lines.push(JSON.parse(line));
      done();
    },
  });
  return { lines, logger: createLogger({ level: 'warn', destination }) };
}

/** A relay that never answers: nothing listens on the discard port of loopback. */
const deadRelay = { urls: ['http://127.0.0.1:9/'] } as const;

/**
 * What a long-lived signal holds for others: its abort listeners, the links `linkSignals` made
 * that still follow it, and the signals `AbortSignal.any` recorded on it (Node keeps those in an
 * internal set; 0 where there is none).
 */
function heldBy(signal: AbortSignal): number {
  const key = Object.getOwnPropertySymbols(signal).find((s) => s.description === 'kDependantSignals');
  const dependants = key === undefined ? undefined : (signal as unknown as Record<symbol, Set<unknown>>)[key];
  return getEventListeners(signal, 'abort').length + linkedTo(signal) + (dependants?.size ?? 0);
}

describe('LocalNode', () => {
  it('derives its PeerId from the secret key and is online at once without relays', async () => {
    const secretKey = SecretKey.fromString('transport-node-identity');
    await using node = await LocalNode.bind('local-node-tests', { preset: 'local', secretKey });
    await node.online();
    expect(node.peerId.equals(secretKey.peerId)).toBe(true);
    expect(node.addr().id.equals(secretKey.peerId)).toBe(true);
    expect(node.addr().directAddresses.some((a) => a.startsWith('127.0.0.1:'))).toBe(true);
  });

  it('runs shutdown hooks newest first and aborts its signal', async () => {
    const node = await LocalNode.bind('local-node-tests', { preset: 'local' });
    const order: string[] = [];
    node.onClose(() => void order.push('first'));
    node.onClose(async () => void order.push(`second:${node.signal.aborted}`));
    await node.close();
    await node.close();
    expect(order).toEqual(['second:true', 'first']);
    expect(node.isClosed).toBe(true);
  });

  it('counts opened links and bytes in its metrics', async () => {
    await using a = await LocalNode.bind('local-node-tests', { preset: 'local' });
    await using b = await LocalNode.bind('local-node-tests', { preset: 'local' });
    b.handle<string>('/m/1', async (l) => void (await l.send(await l.recv())));
    const link = await a.connect<string>(b.addr(), '/m/1');
    await link.send('ping');
    await link.recv();
    const text = await a.metrics.registry.metrics();
    expect(text).toMatch(/mosaik_network_connections_opened_total\{[^}]*\} 1/);
    expect(text).toMatch(/mosaik_network_bytes_sent_total\{[^}]*\} [1-9]/);
    expect(text).toMatch(/mosaik_network_bytes_received_total\{[^}]*\} [1-9]/);
  });

  it('keeps nothing of finished dials and links on long-lived signals', async () => {
    await using a = await LocalNode.bind('local-node-tests', { preset: 'local' });
    await using b = await LocalNode.bind('local-node-tests', { preset: 'local' });
    // A service's signal on each side, living as long as the nodes, as discovery and streams pass.
    const service = new AbortController();
    const client = new AbortController();
    b.handle<string>('/held/1', async (l) => void (await l.send(await l.recv())), { signal: service.signal });
    const signals = [a.signal, b.signal, service.signal, client.signal];
    const before = signals.map(heldBy);
    for (let i = 0; i < 20; i++) {
      const link = await a.connect<string>(b.addr(), '/held/1', { signal: client.signal });
      await link.send('ping');
      await link.recv();
      await link.close();
    }
    // The acceptor's side of a link ends once it sees the close.
    await waitFor(() => signals.every((s, i) => heldBy(s) <= before[i]! + 1), {
      timeout: 10_000,
      message: () => `held after 20 links: ${signals.map(heldBy)} (before: ${before})`,
    });
  });

  it('leaves nothing behind: a process that closes its nodes exits by itself', async () => {
    const { output, exitCode } = await runExitFixture();
    expect(output).toContain('echo: hello');
    expect(exitCode).toBe(0);
  });

  it('exits by itself too when its nodes looked for a relay that never answered', async () => {
    const { output, exitCode } = await runExitFixture('relays');
    expect(output).toContain('echo: hello');
    expect(exitCode).toBe(0);
  });

  it('reports its relay status: disabled without relays, unreachable (with a warning) when none answers', async () => {
    await using local = await LocalNode.bind('local-node-tests', { preset: 'local' });
    expect(local.relay.get().state).toBe('disabled');
    await local.online();

    const { lines, logger } = capturingLogger();
    await using node = await LocalNode.bind('local-node-tests', {
      relayMode: deadRelay,
      relayGracePeriod: 200,
      logger,
    });
    expect(node.relay.get().state).toBe('connecting');
    const status = await node.relay.until((s) => s.state === 'unreachable', {
      signal: AbortSignal.timeout(scaled(10_000)),
    });
    expect(status.homeRelay).toBeUndefined();
    const warning = lines.find((l) => l.level === 40);
    expect(warning?.msg).toContain("preset: 'local'");

    // The node still works on its direct addresses.
    await using peer = await LocalNode.bind('local-node-tests', { relayMode: deadRelay, logger });
    node.handle<string>('/relayless/1', async (l) => void (await l.send(`re: ${await l.recv()}`)));
    const link = await peer.connect<string>(node.addr(), '/relayless/1');
    await link.send('direct');
    expect(await link.recv()).toBe('re: direct');
  });

  it('online(signal) rejects with the reason when no relay answers and the caller gives up', async () => {
    await using node = await LocalNode.bind('local-node-tests', { relayMode: deadRelay });
    const controller = new AbortController();
    const waiting = node.online(controller.signal);
    const reason = new Error('gave up');
    controller.abort(reason);
    await expect(waiting).rejects.toBe(reason);
  });

  it('refuses bad options with typed errors that say what was expected', async () => {
    const bad: [unknown, object, RegExp][] = [
      ['', {}, /network: expected a non-empty name/],
      [42, {}, /network: expected a name/],
      ['n', { preset: 'bogus' }, /preset: expected 'n0' .* or 'local'/],
      ['n', { relayMode: 'sometimes' }, /relayMode: expected 'default', 'disabled' or \{ urls/],
      ['n', { bindAddrs: ['localhost:0'] }, /bindAddrs\[0\]: expected "a\.b\.c\.d:port"/],
      ['n', { secretKey: 'not-a-key-object' }, /secretKey: expected a SecretKey/],
      ['n', { relayGracePeriod: -1 }, /relayGracePeriod: expected milliseconds/],
    ];
    for (const [network, options, message] of bad) {
      const error = await LocalNode.bind(network as string, options).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect(MosaikError.is(error, 'invalid_argument')).toBe(true);
      expect((error as Error).message).toMatch(message);
    }
    await using node = await LocalNode.bind(Digest.fromBytes(new Uint8Array(32)), { preset: 'local' });
    expect(node.networkId.toString()).toBe('0'.repeat(64));
  });
});

describe('addresses', () => {
  it('tells socket addresses from everything else', () => {
    for (const ok of ['127.0.0.1:0', '192.0.2.2:65535', '[::1]:7000', '[fe80::1%2]:80']) {
      expect(isSocketAddress(ok)).toBe(true);
    }
    for (const bad of ['localhost:80', '127.0.0.1', '127.0.0.1:65536', '::1:80', '[::1]', ':80', 5, null]) {
      expect(isSocketAddress(bad)).toBe(false);
    }
  });

  it('checkEndpointAddr names the field that is wrong and what it expected', () => {
    const peer = SecretKey.generate().peerId;
    expect(checkEndpointAddr({ id: peer, directAddresses: ['127.0.0.1:1'] }, 'x')).toBeDefined();
    const cases: [unknown, RegExp][] = [
      ['127.0.0.1:1', /^bootstrap\[0\]: expected an EndpointAddr .*got the string "127\.0\.0\.1:1"/],
      [{ id: peer.toString(), directAddresses: [] }, /^bootstrap\[0\]\.id: expected a PeerId/],
      [{ id: peer }, /^bootstrap\[0\]\.directAddresses: expected an array/],
      [{ id: peer, directAddresses: ['nowhere'] }, /directAddresses\[0\]: expected "a\.b\.c\.d:port"/],
      [{ id: peer, directAddresses: [], relayUrl: 7 }, /relayUrl: expected a URL string/],
    ];
    for (const [value, message] of cases) {
      expect(() => checkEndpointAddr(value, 'bootstrap[0]')).toThrow(message);
      expect(() => checkEndpointAddr(value, 'bootstrap[0]')).toThrow(InvalidArgumentError);
    }
  });
});
