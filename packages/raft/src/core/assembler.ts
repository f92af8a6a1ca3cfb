import { SnapshotTransferError } from '../errors.js';
import type { Ready, Snapshot, SnapshotMeta } from '../types.js';

/**
 * Puts the chunks of a snapshot received from the leader back together, for callers that want
 * it whole (tests, simulators, small state machines). Feed it every `Ready` in order; it returns
 * the snapshot when one is complete. Large deployments stream the chunks instead
 * (`Storage.receiveSnapshot`, a state machine's chunked restore) and never hold it in one piece.
 */
export class SnapshotAssembler {
  #meta: SnapshotMeta | undefined;
  #data: Uint8Array | undefined;
  #filled = 0;

  /**
   * Takes the snapshot parts of `rd`.
   * @returns the whole snapshot when `rd.snapshot` completes one.
   * @throws SnapshotTransferError if the chunks do not line up (a bug in the caller's loop).
   */
  take(rd: Ready): Snapshot | undefined {
    if (rd.snapshotAbandoned) this.#reset();
    for (const c of rd.snapshotChunks) {
      if (c.offset === 0) {
        this.#meta = c.meta;
        this.#data = new Uint8Array(c.total);
        this.#filled = 0;
      }
      const data = this.#data;
      if (data === undefined || c.meta !== this.#meta || c.offset !== this.#filled)
        throw new SnapshotTransferError(`chunk at ${c.offset} does not follow byte ${this.#filled}`);
      if (c.offset + c.data.length > data.length)
        throw new SnapshotTransferError(`chunk at ${c.offset} runs past the total ${data.length}`);
      data.set(c.data, c.offset);
      this.#filled += c.data.length;
    }
    const done = rd.snapshot;
    if (done === undefined) return undefined;
    const meta = this.#meta;
    const data = this.#data;
    const filled = this.#filled;
    this.#reset();
    if (meta === undefined || data === undefined || meta.index !== done.index || meta.term !== done.term)
      throw new SnapshotTransferError(`snapshot at ${done.index} completed without its chunks`);
    if (filled !== data.length)
      throw new SnapshotTransferError(
        `snapshot at ${done.index} completed at ${filled} of ${data.length} bytes`,
      );
    return { meta: done, data };
  }

  #reset(): void {
    this.#meta = undefined;
    this.#data = undefined;
    this.#filled = 0;
  }
}
