/**
 * Close codes specific to streams (numbered as in the Rust implementation). The generic ones (`UnknownPeer`,
 * `DifferentNetwork`, `ProtocolViolation`, `GracefulShutdown`, `NotAllowed`, `StreamNotFound`)
 * live in `@mosaik/transport`'s `CloseCode`; the two below are missing there, so streams owns
 * them. Receivers match closes by number only.
 */
export const StreamCloseCode = {
  /** The producer dropped a subscriber whose queue overflowed (`disconnectLagging`). */
  TooSlow: 10_413,
  /** The producer is at `maxConsumers`. */
  NoCapacity: 10_509,
} as const;

/** The reason text sent with a streams-specific close code. */
export function streamCloseName(code: number): string | undefined {
  if (code === StreamCloseCode.TooSlow) return 'TooSlow';
  if (code === StreamCloseCode.NoCapacity) return 'NoCapacity';
  return undefined;
}
