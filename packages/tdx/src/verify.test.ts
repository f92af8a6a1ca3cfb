import { sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ca, mock, NOW, thrown } from '../test/fixtures.js';
import { QuoteParseError, QuoteVerificationError, TdxConfigError } from './errors.js';
import { INTEL_SGX_ROOT_CA_FINGERPRINT, INTEL_SGX_ROOT_CA_PEM } from './intel-root.js';
import { MockTdxProvider } from './mock.js';
import { MockPckCa } from './mock-ca.js';
import { parseQuote, QE_REPORT_LENGTH } from './quote.js';
import { type VerifyOptions, verifyQuote } from './verify.js';
import { Crl, TrustAnchor, toPem } from './x509.js';

const reportData = new Uint8Array(64).fill(7);
const quote = mock.quote(reportData);
const options: VerifyOptions = { ...mock.verifyOptions(), now: NOW };

/** What happens to `bytes`: `'ok'`, `'parse'`, or the failed verification check. */
function outcome(bytes: Uint8Array, opts: VerifyOptions = options): string {
  try {
    verifyQuote(parseQuote(bytes), opts);
    return 'ok';
  } catch (err) {
    if (err instanceof QuoteParseError) return 'parse';
    if (err instanceof QuoteVerificationError) return err.kind;
    throw err;
  }
}

function flip(bytes: Uint8Array, bit: number): Uint8Array {
  const copy = new Uint8Array(bytes);
  copy[bit >> 3]! ^= 1 << (bit & 7);
  return copy;
}

// Offsets in a v4 quote with type-6 certification data.
const SIG_DATA = 48 + 584 + 4;
const ATT_KEY = SIG_DATA + 64;
const CERT_HEADER = ATT_KEY + 64;
const QE_REPORT = CERT_HEADER + 6;
const QE_SIG = QE_REPORT + QE_REPORT_LENGTH;
const QE_AUTH_LEN = QE_SIG + 64;
const QE_AUTH = QE_AUTH_LEN + 2;
const INNER = QE_AUTH + 32;
const PEM = INNER + 6;

/** Regions of the quote and the outcomes a flipped bit in them may have. */
const regions: [string, number, number, string[]][] = [
  ['header type fields', 0, 8, ['parse']],
  ['header and TD report', 8, 48 + 584, ['quote_signature']],
  ['signature data length', 48 + 584, SIG_DATA, ['parse']],
  ['quote signature', SIG_DATA, ATT_KEY, ['quote_signature']],
  ['attestation key', ATT_KEY, CERT_HEADER, ['attestation_key', 'quote_signature']],
  ['certification data header', CERT_HEADER, QE_REPORT, ['parse']],
  ['QE report body', QE_REPORT, QE_REPORT + 320, ['qe_report_signature']],
  ['QE report data', QE_REPORT + 320, QE_SIG, ['qe_report_binding']],
  ['QE report signature', QE_SIG, QE_AUTH_LEN, ['qe_report_signature']],
  ['QE auth data length', QE_AUTH_LEN, QE_AUTH, ['parse']],
  ['QE auth data', QE_AUTH, INNER, ['qe_report_binding']],
  ['nested certification type', INNER, INNER + 2, ['certification_data']],
  ['nested certification length', INNER + 2, PEM, ['parse']],
  ['PCK chain', PEM, quote.length, ['pck_chain']],
];

