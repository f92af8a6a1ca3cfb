/**
 * The network adapter of the gossip engine on `/mosaik/discovery/announce/1.0`: one link per
 * peer the engine talks to, frames decoded with the announce schema and fed to the engine, and
 * the engine's outputs carried out (dial on demand, close, timers, address data, violations).
 *
 * The engine is driven through one input queue, so outputs are always carried out in the order
 * the engine produced them even when a hook feeds a new input (e.g. a broadcast on neighbour up).
 */
import { blake3, type PeerId } from '@mosaik/id';
import type { Logger } from '@mosaik/metrics';
import { CloseCode, type Link, type LocalNode } from '@mosaik/transport';
import type { GossipConfig } from '../gossip/config.js';
import { GossipEngine } from '../gossip/engine.js';
import {
  type GossipInput,
  type GossipOutput,
  type GossipTimer,
  MessageType,
  type PeerInfo,
} from '../gossip/types.js';
import {
  ANNOUNCE_ALPN,
  decodeAddressData,
  decodeAnnounceFrame,
  encodeAddressData,
  encodeAnnounceFrame,
  HELLO,
} from '../protocol/announce.js';
import { type DiscoveryMetrics, rejectReasonOf } from './metrics.js';
import { judgeNeighbours, probeFailed, probeTimeoutMs } from './neighbour-liveness.js';
import type { Timers } from './timers.js';

/** Callbacks into the discovery worker. */
export interface AnnounceHooks {
  /** A broadcast payload was delivered (not yet verified). */
  deliver(content: Uint8Array, from: PeerId): void;
  /** A neighbour came up. */
  neighborUp(peer: PeerId): void;
  /** A neighbour went down; `remaining` is the new neighbour count. */
  neighborDown(peer: PeerId, remaining: number): void;
  /** A neighbour failed (went silent, left a probe unanswered, or its link broke). */
  neighborFailed?(peer: PeerId): void;
}

/** Asks `peer` whether it is alive (a ping on a connection of its own); `true` when it answered. */
export type NeighbourProbe = (peer: PeerId, timeoutMs: number) => Promise<boolean>;

/** Options of {@link AnnounceAdapter}. */
export interface AnnounceOptions {
  readonly node: LocalNode;
  readonly timers: Timers;
  readonly metrics: DiscoveryMetrics;
  readonly logger: Logger;
  readonly hooks: AnnounceHooks;
  readonly maxPayloadSize: number;
  readonly gossip: Partial<GossipConfig>;
  /** Timeout of an on-demand dial. */
  readonly dialTimeoutMs: number;
  /**
   * A neighbour we heard nothing from for this long counts as failed (see
   * {@link silentNeighborMs}); `undefined` leaves failure detection to the connection alone.
   */
  readonly silentNeighborMs?: number | undefined;
  /**
   * Liveness probe of silent neighbours, used when every neighbour is silent (see
   * `neighbour-liveness.ts`); without one, such a view waits for its links to time out.
   */
  readonly probe?: NeighbourProbe | undefined;
}

/**
 * How long a gossip neighbour may stay silent before it counts as failed: three of the longest
 * heartbeat gaps, at least 3 s. Every node re-announces at least once per
 * `announceIntervalMs × (1 + jitter)`, and a neighbour relays every broadcast it gets to us
 * (payload or IHave), so a live neighbour is never silent that long. A process killed without
 * closing its connections is otherwise noticed only when QUIC's idle timeout (about 30 s) ends
 * the link: until then it holds a slot of the active view, eager pushes to it are lost, and the
 * view is not repaired.
 */
export function silentNeighborMs(announceIntervalMs: number, announceJitter: number): number {
  return Math.max(3_000, 3 * announceIntervalMs * (1 + announceJitter));
}

/** A link to a peer that is no neighbour is closed after this much silence. */
const IDLE_CLOSE_MS = 3_000;
/** Room for the frame header fields around the largest payload. */
const FRAME_OVERHEAD = 2_048;

