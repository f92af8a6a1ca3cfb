/**
 * One bond: the single link between this node and one peer of one group, after a successful
 * handshake. It runs the receive loop and the heartbeat (a ping carrying our status every
 * `heartbeatInterval`; silence for `maxMissedHeartbeats` periods, twice that on a quiet bond,
 * closes it with `Timeout`).
 */
import { DecodeError, type PeerId } from '@mosaik/id';
import type { Logger } from '@mosaik/metrics';
import type { Expiration } from '@mosaik/tickets';
import { scheduleExpiry } from '@mosaik/tickets';
import { CloseCode, type CloseInfo, closeCodeName, LinkClosedError } from '@mosaik/transport';
import type { BondLink } from './link.js';
import type { GroupsMetrics } from './metrics.js';
import { type BondMessage, decodeBondMessage, encodeWire, type PeerStatus, WireType } from './wire.js';

/** What a bond reports to its group. */
export interface BondEvents {
  message(bond: Bond, message: BondMessage): void;
  closed(bond: Bond, info: CloseInfo): void;
  /** Our status, sent with every ping. */
  status(): PeerStatus;
  /**
   * Whether this bond may stay quiet: send a ping only after half of `maxMissedHeartbeats`
   * periods with nothing else sent, and allow twice the usual silence (ignored below six
   * missed periods). Default: never.
   */
  quiet?(bond: Bond): boolean;
  /** The ticket expiry timer fired: re-validate; `false` closes the bond with `NotAllowed`. */
  revalidate(bond: Bond): Expiration | false;
}

/** Settings of a bond. */
export interface BondOptions {
  readonly heartbeatInterval: number;
  readonly maxMissedHeartbeats: number;
  readonly metrics: GroupsMetrics;
  readonly group: string;
  readonly logger: Logger;
  readonly expires?: Expiration | undefined;
}

let nextBondSerial = 1;

/**
 * A bond that carried other traffic (Raft messages) during the last heartbeat period needs no
 * ping to stay alive: the peer's silence timer restarts on any message. It still sends its
 * status this often (in heartbeat periods), so the peer's view of it stays fresh. Between a
 * leader and its followers this spares a ping each way per period; in a wide group that is a
 * large share of the leader's messages. A quiet bond (see `BondEvents.quiet`) has no status to
 * keep fresh: it pings only when nothing else went out for half the silence that closes a bond
 * (`maxMissedHeartbeats` periods), and only where that silence is at least twice this many.
 */
const STATUS_REFRESH_PERIODS = 3;

/** A live bond with one peer. Created by the handshake; owned by the group's bond set. */
export class Bond {
  /** A process-local serial, to tell replaced connections apart in logs. */
  readonly serial = nextBondSerial++;
  /** The remote member. */
  readonly peer: PeerId;
  /** Who dialed this connection (decides duplicate bonds, see `BondSet.adopt`). */
  readonly initiator: PeerId;
  readonly #link: BondLink;
  readonly #options: BondOptions;
  #events: BondEvents | undefined;
  #timer: NodeJS.Timeout | undefined;
  #cancelExpiry: () => void = () => {};
  #lastReceived = Date.now();
  /** When something other than a ping was last sent (ms since the epoch). */
  #lastOtherSent = 0;
  #lastPing = 0;
  #status: PeerStatus | undefined;
  #closeCode: number | undefined;

  constructor(link: BondLink, initiator: PeerId, options: BondOptions) {
    this.#link = link;
    this.peer = link.remoteId;
    this.initiator = initiator;
    this.#options = options;
  }

  /** The peer's last reported status (from its pings). */
  get status(): PeerStatus | undefined {
    return this.#status;
  }

  /** True once the link closed (either side). */
  get isClosed(): boolean {
    return this.#link.isClosed;
  }

  /** When the last message from the peer arrived (ms since the epoch): a bond's health. */
  get lastReceivedAt(): number {
    return this.#lastReceived;
  }

  /** Round-trip time of the link in ms, if known. */
  rtt(): number | undefined {
    return this.#link.rtt();
  }

  /** Resolves with how the bond ended. Never rejects. */
  terminated(): Promise<CloseInfo> {
    return this.#link.closed();
  }

  /**
   * Starts the receive loop, the heartbeat and the ticket expiry timer.
   *
   * @internal
   */
  start(events: BondEvents): void {
    this.#events = events;
    void this.#link.closed().then((info) => this.#onClosed(info));
    this.#receive().catch((error: unknown) => this.#fail(error));
    this.#sendPing();
    this.#timer = setInterval(() => this.#heartbeat(), this.#options.heartbeatInterval);
    this.#armExpiry(this.#options.expires);
  }

  /**
   * Sends one message; failures close the bond (they surface through `closed`).
   *
   * @internal
   */
  send(message: BondMessage): void {
    let payload: Uint8Array;
    try {
      payload = encodeWire(message);
    } catch (error) {
      this.#options.logger.warn({ err: String(error) }, 'unencodable bond message dropped');
      return;
    }
    if (message.t === WireType.Ping) this.#sendPayload(payload);
    else this.sendRaw(payload);
  }

