/**
 * DHT bootstrap: each node scans its network's 16 slots on the Mainline
 * DHT, hands the addresses of live peers it finds to discovery, and claims a slot for itself
 * when it holds none: an empty one, one whose record is unreadable, or one held by a peer that
 * does not answer a ping.
 */
import { type NetworkId, type PeerId, sleep } from '@mosaik/id';
import type { Logger } from '@mosaik/metrics';
import type { EndpointAddr } from '@mosaik/transport';
import { DhtClient } from './client.js';
import { decodeSlotRecord, encodeSlotRecord } from './record.js';
import { nowMicros, type SlotView, scanChain } from './scan.js';
import { CHAIN_DEPTH, type Slot, slotChain } from './slots.js';
import {
  AddressForwarder,
  type AddressSink,
  addressKey,
  type PingFunction,
  pollDelay,
  type SourceContext,
  withTimeout,
} from './types.js';

/** Poll period while the node has no gossip neighbours (`AGGRESSIVE_POLL_INTERVAL`). */
export const AGGRESSIVE_POLL_MS = 5_000;
/** Poll period otherwise (`RELAXED_POLL_INTERVAL`). */
export const RELAXED_POLL_MS = 60_000;
/** Minimum time between two successful publishes (the record TTL), so one node claims one slot. */
export const PUBLISH_COOLDOWN_MS = 600_000;
/** Ping timeout for peers found in slots (`PEER_PING_TIMEOUT`). */
export const PEER_PING_TIMEOUT_MS = 5_000;
/** Back-to-back rescans after CAS conflicts before the loop sleeps anyway. */
const MAX_IMMEDIATE_RESCANS = 3;

/** Options of {@link DhtAddressSource}. */
export interface DhtSourceOptions {
  /** The network whose chain is scanned. */
  readonly networkId: NetworkId;
  /** This node's id (to recognise its own record). */
  readonly peerId: PeerId;
  /** This node's current address (read on every scan: a change republishes the slot). */
  readonly addr: () => EndpointAddr;
  /**
   * Pings a peer found in a slot. Without it, every peer found is taken as alive and no slot held
   * by another peer is ever reclaimed.
   */
  readonly ping?: PingFunction;
  /** Logger (default: none). */
  readonly logger?: Logger;
  /** An already open DHT client to use (not closed by the source). Default: one opened on start. */
  readonly client?: DhtClient;
  /** DHT bootstrap nodes `host:port` when the source opens its own client. Default: the public Mainline routers. */
  readonly bootstrap?: readonly string[];
  /** UDP bind address of the source's own client (default `'0.0.0.0'`). */
  readonly host?: string;
  /** Per-query DHT timeout in ms (default 5000, `PEER_PING_TIMEOUT`). */
  readonly requestTimeoutMs?: number;
  /** Slots in the chain (default 16; other values are for tests and do not interoperate). */
  readonly depth?: number;
  /** Poll period with no gossip neighbours (default {@link AGGRESSIVE_POLL_MS}). */
  readonly aggressivePollMs?: number;
  /** Poll period with neighbours (default {@link RELAXED_POLL_MS}). */
  readonly relaxedPollMs?: number;
  /** Minimum time between publishes (default {@link PUBLISH_COOLDOWN_MS}). */
  readonly publishCooldownMs?: number;
  /** Ping timeout (default {@link PEER_PING_TIMEOUT_MS}). */
  readonly pingTimeoutMs?: number;
  /** Random source for jitter and slot choice (default `Math.random`). */
  readonly random?: () => number;
}

/** A slot the node may publish into; `cas` is the sequence it must replace, if any. */
interface Candidate {
  readonly slot: Slot;
  readonly cas: number | undefined;
}

/** What the last scan found, for inspection. */
export interface DhtSourceStatus {
  /** Number of completed scans. */
  readonly scans: number;
  /** Slot index this node last published into, if any. */
  readonly claimedSlot: number | undefined;
  /** Publishes that succeeded. */
  readonly publishes: number;
}

/**
 * The DHT bootstrap as an address source for `Discovery.addAddressSource`. It runs until the
 * context's signal aborts, then closes the DHT client it opened.
 *
 * @example
 * ```ts
 * discovery.addAddressSource(
 *   new DhtAddressSource({ networkId, peerId, addr: () => node.addr(), ping: pingVia(discovery) }),
 * );
 * ```
 */
export class DhtAddressSource {
  readonly #options: DhtSourceOptions;
  readonly #slots: Slot[];
  readonly #random: () => number;
  readonly #logged = new Map<number, number>();
  #scans = 0;
  #publishes = 0;
  #claimed: { index: number; seq: number } | undefined;
  #lastPublish = Number.NEGATIVE_INFINITY;

  constructor(options: DhtSourceOptions) {
    this.#options = options;
    this.#slots = slotChain(options.networkId, options.depth ?? CHAIN_DEPTH);
    this.#random = options.random ?? Math.random;
  }