interface Channel {
  readonly peer: PeerId;
  readonly links: Link<Uint8Array>[];
  readonly queue: Uint8Array[];
  dialing: boolean;
  /** Settles when the running dial has attached its link or failed. */
  dialed: Promise<void> | undefined;
  /** The engine asked to close: close once the queue is flushed. */
  closeWhenFlushed: boolean;
  /** When a frame last came from the peer (or the channel opened), ms since the epoch. */
  lastHeard: number;
  /** A liveness probe is out. */
  probing: boolean;
  /** When the peer last answered a liveness probe, ms since the epoch. */
  lastAnswered: number | undefined;
  cancelIdle: (() => void) | undefined;
}

/** Runs one {@link GossipEngine} over QUIC links. */
export class AnnounceAdapter {
  readonly engine: GossipEngine<PeerId>;
  readonly #o: AnnounceOptions;
  readonly #channels = new Map<string, Channel>();
  /** Links we closed on purpose: their end is no failure. */
  readonly #closing = new WeakSet<Link<Uint8Array>>();
  /**
   * Links closing with `Success`, still flushing what was sent last (a Disconnect, a departure).
   * `close(windowMs)` waits for them too: a node that leaves closes its neighbours' channels
   * before it closes, and closing its endpoint under a flush would cut the goodbye.
   */
  readonly #flushing = new Set<Promise<void>>();
  readonly #inputs: GossipInput<PeerId>[] = [];
  #draining = false;
  #closed = false;
  /** Closing with a window: dials still running deliver what was queued for them, then close. */
  #flushingQueues = false;

