import { toHex } from '@mosaik/id';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ca, MRTD, mock, RTMR, thrown } from '../test/fixtures.js';
import { QuoteParseError } from './errors.js';
import { MockTdxProvider } from './mock.js';
import { parseQuote, QE_REPORT_LENGTH } from './quote.js';

const reportData = Uint8Array.from({ length: 64 }, (_, i) => i);
const v4 = mock.quote(reportData);
const v5 = new MockTdxProvider({ ca, version: 5, mrtd: MRTD }).quote(reportData);

function withU16(quote: Uint8Array, at: number, value: number): Uint8Array {
  const copy = new Uint8Array(quote);
  new DataView(copy.buffer).setUint16(at, value, true);
  return copy;
}

describe('parseQuote', () => {
  it('reads the v4 header, TD report and certification data', () => {
    const q = parseQuote(v4);
    expect(q.header.version).toBe(4);
    expect(q.header.attestationKeyType).toBe(2);
    expect(q.header.teeType).toBe(0x81);
    expect(q.bodyType).toBe(2);
    expect(q.report.tdxVersion).toBe('1.0');
    expect(toHex(q.report.mrTd)).toBe(MRTD);
    expect(q.report.rtmr.map(toHex)).toEqual(RTMR);
    expect(q.report.reportData).toEqual(reportData);
    expect(q.signedRegion.length).toBe(48 + 584);
    expect(q.certification.qeReport.bytes.length).toBe(QE_REPORT_LENGTH);
    expect(q.certification.certificationType).toBe(5);
    expect(Buffer.from(q.certification.certificationData).toString('latin1')).toMatch(
      /^-----BEGIN CERTIFICATE-----\n/,
    );
    expect(q.report.teeTcbSvn2).toBeUndefined();
  });

  it('reads v5 quotes with a TDX 1.5 body and signs the body descriptor', () => {
    const q = parseQuote(v5);
    expect(q.header.version).toBe(5);
    expect(q.bodyType).toBe(3);
    expect(q.report.tdxVersion).toBe('1.5');
    expect(toHex(q.report.mrTd)).toBe(MRTD);
    expect(q.report.mrServiceTd?.length).toBe(48);
    expect(q.signedRegion.length).toBe(48 + 6 + 648);
  });

  it('copies its input, so later changes to the buffer do not leak in', () => {
    const input = new Uint8Array(v4);
    const q = parseQuote(input);
    input.fill(0);
    expect(toHex(q.report.mrTd)).toBe(MRTD);
  });

  it.each([
    ['version', 0, 3, /version 3/],
    ['attestation key type', 2, 3, /attestation key type 3/],
    ['TEE type', 4, 0, /TEE type 0x0/],
  ])('rejects an unsupported %s', (_what, at, value, message) => {
    const err = thrown(() => parseQuote(withU16(v4, at, value)));
    expect(err).toBeInstanceOf(QuoteParseError);
    expect((err as QuoteParseError).message).toMatch(message);
    expect((err as QuoteParseError).code).toBe('tdx_quote_parse');
  });

  it('rejects a v5 body type other than TDX 1.0/1.5 and a mismatched body size', () => {
    expect(() => parseQuote(withU16(v5, 48, 1))).toThrow(/body type 1/);
    expect(() => parseQuote(withU16(v5, 48, 2))).toThrow(/needs 584 bytes/);
  });

  it('accepts zero padding after the signature data but nothing else', () => {
    const padded = new Uint8Array(v4.length + 70);
    padded.set(v4);
    expect(parseQuote(padded).bytes.length).toBe(v4.length + 70);
    padded[v4.length + 69] = 1;
    expect(() => parseQuote(padded)).toThrow(/non-zero bytes after the signature data/);
  });

  it('rejects every truncation with a QuoteParseError', () => {
    // Every cut inside the fixed-layout part, then a sample of cuts through the PEM chain.
    const cuts = [
      ...Array.from({ length: 1300 }, (_, i) => i),
      ...Array.from({ length: 40 }, (_, i) => 1300 + i * 97),
    ];
    for (const cut of cuts.filter((c) => c < v4.length)) {
      expect(thrown(() => parseQuote(v4.subarray(0, cut)))).toBeInstanceOf(QuoteParseError);
    }
  });

  it('rejects length fields that disagree with the bytes present', () => {
    const sigLengthAt = 48 + 584;
    const longer = new Uint8Array(v4);
    new DataView(longer.buffer).setUint32(sigLengthAt, v4.length, true);
    expect(() => parseQuote(longer)).toThrow(/signature data length/);
    const authLengthAt = sigLengthAt + 4 + 128 + 6 + QE_REPORT_LENGTH + 64;
    expect(() => parseQuote(withU16(v4, authLengthAt, 33))).toThrow(QuoteParseError);
    expect(() => parseQuote(withU16(v4, sigLengthAt + 4 + 128, 5))).toThrow(/certification data type 5/);
  });

  it('rejects oversized input before parsing', () => {
    expect(() => parseQuote(new Uint8Array(64 * 1024 + 1))).toThrow(/more than/);
  });

  it('turns arbitrary bytes into QuoteParseError and nothing else', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2048 }), (bytes) => {
        expect(thrown(() => parseQuote(bytes))).toBeInstanceOf(QuoteParseError);
      }),
      { numRuns: 500 },
    );
  });

  it('turns random header-valid bytes into QuoteParseError and nothing else', () => {
    // Random bodies behind a valid header exercise the deeper length checks.
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 600, maxLength: 3000 }),
        fc.constantFrom(4, 5),
        (tail, version) => {
          const bytes = new Uint8Array(48 + tail.length);
          bytes.set(v4.subarray(0, 48));
          bytes.set(tail, 48);
          bytes[0] = version;
          if (version === 5) bytes.set([3, 0, 0x88, 2, 0, 0], 48);
          expect(thrown(() => parseQuote(bytes))).toBeInstanceOf(QuoteParseError);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('never throws anything but QuoteParseError on mutated quotes', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(v4.length - 1), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 8,
        }),
        (edits) => {
          const bytes = new Uint8Array(v4);
          for (const [at, value] of edits) bytes[at] = value;
          try {
            parseQuote(bytes);
          } catch (err) {
            expect(err).toBeInstanceOf(QuoteParseError);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
