/**
 * @mosaik/tdx: Intel TDX attestation tickets — quote providers (configfs-tsm and a mock),
 * a quote parser, a verifier that chains quotes up to the Intel SGX Root CA, the
 * {@link TdxTicket} and the {@link Tdx} ticket validator.
 *
 * @packageDocumentation
 */
export {
  QuoteGenerationError,
  QuoteParseError,
  QuoteVerificationError,
  TdxConfigError,
  type TdxErrorCode,
  TdxTicketError,
  type TdxTicketFailure,
  TdxUnavailableError,
  type VerificationFailure,
} from './errors.js';
export { INTEL_SGX_ROOT_CA_FINGERPRINT, INTEL_SGX_ROOT_CA_PEM } from './intel-root.js';
export {
  type CriteriaInput,
  Measurement,
  type MeasurementInput,
  Measurements,
  MeasurementsCriteria,
  type Rtmrs,
} from './measurement.js';
export { type MockTdxOptions, MockTdxProvider } from './mock.js';
export { MockPckCa, type MockPckCaOptions } from './mock-ca.js';
export {
  CONFIGFS_TSM_REPORT,
  type ConfigfsTsmOptions,
  ConfigfsTsmProvider,
  type QuoteProvider,
  REPORT_DATA_LENGTH,
} from './provider.js';
export {
  MAX_QUOTE_LENGTH,
  parseQuote,
  type QeCertificationData,
  type QeReport,
  type QuoteHeader,
  type TdReport,
  type TdxQuote,
} from './quote.js';
export { type GenerateOptions, MAX_TICKET_LENGTH, TdxTicket, type TdxTicketFields } from './ticket.js';
export { localMeasurements, Tdx, type TdxOptions } from './validator.js';
export {
  type QuoteVerification,
  TD_QE_IDENTITY,
  type VerificationMode,
  type VerifyOptions,
  verifyQuote,
} from './verify.js';
export { type CertificateInfo, Crl, TrustAnchor } from './x509.js';