  constructor(options: AnnounceOptions) {
    this.#o = options;
    const node = options.node;
    this.engine = new GossipEngine<PeerId>({
      me: node.peerId,
      key: (p) => p.toString(),
      now: Date.now,
      random: Math.random,
      hash: blake3,
      config: { ...options.gossip, maxPayloadSize: options.maxPayloadSize },
      data: encodeAddressData(node.addr()),
    });
    node.handle<Uint8Array>(ANNOUNCE_ALPN, (link) => this.#accept(link), this.#linkOptions());
    this.#execute(this.engine.start());
    if (options.silentNeighborMs !== undefined) this.#armSilenceCheck(options.silentNeighborMs);
  }

  /**
   * Periodically judges the neighbours (see `neighbour-liveness.ts`): one silent for `silentMs`
   * is dropped unless every neighbour is; then they are probed, and one that leaves its probe
   * unanswered is dropped. HyParView replaces a dropped neighbour from its backups at once.
   */
  #armSilenceCheck(silentMs: number): void {
    this.#o.timers.schedule(silentMs / 4, () => {
      if (this.#closed) return;
      const now = this.#o.timers.now();
      const states = new Map<string, Channel>();
      for (const peer of this.engine.neighbors()) {
        const ch = this.#channel(peer);
        if (ch !== undefined) states.set(peer.toString(), ch);
      }
      // A process that runs late hears its neighbours late too (see `local-lag.ts`).
      const limit = silentMs + this.#o.timers.lag.graceMs(now, silentMs);
      const verdict = judgeNeighbours(states, now, limit);
      for (const key of verdict.drop) {
        const ch = states.get(key) as Channel;
        this.#o.logger.debug(
          { peer: ch.peer.short(), silentMs: now - ch.lastHeard },
          'silent gossip neighbour dropped',
        );
        this.#fail(ch.peer);
      }
      const probe = this.#o.probe;
      if (probe !== undefined) {
        for (const key of verdict.probe) this.#probe(states.get(key) as Channel, silentMs, probe);
      }
      this.#armSilenceCheck(silentMs);
    });
  }

  /** Pings a silent neighbour on a connection of its own; no answer means it failed. */
  #probe(ch: Channel, silentMs: number, probe: NeighbourProbe): void {
    const sentAt = this.#o.timers.now();
    ch.probing = true;
    void probe(ch.peer, probeTimeoutMs(silentMs))
      .catch(() => false)
      .then((answered) => {
        ch.probing = false;
        if (answered) {
          ch.lastAnswered = this.#o.timers.now();
          return;
        }
        if (this.#closed || this.#channel(ch.peer) !== ch || !this.#isNeighbor(ch.peer)) return;
        if (!probeFailed(ch, sentAt)) return;
        this.#o.logger.debug({ peer: ch.peer.short() }, 'unanswered gossip neighbour dropped');
        this.#fail(ch.peer);
      });
  }

  /** Drops a neighbour that failed: its links are cut and HyParView replaces it. */
  #fail(peer: PeerId): void {
    this.#closeChannel(peer, CloseCode.Cancelled);
    this.#o.hooks.neighborFailed?.(peer);
    this.input({ type: 'disconnected', peer });
  }

  /** Current neighbour count. */
  get neighborCount(): number {
    return this.engine.neighbors().length;
  }

  /** Feeds an input to the engine and carries out its outputs. */
  input(input: GossipInput<PeerId>): void {
    if (this.#closed) return;
    this.#inputs.push(input);
    if (this.#draining) return;
    this.#draining = true;
    try {
      for (let next = this.#inputs.shift(); next !== undefined; next = this.#inputs.shift()) {
        try {
          this.#execute(this.engine.handle(next));
        } catch (error) {
          this.#o.logger.warn({ err: String(error), input: next.type }, 'gossip input failed');
        }
      }
    } finally {
      this.#draining = false;
    }
  }

  /** Joins the swarm through these addresses. */
  join(
    addrs: readonly { id: PeerId; directAddresses: readonly string[]; relayUrl?: string | undefined }[],
  ): void {
    const peers = this.#peerInfos(addrs);
    if (peers.length > 0) this.input({ type: 'join', peers });
  }

  #peerInfos(
    addrs: readonly { id: PeerId; directAddresses: readonly string[]; relayUrl?: string | undefined }[],
  ): PeerInfo<PeerId>[] {
    return addrs
      .filter((a) => !a.id.equals(this.#o.node.peerId))
      .map((a) => ({ id: a.id, data: encodeAddressData(a) }));
  }

  /** Offers peers known from the catalog as backup neighbours (sends nothing by itself). */
  suggest(
    addrs: readonly { id: PeerId; directAddresses: readonly string[]; relayUrl?: string | undefined }[],
  ): void {
    const peers = this.#peerInfos(addrs);
    if (peers.length > 0) this.input({ type: 'suggest', peers });
  }

  /** Broadcasts a payload to the swarm (ignored when closed); `flood` also sends it to lazy neighbours. */
  broadcast(content: Uint8Array, options: { flood?: boolean } = {}): void {
    this.input({ type: 'broadcast', content, flood: options.flood === true });
  }

  /**
   * Leaves the swarm (every neighbour is told) and closes every link, giving queued frames up to
   * `windowMs` to go out.
   */
  async leave(windowMs: number): Promise<void> {
    if (this.#closed) return;
    this.input({ type: 'leave' });
    await this.close(windowMs);
  }

  /** Closes every link; frames still queued get up to `windowMs` to be flushed. */
  async close(windowMs = 0): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#flushingQueues = windowMs > 0;
    const links: Link<Uint8Array>[] = [];
    // A departure queued for a neighbour whose link is being re-dialled goes out when the dial
    // completes within the window (a node with one neighbour, re-dialling it, left unheard).
    const dials: Promise<void>[] = [];
    for (const ch of this.#channels.values()) {
      ch.cancelIdle?.();
      links.push(...ch.links);
      if (ch.dialed !== undefined && ch.queue.length > 0) dials.push(ch.dialed);
    }
    this.#channels.clear();
    const code = windowMs > 0 ? CloseCode.Success : CloseCode.Cancelled;
    const closes = links.map((l) => this.#closeLink(l, code));
    // With a window, every `Success` close (these and the goodbyes before them) is in #flushing.
    const all = Promise.allSettled([...(windowMs > 0 ? this.#flushing : closes), ...dials]);
    if (windowMs > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([all, new Promise<void>((r) => (timer = setTimeout(r, windowMs)))]);
      clearTimeout(timer);
      // Whatever did not flush in time is cut, and a dial that completes later only closes.
      this.#flushingQueues = false;
      for (const l of links) l.close(CloseCode.Cancelled).catch(() => {});
    } else {
      await all;
    }
  }

  #linkOptions() {
    // Frames are read raw and decoded with the announce schema and its own caps.
    return { maxFrameSize: this.#o.maxPayloadSize + FRAME_OVERHEAD };
  }

  #execute(outputs: GossipOutput<PeerId>[]): void {
    // A payload pushed to several neighbours is one message object: encoded once.
    let frames: Map<object, Uint8Array> | undefined;
    for (const out of outputs) {
      switch (out.type) {
        case 'send': {
          frames ??= new Map();
          let frame = frames.get(out.message);
          if (frame === undefined) {
            frame = encodeAnnounceFrame(out.message);
            frames.set(out.message, frame);
          }
          this.#send(out.to, frame);
          break;
        }
        case 'close':
          this.#closeChannel(out.peer);
          break;
        case 'timer': {
          const timer = out.timer;
          this.#o.timers.schedule(out.afterMs + this.#timerGraceMs(timer), () =>
            this.input({ type: 'timer', timer }),
          );
          break;
        }
        case 'deliver':
          this.#o.hooks.deliver(out.content, out.from);
          break;
        case 'neighborUp':
          this.#channel(out.peer)?.cancelIdle?.();
          this.#o.metrics.neighbors.set(this.neighborCount);
          this.#o.hooks.neighborUp(out.peer);
          break;
        case 'neighborDown':
          this.#o.metrics.neighbors.set(this.neighborCount);
          this.#o.hooks.neighborDown(out.peer, this.neighborCount);
          break;
        case 'peerData':
          try {
            const a = decodeAddressData(out.peer, out.data);
            this.#o.node.addressBook.observe({
              id: a.peerId,
              directAddresses: a.directAddresses,
              ...(a.relayUrl === undefined ? {} : { relayUrl: a.relayUrl }),
            });
          } catch (error) {
            this.#o.metrics.reject(rejectReasonOf(error));
          }
          break;
        case 'violation':
          this.#o.metrics.reject('gossip');
          this.#o.logger.debug({ peer: out.peer.short(), reason: out.reason }, 'gossip violation');
          this.#closeChannel(out.peer, CloseCode.ProtocolViolation);
          break;
      }
    }
  }

  /**
   * Extra wait for a neighbour request: it usually needs a dial first, and on a busy host a dial
   * and its answer take seconds. Timed out early, the request was replaced by another one, and
   * the late acceptance was refused because the view had filled meanwhile: two connections and a
   * lost neighbour for nothing. The grace follows our own timers' lateness, as the silence and
   * purge deadlines do, and is nothing on a healthy host.
   */
  #timerGraceMs(timer: GossipTimer<PeerId>): number {
    if (timer.kind !== 'neighborRequest') return 0;
    return this.#o.timers.lag.graceMs(this.#o.timers.now(), this.#o.dialTimeoutMs);
  }

  #channel(peer: PeerId): Channel | undefined {
    return this.#channels.get(peer.toString());
  }

  #ensureChannel(peer: PeerId): Channel {
    let ch = this.#channel(peer);
    if (ch === undefined) {
      ch = {
        peer,
        links: [],
        queue: [],
        dialing: false,
        dialed: undefined,
        closeWhenFlushed: false,
        lastHeard: this.#o.timers.now(),
        probing: false,
        lastAnswered: undefined,
        cancelIdle: undefined,
      };
      this.#channels.set(peer.toString(), ch);
    }
    return ch;
  }

  #send(peer: PeerId, frame: Uint8Array): void {
    if (this.#closed) return;
    const ch = this.#ensureChannel(peer);
    ch.closeWhenFlushed = false;
    this.#touch(ch);
    // The newest link: an older one may lead to a previous run of the peer (killed, restarted
    // with the same key) whose connection has not timed out yet, and would swallow the frames.
    const link = ch.links[ch.links.length - 1];
    if (link !== undefined) {
      link.sendRaw(frame).catch(() => {
        // The reader loop notices the failure and reports it to the engine.
      });
      return;
    }
    ch.queue.push(frame);
    if (!ch.dialing) this.#dial(ch);
  }

  #dial(ch: Channel): void {
    const node = this.#o.node;
    const known = node.addressBook.get(ch.peer);
    if (known === undefined || (known.directAddresses.length === 0 && known.relayUrl === undefined)) {
      // No address: dialing a bare id can wedge iroh's per-peer state (n0-computer/iroh#4265).
      queueMicrotask(() => {
        if (this.#channel(ch.peer) !== ch || ch.links.length > 0) return;
        this.#channels.delete(ch.peer.toString());
        ch.cancelIdle?.();
        this.input({ type: 'disconnected', peer: ch.peer });
      });
      return;
    }
    ch.dialing = true;
    ch.dialed = node
      .connect<Uint8Array>(ch.peer, ANNOUNCE_ALPN, { ...this.#linkOptions(), timeout: this.#o.dialTimeoutMs })
      .then(
        async (link) => {
          ch.dialing = false;
          if (this.#closed && this.#flushingQueues && ch.queue.length > 0) {
            await this.#deliverAndClose(link, ch.queue.splice(0));
            return;
          }
          if (this.#closed || this.#channel(ch.peer) !== ch) {
            await link.close(CloseCode.Cancelled);
            return;
          }
          await this.#sendHello(link);
          this.#attach(ch, link);
          void this.#readLoop(ch, link);
        },
        (error: unknown) => {
          ch.dialing = false;
          this.#o.logger.debug({ peer: ch.peer.short(), err: String(error) }, 'gossip dial failed');
          if (this.#closed || this.#channel(ch.peer) !== ch || ch.links.length > 0) return;
          this.#channels.delete(ch.peer.toString());
          ch.cancelIdle?.();
          this.input({ type: 'disconnected', peer: ch.peer });
        },
      )
      .catch((error: unknown) => {
        this.#o.logger.debug({ peer: ch.peer.short(), err: String(error) }, 'gossip link setup failed');
      });
  }

  /** Sends the hello and `frames` on a link dialled while we were closing, then closes it. */
  async #deliverAndClose(link: Link<Uint8Array>, frames: readonly Uint8Array[]): Promise<void> {
    this.#closing.add(link);
    try {
      await this.#sendHello(link);
      for (const frame of frames) await link.sendRaw(frame);
    } finally {
      await link.close(CloseCode.Success);
    }
  }

  /** The first frame of every link we dial: which network we speak for. */
  #sendHello(link: Link<Uint8Array>): Promise<void> {
    return link.sendRaw(encodeAnnounceFrame({ t: HELLO, network: this.#o.node.networkId }));
  }

  /** Adds a ready link to a channel and flushes what was queued for the peer. */
  #attach(ch: Channel, link: Link<Uint8Array>): void {
    ch.links.push(link);
    ch.lastHeard = this.#o.timers.now();
    for (const frame of ch.queue.splice(0)) link.sendRaw(frame).catch(() => {});
    if (ch.closeWhenFlushed) this.#closeChannel(ch.peer);
  }

  async #accept(link: Link<Uint8Array>): Promise<void> {
    let first: Uint8Array;
    try {
      first = await link.recvRaw();
    } catch (error) {
      this.#o.metrics.reject(rejectReasonOf(error));
      await link.close(CloseCode.ProtocolViolation);
      return;
    }
    let hello: ReturnType<typeof decodeAnnounceFrame>;
    try {
      hello = decodeAnnounceFrame(first, this.#o.maxPayloadSize);
    } catch (error) {
      this.#o.metrics.reject(rejectReasonOf(error));
      await link.close(CloseCode.ProtocolViolation);
      return;
    }
    if (hello.t !== HELLO) {
      this.#o.metrics.reject('handshake');
      await link.close(CloseCode.ProtocolViolation);
      return;
    }
    if (!hello.network.equals(this.#o.node.networkId)) {
      this.#o.metrics.reject('network');
      await link.close(CloseCode.DifferentNetwork);
      return;
    }
    if (this.#closed) {
      await link.close(CloseCode.Cancelled);
      return;
    }
    const ch = this.#ensureChannel(link.remoteId);
    this.#attach(ch, link);
    this.#touch(ch);
    await this.#readLoop(ch, link);
  }

  async #readLoop(ch: Channel, link: Link<Uint8Array>): Promise<void> {
    const peer = link.remoteId;
    for (;;) {
      let frame: Uint8Array;
      try {
        frame = await link.recvRaw();
      } catch (error) {
        const code = (error as { code?: string }).code;
        if (code === 'protocol_violation') this.#o.metrics.reject('oversized');
        break;
      }
      let message: ReturnType<typeof decodeAnnounceFrame>;
      try {
        message = decodeAnnounceFrame(frame, this.#o.maxPayloadSize);
      } catch (error) {
        this.#o.metrics.reject(rejectReasonOf(error));
        this.#o.logger.debug({ peer: peer.short(), err: String(error) }, 'undecodable gossip frame');
        this.#closing.add(link);
        await link.close(CloseCode.ProtocolViolation);
        break;
      }
      ch.lastHeard = this.#o.timers.now();
      if (message.t === HELLO) continue; // a repeated hello carries nothing new
      this.#touch(ch);
      this.input({ type: 'message', from: peer, message });
    }
    await this.#linkEnded(ch, link);
  }

  async #linkEnded(ch: Channel, link: Link<Uint8Array>): Promise<void> {
    const i = ch.links.indexOf(link);
    if (i >= 0) ch.links.splice(i, 1);
    const info = await link.closed();
    if (this.#closed || this.#closing.has(link)) return;
    // A graceful close is a peer closing its whole channel to us: after its Disconnect (read
    // before the link's end, so it is no neighbour by now), on leaving, or because we are not in
    // its view (it closed a quiet link to an outsider, or our Disconnect crossed its request).
    // A peer still listed after that does not count us as a neighbour; kept, it would be one in
    // name only: every eager push to it dials again, it relays none of our broadcasts, and our
    // view is one short without knowing it. It goes back to the backups, as its Disconnect
    // would have put it.
    const graceful = info.code === CloseCode.Success;
    if (graceful && this.#isNeighbor(ch.peer)) {
      this.input({ type: 'message', from: ch.peer, message: { t: MessageType.Disconnect, alive: true } });
    }
    if (ch.links.length > 0 || ch.dialing) return;
    if (this.#channel(ch.peer) === ch) {
      this.#channels.delete(ch.peer.toString());
      ch.cancelIdle?.();
    }
    if (graceful) return;
    if (this.#isNeighbor(ch.peer)) this.#o.hooks.neighborFailed?.(ch.peer);
    this.input({ type: 'disconnected', peer: ch.peer });
  }

  #closeChannel(peer: PeerId, code: CloseCode = CloseCode.Success): void {
    const ch = this.#channel(peer);
    if (ch === undefined) return;
    if (ch.dialing && ch.queue.length > 0 && code === CloseCode.Success) {
      // Queued frames (a Disconnect, typically) go out first.
      ch.closeWhenFlushed = true;
      return;
    }
    this.#channels.delete(peer.toString());
    ch.cancelIdle?.();
    for (const link of ch.links.splice(0)) this.#closeLink(link, code);
  }

  #closeLink(link: Link<Uint8Array>, code: CloseCode): Promise<void> {
    this.#closing.add(link);
    const closed = link.close(code).catch(() => {});
    if (code === CloseCode.Success) {
      this.#flushing.add(closed);
      void closed.then(() => this.#flushing.delete(closed));
    }
    return closed;
  }

  /** Links to peers that are not neighbours are closed after a quiet period. */
  #touch(ch: Channel): void {
    ch.cancelIdle?.();
    ch.cancelIdle = undefined;
    if (this.#isNeighbor(ch.peer)) return;
    ch.cancelIdle = this.#o.timers.schedule(IDLE_CLOSE_MS, () => {
      ch.cancelIdle = undefined;
      if (!this.#isNeighbor(ch.peer) && this.#channel(ch.peer) === ch) this.#closeChannel(ch.peer);
    });
  }

  #isNeighbor(peer: PeerId): boolean {
    return this.engine.neighbors().some((p) => p.equals(peer));
  }
}
