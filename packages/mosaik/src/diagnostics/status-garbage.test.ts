/**
 * Bad input on `/mosaik/status/1`: malformed requests are closed with `ProtocolViolation` and
 * counted, bytes after a valid request are never read, and the node keeps answering others.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { Ticks } from '../../test/fixtures.js';
import { CloseCode, encodeCbor, Network, randomBytes, toHex, waitFor } from '../index.js';
import { decodeReport } from './report.js';
import { queryStatus, STATUS_ALPN } from './status-protocol.js';

const open: Network[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((n) => n.close()));
});

async function node(network: string): Promise<Network> {
  const n = await Network.create(network, { preset: 'local' });
  open.push(n);
  return n;
}

async function refused(n: Network, reason: string): Promise<number> {
  const metric = await n.local.metrics.registry.getSingleMetric('mosaik_status_rejected_total')?.get();
  return metric?.values.find((v) => v.labels.reason === reason)?.value ?? 0;
}

describe('status protocol under bad input', () => {
  it('closes malformed requests with ProtocolViolation, counts them, and answers the next requester', async () => {
    const network = `status-garbage-${Math.random()}`;
    const server = await node(network);
    const client = await node(network);
    server.streams.produce(Ticks);
    const request = encodeCbor({ t: 1, network: toHex(server.networkId.bytes) });
    const malformed: readonly (readonly [string, Uint8Array])[] = [
      ['random bytes', randomBytes(70)],
      ['an empty frame', new Uint8Array(0)],
      ['a truncated request', request.subarray(0, request.length - 4)],
      ['an unknown type', encodeCbor({ t: 99, network: toHex(server.networkId.bytes) })],
      ['a numeric network', encodeCbor({ t: 1, network: 5 })],
      ['a bare array', encodeCbor([1, 'x'])],
    ];
    let expected = 0;
    for (const [what, frame] of malformed) {
      const link = await client.local.connect(server.addr, STATUS_ALPN);
      await link.sendRaw(frame);
      expect((await waitFor(link.closed(), { timeout: 5000, message: what })).code, what).toBe(
        CloseCode.ProtocolViolation,
      );
      expected++;
      expect(await refused(server, 'ProtocolViolation'), what).toBe(expected);
    }
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 200 }), async (frame) => {
        const link = await client.local.connect(server.addr, STATUS_ALPN);
        await link.sendRaw(frame);
        expect((await waitFor(link.closed(), { timeout: 5000 })).code).toBe(CloseCode.ProtocolViolation);
      }),
      { numRuns: 10 },
    );

    // A valid request followed by garbage: the reply comes, the garbage is never read.
    const link = await client.local.connect(server.addr, STATUS_ALPN);
    await link.sendRaw(request);
    await link.sendRaw(randomBytes(300));
    const report = decodeReport(await link.recvRaw());
    expect(report.peer).toBe(server.peerId.toString());
    expect((await waitFor(link.closed(), { timeout: 5000 })).code).toBe(CloseCode.Success);

    // Other requesters are served as before.
    const again = await queryStatus(client.local, server.addr, client.networkId);
    expect(again.produced.map((p) => p.stream)).toEqual([Ticks.id.toString()]);
    expect(await refused(server, 'DifferentNetwork')).toBe(0);
  });
});
