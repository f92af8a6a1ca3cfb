import type { PeerEntry } from '@mosaik/discovery';
import { type PeerId, type StreamId, Watch } from '@mosaik/id';
import { Stats } from './stats.js';

/** Lifecycle of one producer↔consumer channel. Transient failures go back to `connecting`. */
export type ChannelState = 'connecting' | 'connected' | 'terminated';

/**
 * One producer↔consumer pair as seen from one side: who, which stream, its state and live stats.
 * On the producer side `peer` is the consumer's entry when the subscription was accepted; on the
 * consumer side it is the producer's entry when the receiver started.
 */
export class ChannelInfo {
  readonly #state = new Watch<ChannelState>('connecting', { equals: (a, b) => a === b });
  /** Live counters of this channel. */
  readonly stats = new Stats();

  /** @internal */
  constructor(
    readonly streamId: StreamId,
    readonly producerId: PeerId,
    readonly consumerId: PeerId,
    /** The remote side's entry snapshot. */
    readonly peer: PeerEntry,
    private readonly onChange: () => void,
  ) {}

  /** The remote side's id. */
  get peerId(): PeerId {
    return this.peer.peerId;
  }

  get state(): ChannelState {
    return this.#state.get();
  }

  get isConnected(): boolean {
    return this.#state.get() === 'connected';
  }

  /** Resolves once the channel is terminated. */
  async disconnected(signal?: AbortSignal): Promise<void> {
    await this.#state.until((s) => s === 'terminated', signal ? { signal } : {});
  }

  /** @internal */
  setState(state: ChannelState): void {
    if (this.#state.get() === 'terminated') return;
    const before = this.#state.version;
    this.#state.set(state);
    if (this.#state.version !== before) this.onChange();
  }
}
