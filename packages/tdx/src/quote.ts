import { QuoteParseError } from './errors.js';

/**
 * Parser for Intel TDX DCAP quotes, versions 4 and 5 (all integers little-endian).
 *
 * Layout: a 48-byte header; the TD report body (v4: 584 bytes; v5: a `u16` body type and a
 * `u32` body size before a 584-byte TDX 1.0 or 648-byte TDX 1.5 body); then the signature
 * section: `u32` length, 64-byte ECDSA signature (r ‖ s), 64-byte attestation key (x ‖ y),
 * `u16` certification data type, `u32` length, certification data. Type 6 certification data
 * is the QE report (384) ‖ its signature (64) ‖ `u16` auth data length ‖ auth data ‖ nested
 * certification data (`u16` type, `u32` length, data — type 5 is the PEM PCK chain).
 *
 * The parser is strict: every length must match the bytes present exactly (only zero padding
 * after the signature data is tolerated), so no byte of a quote is ignored: a flipped bit
 * either changes a signed field or breaks the structure.
 */

/** Bytes in the quote header. */
export const QUOTE_HEADER_LENGTH = 48;
/** Bytes in a TDX 1.0 TD report body. */
export const TD_REPORT_10_LENGTH = 584;
/** Bytes in a TDX 1.5 TD report body. */
export const TD_REPORT_15_LENGTH = 648;
/** Bytes in an SGX (QE) report body. */
export const QE_REPORT_LENGTH = 384;
/** The TEE type of TDX quotes. */
export const TEE_TYPE_TDX = 0x81;
/** Attestation key type 2: ECDSA-256 with P-256. */
export const ATTESTATION_KEY_ECDSA_P256 = 2;
/** Certification data type 5: a concatenated PEM PCK certificate chain. */
export const CERT_DATA_PCK_CHAIN = 5;
/** Certification data type 6: QE report certification data. */
export const CERT_DATA_QE_REPORT = 6;
/** Largest quote accepted, far above real quotes (~5 KiB), to bound work on hostile input. */
export const MAX_QUOTE_LENGTH = 64 * 1024;

/** The quote header. */
export interface QuoteHeader {
  /** Quote format version: 4 or 5. */
  readonly version: 4 | 5;
  /** Attestation key type; always 2 (ECDSA-P256) for quotes this parser accepts. */
  readonly attestationKeyType: number;
  /** TEE type; always `0x81` (TDX). */
  readonly teeType: number;
  /** The 4 reserved bytes after the TEE type. */
  readonly reserved: Uint8Array;
  /** Vendor of the quoting enclave (Intel: `939a7233f79c4ca9940a0db3957f0607`). */
  readonly qeVendorId: Uint8Array;
  /** Quoting-enclave-defined user data (20 bytes). */
  readonly userData: Uint8Array;
}

/** The TD report body: the TD's measurements and attributes. Registers are 48 bytes. */
export interface TdReport {
  /** `'1.0'` (584-byte body) or `'1.5'` (648-byte body, v5 quotes only). */
  readonly tdxVersion: '1.0' | '1.5';
  readonly teeTcbSvn: Uint8Array;
  /** Measurement of the TDX module. */
  readonly mrSeam: Uint8Array;
  readonly mrSignerSeam: Uint8Array;
  readonly seamAttributes: Uint8Array;
  readonly tdAttributes: Uint8Array;
  readonly xfam: Uint8Array;
  /** Build-time measurement of the initial TD image (firmware). */
  readonly mrTd: Uint8Array;
  readonly mrConfigId: Uint8Array;
  readonly mrOwner: Uint8Array;
  readonly mrOwnerConfig: Uint8Array;
  /** Runtime measurement registers RTMR0–3. */
  readonly rtmr: readonly [Uint8Array, Uint8Array, Uint8Array, Uint8Array];
  /** The 64 bytes of data the TD asked to have bound into the quote. */
  readonly reportData: Uint8Array;
  /** TDX 1.5 only. */
  readonly teeTcbSvn2: Uint8Array | undefined;
  /** TDX 1.5 only. */
  readonly mrServiceTd: Uint8Array | undefined;
}

