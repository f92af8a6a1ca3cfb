/// <reference path="./bittorrent-dht.d.ts" />
/**
 * A thin promise wrapper over one `bittorrent-dht` node, reduced to what the bootstrap needs:
 * BEP44 mutable get (always a fresh network lookup) and put (with compare-and-swap).
 */
import { createHash } from 'node:crypto';
import { Resolver } from 'node:dns/promises';
import { isIP } from 'node:net';
import { type PeerId, PeerId as PeerIdClass, type SecretKey } from '@mosaik/id';
import type { Logger } from '@mosaik/metrics';
import DHT from 'bittorrent-dht';
import { DhtRequestError } from './errors.js';

/** The public Mainline DHT routers, used when no bootstrap list is given. */
export const MAINLINE_BOOTSTRAP: readonly string[] = Object.freeze([
  'router.bittorrent.com:6881',
  'router.utorrent.com:6881',
  'dht.transmissionbt.com:6881',
  'dht.libtorrent.org:25401',
]);

/** Options of {@link DhtClient.open}. */
export interface DhtClientOptions {
  /**
   * DHT nodes to join, as `host:port`. Default {@link MAINLINE_BOOTSTRAP} (the public network);
   * tests pass a local DHT. An empty list starts an isolated node.
   */
  readonly bootstrap?: readonly string[];
  /** Address the UDP socket binds (default `'0.0.0.0'`). */
  readonly host?: string;
  /** UDP port (default 0: random). */
  readonly port?: number;
  /** Per-query timeout in ms (default 2000). Unreachable nodes cost this much per lookup. */
  readonly requestTimeoutMs?: number;
  /** Receives the DHT's socket errors and warnings (default: none). */
  readonly logger?: Logger;
}

/** A mutable item read from the DHT: the value and its sequence number (a pkarr timestamp in µs). */
export interface DhtItem {
  readonly value: Uint8Array;
  readonly seq: number;
}

/** The BEP44 target of a mutable item without salt: SHA-1 of the public key. */
export function dhtTarget(publicKey: PeerId): Buffer {
  return createHash('sha1').update(publicKey.bytes).digest();
}

/** How long one bootstrap host name may take to resolve. */
const RESOLVE_TIMEOUT_MS = 1500;

/**
 * Resolves the `host:port` bootstrap entries to `ip:port` once, with c-ares (bounded, nothing left
 * behind). Left to bittorrent-dht, every query to a router calls getaddrinfo again: without DNS
 * each call holds one of libuv's four pool threads for seconds, and the pile of them keeps the
 * process alive long after the node closed. Entries that do not resolve are dropped.
 */
async function resolveBootstrap(entries: readonly string[]): Promise<string[]> {
  const resolver = new Resolver({ timeout: RESOLVE_TIMEOUT_MS, tries: 1 });
  const resolved = await Promise.all(
    entries.map(async (entry) => {
      const colon = entry.lastIndexOf(':');
      const host = entry.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
      const port = entry.slice(colon + 1);
      if (colon <= 0 || isIP(host) !== 0) return [entry];
      try {
        return (await resolver.resolve4(host)).map((ip) => `${ip}:${port}`);
      } catch {
        return [];
      }
    }),
  );
  return resolved.flat();
}

/** Verification results by sha256(key ‖ sig ‖ message): every node of a lookup returns the same item. */
const verified = new Map<string, boolean>();
const VERIFIED_CAPACITY = 4096;

/**
 * ed25519 verification for bittorrent-dht; must never throw (a bad key is just "not verified").
 * Memoised because a lookup receives the same signed item from many nodes and a strict verify
 * costs about a millisecond.
 */
function verify(signature: Buffer, message: Buffer, publicKey: Buffer): boolean {
  const key = createHash('sha256').update(publicKey).update(signature).update(message).digest('base64');
  const known = verified.get(key);
  if (known !== undefined) return known;
  let ok: boolean;
  try {
    ok = PeerIdClass.fromBytes(publicKey).verify(message, signature);
  } catch {
    ok = false;
  }
  if (verified.size >= VERIFIED_CAPACITY) verified.delete(verified.keys().next().value!);
  verified.set(key, ok);
  return ok;
}

/**
 * One DHT node. It also stores other nodes' items (bittorrent-dht has no read-only mode), which
 * is how a few of them form a complete local DHT in tests. Close it with {@link close}.
 */
export class DhtClient {
  readonly #dht: DHT;

  private constructor(dht: DHT) {
    this.#dht = dht;
  }

