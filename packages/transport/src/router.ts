import { linkSignals } from '@mosaik/id';
import type { Logger } from '@mosaik/metrics';
import { CloseCode, closeCodeName } from './close-code.js';
import { nativeMessage } from './errors.js';
import {
  type NativeConnection,
  type NativeEndpointType,
  type NativeIncoming,
  nativeString,
  stringFromNative,
} from './native.js';

/** Handles one accepted connection of a registered ALPN. */
export type ConnectionHandler = (conn: NativeConnection) => Promise<void>;

/** How long an incoming connection may take to complete its QUIC/TLS handshake. */
const INCOMING_HANDSHAKE_TIMEOUT_MS = 10_000;

/**
 * Incoming connections pulled from the endpoint at once. Each pull settles through the event
 * loop, so one pull at a time takes at most one connection per loop turn: in a busy process
 * (turns of hundreds of ms, e.g. dozens of nodes sharing one thread) a node that many peers dial
 * together, such as a bootstrap seed, accepted a few connections a second while the dialers
 * timed out and dialled again. Measured with 60 dials into one endpoint and 200 ms turns: 13 s
 * one at a time, 1.5 s with 64 pulls pending.
 */
const PARALLEL_ACCEPTS = 64;

/**
 * Accept loop with ALPN dispatch (iroh-js has no router). The endpoint advertises
 * exactly the registered ALPNs, so TLS refuses any other; each accepted connection
 * is handled in its own task, so a slow peer never stalls the loop.
 *
 * iroh-js leaves a handshake that is in flight when the endpoint closes pending forever
 * (`Accepting.alpn()` never settles), so every native step of an incoming handshake is
 * raced against {@link stop} and a deadline: shutdown never waits on a half-open peer.
 */
export class AlpnRouter {
  readonly #endpoint: NativeEndpointType;
  readonly #handlers = new Map<string, ConnectionHandler>();
  readonly #log: Logger;
  readonly #tasks = new Set<Promise<void>>();
  #loop: Promise<void> | undefined;
  readonly #stop = new AbortController();

  constructor(endpoint: NativeEndpointType, log: Logger) {
    this.#endpoint = endpoint;
    this.#log = log;
  }

  /** Registers the handler of `alpn` and advertises it. */
  register(alpn: string, handler: ConnectionHandler): void {
    if (this.#handlers.has(alpn)) throw new Error(`a handler for ALPN ${alpn} is already registered`);
    this.#handlers.set(alpn, handler);
    this.#endpoint.setAlpns([...this.#handlers.keys()].map(nativeString));
  }

  /** The registered ALPNs. */
  get alpns(): string[] {
    return [...this.#handlers.keys()];
  }

  /** Starts the accept loops; they end when the endpoint closes. */
  start(): void {
    this.#loop ??= this.#acceptLoop();
  }

  /** Abandons incoming handshakes still in flight; call it when the endpoint closes. */
  stop(): void {
    this.#stop.abort();
  }

  /** Waits for the accept loop and every connection task to finish (after {@link stop} and the endpoint closed). */
  async stopped(): Promise<void> {
    await this.#loop;
    while (this.#tasks.size > 0) await Promise.allSettled([...this.#tasks]);
  }

  async #acceptLoop(): Promise<void> {
    await Promise.all(Array.from({ length: PARALLEL_ACCEPTS }, () => this.#acceptOne()));
  }

  async #acceptOne(): Promise<void> {
    for (;;) {
      let incoming: NativeIncoming | null;
      try {
        incoming = await this.#endpoint.acceptNext();
      } catch (error) {
        if (!this.#endpoint.isClosed()) this.#log.warn({ err: nativeMessage(error) }, 'accept loop failed');
        return;
      }
      if (!incoming) return; // endpoint closed
      const task = this.#serve(incoming);
      this.#tasks.add(task);
      void task.finally(() => this.#tasks.delete(task));
    }
  }

  async #serve(incoming: NativeIncoming): Promise<void> {
    let conn: NativeConnection;
    let alpn: string;
    const deadline = linkSignals([this.#stop.signal, AbortSignal.timeout(INCOMING_HANDSHAKE_TIMEOUT_MS)]);
    try {
      const accepting = await abandonOn(incoming.accept(), deadline.signal);
      alpn = stringFromNative(await abandonOn(accepting.alpn(), deadline.signal));
      conn = await abandonOn(accepting.connect(), deadline.signal, (late) =>
        late.close(BigInt(CloseCode.Timeout), nativeString(closeCodeName(CloseCode.Timeout))),
      );
    } catch (error) {
      // Handshake failures (e.g. an ALPN we do not advertise) are the peer's problem.
      this.#log.debug({ err: nativeMessage(error) }, 'incoming handshake failed');
      return;
    } finally {
      deadline.dispose();
    }
    const handler = this.#handlers.get(alpn);
    if (!handler) {
      conn.close(BigInt(CloseCode.InvalidAlpn), nativeString(closeCodeName(CloseCode.InvalidAlpn)));
      return;
    }
    try {
      await handler(conn);
    } catch (error) {
      this.#log.warn({ alpn, err: nativeMessage(error) }, 'connection handler failed');
    }
  }
}

/**
 * `native` unless `signal` aborts first; then rejects with the abort reason and leaves the
 * native promise to settle (or not) on its own: a value that arrives late goes to `discard`.
 */
function abandonOn<T>(native: Promise<T>, signal: AbortSignal, discard?: (late: T) => void): Promise<T> {
  let abandoned = signal.aborted;
  native.then(
    (late) => {
      if (!abandoned) return;
      try {
        discard?.(late);
      } catch {
        // Already gone with the endpoint.
      }
    },
    () => {},
  );
  if (abandoned) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      abandoned = true;
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    native.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
