import { afterEach, describe, expect, it } from 'vitest';
import { Ticks } from '../../test/fixtures.js';
import { CloseCode, encodeCbor, id, LinkClosedError, Network } from '../index.js';
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

describe('status protocol', () => {
  it('answers with what the node produces, and refuses other networks and garbage', async () => {
    const network = `status-${Math.random()}`;
    const a = await node(network);
    const b = await node(network);
    a.streams.produce(Ticks);
    const report = await queryStatus(b.local, a.addr, b.networkId);
    expect(report.peer).toBe(a.peerId.toString());
    expect(report.network).toBe(a.networkId.toString());
    expect(report.produced.map((p) => p.stream)).toEqual([Ticks.id.toString()]);
    expect(report.groups).toEqual([]);

    const other = await queryStatus(b.local, a.addr, id('another network')).catch((e: unknown) => e);
    expect(other).toBeInstanceOf(LinkClosedError);
    expect((other as LinkClosedError).info.code).toBe(CloseCode.DifferentNetwork);

    const link = await b.local.connect(a.addr, STATUS_ALPN);
    await link.sendRaw(encodeCbor({ t: 99 }));
    expect((await link.closed()).code).toBe(CloseCode.ProtocolViolation);
  });
});
