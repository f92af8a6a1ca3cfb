import { randomBytes } from 'node:crypto';
import { waitFor } from '@mosaik/id';
import { afterEach, describe, expect, it } from 'vitest';
import { CloseCode } from './close-code.js';
import { ConnectFailedError, LinkClosedError, ProtocolViolationError } from './errors.js';
import type { Link } from './link.js';
import { LocalNode } from './local-node.js';

const ALPN = '/mosaik/test/1';
const nodes: LocalNode[] = [];

async function node(options: Parameters<typeof LocalNode.bind>[1] = {}): Promise<LocalNode> {
  const n = await LocalNode.bind('transport-tests', { preset: 'local', ...options });
  nodes.push(n);
  return n;
}

/** Binds a server with `handler` on ALPN and a client; returns the client's link to it. */
async function pair<T>(handler: (link: Link<T>) => Promise<void> | void, serverOptions = {}) {
  const server = await node(serverOptions);
  server.handle<T>(ALPN, handler);
  const client = await node();
  const link = await client.connect<T>(server.addr(), ALPN);
  return { server, client, link };
}

afterEach(async () => {
  await Promise.all(nodes.splice(0).map((n) => n.close()));
});

describe('Link', () => {
  it('round-trips CBOR messages both ways', async () => {
    const { link } = await pair<{ n: bigint; data: Uint8Array }>(async (l) => {
      for await (const msg of l) await l.send({ n: msg.n + 1n, data: msg.data });
    });
    await link.send({ n: 41n, data: new Uint8Array([1, 2, 3]) });
    expect(await link.recv()).toEqual({ n: 42n, data: new Uint8Array([1, 2, 3]) });
    await link.close();
  });

  it('carries a 4 MiB message intact', async () => {
    const big = new Uint8Array(randomBytes(4 * 1024 * 1024));
    const { link } = await pair<Uint8Array>(async (l) => {
      const got = await l.recvRaw();
      await l.sendRaw(got.subarray(0, 32));
      await l.send(got);
    });
    await link.sendRaw(big);
    expect(await link.recvRaw()).toEqual(big.subarray(0, 32));
    // Buffer.equals: a deep toEqual over 4 Mi elements would dominate the test's time.
    expect(Buffer.from(await link.recv()).equals(big)).toBe(true);
    await link.close();
  });

  it('keeps concurrent links apart when they write large frames at once', async () => {
    const server = await node();
    const received = new Map<number, Uint8Array[]>();
    server.handle<Uint8Array>(ALPN, async (l) => {
      const frames: Uint8Array[] = [];
      for (let i = 0; i < 8; i++) frames.push(await l.recvRaw());
      received.set(frames[0]![0]!, frames);
      await l.send(new Uint8Array([1]));
    });
    const client = await node();
    const links = await Promise.all([1, 2, 3].map(() => client.connect<Uint8Array>(server.addr(), ALPN)));
    // Same-size 64 KiB frames from three links in the same ticks: each link's bytes must stay its own.
    await Promise.all(
      links.map((l, i) =>
        Promise.all(Array.from({ length: 8 }, () => l.sendRaw(new Uint8Array(65_536).fill(i + 1)))),
      ),
    );
    await Promise.all(links.map((l) => l.recvRaw()));
    for (const value of [1, 2, 3]) {
      const frames = received.get(value)!;
      expect(frames).toHaveLength(8);
      for (const frame of frames) expect(frame.every((b) => b === value)).toBe(true);
    }
  });

  it('delivers 10,000 small messages in order', async () => {
    const received: number[] = [];
    const { link } = await pair<number>(async (l) => {
      for await (const n of l) {
        received.push(n);
        if (n === 9_999) await l.send(received.length);
      }
    });
    await Promise.all(Array.from({ length: 10_000 }, (_, i) => link.send(i)));
    expect(await link.recv()).toBe(10_000);
    expect(received).toEqual(Array.from({ length: 10_000 }, (_, i) => i));
    await link.close();
  });

  it('delivers every close code to the other side as the same code', async () => {
    const codes = Object.values(CloseCode).filter((v): v is CloseCode => typeof v === 'number');
    const seen = new Map<number, Promise<unknown>>();
    const server = await node();
    server.handle<number>(ALPN, async (l) => {
      const code = await l.recv();
      seen.set(code, l.closed());
      await l.close(code);
    });
    const client = await node();
    for (const code of codes) {
      const link = await client.connect<number>(server.addr(), ALPN);
      await link.send(code);
      const error = await link.recv().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LinkClosedError);
      expect((error as LinkClosedError).info).toMatchObject({ code, local: false });
      expect(await link.closed()).toMatchObject({ code, local: false });
      expect(await seen.get(code)).toMatchObject({ code, local: true });
    }
  });

  it('closes with ProtocolViolation when a frame exceeds the receive cap', async () => {
    let serverError: unknown;
    const { link } = await pair<Uint8Array>(
      async (l) => {
        serverError = await l.recvRaw().catch((e: unknown) => e);
      },
      { maxFrameSize: 1024 },
    );
    await link.sendRaw(new Uint8Array(1025)).catch(() => {});
    expect(await link.closed()).toMatchObject({ code: CloseCode.ProtocolViolation, local: false });
    // The server's recv settles once its own close completes, a moment after the peer saw it.
    expect(await waitFor(() => serverError)).toBeInstanceOf(ProtocolViolationError);
  });

  it('closes with ProtocolViolation on an undecodable payload and keeps serving others', async () => {
    const errors: unknown[] = [];
    const { server, client, link } = await pair<string>(async (l) => {
      try {
        await l.send(`echo ${await l.recv()}`);
      } catch (error) {
        errors.push(error);
      }
    });
    await link.sendRaw(new Uint8Array([0xff, 0xff, 0x1c])); // not valid CBOR
    expect(await link.closed()).toMatchObject({ code: CloseCode.ProtocolViolation });
    expect(await waitFor(() => errors[0])).toBeInstanceOf(ProtocolViolationError);
    const again = await client.connect<string>(server.addr(), ALPN);
    await again.send('hi');
    expect(await again.recv()).toBe('echo hi');
  });

  it('refuses at once to dial a bare id with no known address on the local preset', async () => {
    const client = await node();
    const stranger = await node();
    const error = await client.connect(stranger.peerId, ALPN).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectFailedError);
    expect((error as ConnectFailedError).message).toMatch(/no known address/);
    client.addressBook.observe(stranger.addr());
    stranger.handle<string>(ALPN, async (l) => l.send(await l.recv()));
    const link = await client.connect<string>(stranger.peerId, ALPN);
    await link.send('known now');
    expect(await link.recv()).toBe('known now');
  });

  it('refuses an ALPN the node does not serve', async () => {
    const server = await node();
    server.handle(ALPN, () => {});
    const client = await node();
    await expect(client.connect(server.addr(), '/mosaik/other/1')).rejects.toBeInstanceOf(ConnectFailedError);
  });

  it('reports a clean end of stream mid-conversation as the peer close', async () => {
    const { link } = await pair<string>(async (l) => {
      await l.send('bye');
      await l.close(CloseCode.GracefulShutdown);
    });
    await link.send('hello');
    expect(await link.recv()).toBe('bye');
    const error = await link.recv().catch((e: unknown) => e);
    expect((error as LinkClosedError).info.code).toBe(CloseCode.GracefulShutdown);
  });

  it('closes links with Cancelled when the signal aborts', async () => {
    const { link, server } = await pair<string>(async (l) => {
      await l.recv().catch(() => {});
    });
    await link.send('x');
    const controller = new AbortController();
    const client = nodes[nodes.length - 1]!;
    const second = await client.connect<string>(server.addr(), ALPN, { signal: controller.signal });
    controller.abort();
    expect(await second.closed()).toMatchObject({ code: CloseCode.Cancelled, local: true });
    await expect(second.send('late')).rejects.toBeInstanceOf(LinkClosedError);
  });

  it('reports the selected path round-trip time', async () => {
    const { link } = await pair<number>(async (l) => {
      await l.send(await l.recv());
    });
    await link.send(1);
    await link.recv();
    expect(link.rtt()).toBeGreaterThanOrEqual(0);
  });

  it('tells link-close listeners who closed which link, and how', async () => {
    const seen: {
      side: string;
      alpn: string;
      outgoing: boolean;
      code: number | undefined;
      local: boolean;
    }[] = [];
    const { server, client, link } = await pair<Uint8Array>(async (l) => {
      await l.recvRaw();
      await l.close(CloseCode.NotAllowed);
    });
    const off = server.onLinkClosed((e) => {
      expect(e.peer.equals(client.peerId)).toBe(true);
      seen.push({
        side: 'server',
        alpn: e.alpn,
        outgoing: e.outgoing,
        code: e.info.code,
        local: e.info.local,
      });
    });
    client.onLinkClosed((e) => {
      expect(e.peer.equals(server.peerId)).toBe(true);
      seen.push({
        side: 'client',
        alpn: e.alpn,
        outgoing: e.outgoing,
        code: e.info.code,
        local: e.info.local,
      });
    });
    await link.sendRaw(new Uint8Array([1]));
    await link.closed();
    await waitFor(() => seen.length === 2, { message: 'both sides reported the close' });
    expect(seen.sort((a, b) => a.side.localeCompare(b.side))).toEqual([
      { side: 'client', alpn: ALPN, outgoing: true, code: CloseCode.NotAllowed, local: false },
      { side: 'server', alpn: ALPN, outgoing: false, code: CloseCode.NotAllowed, local: true },
    ]);
    off();
  });
});
