import { brotliCompressSync, brotliDecompressSync } from 'node:zlib';
import { blake3, concatBytes as concat, id, toHex } from '@mosaik/id';
import { Expiration, Ticket } from '@mosaik/tickets';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HOUR, MRTD, mock, NOW, network, peer, thrown, ticketFor } from '../test/fixtures.js';
import { le64 } from './bytes.js';
import { TdxTicketError } from './errors.js';
import { MAX_TICKET_LENGTH, TdxTicket } from './ticket.js';

const verify = { ...mock.verifyOptions(), now: NOW };

/** The decompressed payload of an encoded ticket, to tamper with at the field level. */
function payload(t: TdxTicket): Uint8Array {
  return new Uint8Array(brotliDecompressSync(t.encode()));
}

function repack(raw: Uint8Array): Uint8Array {
  return new Uint8Array(brotliCompressSync(raw));
}

function failure(data: Uint8Array): string {
  const err = thrown(() => TdxTicket.decode(data, verify));
  expect(err).toBeInstanceOf(TdxTicketError);
  return (err as TdxTicketError).kind;
}

describe('TdxTicket', () => {
  const holder = peer();
  const ticket = ticketFor(holder);

  it('uses the reference class id', () => {
    expect(TdxTicket.CLASS.equals(id('mosaik.tee.tdx.ticket.v1'))).toBe(true);
  });

  it('binds the fields into the report data as specified', () => {
    const started = NOW - 60_000;
    // derive(x) = blake3(id ‖ x), applied in turn.
    const expected = [
      holder.bytes,
      network.bytes,
      le64(started / 1000),
      le64(NOW / 1000),
      le64(NOW / 1000 + 3600),
    ].reduce(
      (acc, part) => blake3(concat(acc, part)),
      blake3(new TextEncoder().encode('mosaik.tdx.ticket.extra')),
    );
    const rd = TdxTicket.reportData({
      peer: holder,
      network,
      startedAt: started,
      quotedAt: NOW,
      expiration: Expiration.at(NOW + HOUR),
    });
    expect(toHex(rd)).toBe(toHex(expected) + '00'.repeat(32));
    expect(toHex(ticket.quote.report.reportData)).toBe(toHex(rd));
  });

  it('uses eight zero bytes for a never-expiring ticket and ignores sub-second parts', () => {
    const base = { peer: holder, network, startedAt: NOW, quotedAt: NOW };
    const never = TdxTicket.reportData({ ...base, expiration: Expiration.never() });
    const atZero = TdxTicket.reportData({ ...base, expiration: Expiration.at(0) });
    expect(toHex(never)).toBe(toHex(atZero));
    const fraction = TdxTicket.reportData({ ...base, quotedAt: NOW + 999, expiration: Expiration.never() });
    expect(toHex(fraction)).toBe(toHex(never));
  });

  it('round-trips through a generic Ticket', () => {
    const generic = ticket.toTicket();
    expect(generic.class.equals(TdxTicket.CLASS)).toBe(true);
    const back = TdxTicket.fromTicket(generic, verify);
    expect(back.peer.equals(holder)).toBe(true);
    expect(back.network.equals(network)).toBe(true);
    expect(back.quotedAt.getTime()).toBe(NOW);
    expect(back.startedAt.getTime()).toBe(NOW - 60_000);
    expect(back.expiration.at).toBe(NOW + HOUR);
    expect(back.measurements.mrtd.toString()).toBe(MRTD);
    expect(back.uptime(NOW)).toBe(60_000);
    expect(back.verification.mode).toBe('verified');
    expect(back.toString()).toContain(`mrtd:       ${MRTD}`);
  });

  it('round-trips a never-expiring ticket', () => {
    const t = ticketFor(holder, { expiration: Expiration.never() });
    expect(TdxTicket.decode(t.encode(), verify).expiration.isNever).toBe(true);
  });

  it('compresses the quote', () => {
    expect(ticket.encode().length).toBeLessThan(ticket.quoteBytes.length);
  });

  it('generates tickets through a provider, quoted now', async () => {
    const t = await TdxTicket.generate(
      mock,
      { peer: holder, network, startedAt: NOW - 1000, expiration: Expiration.at(NOW + HOUR) },
      { now: NOW },
    );
    expect(t.quotedAt.getTime()).toBe(NOW);
    expect(t.verification.mode).toBe('self-consistent');
    expect(TdxTicket.decode(t.encode(), verify).verification.mode).toBe('verified');
  });

  it('refuses to generate a ticket whose expiration has passed', async () => {
    const err = await TdxTicket.generate(
      mock,
      { peer: holder, network, startedAt: NOW, expiration: Expiration.at(NOW - 1) },
      { now: NOW },
    ).catch((e: unknown) => e);
    expect((err as TdxTicketError).kind).toBe('expiration_in_the_past');
  });

  it('rejects a generic ticket of another class', () => {
    const err = thrown(() =>
      TdxTicket.fromTicket(new Ticket(id('mosaik.tickets.jwt.v1'), ticket.encode()), verify),
    );
    expect((err as TdxTicketError).kind).toBe('invalid_ticket_type');
  });

  it('rejects a mock ticket against the Intel root', () => {
    const err = thrown(() => TdxTicket.decode(ticket.encode(), { now: NOW }));
    expect((err as TdxTicketError).kind).toBe('quote');
    expect((err as TdxTicketError).message).toMatch(/pck_chain/);
  });

  it('rejects a quote whose report data binds other fields', () => {
    const fields = { peer: holder, network, startedAt: NOW, quotedAt: NOW, expiration: Expiration.never() };
    const quote = mock.quote(TdxTicket.reportData(fields));
    const err = thrown(() => TdxTicket.fromQuote(quote, { ...fields, peer: peer() }, verify));
    expect((err as TdxTicketError).kind).toBe('invalid_report_data');
  });

  describe('a flipped bit in a ticket field', () => {
    const raw = payload(ticket);
    const fields: [string, number, number][] = [
      ['peer', 2, 34],
      ['network', 34, 66],
      ['startedAt', 66, 74],
      ['quotedAt', 74, 82],
      ['expiration', 82, 90],
    ];
    it.each(fields)('in %s breaks the report-data binding', (name, start, end) => {
      const outcomes = new Set<string>();
      for (let bit = start * 8; bit < end * 8; bit += 5) {
        const copy = new Uint8Array(raw);
        copy[bit >> 3]! ^= 1 << (bit & 7);
        outcomes.add(failure(repack(copy)));
      }
      // A high bit of a u64 time is out of range, and a flipped peer id may not be a valid
      // ed25519 key: both are caught as format errors before the binding check.
      expect([...outcomes].every((o) => o === 'invalid_report_data' || o === 'invalid_format')).toBe(true);
      expect(outcomes.has('invalid_report_data')).toBe(true);
      if (name !== 'peer') {
        const low = new Uint8Array(raw);
        low[start]! ^= 1;
        expect(failure(repack(low))).toBe('invalid_report_data');
      }
    });

    it('in the format version, flags or quote length is a format error', () => {
      for (const at of [0, 1, 90, 93]) {
        const copy = new Uint8Array(raw);
        copy[at]! ^= 0x02;
        expect(failure(repack(copy))).toBe('invalid_format');
      }
      const never = new Uint8Array(raw);
      never[1] = 1; // says "never" while carrying an expiration
      expect(failure(repack(never))).toBe('invalid_format');
    });

    it('in the quote is a quote error', () => {
      for (const at of [95, 200, 800, 1500, raw.length - 100]) {
        const copy = new Uint8Array(raw);
        copy[at]! ^= 0x10;
        expect(failure(repack(copy))).toBe('quote');
      }
    });
  });

  describe('bounds', () => {
    it('rejects compressed input over 64 KiB', () => {
      expect(
        (thrown(() => TdxTicket.decode(new Uint8Array(MAX_TICKET_LENGTH + 1), verify)) as Error).message,
      ).toMatch(/more than 65536/);
    });

    it('stops decompressing a bomb at 64 KiB', () => {
      const bomb = new Uint8Array(brotliCompressSync(new Uint8Array(1024 * 1024)));
      expect(bomb.length).toBeLessThan(256);
      const err = thrown(() => TdxTicket.decode(bomb, verify)) as TdxTicketError;
      expect(err.kind).toBe('invalid_format');
      expect(err.message).toMatch(/decompresses to more than/);
    });

    it('turns random bytes into TdxTicketError and nothing else', () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => {
          expect(thrown(() => TdxTicket.decode(bytes, verify))).toBeInstanceOf(TdxTicketError);
        }),
        { numRuns: 300 },
      );
    });

    it('turns random payloads behind valid compression into TdxTicketError and nothing else', () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
          const raw = new Uint8Array(bytes);
          if (raw.length > 0) raw[0] = 1;
          expect(thrown(() => TdxTicket.decode(repack(raw), verify))).toBeInstanceOf(TdxTicketError);
        }),
        { numRuns: 300 },
      );
    });
  });
});
