import { createHash, verify as cryptoVerify, type KeyObject, X509Certificate } from 'node:crypto';
import { constantTimeEqual as bytesEqual, toHex } from '@mosaik/id';
import { child, children, type Der, DerError, readDerExact, readTime, TAG } from './der.js';
import { QuoteVerificationError, TdxConfigError } from './errors.js';
import { INTEL_SGX_ROOT_CA_PEM } from './intel-root.js';

/**
 * X.509 pieces of quote verification: strict PEM splitting, certificate facts Node does not
 * expose (key usage, path length, raw names, serial), chain building to a pinned anchor, and
 * CRLs. Signatures themselves are checked by OpenSSL through `node:crypto`.
 */

/** Facts about one certificate. */
export interface CertificateInfo {
  readonly der: Uint8Array;
  readonly x509: X509Certificate;
  /** Content octets of the serial number INTEGER. */
  readonly serial: Uint8Array;
  /** DER of the issuer and subject Names (compared byte-wise against CRL issuers). */
  readonly issuer: Uint8Array;
  readonly subject: Uint8Array;
  readonly notBefore: number;
  readonly notAfter: number;
  /** basicConstraints cA; `false` when the extension is absent. */
  readonly ca: boolean;
  /** basicConstraints pathLenConstraint, when present. */
  readonly pathLength: number | undefined;
  /** keyUsage bits (bit 0 = digitalSignature = 0x8000 ... ) or `undefined` when absent. */
  readonly keyUsage: number | undefined;
}

const KEY_USAGE_DIGITAL_SIGNATURE = 0x8000;
const KEY_USAGE_KEY_CERT_SIGN = 0x0400;
const KEY_USAGE_CRL_SIGN = 0x0200;
const OID_BASIC_CONSTRAINTS = Uint8Array.of(0x55, 0x1d, 0x13);
const OID_KEY_USAGE = Uint8Array.of(0x55, 0x1d, 0x0f);
const OID_ECDSA_SHA256 = Uint8Array.of(0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02);
const OID_ECDSA_SHA384 = Uint8Array.of(0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03);
/** More certificates than any real PCK chain (3) has; bounds work on hostile quotes. */
const MAX_CHAIN_LENGTH = 5;

/** Parses one DER certificate. Throws `DerError` or Node's parse error on bad input. */
export function parseCertificate(der: Uint8Array): CertificateInfo {
  const cert = readDerExact(der);
  const tbs = child(cert, 0, TAG.sequence);
  const fields = children(tbs);
  let i = fields[0]?.tag === 0xa0 ? 1 : 0;
  const serial = fields[i++];
  const _signature = fields[i++];
  const issuer = fields[i++];
  const validity = fields[i++];
  const subject = fields[i++];
  if (!serial || serial.tag !== TAG.integer || !_signature || !issuer || !validity || !subject) {
    throw new DerError('incomplete TBSCertificate');
  }
  let ca = false;
  let pathLength: number | undefined;
  let keyUsage: number | undefined;
  const extensions = fields.find((f) => f.tag === 0xa3);
  if (extensions) {
    for (const ext of children(child(extensions, 0, TAG.sequence))) {
      const parts = children(ext);
      const id = parts[0];
      const value = parts[parts.length - 1];
      if (!id || id.tag !== TAG.oid || !value || value.tag !== TAG.octetString)
        throw new DerError('bad extension');
      if (bytesEqual(id.body, OID_BASIC_CONSTRAINTS)) {
        const bc = children(readDerExact(value.body));
        for (const item of bc) {
          if (item.tag === TAG.boolean) ca = item.body[0] === 0xff;
          else if (item.tag === TAG.integer) pathLength = readSmallInt(item);
        }
      } else if (bytesEqual(id.body, OID_KEY_USAGE)) {
        const bits = readDerExact(value.body);
        if (bits.tag !== TAG.bitString || bits.body.length < 2) throw new DerError('bad keyUsage');
        keyUsage = (bits.body[1]! << 8) | (bits.body[2] ?? 0);
      }
    }
  }
  const [notBefore, notAfter] = children(validity);
  if (!notBefore || !notAfter) throw new DerError('bad validity');
  return {
    der,
    x509: new X509Certificate(der),
    serial: serial.body,
    issuer: issuer.raw,
    subject: subject.raw,
    notBefore: readTime(notBefore),
    notAfter: readTime(notAfter),
    ca,
    pathLength,
    keyUsage,
  };
}

