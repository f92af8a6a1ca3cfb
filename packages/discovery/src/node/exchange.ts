/**
 * The two one-shot exchanges of discovery: catalog sync (`/mosaik/discovery/sync/3`, which
 * sends only what the other side lacks, and the full-snapshot `/mosaik/discovery/sync/1.0`,
 * still served for older peers) and ping (`/mosaik/discovery/ping/1.0`). Both sides of each
 * live here; the discovery worker supplies the catalog and what to do with what was learned.
 */
import { linkSignals, MosaikError, type PeerId } from '@mosaik/id';
import { CloseCode, type EndpointAddr, type Link, type LocalNode } from '@mosaik/transport';
import type { Catalog } from '../catalog/catalog.js';
import type { GracefulDeparture } from '../entry/departure.js';
import type { PeerEntry } from '../entry/entry.js';
import type { SignedPeerEntry } from '../entry/signed.js';
import { decodePingMessage, encodePingMessage, PING_ALPN } from '../protocol/ping.js';
import {
  decodeSyncMessageOf,
  departuresCovering,
  encodeSyncMessage,
  entriesMissingFrom,
  entriesWanted,
  MAX_SYNC_DEPARTURES,
  SYNC_ALPN,
  SYNC_DELTA_ALPN,
  type SyncMessage,
  SyncType,
  summaryItemOf,
  summaryKeyOf,
  wantedFrom,
} from '../protocol/sync.js';
import { type DiscoveryMetrics, rejectReasonOf } from './metrics.js';

/** Refused input on an exchange link: the link was closed with `ProtocolViolation`. Code `'exchange_rejected'`. */
export class ExchangeRejectedError extends MosaikError<'exchange_rejected'> {
  constructor(
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super('exchange_rejected', `exchange refused: ${reason}`, options);
  }
}

/** What both sides of an exchange need. */
export interface ExchangeContext {
  readonly node: LocalNode;
  readonly catalog: Catalog;
  readonly metrics: DiscoveryMetrics;
  readonly timeoutMs: number;
  /** Aborted when discovery closes: in-flight exchanges stop instead of delaying the close. */
  readonly signal?: AbortSignal;
  /**
   * Entries a sync merged (or would have merged): the worker observes and syncs with them.
   * `discovered` holds those of peers the catalog did not list before the merge.
   */
  learned(entries: readonly SignedPeerEntry[], from: PeerId, discovered: readonly SignedPeerEntry[]): void;
  /** Verified graceful departures a sync carried: the worker applies them as if gossiped. */
  departed(departures: readonly GracefulDeparture[]): void;
  /** Freshens the local entry a ping reply carries (the network coordinate). Default none. */
  readonly pingRefresh?: (entry: PeerEntry) => PeerEntry;
}

/**
 * Departures a summary carries unasked: the newest few, which are the ones most likely missed.
 * Older ones reach a node that still lists their peers through the precise delta, so a churny
 * network does not pay a full list (each verified) on every sync.
 */
const SUMMARY_DEPARTURES = 16;

/** Receives and decodes one frame; refused input closes the link with `ProtocolViolation`. */
async function recvDecoded<T>(
  ctx: ExchangeContext,
  link: Link<unknown>,
  decode: (b: Uint8Array) => T,
): Promise<T> {
  let bytes: Uint8Array;
  try {
    bytes = await link.recvRaw();
  } catch (error) {
    if ((error as { code?: string }).code === 'protocol_violation') ctx.metrics.reject('oversized');
    throw error;
  }
  try {
    return decode(bytes);
  } catch (error) {
    const reason = rejectReasonOf(error);
    ctx.metrics.reject(reason);
    await link.close(CloseCode.ProtocolViolation);
    throw new ExchangeRejectedError(reason, { cause: error });
  }
}

/**
 * Connects for one exchange: the link closes with the node, the service or the exchange's
 * timeout. The combined signal is released with the link, so the long-lived signals keep
 * nothing of finished exchanges.
 */
