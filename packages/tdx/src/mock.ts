import { createHash, generateKeyPairSync, type KeyObject, randomBytes, sign } from 'node:crypto';
import { concatBytes as concat } from '@mosaik/id';
import { QuoteGenerationError } from './errors.js';
import { type MeasurementInput, Measurements } from './measurement.js';
import { MockPckCa } from './mock-ca.js';
import type { QuoteProvider } from './provider.js';
import { REPORT_DATA_LENGTH } from './provider.js';
import {
  ATTESTATION_KEY_ECDSA_P256,
  CERT_DATA_PCK_CHAIN,
  CERT_DATA_QE_REPORT,
  QE_REPORT_LENGTH,
  TD_REPORT_10_LENGTH,
  TD_REPORT_15_LENGTH,
  TEE_TYPE_TDX,
} from './quote.js';
import { TD_QE_IDENTITY, type VerifyOptions } from './verify.js';
import type { TrustAnchor } from './x509.js';

/** Intel's QE vendor id, which the mock copies so its quotes look like real ones. */
const INTEL_QE_VENDOR_ID = Buffer.from('939a7233f79c4ca9940a0db3957f0607', 'hex');

/** Options of {@link MockTdxProvider}. Unset registers are random (fixed per provider). */
export interface MockTdxOptions {
  readonly mrtd?: MeasurementInput;
  readonly rtmr0?: MeasurementInput;
  readonly rtmr1?: MeasurementInput;
  readonly rtmr2?: MeasurementInput;
  readonly rtmr3?: MeasurementInput;
  /** Quote version: 4 (default) or 5 (with a TDX 1.5 body). */
  readonly version?: 4 | 5;
  /** The certificate hierarchy to sign with; default a fresh {@link MockPckCa}. */
  readonly ca?: MockPckCa;
}

/**
 * Makes structurally valid TDX quotes without TDX hardware, signed end to end by a test
 * hierarchy: mock root CA → PCK platform CA → PCK certificate, whose key signs the QE
 * report, which binds the attestation key, which signs the quote. Every check of
 * `verified` mode passes when the mock's {@link MockTdxProvider.trustAnchor} is configured,
 * and fails against the Intel root — as it must.
 */
export class MockTdxProvider implements QuoteProvider {
  /** The hierarchy signing the quotes. */
  readonly ca: MockPckCa;
  /** The registers every quote reports. */
  readonly measurements: Measurements;
  /** Quote format version produced. */
  readonly version: 4 | 5;
  private readonly attestationKey: KeyObject;
  private readonly attestationKeyXY: Uint8Array;
  private readonly qeAuthData = Uint8Array.from({ length: 32 }, (_, i) => i);

  constructor(options: MockTdxOptions = {}) {
    this.ca = options.ca ?? new MockPckCa();
    this.version = options.version ?? 4;
    const r = (v: MeasurementInput | undefined) => v ?? new Uint8Array(randomBytes(48));
    this.measurements = new Measurements(r(options.mrtd), [
      r(options.rtmr0),
      r(options.rtmr1),
      r(options.rtmr2),
      r(options.rtmr3),
    ]);
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    this.attestationKey = privateKey;
    const jwk = publicKey.export({ format: 'jwk' });
    this.attestationKeyXY = concat(Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y!, 'base64url'));
  }

  /** The mock root CA: configure it as the trust anchor to verify this provider's quotes. */
  get trustAnchor(): TrustAnchor {
    return this.ca.trustAnchor;
  }

  /** Verification options that accept this provider's quotes in `verified` mode. */
  verifyOptions(): VerifyOptions {
    return { mode: 'verified', trustAnchor: this.trustAnchor };
  }

  async getQuote(reportData: Uint8Array): Promise<Uint8Array> {
    return this.quote(reportData);
  }

  /** Synchronous {@link MockTdxProvider.getQuote}. */
  quote(reportData: Uint8Array): Uint8Array {
    if (!(reportData instanceof Uint8Array) || reportData.length !== REPORT_DATA_LENGTH) {
      throw new QuoteGenerationError(`report data must be ${REPORT_DATA_LENGTH} bytes`);
    }
    const header = new Uint8Array(48);
    const hv = new DataView(header.buffer);
    hv.setUint16(0, this.version, true);
    hv.setUint16(2, ATTESTATION_KEY_ECDSA_P256, true);
    hv.setUint32(4, TEE_TYPE_TDX, true);
    header.set(INTEL_QE_VENDOR_ID, 12);

    const is15 = this.version === 5;
    const body = new Uint8Array(is15 ? TD_REPORT_15_LENGTH : TD_REPORT_10_LENGTH);
    body.set(Uint8Array.of(0x05, 0x01, 0x02), 0); // tee_tcb_svn: arbitrary but non-zero
    body.fill(0xa5, 16, 64); // mrseam
    body.set(this.measurements.mrtd.bytes, 136);
    for (const [i, m] of this.measurements.rtmr.entries()) body.set(m.bytes, 328 + 48 * i);
    body.set(reportData, 520);
    if (is15) body.fill(0x5a, 600, 648); // mrservicetd

    let descriptor = new Uint8Array(0);
    if (this.version === 5) {
      descriptor = new Uint8Array(6);
      const dv = new DataView(descriptor.buffer);
      dv.setUint16(0, 3, true);
      dv.setUint32(2, body.length, true);
    }
    const signed = concat(header, descriptor, body);
    const signature = sign('sha256', signed, { key: this.attestationKey, dsaEncoding: 'ieee-p1363' });

    const qeReport = new Uint8Array(QE_REPORT_LENGTH);
    // Shaped like Intel's TD QE (see TD_QE_IDENTITY) so the identity check runs on mocks too.
    qeReport.set(Buffer.from('1500000000000000e700000000000000', 'hex'), 48); // attributes
    qeReport.fill(0x11, 64, 96); // mrenclave
    qeReport.set(Buffer.from(TD_QE_IDENTITY.mrSigner, 'hex'), 128);
    new DataView(qeReport.buffer).setUint16(256, TD_QE_IDENTITY.isvProdId, true);
    new DataView(qeReport.buffer).setUint16(258, 6, true); // isvsvn
    qeReport.set(createHash('sha256').update(this.attestationKeyXY).update(this.qeAuthData).digest(), 320);
    const qeSignature = sign('sha256', qeReport, { key: this.ca.pckKey, dsaEncoding: 'ieee-p1363' });
    const chain = Buffer.from(this.ca.chainPem(), 'latin1');
    const qeCertData = concat(
      qeReport,
      qeSignature,
      u16(this.qeAuthData.length),
      this.qeAuthData,
      u16(CERT_DATA_PCK_CHAIN),
      u32(chain.length),
      chain,
    );
    const signatureData = concat(
      signature,
      this.attestationKeyXY,
      u16(CERT_DATA_QE_REPORT),
      u32(qeCertData.length),
      qeCertData,
    );
    return concat(signed, u32(signatureData.length), signatureData);
  }
}

function u16(n: number): Uint8Array {
  const b = new Uint8Array(2);
  new DataView(b.buffer).setUint16(0, n, true);
  return b;
}

function u32(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, true);
  return b;
}