describe('verifyQuote', () => {
  it('accepts a mock quote on the full verified path with the mock root', () => {
    const result = verifyQuote(parseQuote(quote), options);
    expect(result.mode).toBe('verified');
    expect(result.pckCertificate?.x509.subject).toContain('Mock SGX PCK Certificate');
    expect(result.validUntil).toBe(Date.UTC(2035, 0, 1));
  });

  it('rejects a mock quote against the pinned Intel root (the default)', () => {
    const err = thrown(() => verifyQuote(parseQuote(quote), { now: NOW }));
    expect(err).toBeInstanceOf(QuoteVerificationError);
    expect((err as QuoteVerificationError).kind).toBe('pck_chain');
    expect((err as QuoteVerificationError).message).toMatch(/trust anchor/);
  });

  it('accepts a mock quote in self-consistent mode, with no certificate checks', () => {
    const result = verifyQuote(parseQuote(quote), { mode: 'self-consistent' });
    expect(result.pckCertificate).toBeUndefined();
  });

  it('rejects a quote whose chain comes from another CA than the anchor', () => {
    expect(outcome(quote, { trustAnchor: new MockPckCa().trustAnchor, now: NOW })).toBe('pck_chain');
  });

  it('verifies v5 quotes', () => {
    const v5 = new MockTdxProvider({ version: 5, ca });
    expect(outcome(v5.quote(reportData))).toBe('ok');
  });

  it('checks that the region table covers the whole quote', () => {
    expect(regions[0]![1]).toBe(0);
    for (let i = 1; i < regions.length; i++) expect(regions[i]![1]).toBe(regions[i - 1]![2]);
    expect(quote.length).toBeGreaterThan(PEM + 1500);
  });

  it.each(regions)(
    'fails with a specific reason for a flipped bit in the %s',
    (_name, start, end, allowed) => {
      // Sample: the first and last bit of the region plus up to 24 positions spread across it.
      const bits = new Set([start * 8, end * 8 - 1]);
      const step = Math.max(1, Math.floor(((end - start) * 8) / 24));
      for (let bit = start * 8 + 3; bit < end * 8; bit += step) bits.add(bit);
      for (const bit of bits) {
        const result = outcome(flip(quote, bit));
        expect(allowed, `bit ${bit} (byte ${bit >> 3}) gave ${result}`).toContain(result);
      }
    },
  );

  it('self-consistent mode still catches flips in the signed quote and the QE binding', () => {
    const opts: VerifyOptions = { mode: 'self-consistent' };
    expect(outcome(flip(quote, 8 * 200), opts)).toBe('quote_signature');
    expect(outcome(flip(quote, 8 * (QE_AUTH + 1)), opts)).toBe('qe_report_binding');
    // ...but not in the QE report signature or the chain: that is what `verified` adds.
    expect(outcome(flip(quote, 8 * QE_SIG), opts)).toBe('ok');
    expect(outcome(flip(quote, 8 * (PEM + 100)), opts)).toBe('ok');
  });

  it('rejects certificates outside their validity', () => {
    const old = new MockTdxProvider({
      ca: new MockPckCa({ notBefore: NOW - 20_000, notAfter: NOW - 10_000 }),
    });
    const q = old.quote(reportData);
    expect(() => verifyQuote(parseQuote(q), { trustAnchor: old.trustAnchor, now: NOW })).toThrow(/expired/);
    expect(() => verifyQuote(parseQuote(q), { trustAnchor: old.trustAnchor, now: NOW - 30_000 })).toThrow(
      /not valid before/,
    );
  });

  it('rejects a chain missing its intermediate, or out of order', () => {
    const chainOf = (...ders: Uint8Array[]) => Buffer.from(ders.map(toPem).join(''), 'latin1');
    const withChain = (chain: Uint8Array) => {
      const q = parseQuote(quote);
      const head = quote.subarray(0, PEM);
      const bytes = new Uint8Array(head.length + chain.length);
      bytes.set(head);
      bytes.set(chain, head.length);
      const view = new DataView(bytes.buffer);
      const delta = chain.length - q.certification.certificationData.length;
      view.setUint32(48 + 584, view.getUint32(48 + 584, true) + delta, true);
      view.setUint32(CERT_HEADER + 2, view.getUint32(CERT_HEADER + 2, true) + delta, true);
      view.setUint32(INNER + 2, chain.length, true);
      return bytes;
    };
    expect(outcome(withChain(chainOf(ca.pck, ca.intermediate, ca.root)))).toBe('ok');
    expect(outcome(withChain(chainOf(ca.pck, ca.intermediate)))).toBe('ok');
    expect(outcome(withChain(chainOf(ca.pck, ca.root)))).toBe('pck_chain');
    expect(outcome(withChain(chainOf(ca.intermediate, ca.pck, ca.root)))).toBe('pck_chain');
    expect(outcome(withChain(chainOf(ca.root)))).toBe('pck_chain');
    // A CA certificate without digitalSignature cannot stand in for the PCK certificate.
    const err = thrown(() => verifyQuote(parseQuote(withChain(chainOf(ca.intermediate, ca.root))), options));
    expect((err as QuoteVerificationError).message).toMatch(/may not sign/);
  });

  it("rejects a QE report that is not from Intel's TD QE, even when the PCK key signed it", () => {
    // A platform owner with flexible launch control could get the PCK key to certify an
    // enclave of their own; re-sign the QE report with the (mock) PCK key to model that.
    const resign = (edit: (report: Uint8Array) => void) => {
      const bytes = new Uint8Array(quote);
      const report = bytes.subarray(QE_REPORT, QE_SIG);
      edit(report);
      bytes.set(sign('sha256', report, { key: ca.pckKey, dsaEncoding: 'ieee-p1363' }), QE_SIG);
      return bytes;
    };
    expect(outcome(resign(() => undefined))).toBe('ok');
    expect(outcome(resign((r) => (r[128]! ^= 1)))).toBe('qe_identity');
    expect(outcome(resign((r) => (r[256] = 1)))).toBe('qe_identity');
    expect(outcome(resign((r) => (r[48]! ^= 0x10)))).toBe('qe_identity');
    expect(outcome(resign((r) => (r[16] = 1)))).toBe('qe_identity');
    // Bits outside the attribute mask (e.g. 0x04 of the first byte) are free.
    expect(outcome(resign((r) => (r[48]! ^= 0x04)))).toBe('ok');
  });

  describe('CRLs', () => {
    it('passes with CRLs that do not list the chain', () => {
      expect(outcome(quote, { ...options, crls: [ca.crl([]), ca.crl([], 'root')] })).toBe('ok');
    });

    it('rejects a revoked PCK certificate', () => {
      expect(outcome(quote, { ...options, crls: [ca.crl(['pck'])] })).toBe('pck_revoked');
    });

    it('rejects a revoked intermediate', () => {
      expect(outcome(quote, { ...options, crls: [ca.crl(['intermediate'], 'root')] })).toBe('pck_revoked');
    });

    it('rejects a CRL for the chain signed by someone else', () => {
      const forged = new MockPckCa();
      // Same issuer name as ours (the mock names are fixed), different key.
      expect(outcome(quote, { ...options, crls: [forged.crl(['pck'])] })).toBe('crl');
    });

    it('reads CRLs from PEM and rejects garbage', () => {
      const crl = ca.crl(['pck']);
      const pem = `-----BEGIN X509 CRL-----\n${Buffer.from(crl.der).toString('base64')}\n-----END X509 CRL-----\n`;
      expect(outcome(quote, { ...options, crls: [Crl.from(pem)] })).toBe('pck_revoked');
      expect(() => Crl.from(new Uint8Array([0x30, 0x03, 1, 2, 3]))).toThrow(TdxConfigError);
    });
  });
});

