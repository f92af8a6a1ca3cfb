/**
 * Every ticket path of a stream end to end over real QUIC (issue #19): consumer-side expiry and
 * renewal, a mock-TDX ticket gating a stream, and hostile JWTs on the streams ALPN.
 */
import { brotliCompressSync, brotliDecompressSync } from 'node:zlib';
import { scaled } from '@mosaik/id';
import { MockPckCa, MockTdxProvider, Tdx, TdxTicket } from '@mosaik/tdx';
import { Expiration, generateJwtKeyPair, Jwt, JwtTicketBuilder, Ticket } from '@mosaik/tickets';
import { describe, expect, it } from 'vitest';
import { defineStream } from '../src/index.js';
import { Cluster, discoverAll, eventually, JWT_ISSUER, JWT_SECRET, metricValue, staysFalse } from './net.js';

const Text = defineStream<string>('ticketed');
const hmac = { alg: 'HS256', secret: JWT_SECRET } as const;

describe('consumer-side ticket expiry', () => {
  it("disconnects when the producer's ticket expires and reconnects when a renewed entry arrives", async () => {
    await using c = new Cluster();
    const [n0, n1] = await c.addMany(2);
    const tickets = new JwtTicketBuilder(hmac).issuer(JWT_ISSUER);
    const first = await tickets.expiresIn(scaled(4_000)).build(n0!.node.peerId);
    n0!.discovery.addTicket(first);
    await discoverAll(c.nodes);
    const p = n0!.streams.produce(Text);
    const consumer = n1!.streams
      .consumer(Text)
      .requireTicket(new Jwt({ key: hmac, issuer: JWT_ISSUER }))
      .build();
    await consumer.when.subscribed().wait();
    await p.send('before expiry');
    expect(await consumer.recv(AbortSignal.timeout(scaled(10_000)))).toBe('before expiry');
    // The consumer cancels its receiver at the expiry instant: no producer close is involved.
    await consumer.when.unsubscribed().wait();
    expect(consumer.producers()).toHaveLength(0);
    await p.when.offline();
    // Renewal: a new entry with a fresh ticket reaches the consumer's catalog.
    n0!.discovery.removeTicket(first.id());
    n0!.discovery.addTicket(await tickets.expiresIn(3_600_000).build(n0!.node.peerId));
    n1!.discovery.feed(n0!.discovery.me());
    await consumer.when.subscribed().wait();
    await p.when.online();
    await p.send('after renewal');
    expect(await consumer.recv(AbortSignal.timeout(scaled(10_000)))).toBe('after renewal');
  });
});

describe('a mock-TDX ticket gating a stream', () => {
  it('admits a consumer with a valid quote and refuses a forged MRTD', async () => {
    await using c = new Cluster();
    const [n0, good, forged, other] = await c.addMany(4);
    const mrtd = 'aa'.repeat(48);
    const ca = new MockPckCa();
    const genuine = new MockTdxProvider({ mrtd, ca });
    const tdxTicket = async (provider: MockTdxProvider, peer: typeof good) =>
      TdxTicket.generate(provider, {
        peer: peer!.node.peerId,
        network: c.network,
        startedAt: Date.now(),
        expiration: Expiration.after(3_600_000),
      });
    good!.discovery.addTicket((await tdxTicket(genuine, good)).toTicket());
    // Same MRTD claimed, but the quote body was edited after signing: the signature breaks.
    const edited = (await tdxTicket(new MockTdxProvider({ mrtd: 'bb'.repeat(48), ca }), forged)).encode();
    const raw = new Uint8Array(brotliDecompressSync(edited)); // tickets travel brotli-compressed
    const tampered = replaceAll(raw, hexBytes('bb'.repeat(48)), hexBytes(mrtd));
    expect(tampered).not.toEqual(raw);
    const forgedBytes = new Uint8Array(brotliCompressSync(tampered));
    forged!.discovery.addTicket(new Ticket(TdxTicket.CLASS, forgedBytes));
    // A genuine quote from a machine with another MRTD.
    other!.discovery.addTicket(
      (await tdxTicket(new MockTdxProvider({ mrtd: 'cc'.repeat(48), ca }), other)).toTicket(),
    );
    await discoverAll(c.nodes);
    const p = n0!.streams
      .producer(Text)
      .requireTicket(Tdx.new({ trustAnchor: genuine.trustAnchor, network: c.network }).requireMrtd(mrtd))
      .build();
    const consumers = [good, forged, other].map((n) => n!.streams.consume(Text));
    await p.when.online();
    await eventually(
      async () =>
        (await metricValue(n0!, 'mosaik_streams_producer_consumers_rejected_total', { reason: 'ticket' })) >=
        2,
      'both bad quotes refused',
    );
    expect(p.consumers().map((ch) => ch.peerId.toString())).toEqual([good!.node.peerId.toString()]);
    await p.send('attested');
    expect(await consumers[0]!.recv(AbortSignal.timeout(scaled(10_000)))).toBe('attested');
    expect(consumers[1]!.tryRecv()).toBeUndefined();
    expect(consumers[2]!.tryRecv()).toBeUndefined();
  });
});