  /** Sends a pre-encoded message (broadcasts encode once). */
  sendRaw(payload: Uint8Array): void {
    this.#lastOtherSent = Date.now();
    this.#sendPayload(payload);
  }

  #sendPayload(payload: Uint8Array): void {
    if (this.#link.isClosed) return;
    const labels = { group: this.#options.group };
    this.#link.sendRaw(payload).then(
      () => {
        this.#options.metrics.messagesSent.inc(labels);
        this.#options.metrics.bytesSent.inc(labels, payload.length);
      },
      () => {}, // the link is closing; `closed` reports why
    );
  }

  /** Closes the bond with `code`. `GracefulShutdown` flushes what was sent first (used after `Departure`). */
  close(code: CloseCode | number = CloseCode.Cancelled): Promise<void> {
    this.#closeCode ??= code;
    this.#stopTimers();
    return this.#link.close(code, closeCodeName(code));
  }

  /** Sends `Departure` and closes once it is flushed. */
  depart(): Promise<void> {
    this.send({ t: WireType.Departure });
    return this.close(CloseCode.GracefulShutdown);
  }

  #stopTimers(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#cancelExpiry();
  }

  #armExpiry(expires: Expiration | undefined): void {
    this.#cancelExpiry();
    if (expires === undefined) return;
    this.#cancelExpiry = scheduleExpiry(expires, () => {
      const next = this.#events?.revalidate(this) ?? false;
      if (next === false) {
        this.#options.metrics.rejected.inc({ reason: 'NotAllowed' });
        void this.close(CloseCode.NotAllowed);
      } else this.#armExpiry(next);
    });
  }

  /** Re-arms the ticket expiry timer after a successful re-validation. */
  reauthorized(expires: Expiration | undefined): void {
    this.#armExpiry(expires);
  }

  #heartbeat(): void {
    const now = Date.now();
    const interval = this.#options.heartbeatInterval;
    const missed = this.#options.maxMissedHeartbeats;
    // A quiet bond pings after half the silence that closes a bond (three periods or more), so a
    // peer that does not see it as quiet yet still hears from it in time; with fewer than six
    // missed periods allowed that leaves no margin, and the bond stays loud. An end that sees the
    // bond as quiet allows twice the silence, so a stalled peer process does not cut it.
    const quiet = missed >= 2 * STATUS_REFRESH_PERIODS && this.#events?.quiet?.(this) === true;
    const silence = now - this.#lastReceived;
    if (silence > interval * missed * (quiet ? 2 : 1)) {
      this.#options.logger.debug({ peer: this.peer.short(), silence }, 'bond heartbeat failed');
      void this.close(CloseCode.Timeout);
      return;
    }
    if (quiet) {
      // Only to keep the bond alive: whatever else went out in the meantime did that too.
      const gap = interval * Math.ceil(missed / 2);
      if (now - Math.max(this.#lastPing, this.#lastOtherSent) < gap) return;
    } else {
      // Raft traffic keeps the bond alive; our status still goes out every few periods.
      const carried = now - this.#lastOtherSent < interval;
      if (carried && now - this.#lastPing < interval * STATUS_REFRESH_PERIODS) return;
    }
    this.#sendPing();
  }

  /** Sends our status now (after a change the peer should learn before the next heartbeat). */
  ping(): void {
    this.#sendPing();
  }

  #sendPing(): void {
    const status = this.#events?.status();
    if (status === undefined) return;
    this.#lastPing = Date.now();
    this.send({ t: WireType.Ping, status });
  }

  async #receive(): Promise<void> {
    const labels = { group: this.#options.group };
    for (;;) {
      let payload: Uint8Array;
      try {
        payload = await this.#link.recvRaw();
      } catch (error) {
        if (error instanceof LinkClosedError) return;
        throw error;
      }
      this.#lastReceived = Date.now();
      this.#options.metrics.messagesReceived.inc(labels);
      this.#options.metrics.bytesReceived.inc(labels, payload.length);
      let message: BondMessage;
      try {
        message = decodeBondMessage(payload);
      } catch (error) {
        if (!(error instanceof DecodeError)) throw error;
        this.#options.metrics.rejected.inc({ reason: 'ProtocolViolation' });
        this.#options.logger.warn({ peer: this.peer.short(), err: error.message }, 'bad bond message');
        await this.close(CloseCode.ProtocolViolation);
        return;
      }
      if (message.t === WireType.Ping) this.#status = message.status;
      this.#events?.message(this, message);
    }
  }

  #fail(error: unknown): void {
    this.#options.logger.warn({ peer: this.peer.short(), err: String(error) }, 'bond failed');
    void this.close(CloseCode.UnexpectedClose);
  }

  #onClosed(info: CloseInfo): void {
    this.#stopTimers();
    const local = this.#closeCode;
    this.#events?.closed(this, local !== undefined && info.local ? { ...info, code: local } : info);
  }
}
