/**
 * A small self-contained DHT on one host: several bittorrent-dht nodes bootstrapped to each
 * other, reachable from nowhere else. For tests and local development of the DHT bootstrap.
 */
import { DhtClient } from './client.js';

/** Options of {@link LocalDht.start}. */
export interface LocalDhtOptions {
  /** Number of DHT nodes (default 5). */
  readonly nodes?: number;
  /** Address every node binds (default `'127.0.0.1'`). */
  readonly host?: string;
  /** Per-query timeout in ms (default 500). */
  readonly requestTimeoutMs?: number;
}

/** A running local DHT. Pass {@link bootstrap} as a client's bootstrap list; {@link close} it after. */
export class LocalDht implements AsyncDisposable {
  private constructor(
    /** The nodes (they also store items). */
    readonly nodes: readonly DhtClient[],
  ) {}

  /** Starts the nodes, each bootstrapped to those before it. */
  static async start(options: LocalDhtOptions = {}): Promise<LocalDht> {
    const count = options.nodes ?? 5;
    const host = options.host ?? '127.0.0.1';
    const requestTimeoutMs = options.requestTimeoutMs ?? 500;
    const nodes: DhtClient[] = [];
    try {
      for (let i = 0; i < count; i++) {
        nodes.push(await DhtClient.open({ bootstrap: nodes.map((n) => n.address), host, requestTimeoutMs }));
      }
    } catch (error) {
      await Promise.all(nodes.map((n) => n.close()));
      throw error;
    }
    return new LocalDht(nodes);
  }

  /** `host:port` of every node. */
  get bootstrap(): string[] {
    return this.nodes.map((n) => n.address);
  }

  /** Closes every node. */
  async close(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.close()));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