function readSmallInt(d: Der): number {
  if (d.body.length === 0 || d.body.length > 4 || d.body[0]! & 0x80) throw new DerError('bad small integer');
  let v = 0;
  for (const b of d.body) v = v * 256 + b;
  return v;
}

const PEM_BEGIN = '-----BEGIN CERTIFICATE-----\n';
const PEM_END = '-----END CERTIFICATE-----\n';

/**
 * Splits concatenated PEM certificates strictly: exact armour lines, `\n` line ends, 64-char
 * canonical base64 lines, optionally followed by NUL padding (some quote generators pad).
 * Strictness keeps every byte meaningful: whitespace or non-canonical base64 that a lenient
 * decoder would ignore is rejected instead.
 */
export function splitPemChain(bytes: Uint8Array): Uint8Array[] {
  let end = bytes.length;
  while (end > 0 && bytes[end - 1] === 0) end--;
  const text = Buffer.from(bytes.subarray(0, end)).toString('latin1');
  const out: Uint8Array[] = [];
  let at = 0;
  while (at < text.length) {
    if (out.length === MAX_CHAIN_LENGTH) throw new DerError(`more than ${MAX_CHAIN_LENGTH} certificates`);
    if (!text.startsWith(PEM_BEGIN, at)) throw new DerError('expected BEGIN CERTIFICATE');
    at += PEM_BEGIN.length;
    const stop = text.indexOf(PEM_END, at);
    if (stop < 0) throw new DerError('missing END CERTIFICATE');
    const body = text.slice(at, stop);
    at = stop + PEM_END.length;
    const lines = body.split('\n');
    if (lines.pop() !== '') throw new DerError('base64 must end with a newline');
    lines.forEach((line, i) => {
      const last = i === lines.length - 1;
      if (!/^[A-Za-z0-9+/]+={0,2}$/.test(line) || line.length > 64 || (!last && line.length !== 64)) {
        throw new DerError('bad base64 line');
      }
    });
    const b64 = lines.join('');
    const der = Buffer.from(b64, 'base64');
    if (der.toString('base64') !== b64) throw new DerError('non-canonical base64');
    out.push(new Uint8Array(der));
  }
  if (out.length === 0) throw new DerError('no certificates');
  return out;
}

/** PEM armour for one DER certificate, 64-char lines (the format Intel and the mock emit). */
export function toPem(der: Uint8Array): string {
  const b64 = Buffer.from(der).toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `${PEM_BEGIN}${lines.join('\n')}\n${PEM_END}`;
}

let intelAnchor: TrustAnchor | undefined;

/**
 * A pinned root certificate that PCK chains must lead to. By default the Intel SGX Root CA
 * ({@link TrustAnchor.intel}); tests and the mock use their own.
 */
export class TrustAnchor {
  /** The certificate. */
  readonly certificate: CertificateInfo;
  /** Lowercase hex SHA-256 of the certificate's DER: what validator signatures include. */
  readonly fingerprint: string;

  private constructor(certificate: CertificateInfo) {
    this.certificate = certificate;
    this.fingerprint = createHash('sha256').update(certificate.der).digest('hex');
  }

  /**
   * A trust anchor from a PEM string, DER bytes or an `X509Certificate`. It must be a CA that
   * signed itself.
   *
   * @throws TdxConfigError when the input is not such a certificate.
   */
  static from(input: string | Uint8Array | X509Certificate): TrustAnchor {
    let info: CertificateInfo;
    try {
      const der =
        input instanceof X509Certificate
          ? new Uint8Array(input.raw)
          : typeof input === 'string'
            ? new Uint8Array(new X509Certificate(input).raw)
            : new Uint8Array(input);
      info = parseCertificate(der);
    } catch (err) {
      throw new TdxConfigError('trust anchor is not a valid X.509 certificate', { cause: err });
    }
    if (!info.ca || !info.x509.verify(info.x509.publicKey)) {
      throw new TdxConfigError('trust anchor must be a self-signed CA certificate');
    }
    return new TrustAnchor(info);
  }