/** The quoting enclave's SGX report, signed by the PCK key. */
export interface QeReport {
  /** The raw 384 bytes (the region the QE report signature covers). */
  readonly bytes: Uint8Array;
  readonly cpuSvn: Uint8Array;
  readonly miscSelect: number;
  readonly attributes: Uint8Array;
  readonly mrEnclave: Uint8Array;
  readonly mrSigner: Uint8Array;
  readonly isvProdId: number;
  readonly isvSvn: number;
  /** First 32 bytes: `sha256(attestationKey ‖ qeAuthData)`; the rest zero. */
  readonly reportData: Uint8Array;
}

/** Type-6 certification data: the QE report and the certificates behind it. */
export interface QeCertificationData {
  readonly qeReport: QeReport;
  /** ECDSA-P256 signature (r ‖ s) of the QE report by the PCK key. */
  readonly qeReportSignature: Uint8Array;
  readonly qeAuthData: Uint8Array;
  /** Nested certification data type; 5 means `certificationData` is a PEM PCK chain. */
  readonly certificationType: number;
  readonly certificationData: Uint8Array;
}

/** A parsed TDX quote. All byte fields are views into {@link TdxQuote.bytes}. */
export interface TdxQuote {
  /** A private copy of the whole quote. */
  readonly bytes: Uint8Array;
  readonly header: QuoteHeader;
  /** v5 body type (2 = TDX 1.0, 3 = TDX 1.5); 2 for v4 quotes. */
  readonly bodyType: number;
  readonly report: TdReport;
  /** The bytes the quote signature covers: header, (v5) body descriptor and body. */
  readonly signedRegion: Uint8Array;
  /** ECDSA-P256 signature (r ‖ s) over {@link TdxQuote.signedRegion}. */
  readonly signature: Uint8Array;
  /** The attestation public key, x ‖ y (64 bytes, no `0x04` prefix). */
  readonly attestationKey: Uint8Array;
  readonly certification: QeCertificationData;
}

/** A bounds-checked little-endian cursor; every overrun becomes a {@link QuoteParseError}. */
class Cursor {
  offset = 0;
  private readonly view: DataView;

  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.end = bytes.length;
  }

  private end: number;

  get remaining(): number {
    return this.end - this.offset;
  }

  /** Stops the cursor at `end` (bytes beyond are handled by the caller). */
  limit(end: number): void {
    this.end = end;
  }

  need(n: number, what: string): void {
    if (n > this.remaining) {
      throw new QuoteParseError(`truncated ${what}: need ${n} bytes, ${this.remaining} left`, this.offset);
    }
  }

  take(n: number, what: string): Uint8Array {
    this.need(n, what);
    const out = this.bytes.subarray(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }

  u16(what: string): number {
    this.need(2, what);
    const v = this.view.getUint16(this.offset, true);
    this.offset += 2;
    return v;
  }

  u32(what: string): number {
    this.need(4, what);
    const v = this.view.getUint32(this.offset, true);
    this.offset += 4;
    return v;
  }

  /** A `u32` length that must cover exactly the rest of the enclosing region. */
  exactLength(what: string): number {
    const at = this.offset;
    const n = this.u32(what);
    if (n !== this.remaining) {
      throw new QuoteParseError(`${what} is ${n} but ${this.remaining} bytes follow`, at);
    }
    return n;
  }
}

/**
 * Parses a TDX quote (v4 or v5, ECDSA-P256, type-6 certification data). Checks structure
 * only; see {@link verifyQuote} for signatures and the certificate chain.
 *
 * @throws QuoteParseError on any malformed, truncated, oversized or unsupported input.
 */