async function connectFor(
  ctx: ExchangeContext,
  peer: PeerId | EndpointAddr,
  alpn: string,
): Promise<Link<unknown>> {
  const stop = linkSignals([ctx.node.signal, AbortSignal.timeout(ctx.timeoutMs), ctx.signal]);
  try {
    const link = await ctx.node.connect(peer, alpn, { timeout: ctx.timeoutMs, signal: stop.signal });
    void link.closed().then(stop.dispose);
    return link;
  } catch (error) {
    stop.dispose();
    throw error;
  }
}

/** Waits for the peer to close, at most `ms`. */
async function awaitPeerClose(link: Link<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([link.closed(), new Promise<void>((r) => (timer = setTimeout(r, ms)))]);
  clearTimeout(timer);
}

/** Merges a received snapshot and hands what it held to the worker. */
function merge(ctx: ExchangeContext, entries: readonly SignedPeerEntry[], from: PeerId): void {
  const events = ctx.catalog.mergeSnapshot(entries);
  const discovered = new Set<string>();
  for (const e of events) if (e.type === 'peerDiscovered') discovered.add(e.entry.peerId.toString());
  ctx.learned(
    entries,
    from,
    entries.filter((s) => discovered.has(s.peerId.toString())),
  );
}

/** Sends one sync message and counts its bytes. */
async function sendSync(ctx: ExchangeContext, link: Link<unknown>, message: SyncMessage): Promise<void> {
  const bytes = encodeSyncMessage(message);
  ctx.metrics.syncBytesSent.inc(bytes.length);
  await link.sendRaw(bytes);
}

/**
 * Initiator side of catalog sync (`sync/3`): send a summary of our catalog, merge the entries
 * we lacked, push the ones the peer asked for, and wait for the peer to close once it merged.
 * When this resolves both sides have merged.
 */
export async function syncWith(ctx: ExchangeContext, peer: PeerId | EndpointAddr): Promise<void> {
  const link = await connectFor(ctx, peer, SYNC_DELTA_ALPN);
  try {
    const ours = ctx.catalog.snapshot().allSigned();
    await sendSync(ctx, link, {
      t: SyncType.Summary,
      items: ours.map(summaryItemOf),
      departures: ctx.catalog.departures(SUMMARY_DEPARTURES),
    });
    const delta = await recvDecoded(ctx, link, (b) => decodeSyncMessageOf(b, SyncType.Delta));
    if (delta.departures !== undefined) ctx.departed(delta.departures);
    merge(ctx, delta.entries, link.remoteId);
    const push = entriesWanted(ctx.catalog.snapshot().allSigned(), delta.want);
    await sendSync(ctx, link, { t: SyncType.Push, entries: push });
    await awaitPeerClose(link, ctx.timeoutMs);
    await link.close(CloseCode.Success);
    ctx.metrics.syncs.inc();
  } finally {
    if (!link.isClosed) await link.close(CloseCode.Cancelled);
  }
}

/** Acceptor side of `sync/3`: answer a summary with what the initiator lacks, merge its push, close. */
export async function acceptSync(ctx: ExchangeContext, link: Link<unknown>): Promise<void> {
  try {
    const summary = await recvDecoded(ctx, link, (b) => decodeSyncMessageOf(b, SyncType.Summary));
    if (summary.departures !== undefined) ctx.departed(summary.departures);
    const ours = ctx.catalog.snapshot().allSigned();
    // Peers the initiator still lists but we know departed: it gets the departure, and we do
    // not ask for the entry back.
    const departures = departuresCovering(summary.items, ctx.catalog.departures()).slice(
      0,
      MAX_SYNC_DEPARTURES,
    );
    const gone = new Set(departures.map((d) => summaryKeyOf(d.peerId)));
    await sendSync(ctx, link, {
      t: SyncType.Delta,
      entries: entriesMissingFrom(ours, summary.items),
      want: wantedFrom(summary.items, ours, ctx.node.peerId).filter((p) => !gone.has(p)),
      departures,
    });
    const push = await recvDecoded(ctx, link, (b) => decodeSyncMessageOf(b, SyncType.Push));
    merge(ctx, push.entries, link.remoteId);
  } catch {
    // Refused input already closed the link; a lost peer or a closing node closes it here.
    if (!link.isClosed) await link.close(CloseCode.Cancelled);
    return;
  }
  // The push answered our delta: the initiator has all we sent, nothing to wait for.
  await link.close(CloseCode.Success, undefined, { linger: false });
}