  /** The pinned Intel SGX Root CA (parsed once). */
  static intel(): TrustAnchor {
    intelAnchor ??= TrustAnchor.from(INTEL_SGX_ROOT_CA_PEM);
    return intelAnchor;
  }

  /** The anchor as PEM. */
  toPem(): string {
    return toPem(this.certificate.der);
  }
}

/**
 * A certificate revocation list for the PCK chain (e.g. Intel's PCK Platform/Processor CA
 * CRLs, or the root CA CRL). Parsed when configured; its signature is checked against the
 * chain certificate that issued it at validation time.
 */
export class Crl {
  /** DER of the CRL. */
  readonly der: Uint8Array;
  /** DER Name of the issuing CA. */
  readonly issuer: Uint8Array;
  readonly thisUpdate: number;
  readonly nextUpdate: number | undefined;
  private readonly tbs: Uint8Array;
  private readonly algorithm: 'sha256' | 'sha384';
  private readonly signatureValue: Uint8Array;
  private readonly revoked: readonly Uint8Array[];

  private constructor(der: Uint8Array) {
    const list = readDerExact(der);
    const tbs = child(list, 0, TAG.sequence);
    const alg = child(child(list, 1, TAG.sequence), 0, TAG.oid);
    const sig = child(list, 2, TAG.bitString);
    if (bytesEqual(alg.body, OID_ECDSA_SHA256)) this.algorithm = 'sha256';
    else if (bytesEqual(alg.body, OID_ECDSA_SHA384)) this.algorithm = 'sha384';
    else throw new DerError('CRL signature algorithm is not ECDSA with SHA-256/384');
    if (sig.body[0] !== 0) throw new DerError('bad CRL signature bit string');
    const fields = children(tbs);
    let i = fields[0]?.tag === TAG.integer ? 1 : 0;
    i++; // signature algorithm
    const issuer = fields[i++];
    const thisUpdate = fields[i++];
    if (!issuer || issuer.tag !== TAG.sequence || !thisUpdate) throw new DerError('incomplete CRL');
    let nextUpdate: number | undefined;
    if (fields[i] && (fields[i]!.tag === TAG.utcTime || fields[i]!.tag === TAG.generalizedTime)) {
      nextUpdate = readTime(fields[i++]!);
    }
    const revoked: Uint8Array[] = [];
    if (fields[i]?.tag === TAG.sequence) {
      for (const entry of children(fields[i]!)) revoked.push(child(entry, 0, TAG.integer).body);
    }
    this.der = der;
    this.issuer = issuer.raw;
    this.thisUpdate = readTime(thisUpdate);
    this.nextUpdate = nextUpdate;
    this.tbs = tbs.raw;
    this.signatureValue = sig.body.subarray(1);
    this.revoked = revoked;
  }

