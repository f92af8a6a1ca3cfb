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

/**
 * Accept loop with ALPN dispatch (iroh-js has no router). The endpoint advertises
 * exactly the registered ALPNs, so TLS refuses any other; each accepted connection
 * is handled in its own task, so a slow peer never stalls the loop.
 */
export class AlpnRouter {
  readonly #endpoint: NativeEndpointType;
  readonly #handlers = new Map<string, ConnectionHandler>();
  readonly #log: Logger;
  readonly #tasks = new Set<Promise<void>>();
  #loop: Promise<void> | undefined;

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

  /** Starts the accept loop; it ends when the endpoint closes. */
  start(): void {
    this.#loop ??= this.#acceptLoop();
  }

  /** Waits for the accept loop and every connection task to finish (after the endpoint closed). */
  async stopped(): Promise<void> {
    await this.#loop;
    while (this.#tasks.size > 0) await Promise.allSettled([...this.#tasks]);
  }

  async #acceptLoop(): Promise<void> {
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
    try {
      const accepting = await incoming.accept();
      alpn = stringFromNative(await accepting.alpn());
      conn = await accepting.connect();
    } catch (error) {
      // Handshake failures (e.g. an ALPN we do not advertise) are the peer's problem.
      this.#log.debug({ err: nativeMessage(error) }, 'incoming handshake failed');
      return;
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