describe('TrustAnchor', () => {
  it('pins the published Intel SGX Root CA', () => {
    const intel = TrustAnchor.intel();
    expect(intel.fingerprint).toBe(INTEL_SGX_ROOT_CA_FINGERPRINT);
    expect(intel.certificate.x509.subject).toContain('CN=Intel SGX Root CA');
    expect(intel.certificate.pathLength).toBe(1);
    expect(TrustAnchor.from(INTEL_SGX_ROOT_CA_PEM).fingerprint).toBe(INTEL_SGX_ROOT_CA_FINGERPRINT);
  });

  it('accepts DER, PEM and X509Certificate forms alike', () => {
    const fromDer = TrustAnchor.from(ca.root);
    expect(TrustAnchor.from(toPem(ca.root)).fingerprint).toBe(fromDer.fingerprint);
    expect(TrustAnchor.from(fromDer.certificate.x509).fingerprint).toBe(fromDer.fingerprint);
  });

  it('refuses non-CA and non-self-signed certificates and garbage', () => {
    expect(() => TrustAnchor.from(ca.pck)).toThrow(TdxConfigError);
    expect(() => TrustAnchor.from(ca.intermediate)).toThrow(/self-signed CA/);
    expect(() => TrustAnchor.from('not a certificate')).toThrow(TdxConfigError);
  });
});
