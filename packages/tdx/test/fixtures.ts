import { id, type NetworkId, type PeerId, SecretKey } from '@mosaik/id';
import { Expiration } from '@mosaik/tickets';
import { MockTdxProvider } from '../src/mock.js';
import { MockPckCa } from '../src/mock-ca.js';
import { TdxTicket } from '../src/ticket.js';

/** A fixed clock: 2030-01-01T00:00:00Z (inside the mock CA's validity below). */
export const NOW = Date.UTC(2030, 0, 1);
export const clock = (): number => NOW;
export const HOUR = 3_600_000;

/** One CA for the whole suite: key generation is the slow part of the mock. */
export const ca = new MockPckCa({ notBefore: Date.UTC(2025, 0, 1), notAfter: Date.UTC(2035, 0, 1) });

export const MRTD = 'aa'.repeat(48);
export const RTMR = ['01', '02', '03', '04'].map((b) => b.repeat(48)) as [string, string, string, string];

export const mock = new MockTdxProvider({
  ca,
  mrtd: MRTD,
  rtmr0: RTMR[0],
  rtmr1: RTMR[1],
  rtmr2: RTMR[2],
  rtmr3: RTMR[3],
});

export const network: NetworkId = id('mosaik.test.tdx.network');

export function peer(): PeerId {
  return SecretKey.generate().peerId;
}

/** A mock-quoted ticket for `holder`, quoted at {@link NOW}, valid for one hour by default. */
export function ticketFor(
  holder: PeerId,
  options: {
    expiration?: Expiration;
    quotedAt?: number;
    network?: NetworkId;
    provider?: MockTdxProvider;
  } = {},
): TdxTicket {
  const quotedAt = options.quotedAt ?? NOW;
  const fields = {
    peer: holder,
    network: options.network ?? network,
    startedAt: quotedAt - 60_000,
    quotedAt,
    expiration: options.expiration ?? Expiration.at(quotedAt + HOUR),
  };
  const provider = options.provider ?? mock;
  return TdxTicket.fromQuote(provider.quote(TdxTicket.reportData(fields)), fields, {
    ...provider.verifyOptions(),
    now: NOW,
  });
}

/** Runs `f` and returns what it threw; fails the test if it did not throw. */
export function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (err) {
    return err;
  }
  throw new Error('expected an error');
}
