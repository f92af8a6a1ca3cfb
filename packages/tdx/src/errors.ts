import { MosaikError } from '@mosaik/id';

/** Every code `@mosaik/tdx` raises; `kind` on each error narrows it further. */
export type TdxErrorCode =
  | 'tdx_quote_parse'
  | 'tdx_quote_verification'
  | 'tdx_ticket'
  | 'tdx_unavailable'
  | 'tdx_quote_generation'
  | 'tdx_config';

/**
 * A TDX quote could not be parsed: wrong version, key or TEE type, truncated, or a length
 * field that disagrees with the bytes present. Code `tdx_quote_parse`.
 */
export class QuoteParseError extends MosaikError<'tdx_quote_parse'> {
  /** Byte offset where parsing stopped, when known. */
  readonly offset: number | undefined;

  constructor(message: string, offset?: number, options?: { cause?: unknown }) {
    super('tdx_quote_parse', offset === undefined ? message : `${message} (at byte ${offset})`, options);
    this.offset = offset;
  }
}

/**
 * Which check of quote verification failed; stable, so callers and tests can branch on it.
 *
 * - `quote_signature`: the ECDSA-P256 signature over header and TD report does not verify
 *   with the attestation key in the quote.
 * - `attestation_key`: the attestation key is not a valid P-256 point.
 * - `qe_report_binding`: the QE report does not bind the attestation key
 *   (`sha256(attestationKey ‖ qeAuthData)` ‖ 32 zero bytes ≠ QE report data).
 * - `qe_report_signature`: the QE report is not signed by the PCK certificate's key.
 * - `qe_identity`: the QE report is not from Intel's TD quoting enclave (signer, product id,
 *   attributes).
 * - `certification_data`: the quote does not carry a PEM PCK certificate chain.
 * - `pck_chain`: the PCK chain is malformed or does not chain up to the trust anchor.
 * - `pck_revoked`: a certificate of the chain is listed in a configured CRL.
 * - `crl`: a configured CRL that applies to the chain has an invalid signature.
 */
export type VerificationFailure =
  | 'quote_signature'
  | 'attestation_key'
  | 'qe_report_binding'
  | 'qe_report_signature'
  | 'qe_identity'
  | 'certification_data'
  | 'pck_chain'
  | 'pck_revoked'
  | 'crl';

/** A parsed quote failed a cryptographic check. Code `tdx_quote_verification`. */
export class QuoteVerificationError extends MosaikError<'tdx_quote_verification'> {
  /** The failed check. */
  readonly kind: VerificationFailure;

  constructor(kind: VerificationFailure, message: string, options?: { cause?: unknown }) {
    super('tdx_quote_verification', `${kind}: ${message}`, options);
    this.kind = kind;
  }
}

/**
 * Why a {@link TdxTicketError} was raised.
 *
 * - `invalid_format`: the ticket payload does not decompress or decode.
 * - `invalid_report_data`: the quote's report data does not bind the ticket's fields.
 * - `invalid_ticket_type`: a generic ticket of another class was offered.
 * - `quote`: the embedded quote failed to parse or verify (see `cause`).
 * - `expiration_in_the_past`: a ticket was requested with an expiration already passed.
 */
export type TdxTicketFailure =
  | 'invalid_format'
  | 'invalid_report_data'
  | 'invalid_ticket_type'
  | 'quote'
  | 'expiration_in_the_past';

/** A TDX ticket could not be built or read. Code `tdx_ticket`. */
export class TdxTicketError extends MosaikError<'tdx_ticket'> {
  /** What went wrong. */
  readonly kind: TdxTicketFailure;

  constructor(kind: TdxTicketFailure, message: string, options?: { cause?: unknown }) {
    super('tdx_ticket', `${kind}: ${message}`, options);
    this.kind = kind;
  }
}

/**
 * This machine cannot produce TDX quotes: configfs-tsm is missing, or its provider is not
 * `tdx_guest` (e.g. a SEV-SNP guest). Code `tdx_unavailable`.
 */
export class TdxUnavailableError extends MosaikError<'tdx_unavailable'> {
  constructor(message: string, options?: { cause?: unknown }) {
    super('tdx_unavailable', message, options);
  }
}

/** The quote provider failed while generating a quote. Code `tdx_quote_generation`. */
export class QuoteGenerationError extends MosaikError<'tdx_quote_generation'> {
  constructor(message: string, options?: { cause?: unknown }) {
    super('tdx_quote_generation', message, options);
  }
}

/**
 * A TDX API was configured with an unusable value (a measurement of the wrong length, a bad
 * trust anchor, a negative duration, ...). Raised at construction, never during validation.
 * Code `tdx_config`.
 */
export class TdxConfigError extends MosaikError<'tdx_config'> {
  constructor(message: string, options?: { cause?: unknown }) {
    super('tdx_config', message, options);
  }
}
