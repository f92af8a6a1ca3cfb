import { blake3, concatBytes as concat, id, type PeerId, toHex } from '@mosaik/id';
import { Expiration, InvalidTicketError, Ticket, validateAll } from '@mosaik/tickets';
import { describe, expect, it } from 'vitest';
import {
  ca,
  clock,
  HOUR,
  MRTD,
  mock,
  NOW,
  network,
  peer,
  RTMR,
  thrown,
  ticketFor,
} from '../test/fixtures.js';
import { TdxConfigError, TdxTicketError } from './errors.js';
import { INTEL_SGX_ROOT_CA_FINGERPRINT } from './intel-root.js';
import { Measurement, MeasurementsCriteria } from './measurement.js';
import { MockTdxProvider } from './mock.js';
import { MockPckCa } from './mock-ca.js';
import { localMeasurements, Tdx } from './validator.js';

/** The validator the tests start from: verified mode against the mock CA, fixed clock. */
const base = new Tdx({ trustAnchor: mock.trustAnchor, clock, network });
const OTHER = 'bb'.repeat(48);

function reason(validator: Tdx, data: Uint8Array, holder: PeerId): string {
  const err = thrown(() => validator.validate(data, holder));
  expect(err).toBeInstanceOf(InvalidTicketError);
  return (err as InvalidTicketError).reason;
}

