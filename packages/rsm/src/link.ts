/**
 * The part of a transport `Link` that bonds use. A `Link` is one; so is a wrapper that injects
 * faults (`LinkFaults` in `@mosaik/rsm/testing`), installed with `GroupsConfig.wrapLink`.
 */
import type { PeerId } from '@mosaik/id';
import type { CloseInfo } from '@mosaik/transport';

/** One connection of `/mosaik/groups/1` as the handshake and the bond see it. */
export interface BondLink {
  /** The authenticated peer on the other end. */
  readonly remoteId: PeerId;
  /** Sends one frame. */
  sendRaw(payload: Uint8Array): Promise<void>;
  /** Receives the next frame; rejects with `LinkClosedError` once the link is gone. */
  recvRaw(): Promise<Uint8Array>;
  /** Closes with a close code (sent data is flushed first for `Success`/`GracefulShutdown`). */
  close(code?: number, reason?: string): Promise<void>;
  /** Resolves with how the link ended. Never rejects. */
  closed(): Promise<CloseInfo>;
  readonly isClosed: boolean;
  /** Round-trip time in ms, if known. */
  rtt(): number | undefined;
}

/** Wraps every bond connection of a node, dialed or accepted, before the handshake. */
export type LinkWrapper = (link: BondLink) => BondLink;
