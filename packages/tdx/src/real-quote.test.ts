import { readFileSync } from 'node:fs';
import { toHex } from '@mosaik/id';
import { describe, expect, it } from 'vitest';
import type { QuoteVerificationError } from './errors.js';
import { MockPckCa } from './mock-ca.js';
import { parseQuote } from './quote.js';
import { verifyQuote } from './verify.js';

/**
 * A real TDX v4 quote produced on Intel hardware (a public dstack deployment; published as a
 * test vector in a public repository). Its PCK chain ends at the real Intel SGX Root CA, so
 * this is the one test proving the parser and the `verified` path agree with Intel's format.
 * Certificates are checked at a fixed instant inside the PCK certificate's validity.
 */
const quoteBytes = new Uint8Array(
  Buffer.from(
    readFileSync(new URL('../test/fixtures/real-tdx-v4-quote.hex', import.meta.url), 'utf8').trim(),
    'hex',
  ),
);
const now = Date.UTC(2026, 0, 1);

describe('a real Intel-signed TDX quote', () => {
  it('parses with the expected header and registers', () => {
    const q = parseQuote(quoteBytes);
    expect(q.header.version).toBe(4);
    expect(toHex(q.header.qeVendorId)).toBe('939a7233f79c4ca9940a0db3957f0607');
    expect(toHex(q.report.mrTd)).toBe(
      'c68518a0ebb42136c12b2275164f8c72f25fa9a34392228687ed6e9caeb9c0f1dbd895e9cf475121c029dc47e70e91fd',
    );
    expect(toHex(q.report.rtmr[0])).toBe(
      '3744b154069500a466f514253b49858299b2e1bdc44e3d557337d81e828bedf6a0410f27d3a18c932e5e49e1c4215737',
    );
    expect(q.certification.certificationType).toBe(5);
  });

  it('verifies up to the pinned Intel SGX Root CA', () => {
    const result = verifyQuote(parseQuote(quoteBytes), { now });
    expect(result.pckCertificate?.x509.subject).toContain('Intel SGX PCK Certificate');
  });

  it('fails against a foreign trust anchor', () => {
    const err = (() => {
      try {
        verifyQuote(parseQuote(quoteBytes), { now, trustAnchor: new MockPckCa().trustAnchor });
      } catch (e) {
        return e;
      }
    })();
    expect((err as QuoteVerificationError).kind).toBe('pck_chain');
  });

  it('fails once the PCK certificate has expired', () => {
    expect(() => verifyQuote(parseQuote(quoteBytes), { now: Date.UTC(2040, 0, 1) })).toThrow(/expired/);
  });
});