describe('hostile JWTs on the streams ALPN', () => {
  it('expired, forged, alg none and HS256-with-the-public-key tickets are refused and counted; others are served', async () => {
    await using c = new Cluster();
    const [n0, valid, expired, forged, none, confused] = await c.addMany(6);
    const keys = generateJwtKeyPair('ES256');
    const issue = (key = keys.signingKey) => new JwtTicketBuilder(key).issuer(JWT_ISSUER);
    valid!.discovery.addTicket(await issue().expiresIn(3_600_000).build(valid!.node.peerId));
    expired!.discovery.addTicket(
      await issue()
        .expiresAt(Date.now() - 60_000)
        .issuedAt(Date.now() - 120_000)
        .build(expired!.node.peerId),
    );
    forged!.discovery.addTicket(
      await issue(generateJwtKeyPair('ES256').signingKey).expiresIn(3_600_000).build(forged!.node.peerId),
    );
    none!.discovery.addTicket(unsignedJwt(none!.node.peerId.toString()));
    const publicKey = (keys.verifyingKey as { publicKey: Uint8Array }).publicKey;
    confused!.discovery.addTicket(
      await issue({ alg: 'HS256', secret: publicKey }).expiresIn(3_600_000).build(confused!.node.peerId),
    );
    await discoverAll(c.nodes);
    const p = n0!.streams
      .producer(Text)
      .requireTicket(new Jwt({ key: keys.verifyingKey, issuer: JWT_ISSUER }))
      .build();
    const consumers = [valid, expired, forged, none, confused].map((n) => n!.streams.consume(Text));
    await p.when.online();
    const rejected = () =>
      metricValue(n0!, 'mosaik_streams_producer_consumers_rejected_total', { reason: 'ticket' });
    await eventually(async () => (await rejected()) >= 4, 'four hostile tickets refused');
    await staysFalse(() => p.consumers().length > 1, 'a hostile ticket was admitted');
    expect(p.consumers().map((ch) => ch.peerId.toString())).toEqual([valid!.node.peerId.toString()]);
    for (const refused of consumers.slice(1)) expect(refused.producers()).toHaveLength(0);
    await p.send('still serving');
    expect(await consumers[0]!.recv(AbortSignal.timeout(scaled(10_000)))).toBe('still serving');
  });
});

/** A JWT with `alg: none` and no signature, otherwise well-formed for `sub`. */
function unsignedJwt(sub: string): Ticket {
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const token = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ iss: JWT_ISSUER, sub, iat: now, exp: now + 3600 })}.`;
  return new Ticket(Jwt.CLASS, new TextEncoder().encode(token));
}

function hexBytes(hex: string): Uint8Array {
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}

/** `bytes` with every occurrence of `from` replaced by `to` (same length). */
function replaceAll(bytes: Uint8Array, from: Uint8Array, to: Uint8Array): Uint8Array {
  const out = Uint8Array.from(bytes);
  const buf = Buffer.from(out.buffer, out.byteOffset, out.length);
  for (let at = buf.indexOf(from); at >= 0; at = buf.indexOf(from, at + from.length)) out.set(to, at);
  return out;
}
