import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { SecretKey, scaled } from '@mosaik/id';
import { describe, expect, it } from 'vitest';
import { LocalNode } from './local-node.js';

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

  it('leaves nothing behind: a process that closes its nodes exits by itself', async () => {
    const script = fileURLToPath(new URL('./fixtures/exit-after-close.ts', import.meta.url));
    const child = spawn(process.execPath, ['--conditions=@mosaik/source', '--import', 'tsx', script], {
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
    expect(output).toContain('echo: hello');
    expect(exitCode).toBe(0);
  });
});
