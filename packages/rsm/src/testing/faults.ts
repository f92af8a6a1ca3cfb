/**
 * A fault-injecting wrapper for bond connections (only chaos tests use it, to
 * drop, delay or cut what a node sends; the transport itself is never mocked). One `LinkFaults` is shared by every node of a test; each node
 * installs `faults.wrapper(peerId)` as `GroupsConfig.wrapLink`. Faults apply to what a node
 * *sends* to a peer, so a rule between two wrapped nodes is symmetric when set both ways (as
 * `cut` and `partition` do). The QUIC connection itself stays up: like a real partition, silence
 * is detected by the bond heartbeat (`Timeout`), and handshakes across a cut time out.
 *
 * ```ts
 * const faults = new LinkFaults();
 * const groups = new Groups(node, discovery, { wrapLink: faults.wrapper(node.peerId) });
 * faults.partition([a, b], [c, d, e]); // drop everything between the sides
 * faults.set(a, c, { drop: 0.2, delay: 30 }); // lossy, slow a → c
 * faults.heal();
 * ```
 */
import type { PeerId } from '@mosaik/id';
import type { CloseInfo } from '@mosaik/transport';
import type { BondLink, LinkWrapper } from '../link.js';

/** What happens to frames one node sends to another. */
export interface LinkFault {
  /** Drop everything (a cut). */
  readonly cut?: boolean;
  /** Probability in [0, 1] that a frame is dropped. */
  readonly drop?: number;
  /** Milliseconds each frame is held back (order is kept). */
  readonly delay?: number;
}

/** Counts of what the wrappers did, for assertions. */
export interface FaultStats {
  sent: number;
  dropped: number;
  delayed: number;
}

const key = (from: PeerId | string, to: PeerId | string) => `${from.toString()}>${to.toString()}`;

/** Fault rules between nodes, and the wrappers that apply them. */
export class LinkFaults {
  readonly #rules = new Map<string, LinkFault>();
  readonly #random: () => number;
  /** What the wrappers did so far. */
  readonly stats: FaultStats = { sent: 0, dropped: 0, delayed: 0 };

  /** @param random - uniform numbers in [0, 1) for `drop` (default `Math.random`) */
  constructor(random: () => number = Math.random) {
    this.#random = random;
  }

  /** The wrapper for node `self` (its `GroupsConfig.wrapLink`). */
  wrapper(self: PeerId): LinkWrapper {
    return (link) => new FaultyLink(link, () => this.#rules.get(key(self, link.remoteId)), this);
  }

  /** Sets the fault of frames `from` sends to `to` (replaces any previous one). */
  set(from: PeerId, to: PeerId, fault: LinkFault): void {
    this.#rules.set(key(from, to), fault);
  }

  /** Sets `fault` both ways between `a` and `b`. */
  setBoth(a: PeerId, b: PeerId, fault: LinkFault): void {
    this.set(a, b, fault);
    this.set(b, a, fault);
  }

  /** Drops everything between `a` and `b`, both ways. */
  cut(a: PeerId, b: PeerId): void {
    this.setBoth(a, b, { cut: true });
  }

  /** Cuts every pair across the two sides. */
  partition(sideA: readonly PeerId[], sideB: readonly PeerId[]): void {
    for (const a of sideA) for (const b of sideB) this.cut(a, b);
  }

  /** Removes the rules between `a` and `b`, both ways. */
  clear(a: PeerId, b: PeerId): void {
    this.#rules.delete(key(a, b));
    this.#rules.delete(key(b, a));
  }

  /** Removes every rule. */
  heal(): void {
    this.#rules.clear();
  }

  /** @internal */
  roll(): number {
    return this.#random();
  }
}

/** A bond link whose sends go through the current rule of its direction. */
class FaultyLink implements BondLink {
  readonly #inner: BondLink;
  readonly #rule: () => LinkFault | undefined;
  readonly #faults: LinkFaults;
  readonly #timers = new Set<NodeJS.Timeout>();
  /** When the last delayed frame goes out: later frames never overtake it. */
  #releaseAt = 0;

  constructor(inner: BondLink, rule: () => LinkFault | undefined, faults: LinkFaults) {
    this.#inner = inner;
    this.#rule = rule;
    this.#faults = faults;
    void inner.closed().then(() => {
      for (const t of this.#timers) clearTimeout(t);
      this.#timers.clear();
    });
  }

  get remoteId(): PeerId {
    return this.#inner.remoteId;
  }

  get isClosed(): boolean {
    return this.#inner.isClosed;
  }

  sendRaw(payload: Uint8Array): Promise<void> {
    const rule = this.#rule();
    const stats = this.#faults.stats;
    stats.sent++;
    if (rule?.cut === true || (rule?.drop !== undefined && this.#faults.roll() < rule.drop)) {
      stats.dropped++;
      return Promise.resolve();
    }
    const now = Date.now();
    const delay = rule?.delay ?? 0;
    if (delay <= 0 && this.#releaseAt <= now) return this.#inner.sendRaw(payload);
    stats.delayed++;
    this.#releaseAt = Math.max(this.#releaseAt, now + delay);
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        this.#inner.sendRaw(payload).then(resolve, reject);
      }, this.#releaseAt - now);
      this.#timers.add(timer);
    });
  }

  recvRaw(): Promise<Uint8Array> {
    return this.#inner.recvRaw();
  }

  close(code?: number, reason?: string): Promise<void> {
    return this.#inner.close(code, reason);
  }

  closed(): Promise<CloseInfo> {
    return this.#inner.closed();
  }

  rtt(): number | undefined {
    return this.#inner.rtt();
  }
}
