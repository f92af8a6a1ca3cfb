import { describe, expect, it } from 'vitest';
import { QuoteVerificationError } from './errors.js';
import { MockPckCa } from './mock-ca.js';
import { MockTdxProvider } from './mock.js';
import { parseQuote } from './quote.js';
import { verifyQuote } from './verify.js';

const reportData = new Uint8Array(64).fill(7);

describe('verifyQuote', () => {
  const mock = new MockTdxProvider();
  const quote = mock.quote(reportData);

  it('accepts a mock quote on the full verified path with the mock root', () => {
    const result = verifyQuote(parseQuote(quote), mock.verifyOptions());
    expect(result.mode).toBe('verified');
    expect(result.pckCertificate?.x509.subject).toContain('Mock SGX PCK Certificate');
  });

  it('rejects a mock quote against the pinned Intel root', () => {
    const err = catchError(() => verifyQuote(parseQuote(quote)));
    expect(err).toBeInstanceOf(QuoteVerificationError);
    expect((err as QuoteVerificationError).kind).toBe('pck_chain');
    expect((err as QuoteVerificationError).message).toContain('trust anchor');
  });

  it('accepts a mock quote in self-consistent mode without any anchor', () => {
    expect(verifyQuote(parseQuote(quote), { mode: 'self-consistent' }).pckCertificate).toBeUndefined();
  });

  it('rejects a quote from another CA than the configured anchor', () => {
    const other = new MockPckCa();
    const err = catchError(() => verifyQuote(parseQuote(quote), { trustAnchor: other.trustAnchor }));
    expect((err as QuoteVerificationError).kind).toBe('pck_chain');
  });

  it('verifies v5 quotes with a TDX 1.5 body', () => {
    const v5 = new MockTdxProvider({ version: 5, ca: mock.ca });
    const parsed = parseQuote(v5.quote(reportData));
    expect(parsed.header.version).toBe(5);
    expect(parsed.report.tdxVersion).toBe('1.5');
    expect(verifyQuote(parsed, v5.verifyOptions()).mode).toBe('verified');
  });
});

function catchError(f: () => unknown): unknown {
  try {
    f();
  } catch (err) {
    return err;
  }
  throw new Error('expected an error');
}