  /** Binds a DHT node and resolves once it has joined (or failed to reach) its bootstrap nodes. */
  static async open(options: DhtClientOptions = {}): Promise<DhtClient> {
    // Never let bittorrent-dht fall back to its built-in public router list: pass it explicitly.
    const given = options.bootstrap ?? MAINLINE_BOOTSTRAP;
    const bootstrap = given.length === 0 ? [] : await resolveBootstrap(given);
    if (given.length > 0 && bootstrap.length === 0) {
      options.logger?.debug({ bootstrap: given }, 'no DHT bootstrap host resolved; the DHT starts isolated');
    }
    const dht = new DHT({
      bootstrap: bootstrap.length === 0 ? false : bootstrap,
      verify,
      timeout: options.requestTimeoutMs ?? 2000,
    });
    const log = options.logger;
    dht.on('warning', (err: unknown) => log?.debug({ err }, 'dht warning'));
    try {
      await new Promise<void>((resolve, reject) => {
        let listening = false;
        let ready = false;
        const done = () => {
          if (listening && ready) {
            dht.off('error', reject);
            resolve();
          }
        };
        dht.once('error', reject);
        dht.once('ready', () => {
          ready = true;
          done();
        });
        dht.listen(options.port ?? 0, options.host ?? '0.0.0.0', () => {
          listening = true;
          done();
        });
      });
    } catch (cause) {
      dht.destroy();
      throw new DhtRequestError('dht_request_failed', 'cannot start the DHT node', { cause });
    }
    // After start-up, socket errors are logged, never thrown (an unhandled 'error' would crash).
    dht.on('error', (err: unknown) => log?.warn({ err }, 'dht error'));
    return new DhtClient(dht);
  }

  /** `host:port` of this node's UDP socket (to bootstrap other nodes from it). */
  get address(): string {
    const { address, port } = this.#dht.address();
    return `${address}:${port}`;
  }

  /** Nodes in this node's routing table; 0 after start-up means no bootstrap node answered. */
  get routingTableSize(): number {
    return this.#dht.toJSON().nodes.length;
  }

  /** True once {@link close} was called. */
  get closed(): boolean {
    return this.#dht.destroyed;
  }

  /**
   * The most recent item stored under `publicKey`, from a fresh network lookup (never this node's
   * own possibly stale copy), or `null` if no node has one. Signatures are verified; items that
   * fail are ignored by the lookup. Rejects with {@link DhtRequestError} when no node answers.
   */
  resolve(publicKey: PeerId): Promise<DhtItem | null> {
    return new Promise((resolve, reject) => {
      if (this.#dht.destroyed) return reject(new DhtRequestError('dht_request_failed', 'DHT client closed'));
      this.#dht.get(dhtTarget(publicKey), { cache: false }, (err, item) => {
        if (err) return reject(new DhtRequestError('dht_request_failed', err.message, { cause: err }));
        if (!item || !Buffer.isBuffer(item.v)) return resolve(null);
        resolve({ value: new Uint8Array(item.v), seq: typeof item.seq === 'number' ? item.seq : 0 });
      });
    });
  }

  /**
   * Stores `value` under `key`'s public key with sequence number `seq`. With `cas`, storing nodes
   * that hold a different sequence refuse it. Rejects with code `'dht_cas_conflict'` when every
   * node refused because of CAS or a newer sequence (note: CAS is checked per storing node, so a
   * node without a copy may still accept), or `'dht_request_failed'` otherwise.
   */
  publish(key: SecretKey, value: Uint8Array, seq: number, cas?: number): Promise<number> {
    return new Promise((resolve, reject) => {
      if (this.#dht.destroyed) return reject(new DhtRequestError('dht_request_failed', 'DHT client closed'));
      try {
        this.#dht.put(
          {
            k: Buffer.from(key.peerId.bytes),
            v: Buffer.from(value),
            seq,
            ...(cas !== undefined ? { cas } : {}),
            sign: (message) => Buffer.from(key.sign(message)),
          },
          (err, _target, stored) => {
            if (!err) return resolve(stored);
            const code = (err as { code?: unknown }).code;
            const conflict = code === 301 || code === 302;
            reject(
              new DhtRequestError(conflict ? 'dht_cas_conflict' : 'dht_request_failed', err.message, {
                cause: err,
              }),
            );
          },
        );
      } catch (cause) {
        reject(new DhtRequestError('dht_request_failed', 'invalid DHT put', { cause }));
      }
    });
  }

  /** Closes the UDP socket and the node's timers. Idempotent. */
  close(): Promise<void> {
    return new Promise((resolve) => this.#dht.destroy(() => resolve()));
  }
}
