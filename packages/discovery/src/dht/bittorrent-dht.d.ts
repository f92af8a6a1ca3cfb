// The subset of bittorrent-dht 11 (which ships no types) that the DHT bootstrap uses.
declare module 'bittorrent-dht' {
  import { EventEmitter } from 'node:events';

  export interface DhtOptions {
    bootstrap?: false | string[];
    verify?: (signature: Buffer, message: Buffer, publicKey: Buffer) => boolean;
    timeout?: number;
    maxValues?: number;
  }

  export interface MutablePut {
    k: Buffer;
    v: Buffer;
    seq: number;
    cas?: number;
    sign: (message: Buffer) => Buffer;
  }

  export interface MutableItem {
    v: Buffer;
    k?: Buffer;
    sig?: Buffer;
    seq?: number;
  }

  export default class DHT extends EventEmitter {
    constructor(options?: DhtOptions);
    readonly destroyed: boolean;
    listen(port: number, address: string, onListening?: () => void): void;
    address(): { address: string; family: string; port: number };
    put(
      item: MutablePut,
      cb: (err: (Error & { code?: unknown }) | null, target: Buffer, stored: number) => void,
    ): Buffer;
    get(
      target: Buffer,
      options: { cache?: boolean },
      cb: (err: Error | null, item: MutableItem | null) => void,
    ): void;
    toJSON(): { nodes: { host: string; port: number }[] };
    destroy(cb?: () => void): void;
  }
}
