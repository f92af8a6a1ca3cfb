import { MosaikError } from '@mosaik/id';
import { type CloseInfo, closeCodeName } from './close-code.js';

/** Every code `@mosaik/transport` raises. */
export type TransportErrorCode =
  | 'protocol_violation'
  | 'link_closed'
  | 'cancelled'
  | 'connect_failed'
  | 'stream_ended_mid_frame';

/** A frame or message broke the protocol (oversized, undecodable). The link is closed with `ProtocolViolation`. */
export class ProtocolViolationError extends MosaikError<'protocol_violation'> {
  constructor(message: string, options?: { cause?: unknown }) {
    super('protocol_violation', message, options);
  }
}

/** The link is closed; `info` tells by whom and with which code. */
export class LinkClosedError extends MosaikError<'link_closed'> {
  constructor(
    readonly info: CloseInfo,
    options?: { cause?: unknown },
  ) {
    const who = info.local ? 'locally' : 'by peer';
    const code = info.code === undefined ? 'no code' : `${closeCodeName(info.code)} (${info.code})`;
    super('link_closed', `link closed ${who}: ${code}${info.reason ? `, ${info.reason}` : ''}`, options);
  }
}

/** The operation was cancelled through its `AbortSignal` or because the node is closing. */
export class CancelledError extends MosaikError<'cancelled'> {
  constructor(message = 'operation cancelled', options?: { cause?: unknown }) {
    super('cancelled', message, options);
  }
}

/** Dialing a peer failed (unreachable, refused, wrong ALPN, handshake timeout). */
export class ConnectFailedError extends MosaikError<'connect_failed'> {
  constructor(message: string, options?: { cause?: unknown }) {
    super('connect_failed', message, options);
  }
}

/** Keeps the first line of a binding error, without Rust source locations. */
export function nativeMessage(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text
    .split('\n')
    .map((line) => line.replace(/\s*\(\/[^)]*:\d+:\d+\)/g, '').trim())
    .filter((line) => line.length > 0 && line !== 'Caused by:')
    .join(': ');
}