/**
 * Acceptor side of the full-snapshot `sync/1.0`: receive, answer with our snapshot, merge, then
 * wait for the initiator's close.
 */
export async function acceptSnapshotSync(ctx: ExchangeContext, link: Link<unknown>): Promise<void> {
  let theirs: Extract<SyncMessage, { t: 0 }>;
  try {
    theirs = await recvDecoded(ctx, link, (b) => decodeSyncMessageOf(b, SyncType.Snapshot));
  } catch {
    return;
  }
  await sendSync(ctx, link, { t: SyncType.Snapshot, entries: ctx.catalog.snapshot().allSigned() });
  // Merge before waiting: when the initiator's sync resolves, we have merged too.
  merge(ctx, theirs.entries, link.remoteId);
  if (await frameBeforeClose(link, ctx.timeoutMs)) {
    // One snapshot each way is the whole exchange: anything more is not the protocol.
    ctx.metrics.reject('handshake');
    await link.close(CloseCode.ProtocolViolation);
    return;
  }
  await link.close(CloseCode.Success);
}

/** Waits at most `ms` for the peer to close; true when a frame came instead. */
async function frameBeforeClose(link: Link<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const next = link.recvRaw().then(
    () => true,
    () => false, // closed or ended: what we wait for
  );
  const outcome = await Promise.race([
    next,
    new Promise<false>((r) => (timer = setTimeout(() => r(false), ms))),
  ]);
  clearTimeout(timer);
  return outcome;
}

/** Result of a ping. */
export interface PingResult {
  /** The peer's entry, re-signed one version up. */
  readonly entry: SignedPeerEntry;
  /** Round trip in ms: the path RTT when QUIC knows it, else the measured exchange. */
  readonly rttMs: number;
}

/** Pings a peer: RTT plus its fresh signed entry. */
export async function ping(ctx: ExchangeContext, peer: PeerId | EndpointAddr): Promise<PingResult> {
  const link = await connectFor(ctx, peer, PING_ALPN);
  try {
    const started = performance.now();
    await link.sendRaw(encodePingMessage({ t: 0 }));
    const reply = await recvDecoded(ctx, link, decodePingMessage);
    const measured = performance.now() - started;
    if (reply.t !== 1) {
      ctx.metrics.reject('decode');
      await link.close(CloseCode.ProtocolViolation);
      throw new ExchangeRejectedError('unexpected ping message');
    }
    if (!reply.entry.peerId.equals(link.remoteId)) {
      ctx.metrics.reject('signature');
      await link.close(CloseCode.ProtocolViolation);
      throw new ExchangeRejectedError('ping reply carries another peer’s entry');
    }
    const rttMs = link.rtt() ?? measured;
    // The reply answered our ping: the peer has all we sent.
    await link.close(CloseCode.Success, undefined, { linger: false });
    return { entry: reply.entry, rttMs };
  } finally {
    if (!link.isClosed) await link.close(CloseCode.Cancelled);
  }
}

/** Server side of ping: answer with our entry one version up (not stored), wait for the close. */
export async function acceptPing(ctx: ExchangeContext, link: Link<unknown>): Promise<void> {
  let msg: Awaited<ReturnType<typeof decodePingMessage>>;
  try {
    msg = await recvDecoded(ctx, link, decodePingMessage);
  } catch {
    return;
  }
  if (msg.t !== 0) {
    ctx.metrics.reject('decode');
    await link.close(CloseCode.ProtocolViolation);
    return;
  }
  // Leaving: the departure names the last version we hand out, and a reply built now would
  // carry a newer one, which makes the pinger ignore the departure and keep us until the purge.
  if (ctx.signal?.aborted) {
    await link.close(CloseCode.Cancelled);
    return;
  }
  await link.sendRaw(
    encodePingMessage({ t: 1, entry: ctx.catalog.pingReply(ctx.node.secretKey, ctx.pingRefresh) }),
  );
  await awaitPeerClose(link, ctx.timeoutMs);
  await link.close(CloseCode.Success);
}

export { PING_ALPN, SYNC_ALPN, SYNC_DELTA_ALPN };