describe('Tdx validator', () => {
  const holder = peer();
  const data = ticketFor(holder).encode();

  it('accepts a mock ticket on the full verified path and returns its expiration', () => {
    expect(base.validate(data, holder).at).toBe(NOW + HOUR);
  });

  it('rejects mock tickets with the default trust anchor (the Intel root)', () => {
    const err = thrown(() => new Tdx({ clock }).validate(data, holder)) as InvalidTicketError;
    expect(err.reason).toMatch(/pck_chain/);
    expect(err.cause).toBeInstanceOf(TdxTicketError);
  });

  it('accepts mock tickets with the Intel root in self-consistent mode', () => {
    expect(new Tdx({ clock }).selfConsistent().validate(data, holder).at).toBe(NOW + HOUR);
  });

  it('rejects a ticket bound to another peer', () => {
    expect(reason(base, data, peer())).toBe('ticket is bound to another peer');
  });

  it('rejects a ticket bound to another network, when a network is configured', () => {
    const foreign = ticketFor(holder, { network: id('another network') }).encode();
    expect(reason(base, foreign, holder)).toBe('ticket is bound to another network');
    expect(new Tdx({ trustAnchor: mock.trustAnchor, clock }).validate(foreign, holder).isNever).toBe(false);
  });

  describe('measurements', () => {
    it('accepts matching MRTD and RTMR pins given as hex, bytes or Measurement', () => {
      const v = base
        .requireMrtd(MRTD)
        .requireRtmr0(Buffer.from(RTMR[0], 'hex'))
        .requireRtmr1(Measurement.from(RTMR[1]))
        .requireRtmr2(RTMR[2])
        .requireRtmr3(RTMR[3]);
      expect(v.validate(data, holder).at).toBe(NOW + HOUR);
    });

    it('rejects an MRTD mismatch', () => {
      expect(reason(base.requireMrtd(OTHER), data, holder)).toBe('mrtd does not match the required value');
    });

    it.each([0, 1, 2, 3] as const)('rejects an RTMR%i mismatch', (i) => {
      expect(reason(base.requireRtmr(i, OTHER), data, holder)).toBe(
        `rtmr${i} does not match the required value`,
      );
    });

    it('needs one variant to match in addition to the baseline', () => {
      const v = base.requireMrtd(MRTD);
      const good = MeasurementsCriteria.of({ rtmr2: RTMR[2] });
      const bad = MeasurementsCriteria.of({ rtmr2: OTHER });
      expect(v.allowVariant(bad).allowVariant(good).validate(data, holder).at).toBe(NOW + HOUR);
      expect(reason(v.allowVariant(bad), data, holder)).toBe(
        'measurements match none of the allowed variants',
      );
      expect(reason(base.requireMrtd(OTHER).allowVariant(good), data, holder)).toMatch(/^mrtd/);
    });

    it('builds the baseline from a local quote', async () => {
      const local = await Tdx.fromLocal(mock, { trustAnchor: mock.trustAnchor, clock });
      expect(local.baselineCriteria.mrtd?.toString()).toBe(MRTD);
      expect(local.validate(data, holder).isNever).toBe(false);
      const elsewhere = new MockTdxProvider({ ca });
      expect(
        reason(await Tdx.fromLocal(elsewhere, { trustAnchor: ca.trustAnchor, clock }), data, holder),
      ).toMatch(/^mrtd/);
      expect((await localMeasurements(mock)).rtmr3.toString()).toBe(RTMR[3]);
      expect((await base.requireOwnRtmr(2, elsewhere)).baselineCriteria.rtmr[2]?.toString()).toBe(
        elsewhere.measurements.rtmr2.toString(),
      );
    });
  });

  describe('time', () => {
    it('maxAge: accepts fresh quotes, rejects old ones and ones dated in the future', () => {
      expect(base.maxAge(HOUR).validate(data, holder).isNever).toBe(false);
      const old = ticketFor(holder, {
        quotedAt: NOW - 2 * HOUR,
        expiration: Expiration.at(NOW + HOUR),
      }).encode();
      expect(reason(base.maxAge(HOUR), old, holder)).toBe(`quote is older than ${HOUR} ms`);
      const future = ticketFor(holder, { quotedAt: NOW + 5_000 }).encode();
      expect(reason(base.maxAge(HOUR), future, holder)).toBe('quote is dated in the future');
    });

    it('notBefore: rejects quotes generated before the instant', () => {
      expect(base.notBefore(NOW).validate(data, holder).isNever).toBe(false);
      expect(reason(base.notBefore(new Date(NOW + 1000)), data, holder)).toMatch(/^quote predates/);
    });

    it('maxLifetime: rejects never-expiring and too long-lived tickets', () => {
      expect(base.maxLifetime(HOUR).validate(data, holder).isNever).toBe(false);
      expect(reason(base.maxLifetime(HOUR - 1000), data, holder)).toBe(`lifetime exceeds ${HOUR - 1000} ms`);
      const never = ticketFor(holder, { expiration: Expiration.never() }).encode();
      expect(base.validate(never, holder).isNever).toBe(true);
      expect(reason(base.maxLifetime(HOUR), never, holder)).toMatch(/non-expiring/);
    });

    it('rejects expired tickets', () => {
      const expired = ticketFor(holder, { quotedAt: NOW - 2 * HOUR }).encode();
      expect(reason(base, expired, holder)).toMatch(/^expired at/);
    });

    it('re-checks certificate validity when the clock passes the chain expiry, despite the cache', () => {
      let now = NOW;
      const v = new Tdx({ trustAnchor: ca.trustAnchor, clock: () => now });
      const never = ticketFor(holder, { expiration: Expiration.never() }).encode();
      expect(v.validate(never, holder).isNever).toBe(true);
      now = Date.UTC(2036, 0, 1);
      expect(reason(v, never, holder)).toMatch(/expired at 2035/);
    });
  });

  it('works with validateAll like any validator', () => {
    const tickets = [new Ticket(id('unrelated'), new Uint8Array(3)), ticketFor(holder).toTicket()];
    expect(validateAll(tickets, [base.requireMrtd(MRTD)], holder, { now: NOW }).at).toBe(NOW + HOUR);
    expect(() => validateAll(tickets, [base.requireMrtd(OTHER)], holder, { now: NOW })).toThrow(
      InvalidTicketError,
    );
  });

  it('turns garbage into InvalidTicketError', () => {
    for (const junk of [new Uint8Array(0), new Uint8Array([1, 2, 3]), new Uint8Array(70_000)]) {
      expect(thrown(() => base.validate(junk, holder))).toBeInstanceOf(InvalidTicketError);
    }
  });

  describe('signature', () => {
    it('is deterministic from the configuration', () => {
      const a = new Tdx({ trustAnchor: mock.trustAnchor, network, maxAge: HOUR }).requireMrtd(MRTD);
      const b = new Tdx({ trustAnchor: ca.root, network, maxAge: HOUR, clock: () => 0 }).requireMrtd(
        Buffer.from(MRTD, 'hex'),
      );
      expect(a.signature.equals(b.signature)).toBe(true);
      // CRLs change over time and must not split groups.
      expect(a.withCrls([ca.crl([])]).signature.equals(a.signature)).toBe(true);
    });

    it('changes with every setting', () => {
      const root = new Tdx();
      const variants = [
        root,
        root.selfConsistent(),
        root.withTrustAnchor(ca.trustAnchor),
        root.withTrustAnchor(new MockPckCa().trustAnchor),
        root.requireMrtd(MRTD),
        root.requireMrtd(OTHER),
        root.requireRtmr0(MRTD),
        root.requireRtmr3(MRTD),
        root.allowVariant(MeasurementsCriteria.empty()),
        root.allowVariant(MeasurementsCriteria.of({ mrtd: MRTD })),
        root.forNetwork(network),
        root.maxAge(HOUR),
        root.maxAge(0),
        root.notBefore(NOW),
        root.maxLifetime(HOUR),
      ];
      const seen = new Set(variants.map((v) => v.signature.toString()));
      expect(seen.size).toBe(variants.length);
    });

    it('ignores the trust anchor in self-consistent mode (it is not used)', () => {
      const a = new Tdx({ mode: 'self-consistent' });
      expect(a.withTrustAnchor(ca.trustAnchor).signature.equals(a.signature)).toBe(true);
    });

    it('has a stable class', () => {
      expect(Tdx.CLASS.equals(id('mosaik.tee.tdx.ticket.v1'))).toBe(true);
      expect(base.class.equals(Tdx.CLASS)).toBe(true);
    });
  });

  it('refuses bad configuration at construction', () => {
    expect(() => new Tdx({ maxAge: -1 })).toThrow(TdxConfigError);
    expect(() => new Tdx({ notBefore: Number.NaN })).toThrow(TdxConfigError);
    expect(() => base.requireMrtd('abcd')).toThrow(/48 bytes/);
    expect(() => base.requireMrtd('zz'.repeat(48))).toThrow(/hex/);
    expect(() => new Tdx({ trustAnchor: 'nope' })).toThrow(TdxConfigError);
  });
});