  /** Scan count, claimed slot and publish count (for tests and diagnostics). */
  get status(): DhtSourceStatus {
    return { scans: this.#scans, claimedSlot: this.#claimed?.index, publishes: this.#publishes };
  }

  /** Runs the scan/ping/publish loop until `ctx.signal` aborts. Never rejects because of the network. */
  async start(sink: AddressSink, ctx: SourceContext): Promise<void> {
    const log = this.#options.logger;
    let client = this.#options.client;
    const owned = client === undefined;
    try {
      client ??= await DhtClient.open({
        bootstrap: this.#options.bootstrap,
        requestTimeoutMs: this.#options.requestTimeoutMs ?? PEER_PING_TIMEOUT_MS,
        ...(this.#options.host !== undefined ? { host: this.#options.host } : {}),
        ...(log !== undefined ? { logger: log } : {}),
      });
    } catch (error) {
      log?.warn({ err: String(error) }, 'dht bootstrap disabled: cannot open a DHT client');
      return;
    }
    const forwarder = new AddressForwarder(sink, () => ctx.neighbours());
    try {
      let immediate = 0;
      while (!ctx.signal.aborted) {
        const rescan = await this.#round(client, forwarder, ctx.signal).catch((error: unknown) => {
          log?.warn({ err: String(error) }, 'dht bootstrap round failed');
          return false;
        });
        if (ctx.signal.aborted) break;
        if (rescan && immediate < MAX_IMMEDIATE_RESCANS) {
          immediate++;
          continue;
        }
        immediate = 0;
        const base =
          ctx.neighbours() === 0
            ? (this.#options.aggressivePollMs ?? AGGRESSIVE_POLL_MS)
            : (this.#options.relaxedPollMs ?? RELAXED_POLL_MS);
        await sleep(pollDelay(base, this.#random), ctx.signal).catch(() => undefined);
      }
    } finally {
      if (owned) await client.close();
    }
  }

  /** One scan → ping → publish round; true when a CAS conflict asks for an immediate rescan. */
  async #round(client: DhtClient, forwarder: AddressForwarder, signal: AbortSignal): Promise<boolean> {
    const log = this.#options.logger;
    const views = await scanChain(client, this.#slots);
    this.#scans++;
    if (signal.aborted) return false;
    const me = this.#ownRecordAddr();
    const mine = addressKey(me);
    let present = false;
    let stale: Candidate | undefined;
    const candidates: Candidate[] = [];
    const occupied: { view: SlotView; addr: EndpointAddr; seq: number }[] = [];

    for (const view of views) {
      const { state, slot } = view;
      if (state.kind === 'empty') candidates.push({ slot, cas: undefined });
      else if (state.kind === 'unreachable')
        log?.debug({ slot: slot.index, err: String(state.error) }, 'dht lookup failed');
      else if (state.kind === 'invalid') {
        if (this.#logged.get(slot.index) !== state.seq) {
          this.#logged.set(slot.index, state.seq);
          log?.warn({ slot: slot.index, reason: state.reason }, 'skipping an invalid dht record');
        }
        candidates.push({ slot, cas: state.seq });
      } else if (state.addr.id.equals(this.#options.peerId)) {
        if (addressKey(state.addr) === mine) present = true;
        else stale ??= { slot, cas: state.seq };
      } else occupied.push({ view, addr: state.addr, seq: state.seq });
    }

    // Our last claim overwritten by a newer record: we lost a race for that slot, so the
    // cooldown (meant to wait for DHT propagation) no longer applies.
    if (this.#claimed !== undefined) {
      const state = views[this.#claimed.index]?.state;
      if (
        state?.kind === 'peer' &&
        !state.addr.id.equals(this.#options.peerId) &&
        state.seq > this.#claimed.seq
      ) {
        log?.debug({ slot: this.#claimed.index }, 'dht slot taken over by another peer');
        this.#claimed = undefined;
        this.#lastPublish = Number.NEGATIVE_INFINITY;
      }
    }

    const alive: EndpointAddr[] = [];
    await Promise.all(
      occupied.map(async ({ view, addr, seq }) => {
        const ping = this.#options.ping;
        if (ping === undefined) return void alive.push(addr);
        try {
          const reply = await withTimeout(this.#options.pingTimeoutMs ?? PEER_PING_TIMEOUT_MS, signal, (s) =>
            ping(addr, s),
          );
          alive.push(reply.addr ?? addr);
        } catch (error) {
          log?.debug(
            { slot: view.slot.index, peer: addr.id.short(), err: String(error) },
            'dht peer unreachable',
          );
          candidates.push({ slot: view.slot, cas: seq });
        }
      }),
    );
    if (signal.aborted) return false;
    forwarder.forward(alive);

    let pool = candidates;
    if (!present && stale !== undefined) {
      // Our own record with old addresses: refresh exactly that slot, now.
      pool = [stale];
      this.#lastPublish = Number.NEGATIVE_INFINITY;
    }
    const cooldown = this.#options.publishCooldownMs ?? PUBLISH_COOLDOWN_MS;
    if (present || pool.length === 0 || Date.now() - this.#lastPublish <= cooldown) return false;
    const choice = pool[Math.floor(this.#random() * pool.length)]!;
    // A later sequence than the one replaced even if that record's clock ran ahead of ours.
    const seq = Math.max(nowMicros(), (choice.cas ?? 0) + 1);
    try {
      await client.publish(choice.slot.key, encodeSlotRecord(me, choice.slot.name), seq, choice.cas);
      this.#lastPublish = Date.now();
      this.#claimed = { index: choice.slot.index, seq };
      this.#publishes++;
      log?.info({ slot: choice.slot.index }, 'published own address to the dht');
    } catch (error) {
      if ((error as { code?: unknown }).code === 'dht_cas_conflict') {
        log?.debug({ slot: choice.slot.index }, 'dht publish lost a compare-and-swap race');
        return true;
      }
      log?.warn({ slot: choice.slot.index, err: String(error) }, 'dht publish failed');
    }
    return false;
  }

  /** Our address as a slot record carries it (the encoder may leave addresses out to fit). */
  #ownRecordAddr(): EndpointAddr {
    const addr = this.#options.addr();
    const decoded = decodeSlotRecord(encodeSlotRecord(addr, 'self'), 'self');
    return decoded.kind === 'peer' ? decoded.addr : addr;
  }
}
