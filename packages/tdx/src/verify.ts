import { createHash, createPublicKey, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { constantTimeEqual as bytesEqual, toHex } from '@mosaik/id';
import { isZero } from './bytes.js';
import { QuoteVerificationError } from './errors.js';
import { CERT_DATA_PCK_CHAIN, type QeReport, type TdxQuote } from './quote.js';
import { type CertificateInfo, type Crl, splitPemChain, TrustAnchor, verifyPckChain } from './x509.js';

/**
 * How much of a quote to trust.
 *
 * - `verified` (default): the quote signature, the QE report binding, the QE report
 *   signature by the PCK key, the PCK certificate chain up to a pinned root (by default
 *   Intel's), and the QE's identity ({@link TD_QE_IDENTITY}). Only this mode proves the quote came from real TDX hardware.
 * - `self-consistent`: only the quote signature by the attestation key embedded in the quote
 *   and the QE report binding — what the reference implementation checks. Anyone can forge
 *   such a quote with any measurements; use it for experiments only.
 */
export type VerificationMode = 'verified' | 'self-consistent';

/** Options of {@link verifyQuote}. */
export interface VerifyOptions {
  /** Default `'verified'`. */
  readonly mode?: VerificationMode;
  /** Root the PCK chain must lead to; default {@link TrustAnchor.intel}. */
  readonly trustAnchor?: TrustAnchor;
  /** Revocation lists applied to the PCK chain. */
  readonly crls?: readonly Crl[];
  /** Time (ms since the epoch) at which certificates must be valid; default `Date.now()`. */
  readonly now?: number;
}

/** What {@link verifyQuote} established. */
export interface QuoteVerification {
  readonly mode: VerificationMode;
  /** The PCK leaf certificate (`verified` mode only). */
  readonly pckCertificate: CertificateInfo | undefined;
  /**
   * When the result holds: the window in which every certificate of the chain is valid
   * (unbounded in `self-consistent` mode, which involves no certificates).
   */
  readonly validFrom: number;
  readonly validUntil: number;
}

/**
 * Verifies a parsed quote according to `options.mode`. Checks run cheapest-first; the first
 * failure throws.
 *
 * @throws QuoteVerificationError naming the failed check in `kind`.
 */
export function verifyQuote(quote: TdxQuote, options: VerifyOptions = {}): QuoteVerification {
  const mode = options.mode ?? 'verified';
  const attestationKey = p256Key(quote.attestationKey, 'attestation_key');
  if (!verifyP1363(attestationKey, quote.signedRegion, quote.signature)) {
    throw new QuoteVerificationError('quote_signature', 'quote is not signed by its attestation key');
  }
  const cert = quote.certification;
  const expected = createHash('sha256').update(quote.attestationKey).update(cert.qeAuthData).digest();
  const reportData = cert.qeReport.reportData;
  if (!bytesEqual(reportData.subarray(0, 32), expected) || !isZero(reportData.subarray(32))) {
    throw new QuoteVerificationError('qe_report_binding', 'QE report does not bind the attestation key');
  }
  if (mode === 'self-consistent') {
    return {
      mode,
      pckCertificate: undefined,
      validFrom: Number.NEGATIVE_INFINITY,
      validUntil: Number.POSITIVE_INFINITY,
    };
  }

  if (cert.certificationType !== CERT_DATA_PCK_CHAIN) {
    throw new QuoteVerificationError(
      'certification_data',
      `nested certification data type ${cert.certificationType} is not a PCK chain (5)`,
    );
  }
  let ders: Uint8Array[];
  try {
    ders = splitPemChain(cert.certificationData);
  } catch (err) {
    throw new QuoteVerificationError('pck_chain', 'malformed PEM certificate chain', { cause: err });
  }
  const { leaf, validFrom, validUntil } = verifyPckChain(
    ders,
    options.trustAnchor ?? TrustAnchor.intel(),
    options.now ?? Date.now(),
    options.crls,
  );
  if (!verifyP1363(leaf.x509.publicKey, cert.qeReport.bytes, cert.qeReportSignature)) {
    throw new QuoteVerificationError('qe_report_signature', 'QE report is not signed by the PCK key');
  }
  checkQeIdentity(cert.qeReport);
  return { mode, pckCertificate: leaf, validFrom, validUntil };
}

/**
 * Identity of Intel's TD quoting enclave (Intel PCS `tdx/certification/v4/qe/identity`):
 * signer, product id, and attributes/miscselect under their masks. The PCK key certifies any
 * enclave allowed the provisioning key, which a platform owner with flexible launch control
 * can grant to an enclave of their own; only Intel's QE makes the attestation key Intel's.
 */
export const TD_QE_IDENTITY = {
  mrSigner: 'dc9e2a7c6f948f17474e34a7fc43ed030f7c1563f1babddf6340c82e0e54a8c5',
  isvProdId: 2,
  attributes: '11000000000000000000000000000000',
  attributesMask: 'fbffffffffffffff0000000000000000',
  miscSelect: 0,
  miscSelectMask: 0xffffffff,
} as const;

function checkQeIdentity(report: QeReport): void {
  const id = TD_QE_IDENTITY;
  const fail = (what: string) =>
    new QuoteVerificationError('qe_identity', `QE report ${what} is not Intel's TD QE`);
  if (toHex(report.mrSigner) !== id.mrSigner) throw fail('MRSIGNER');
  if (report.isvProdId !== id.isvProdId) throw fail('ISVPRODID');
  const want = Buffer.from(id.attributes, 'hex');
  const mask = Buffer.from(id.attributesMask, 'hex');
  for (let i = 0; i < 16; i++)
    if ((report.attributes[i]! & mask[i]!) !== (want[i]! & mask[i]!)) throw fail('ATTRIBUTES');
  if ((report.miscSelect & id.miscSelectMask) >>> 0 !== id.miscSelect) throw fail('MISCSELECT');
}

/** A P-256 public key from raw x ‖ y (64 bytes). */
export function p256Key(xy: Uint8Array, failure: 'attestation_key'): KeyObject {
  try {
    return createPublicKey({
      key: {
        kty: 'EC',
        crv: 'P-256',
        x: Buffer.from(xy.subarray(0, 32)).toString('base64url'),
        y: Buffer.from(xy.subarray(32, 64)).toString('base64url'),
      },
      format: 'jwk',
    });
  } catch (err) {
    throw new QuoteVerificationError(failure, 'not a valid P-256 public key', { cause: err });
  }
}

function verifyP1363(key: KeyObject, data: Uint8Array, signature: Uint8Array): boolean {
  try {
    return cryptoVerify('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, signature);
  } catch {
    return false;
  }
}