describe('MeasurementsCriteria', () => {
  it('has a signature that depends on which register holds a value', () => {
    const m = 'cd'.repeat(48);
    const sigs = [
      MeasurementsCriteria.empty(),
      MeasurementsCriteria.of({ mrtd: m }),
      MeasurementsCriteria.of({ rtmr0: m }),
      MeasurementsCriteria.of({ rtmr1: m }),
      MeasurementsCriteria.of({ rtmr2: m }),
      MeasurementsCriteria.of({ rtmr3: m }),
    ].map((c) => c.signature().toString());
    expect(new Set(sigs).size).toBe(6);
    expect(MeasurementsCriteria.of({}).signature().equals(MeasurementsCriteria.empty().signature())).toBe(
      true,
    );
  });

  it('uses the reference filler for unset registers', () => {
    // An explicit 0x09-filled MRTD is indistinguishable from "unset" by construction.
    const filler = new Uint8Array(48).fill(0x09);
    expect(
      MeasurementsCriteria.of({ mrtd: filler }).signature().equals(MeasurementsCriteria.empty().signature()),
    ).toBe(true);
  });
});

describe('validation order and golden formulas', () => {
  const enc = (s: string) => new TextEncoder().encode(s);
  const chain = (start: Uint8Array, ...parts: Uint8Array[]) =>
    parts.reduce((acc, p) => blake3(concat(acc, p)), start);

  it('checks measurements before the peer binding (reference order)', () => {
    const holder = peer();
    const data = ticketFor(holder).encode();
    expect(reason(base.requireMrtd(OTHER), data, peer())).toMatch(/^mrtd/);
    expect(reason(base.maxAge(0), data, peer())).toBe('ticket is bound to another peer');
  });

  it('computes the criteria signature as the documented blake3 chain', () => {
    const m = new Uint8Array(48).fill(0xcd);
    const expected = chain(
      blake3(enc('mosaik.tee.tdx.measurements-criteria.v1')),
      m,
      new Uint8Array(48).fill(1),
      new Uint8Array(48).fill(2),
      new Uint8Array(48).fill(3),
      new Uint8Array(48).fill(4),
    );
    expect(toHex(MeasurementsCriteria.of({ mrtd: m }).signature().bytes)).toBe(toHex(expected));
  });

  it('computes the validator signature as the documented blake3 chain', () => {
    const expected = chain(
      blake3(enc('mosaik.tee.tdx.ticket.v1')),
      enc('mode:verified'),
      enc(`anchor:${INTEL_SGX_ROOT_CA_FINGERPRINT}`),
      MeasurementsCriteria.empty().signature().bytes,
      enc('variants:0'),
      enc('network:any'),
      enc('maxAge:3600000'),
      enc('notBefore:none'),
      enc('maxLifetime:none'),
    );
    expect(toHex(new Tdx().maxAge(HOUR).signature.bytes)).toBe(toHex(expected));
  });
});
