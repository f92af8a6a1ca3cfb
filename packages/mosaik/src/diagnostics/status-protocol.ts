/**
 * The status protocol (`/mosaik/status/1`): one request, one reply. The requester names the
 * network; the node answers with its {@link NodeReport} (streams it produces and consumes with
 * their peers, groups with role, term, leader and indices) and closes. It is how `mosaik inspect`
 * sees subscriptions and consensus state that peer entries do not carry, without joining
 * anything. Read-only: the reply never depends on who asks beyond the network check.
 */
import { DecodeError, decodeCbor, encodeCbor, type NetworkId, type PeerId, toHex } from '@mosaik/id';
import {
  CloseCode,
  type EndpointAddr,
  type Link,
  LinkClosedError,
  type LocalNode,
  ProtocolViolationError,
} from '@mosaik/transport';
import { decodeReport, encodeReport, type NodeReport } from './report.js';

/** The protocol's ALPN. */
export const STATUS_ALPN = '/mosaik/status/1';

/** How long a request may take to arrive once the link is open. */
const REQUEST_TIMEOUT_MS = 5_000;

/** Request type tag; stable on the wire. */
const REQUEST = 1;

interface StatusRequest {
  readonly t: typeof REQUEST;
  readonly network: string;
}

function decodeRequest(bytes: Uint8Array): StatusRequest {
  const v = decodeCbor(bytes) as Partial<StatusRequest> | null;
  if (typeof v !== 'object' || v === null || v.t !== REQUEST || typeof v.network !== 'string')
    throw new DecodeError('invalid_status_request', 'not a status request');
  return { t: REQUEST, network: v.network };
}

async function withTimeout<T>(work: Promise<T>, ms: number, onTimeout: () => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          onTimeout();
          reject(
            new LinkClosedError({
              code: CloseCode.Cancelled,
              reason: 'status exchange timed out',
              local: true,
            }),
          );
        }, ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Answers status requests on `node` with `report()`. A request for another network is closed
 * with `DifferentNetwork`, a malformed one with `ProtocolViolation`; both are counted in
 * `mosaik_status_rejected_total{reason}`. The reply ends the exchange: the link is closed
 * right after it, so nothing the requester sends after its request is ever read.
 */
export function serveStatus(node: LocalNode, report: () => NodeReport): void {
  const rejected = node.metrics.counter(
    'mosaik_status_rejected_total',
    'Status requests refused (malformed, other network), by reason',
    ['reason'],
  );
  node.handle(STATUS_ALPN, async (link: Link<unknown>) => {
    let request: StatusRequest;
    try {
      const frame = await withTimeout(link.recvRaw(), REQUEST_TIMEOUT_MS, () => {
        void link.close(CloseCode.Cancelled, 'status request timeout');
      });
      request = decodeRequest(frame);
    } catch (error) {
      const malformed = error instanceof DecodeError || error instanceof ProtocolViolationError;
      if (malformed) rejected.inc({ reason: 'ProtocolViolation' });
      if (!link.isClosed)
        await link.close(malformed ? CloseCode.ProtocolViolation : CloseCode.UnexpectedClose);
      return;
    }
    if (request.network !== toHex(node.networkId.bytes)) {
      rejected.inc({ reason: 'DifferentNetwork' });
      await link.close(CloseCode.DifferentNetwork);
      return;
    }
    await link.sendRaw(encodeReport(report()));
    await link.close(CloseCode.Success);
  });
}

/**
 * Asks `peer` for its report. Rejects with `ConnectFailedError`, `LinkClosedError` (the peer refused or
 * timed out, within `timeoutMs`), or `DecodeError` for a malformed reply.
 */
export async function queryStatus(
  node: LocalNode,
  peer: PeerId | EndpointAddr,
  network: NetworkId,
  timeoutMs = 5_000,
): Promise<NodeReport> {
  const link = await node.connect(peer, STATUS_ALPN, { timeout: timeoutMs });
  try {
    await link.sendRaw(encodeCbor({ t: REQUEST, network: toHex(network.bytes) } satisfies StatusRequest));
    const frame = await withTimeout(link.recvRaw(), timeoutMs, () => {
      void link.close(CloseCode.Cancelled, 'status reply timeout');
    });
    return decodeReport(frame);
  } finally {
    if (!link.isClosed) await link.close(CloseCode.Success);
  }
}
