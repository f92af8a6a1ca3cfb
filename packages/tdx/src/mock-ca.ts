import { generateKeyPairSync, type KeyObject, randomBytes, sign } from 'node:crypto';
import { bitString, der, explicit, int, name, octetString, oid, seq, TAG, TRUE, time, uint } from './der.js';
import { Crl, parseCertificate, TrustAnchor, toPem } from './x509.js';

const ECDSA_SHA256 = seq(oid('1.2.840.10045.4.3.2'));
const YEAR = 365 * 24 * 3_600_000;

interface IssueOptions {
  readonly serial: Uint8Array;
  readonly issuer: Uint8Array;
  readonly subject: Uint8Array;
  readonly notBefore: number;
  readonly notAfter: number;
  readonly subjectKey: KeyObject;
  readonly issuerKey: KeyObject;
  /** CA path length; `undefined` for an end-entity certificate. */
  readonly pathLength: number | undefined;
}

function issue(o: IssueOptions): Uint8Array {
  const spki = new Uint8Array(o.subjectKey.export({ type: 'spki', format: 'der' }));
  const ca = o.pathLength !== undefined;
  const basicConstraints = ca ? seq(TRUE, int(o.pathLength!)) : seq();
  // keyCertSign + cRLSign for CAs, digitalSignature for the PCK leaf (as Intel issues them).
  const keyUsage = ca
    ? der(TAG.bitString, Uint8Array.of(1, 0x06))
    : der(TAG.bitString, Uint8Array.of(7, 0x80));
  const tbs = seq(
    explicit(0, int(2)),
    uint(o.serial),
    ECDSA_SHA256,
    o.issuer,
    seq(time(o.notBefore), time(o.notAfter)),
    o.subject,
    spki,
    explicit(
      3,
      seq(
        seq(oid('2.5.29.19'), TRUE, octetString(basicConstraints)),
        seq(oid('2.5.29.15'), TRUE, octetString(keyUsage)),
      ),
    ),
  );
  return seq(tbs, ECDSA_SHA256, bitString(sign('sha256', tbs, o.issuerKey)));
}

function serial(): Uint8Array {
  const s = randomBytes(16);
  s[0] = (s[0]! & 0x7f) | 0x01; // positive and exactly 16 bytes
  return new Uint8Array(s);
}

/** Options of {@link MockPckCa}. */
export interface MockPckCaOptions {
  /** Start of every certificate's validity (ms since the epoch); default one hour ago. */
  readonly notBefore?: number;
  /** End of every certificate's validity; default ten years after `notBefore`. */
  readonly notAfter?: number;
}

/**
 * A throw-away certificate hierarchy shaped like Intel's: a self-signed root CA (path length
 * 1), a "PCK Platform CA" (path length 0) and a PCK leaf certificate whose P-256 key signs
 * QE reports. All keys are generated in memory; nothing here is trusted by default.
 */
export class MockPckCa {
  /** DER of the root CA certificate. */
  readonly root: Uint8Array;
  /** DER of the intermediate CA certificate. */
  readonly intermediate: Uint8Array;
  /** DER of the PCK leaf certificate. */
  readonly pck: Uint8Array;
  /** The root as a trust anchor, to pass to {@link verifyQuote} or the `Tdx` validator. */
  readonly trustAnchor: TrustAnchor;
  /** Private key of the PCK certificate (signs QE reports). */
  readonly pckKey: KeyObject;
  private readonly rootKey: KeyObject;
  private readonly intermediateKey: KeyObject;
  private readonly rootName = name('Mock SGX Root CA', 'mosaik test');
  private readonly intermediateName = name('Mock SGX PCK Platform CA', 'mosaik test');

  constructor(options: MockPckCaOptions = {}) {
    const notBefore = options.notBefore ?? Date.now() - 3_600_000;
    const notAfter = options.notAfter ?? notBefore + 10 * YEAR;
    const keys = () => generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const root = keys();
    const intermediate = keys();
    const pck = keys();
    this.rootKey = root.privateKey;
    this.intermediateKey = intermediate.privateKey;
    this.pckKey = pck.privateKey;
    const common = { notBefore, notAfter };
    this.root = issue({
      ...common,
      serial: serial(),
      issuer: this.rootName,
      subject: this.rootName,
      subjectKey: root.publicKey,
      issuerKey: root.privateKey,
      pathLength: 1,
    });
    this.intermediate = issue({
      ...common,
      serial: serial(),
      issuer: this.rootName,
      subject: this.intermediateName,
      subjectKey: intermediate.publicKey,
      issuerKey: root.privateKey,
      pathLength: 0,
    });
    this.pck = issue({
      ...common,
      serial: serial(),
      issuer: this.intermediateName,
      subject: name('Mock SGX PCK Certificate', 'mosaik test'),
      subjectKey: pck.publicKey,
      issuerKey: intermediate.privateKey,
      pathLength: undefined,
    });
    this.trustAnchor = TrustAnchor.from(this.root);
  }

  /** The chain as a quote carries it: PCK leaf, intermediate, root, PEM-armoured. */
  chainPem(): string {
    return toPem(this.pck) + toPem(this.intermediate) + toPem(this.root);
  }

  /**
   * A CRL signed by `issuer` (the intermediate "PCK Platform CA" by default, or the root)
   * listing the `revoked` certificates. A CRL only applies to certificates its issuer issued:
   * revoke `'pck'` with the platform CA, `'intermediate'` with the root.
   */
  crl(
    revoked: readonly ('pck' | 'intermediate')[] = [],
    issuer: 'platform-ca' | 'root' = 'platform-ca',
  ): Crl {
    const now = Date.now();
    const entries = revoked.map((which) =>
      seq(uint(parseCertificate(which === 'pck' ? this.pck : this.intermediate).serial), time(now)),
    );
    const tbs = seq(
      int(1),
      ECDSA_SHA256,
      issuer === 'root' ? this.rootName : this.intermediateName,
      time(now - 60_000),
      time(now + 30 * 24 * 3_600_000),
      ...(entries.length > 0 ? [seq(...entries)] : []),
    );
    const key = issuer === 'root' ? this.rootKey : this.intermediateKey;
    return Crl.from(seq(tbs, ECDSA_SHA256, bitString(sign('sha256', tbs, key))));
  }
}
