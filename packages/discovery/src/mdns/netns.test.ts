// mDNS across two network namespaces joined by a veth pair (RFC 2544 benchmarking addresses, routed
// nowhere). Needs root and iproute2; skipped otherwise. Each node runs in its own namespace as a
// child process, pinned to its veth address.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { waitFor } from '@mosaik/id';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

function canUseNetns(): boolean {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return false;
  try {
    execFileSync('ip', ['netns', 'list'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const tag = `${process.pid % 10_000}${Math.floor(Math.random() * 100)}`;
const ns = [`mosA${tag}`, `mosB${tag}`] as const;
const veth = [`mva${tag}`, `mvb${tag}`] as const;
const octet = 1 + (Number(tag) % 250);
const ips = [`198.18.${octet}.1`, `198.18.${octet}.2`] as const;
const ip = (...args: string[]) => execFileSync('ip', args, { stdio: 'pipe' });

const source = fileURLToPath(new URL('./source.ts', import.meta.url));
const packageRoot = fileURLToPath(new URL('../..', import.meta.url));
const child = (address: string) => `
  import { id, SecretKey } from '@mosaik/id';
  import { MdnsAddressSource } from ${JSON.stringify(source)};
  const key = SecretKey.generate();
  const controller = new AbortController();
  const mdns = new MdnsAddressSource({
    networkId: id('netns-mdns'), peerId: key.peerId, interface: '${address}', aggressivePollMs: 200,
    addr: () => ({ id: key.peerId, directAddresses: ['${address}:7000'] }),
  });
  console.log(JSON.stringify({ me: key.peerId.toString() }));
  mdns.start((addrs) => { for (const a of addrs) console.log(JSON.stringify({ found: a.id.toString(), at: a.directAddresses[0] })); },
    { neighbours: () => 0, signal: controller.signal });
  process.stdin.on('end', () => controller.abort());
  process.stdin.resume();
`;

describe.skipIf(!canUseNetns())('mDNS across network namespaces', () => {
  const procs: ChildProcess[] = [];

  beforeAll(() => {
    for (const n of ns) ip('netns', 'add', n);
    ip('link', 'add', veth[0], 'type', 'veth', 'peer', 'name', veth[1]);
    for (const i of [0, 1] as const) {
      ip('link', 'set', veth[i], 'netns', ns[i]);
      ip('-n', ns[i], 'addr', 'add', `${ips[i]}/24`, 'dev', veth[i]);
      ip('-n', ns[i], 'link', 'set', veth[i], 'up');
      ip('-n', ns[i], 'link', 'set', 'lo', 'up');
    }
  });

  afterAll(async () => {
    await Promise.all(
      procs.map(
        (p) =>
          new Promise<void>((resolve) => {
            if (p.exitCode !== null || p.signalCode !== null) return resolve();
            p.once('exit', () => resolve());
            p.stdin?.end();
            setTimeout(() => p.kill('SIGKILL'), 5_000).unref();
          }),
      ),
    );
    // Deleting the namespaces removes the veth pair with them.
    for (const n of ns) {
      try {
        ip('netns', 'del', n);
      } catch {}
    }
  });

  it('two nodes on either side of a veth pair find each other', async () => {
    const seen = [new Map<string, string>(), new Map<string, string>()];
    const me: string[] = [];
    for (const i of [0, 1] as const) {
      const p = spawn(
        'ip',
        [
          'netns',
          'exec',
          ns[i],
          process.execPath,
          '--conditions=@mosaik/source',
          '--import',
          'tsx',
          '--input-type=module',
          '-e',
          child(ips[i]),
        ],
        {
          cwd: packageRoot,
          stdio: ['pipe', 'pipe', 'inherit'],
          env: { ...process.env, MOSAIK_LOG: 'silent' },
        },
      );
      procs.push(p);
      createInterface({ input: p.stdout! }).on('line', (line) => {
        const msg = JSON.parse(line) as { me?: string; found?: string; at?: string };
        if (msg.me) me[i] = msg.me;
        if (msg.found) seen[i]!.set(msg.found, msg.at!);
      });
    }
    await waitFor(() => me[0] && me[1] && seen[0]!.has(me[1]) && seen[1]!.has(me[0]), {
      timeout: 20_000,
      message: 'the namespaced nodes did not find each other',
    });
    expect(seen[0]!.get(me[1]!)).toBe(`${ips[1]}:7000`);
    expect(seen[1]!.get(me[0]!)).toBe(`${ips[0]}:7000`);
  });
});