export function parseQuote(input: Uint8Array): TdxQuote {
  if (!(input instanceof Uint8Array)) throw new QuoteParseError('quote must be a Uint8Array');
  if (input.length > MAX_QUOTE_LENGTH) {
    throw new QuoteParseError(`quote is ${input.length} bytes, more than ${MAX_QUOTE_LENGTH}`);
  }
  const bytes = new Uint8Array(input);
  const c = new Cursor(bytes);

  const version = c.u16('version');
  if (version !== 4 && version !== 5) throw new QuoteParseError(`unsupported quote version ${version}`, 0);
  const attestationKeyType = c.u16('attestation key type');
  if (attestationKeyType !== ATTESTATION_KEY_ECDSA_P256) {
    throw new QuoteParseError(`unsupported attestation key type ${attestationKeyType}`, 2);
  }
  const teeType = c.u32('TEE type');
  if (teeType !== TEE_TYPE_TDX) {
    throw new QuoteParseError(`unsupported TEE type 0x${teeType.toString(16)} (want 0x81, TDX)`, 4);
  }
  const header: QuoteHeader = {
    version,
    attestationKeyType,
    teeType,
    reserved: c.take(4, 'header'),
    qeVendorId: c.take(16, 'header'),
    userData: c.take(20, 'header'),
  };

  let bodyType = 2;
  let bodyLength = TD_REPORT_10_LENGTH;
  if (version === 5) {
    const at = c.offset;
    bodyType = c.u16('body type');
    const size = c.u32('body size');
    if (bodyType === 2) bodyLength = TD_REPORT_10_LENGTH;
    else if (bodyType === 3) bodyLength = TD_REPORT_15_LENGTH;
    else throw new QuoteParseError(`unsupported v5 body type ${bodyType} (want 2 or 3)`, at);
    if (size !== bodyLength) {
      throw new QuoteParseError(`body type ${bodyType} needs ${bodyLength} bytes, size says ${size}`, at + 2);
    }
  }
  const report = parseTdReport(c.take(bodyLength, 'TD report'));
  const signedRegion = bytes.subarray(0, c.offset);

  // Some stacks hand out quotes padded with zero bytes after the signature data (seen on real
  // hardware). Accept the padding only if it is all zero, so no byte goes unchecked.
  const lengthAt = c.offset;
  const signatureLength = c.u32('signature data length');
  if (signatureLength > c.remaining) {
    throw new QuoteParseError(
      `signature data length is ${signatureLength} but ${c.remaining} bytes follow`,
      lengthAt,
    );
  }
  const paddingAt = c.offset + signatureLength;
  for (let i = paddingAt; i < bytes.length; i++) {
    if (bytes[i] !== 0) throw new QuoteParseError('non-zero bytes after the signature data', i);
  }
  c.limit(paddingAt);
  const signature = c.take(64, 'quote signature');
  const attestationKey = c.take(64, 'attestation key');
  const typeAt = c.offset;
  const certType = c.u16('certification data type');
  if (certType !== CERT_DATA_QE_REPORT) {
    throw new QuoteParseError(`unsupported certification data type ${certType} (want 6)`, typeAt);
  }
  c.exactLength('certification data length');
  const qeReport = parseQeReport(c.take(QE_REPORT_LENGTH, 'QE report'));
  const qeReportSignature = c.take(64, 'QE report signature');
  const authLength = c.u16('QE auth data length');
  const qeAuthData = c.take(authLength, 'QE auth data');
  const certificationType = c.u16('nested certification data type');
  c.exactLength('nested certification data length');
  const certificationData = c.take(c.remaining, 'nested certification data');

  return {
    bytes,
    header,
    bodyType,
    report,
    signedRegion,
    signature,
    attestationKey,
    certification: { qeReport, qeReportSignature, qeAuthData, certificationType, certificationData },
  };
}

function parseTdReport(b: Uint8Array): TdReport {
  const at = (offset: number, length: number) => b.subarray(offset, offset + length);
  const is15 = b.length === TD_REPORT_15_LENGTH;
  return {
    tdxVersion: is15 ? '1.5' : '1.0',
    teeTcbSvn: at(0, 16),
    mrSeam: at(16, 48),
    mrSignerSeam: at(64, 48),
    seamAttributes: at(112, 8),
    tdAttributes: at(120, 8),
    xfam: at(128, 8),
    mrTd: at(136, 48),
    mrConfigId: at(184, 48),
    mrOwner: at(232, 48),
    mrOwnerConfig: at(280, 48),
    rtmr: [at(328, 48), at(376, 48), at(424, 48), at(472, 48)],
    reportData: at(520, 64),
    teeTcbSvn2: is15 ? at(584, 16) : undefined,
    mrServiceTd: is15 ? at(600, 48) : undefined,
  };
}

function parseQeReport(b: Uint8Array): QeReport {
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return {
    bytes: b,
    cpuSvn: b.subarray(0, 16),
    miscSelect: view.getUint32(16, true),
    attributes: b.subarray(48, 64),
    mrEnclave: b.subarray(64, 96),
    mrSigner: b.subarray(128, 160),
    isvProdId: view.getUint16(256, true),
    isvSvn: view.getUint16(258, true),
    reportData: b.subarray(320, 384),
  };
}
