/**
 * `close()` lingers until the peer acknowledged what we sent, unless told the exchange is
 * complete (`linger: false`). Real QUIC between two raw endpoints; the client's send half is
 * wrapped only to record whether the close waited for the acknowledgement.
 */
import { PeerId } from '@mosaik/id';
import { afterEach, describe, expect, it } from 'vitest';
import { CloseCode } from './close-code.js';
import { rawEndpoint, rawLoopbackAddr } from './fixtures/raw-endpoint.js';
import { Link } from './link.js';
import {
  type NativeBiStream,
  type NativeConnection,
  type NativeEndpointType,
  nativeString,
} from './native.js';

const ALPN = '/mosaik/test/linger/1';
const endpoints: NativeEndpointType[] = [];

afterEach(async () => {
  await Promise.all(endpoints.splice(0).map((e) => e.close()));
});

async function endpoint(): Promise<NativeEndpointType> {
  const e = await rawEndpoint(ALPN);
  endpoints.push(e);
  return e;
}

/**
 * A link over `conn` and `bi` to the endpoint `remote`, with its `send.stopped()` (the wait for
 * the peer's acknowledgement) counted.
 */
function countedLink(
  conn: NativeConnection,
  bi: NativeBiStream,
  remote: NativeEndpointType,
): { link: Link<Uint8Array>; stoppedCalls: () => number } {
  let stopped = 0;
  const send = new Proxy(bi.send, {
    get(target, key) {
      const value = Reflect.get(target, key, target);
      if (typeof value !== 'function') return value;
      if (key === 'stopped') stopped++;
      return value.bind(target);
    },
  });
  const remoteId = PeerId.fromBytes(Uint8Array.from(remote.id().toBytes()));
  const link = new Link<Uint8Array>(conn, { send, recv: bi.recv } as NativeBiStream, remoteId, ALPN);
  return { link, stoppedCalls: () => stopped };
}

/**
 * A client link to a server that answers one message, with the client's `send.stopped()` (the
 * wait for the peer's acknowledgement) counted; the message has been answered on return.
 */
async function answeredLink(): Promise<{ link: Link<Uint8Array>; stoppedCalls: () => number }> {
  const server = await endpoint();
  const client = await endpoint();
  void (async () => {
    const incoming = await server.acceptNext();
    const conn = await (await incoming!.accept()).connect();
    const bi = await conn.acceptBi();
    const request = await bi.recv.read(65536);
    await bi.send.writeAll(request);
    await conn.closed().catch(() => {});
  })().catch(() => {});
  const conn = await client.connect(rawLoopbackAddr(server), nativeString(ALPN));
  const { link, stoppedCalls } = countedLink(conn, await conn.openBi(), server);
  await link.sendRaw(new Uint8Array([1, 2, 3]));
  expect(await link.recvRaw()).toEqual(new Uint8Array([1, 2, 3]));
  return { link, stoppedCalls };
}

describe('Link.close lingering', () => {
  it('waits for the peer to acknowledge what was sent by default', async () => {
    const { link, stoppedCalls } = await answeredLink();
    await link.close(CloseCode.Success);
    expect(stoppedCalls()).toBe(1);
  });

  it('closes at once with linger: false, the exchange being complete', async () => {
    const { link, stoppedCalls } = await answeredLink();
    await link.close(CloseCode.Success, undefined, { linger: false });
    expect(stoppedCalls()).toBe(0);
    expect((await link.closed()).code).toBe(CloseCode.Success);
  });

  it('closes at once when it wrote nothing: there is nothing to be acknowledged', async () => {
    const server = await endpoint();
    const client = await endpoint();
    const accepted = (async () => {
      const incoming = await server.acceptNext();
      const conn = await (await incoming!.accept()).connect();
      return countedLink(conn, await conn.acceptBi(), client);
    })();
    const conn = await client.connect(rawLoopbackAddr(server), nativeString(ALPN));
    const bi = await conn.openBi();
    await bi.send.writeAll([0, 0, 0, 1, 7]);
    const { link, stoppedCalls } = await accepted;
    expect(await link.recvRaw()).toEqual(new Uint8Array([7]));
    await link.close(CloseCode.Success);
    expect(stoppedCalls()).toBe(0);
    // The peer still learns the close code.
    expect(await conn.closed()).toContain(String(CloseCode.Success));
  });
});