  /**
   * Parses a CRL from DER bytes or a PEM `X509 CRL` block.
   *
   * @throws TdxConfigError when the input is not a CRL this module understands.
   */
  static from(input: string | Uint8Array): Crl {
    try {
      let der: Uint8Array;
      if (typeof input === 'string') {
        const m = /-----BEGIN X509 CRL-----([\s\S]+?)-----END X509 CRL-----/.exec(input);
        if (!m) throw new DerError('no PEM X509 CRL block');
        der = new Uint8Array(Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64'));
      } else {
        der = new Uint8Array(input);
      }
      return new Crl(der);
    } catch (err) {
      throw new TdxConfigError('not a valid CRL', { cause: err });
    }
  }

  /** Whether this CRL's signature verifies with `issuerKey`. */
  verifySignature(issuerKey: KeyObject): boolean {
    try {
      return cryptoVerify(this.algorithm, this.tbs, issuerKey, this.signatureValue);
    } catch {
      return false;
    }
  }

  /** Whether the serial (INTEGER content octets) is listed. */
  revokes(serial: Uint8Array): boolean {
    return this.revoked.some((s) => bytesEqual(s, serial));
  }
}

/** Result of {@link verifyPckChain}. */
export interface VerifiedChain {
  /** The PCK leaf certificate. */
  readonly leaf: CertificateInfo;
  /** The window in which every certificate of the path (anchor included) is valid. */
  readonly validFrom: number;
  readonly validUntil: number;
}

/**
 * Verifies a PCK chain (leaf first) up to `anchor` at time `now`.
 * A trailing copy of the anchor in the chain is allowed (Intel includes the root).
 *
 * @throws QuoteVerificationError (`pck_chain`, `pck_revoked` or `crl`).
 */
export function verifyPckChain(
  ders: readonly Uint8Array[],
  anchor: TrustAnchor,
  now: number,
  crls: readonly Crl[] = [],
): VerifiedChain {
  const fail = (message: string, cause?: unknown) =>
    new QuoteVerificationError('pck_chain', message, cause === undefined ? undefined : { cause });
  let chain: CertificateInfo[];
  try {
    chain = ders.map((d) => parseCertificate(d));
  } catch (err) {
    throw fail('malformed certificate', err);
  }
  if (chain.length > 0 && bytesEqual(chain[chain.length - 1]!.der, anchor.certificate.der)) chain.pop();
  if (chain.length === 0) throw fail('chain has no certificate below the trust anchor');

  const path = [...chain, anchor.certificate];
  for (const [i, cert] of path.entries()) {
    const label =
      i === 0 ? 'PCK certificate' : i === path.length - 1 ? 'trust anchor' : `CA certificate ${i}`;
    if (now < cert.notBefore)
      throw fail(`${label} is not valid before ${new Date(cert.notBefore).toISOString()}`);
    if (now > cert.notAfter) throw fail(`${label} expired at ${new Date(cert.notAfter).toISOString()}`);
    if (i === 0) continue;
    const below = path[i - 1]!;
    if (!cert.ca) throw fail(`${label} is not a CA`);
    if (cert.keyUsage !== undefined && !(cert.keyUsage & KEY_USAGE_KEY_CERT_SIGN)) {
      throw fail(`${label} may not sign certificates`);
    }
    // CA certificates strictly between this one and the leaf.
    if (cert.pathLength !== undefined && i - 1 > cert.pathLength) throw fail(`${label} path length exceeded`);
    if (!bytesEqual(below.issuer, cert.subject) || !below.x509.checkIssued(cert.x509)) {
      throw fail(
        i === path.length - 1
          ? 'chain does not lead to the trust anchor'
          : `certificate ${i - 1} is not issued by the next one`,
      );
    }
    if (!below.x509.verify(cert.x509.publicKey)) {
      throw fail(
        i === path.length - 1
          ? 'top of chain is not signed by the trust anchor'
          : `certificate ${i - 1} signature invalid`,
      );
    }
  }

  const leaf = chain[0]!;
  const details = leaf.x509.publicKey.asymmetricKeyDetails;
  if (leaf.x509.publicKey.asymmetricKeyType !== 'ec' || details?.namedCurve !== 'prime256v1') {
    throw fail('PCK key is not ECDSA P-256');
  }
  if (leaf.keyUsage !== undefined && !(leaf.keyUsage & KEY_USAGE_DIGITAL_SIGNATURE)) {
    throw fail('PCK certificate may not sign');
  }

  for (let i = 0; i < chain.length; i++) {
    const cert = chain[i]!;
    const issuer = path[i + 1]!;
    for (const crl of crls) {
      if (!bytesEqual(crl.issuer, cert.issuer)) continue;
      if (issuer.keyUsage !== undefined && !(issuer.keyUsage & KEY_USAGE_CRL_SIGN)) {
        throw new QuoteVerificationError('crl', 'CRL issuer may not sign CRLs');
      }
      if (!crl.verifySignature(issuer.x509.publicKey)) {
        throw new QuoteVerificationError(
          'crl',
          `CRL for ${issuer.x509.subject.replace(/\n/g, ', ')} has an invalid signature`,
        );
      }
      if (crl.revokes(cert.serial)) {
        throw new QuoteVerificationError(
          'pck_revoked',
          `certificate with serial ${toHex(cert.serial)} is revoked`,
        );
      }
    }
  }
  return {
    leaf,
    validFrom: Math.max(...path.map((c) => c.notBefore)),
    validUntil: Math.min(...path.map((c) => c.notAfter)),
  };
}
