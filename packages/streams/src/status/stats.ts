/** Counters of one channel or one consumer. */
export class Stats {
  #datums = 0;
  #bytes = 0;
  #connectedAt: number | undefined;

  /** Datums moved. */
  get datums(): number {
    return this.#datums;
  }

  /** Sum of the datums' encoded sizes (frame headers excluded). */
  get bytes(): number {
    return this.#bytes;
  }

  /** Milliseconds since the channel connected, or `undefined` when it is not connected. */
  uptime(now = Date.now()): number | undefined {
    return this.#connectedAt === undefined ? undefined : now - this.#connectedAt;
  }

  /** @internal */
  record(bytes: number): void {
    this.#datums++;
    this.#bytes += bytes;
  }

  /** @internal `datums` datums of `bytes` bytes in all. */
  recordMany(datums: number, bytes: number): void {
    this.#datums += datums;
    this.#bytes += bytes;
  }

  /** @internal */
  connected(now = Date.now()): void {
    this.#connectedAt = now;
  }

  /** @internal */
  clear(): void {
    this.#datums = 0;
    this.#bytes = 0;
    this.#connectedAt = undefined;
  }

  /** A plain snapshot (for logs and JSON). */
  toJSON(): { datums: number; bytes: number; uptimeMs: number | undefined } {
    return { datums: this.#datums, bytes: this.#bytes, uptimeMs: this.uptime() };
  }
}
