/**
 * Where a node stands with its relays, as a watchable value. iroh-js offers no usable change
 * callback for the home relay (its watchers abort the process when called from JS) and its
 * `online()` promise never settles without a relay, which would keep the process alive after
 * close. So the node polls its own address on an unref'd timer: cheap, and it never blocks exit.
 */
import { type ReadonlyWatch, Watch } from '@mosaik/id';

/**
 * - `disabled`: the node uses no relays (preset `local` or `relayMode: 'disabled'`); it is online
 *   as soon as it is bound.
 * - `connecting`: no home relay yet, for less than the grace period.
 * - `connected`: a home relay carries traffic for peers that cannot reach the node directly.
 * - `unreachable`: no home relay for longer than the grace period (no internet access, a firewall,
 *   a wrong relay URL). The node still works on its direct addresses.
 */
export type RelayState = 'disabled' | 'connecting' | 'connected' | 'unreachable';

/** The relay status of a node. */
export interface RelayStatus {
  readonly state: RelayState;
  /** The home relay's URL while `connected`. */
  readonly homeRelay?: string;
  /** When the node entered this state (ms since the epoch). */
  readonly since: number;
}

/** How often the node looks at its home relay. */
const POLL_INTERVAL_MS = 250;

/** @internal Options of {@link RelayMonitor}. */
export interface RelayMonitorOptions {
  /** False when the node uses no relays. */
  readonly enabled: boolean;
  /** The current home relay URL, if any. */
  readonly homeRelay: () => string | undefined;
  /** How long `connecting` lasts before the node counts as `unreachable`. */
  readonly gracePeriod: number;
  /** Called once each time the node becomes `unreachable`. */
  readonly onUnreachable: (status: RelayStatus) => void;
}

/** @internal Tracks the home relay of a node. */
export class RelayMonitor {
  readonly #status: Watch<RelayStatus>;
  readonly #timer: NodeJS.Timeout | undefined;
  readonly #options: RelayMonitorOptions;

  constructor(options: RelayMonitorOptions) {
    this.#options = options;
    const since = Date.now();
    this.#status = new Watch<RelayStatus>(
      options.enabled ? { state: 'connecting', since } : { state: 'disabled', since },
      { equals: (a, b) => a.state === b.state && a.homeRelay === b.homeRelay },
    );
    if (!options.enabled) return;
    this.#timer = setInterval(() => this.#poll(), POLL_INTERVAL_MS);
    this.#timer.unref();
    this.#poll();
  }

  /** The status, watchable. */
  get status(): ReadonlyWatch<RelayStatus> {
    return this.#status;
  }

  /** Stops polling (the node closed); the status keeps its last value. */
  stop(): void {
    clearInterval(this.#timer);
  }

  #poll(): void {
    let homeRelay: string | undefined;
    try {
      homeRelay = this.#options.homeRelay();
    } catch {
      return; // the endpoint is closing
    }
    const now = Date.now();
    const current = this.#status.get();
    if (homeRelay !== undefined) {
      this.#status.set({ state: 'connected', homeRelay, since: now });
      return;
    }
    if (current.state === 'connected') {
      this.#status.set({ state: 'connecting', since: now });
    } else if (current.state === 'connecting' && now - current.since >= this.#options.gracePeriod) {
      const unreachable: RelayStatus = { state: 'unreachable', since: now };
      this.#status.set(unreachable);
      this.#options.onUnreachable(unreachable);
    }
  }
}
