/**
 * QUIC application close codes (the same numbers as the Rust implementation, so mixed
 * networks understand each other's closes) and the helper that recovers
 * them on the receiving side, where iroh-js only offers a reason string.
 */

/** Numeric application close codes. Comparisons are by code only. */
export enum CloseCode {
  /** Normal end of an exchange (sync, ping, …). */
  Success = 200,
  /** The remote is shutting down (e.g. a producer closing). */
  GracefulShutdown = 204,
  /** The connection's ALPN is not the one the handler expects. */
  InvalidAlpn = 100,
  /** A handshake named another network. */
  DifferentNetwork = 101,
  /** Local cancellation. */
  Cancelled = 102,
  /** The stream ended while a frame was expected. */
  UnexpectedClose = 103,
  /** Undecodable or oversized payload. */
  ProtocolViolation = 400,
  /** The remote is not in the acceptor's catalog; sync the catalog and retry. */
  UnknownPeer = 401,
  /** The acceptor serves as many exchanges of this kind as it takes at once: try later, or another peer. */
  Busy = 503,
  /** Streams: the consumer is not allowed. */
  NotAllowed = 10_403,
  /** Streams: no such stream. */
  StreamNotFound = 10_404,
  /** Groups: malformed bond handshake. */
  InvalidHandshake = 30_400,
  /** Groups: no such group. */
  GroupNotFound = 30_404,
  /** Groups: the bond proof did not verify. */
  InvalidProof = 30_405,
  /** Groups: the handshake timed out. */
  Timeout = 30_408,
  /** Groups: a bond between these peers already exists. */
  AlreadyBonded = 30_429,
}

/** How a connection ended, as seen from one side. */
export interface CloseInfo {
  /** The application close code, or `undefined` when the connection ended without one (idle timeout, reset). */
  readonly code: CloseCode | number | undefined;
  /** The reason text: the close code's name for mosaik closes. */
  readonly reason: string;
  /** `true` when this side closed the connection. */
  readonly local: boolean;
}

/** The reason text sent with a code: the code's name, as the reference does. */
export function closeCodeName(code: CloseCode | number): string {
  return CloseCode[code] ?? `Code${code}`;
}

// `closed by peer: <reason> (code <N>)` from Connection.closed()/closeReason().
const closedByPeer = /closed by peer: (.*) \(code (\d+)\)\s*$/s;
// `ApplicationClosed(ApplicationClose { error_code: <N>, reason: b"<reason>" })` from failed reads/writes.
const applicationClosed = /ApplicationClose \{ error_code: (\d+), reason: b"((?:[^"\\]|\\.)*)" \}/s;
const locallyClosed = /LocallyClosed|^closed$/;

/**
 * Recovers the close code and reason from any iroh-js close or error message.
 * Returns `undefined` when the text carries no application close.
 */
export function parseCloseReason(text: string): CloseInfo | undefined {
  const byPeer = closedByPeer.exec(text);
  if (byPeer) return { code: Number(byPeer[2]), reason: byPeer[1]!, local: false };
  const app = applicationClosed.exec(text);
  if (app) return { code: Number(app[1]), reason: unescapeRustBytes(app[2]!), local: false };
  if (locallyClosed.test(text.trim())) return { code: undefined, reason: 'closed', local: true };
  return undefined;
}

/** Undoes Rust's `b"…"` escaping for the printable reasons mosaik sends. */
function unescapeRustBytes(text: string): string {
  return text.replace(
    /\\x([0-9a-f]{2})|\\(["\\nrt0])/g,
    (_, hex: string | undefined, ch: string | undefined) => {
      if (hex) return String.fromCharCode(Number.parseInt(hex, 16));
      return ({ '"': '"', '\\': '\\', n: '\n', r: '\r', t: '\t', '0': '\0' } as Record<string, string>)[ch!]!;
    },
  );
}
