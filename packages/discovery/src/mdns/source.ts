/**
 * mDNS on the LAN: nodes of the same network on one link find each other
 * with no configuration. Off by default. The multicast interface is always pinned to one IPv4
 * address, so nothing is ever sent out of an interface that was not chosen.
 *
 * Wire form (service `mosaik`): a query for PTR `_mosaik._udp.local`; each node answers with a PTR
 * to `<z-base-32 peer id>._mosaik._udp.local` and a TXT record on that name holding `net=<network
 * id hex>`, `id=<base58 peer id>`, one `ip=<ip:port>` per direct address and `r=<relay url>`.
 */
import { networkInterfaces } from 'node:os';
import { type NetworkId, type PeerId, PeerId as PeerIdClass, sleep, toZBase32 } from '@mosaik/id';
import type { Logger } from '@mosaik/metrics';
import type { EndpointAddr } from '@mosaik/transport';
import type { Answer } from 'dns-packet';
import multicastDns from 'multicast-dns';
import { fromBase58, toBase58 } from '../dht/base58.js';
import {
  AddressForwarder,
  type AddressSink,
  isSocketAddress,
  pollDelay,
  type SourceContext,
} from '../dht/types.js';

/** The DNS-SD service type mosaik answers to. */
export const MDNS_SERVICE = '_mosaik._udp.local';
/** The standard mDNS port. */
export const MDNS_PORT = 5353;

/** Options of {@link MdnsAddressSource}. */
export interface MdnsSourceOptions {
  readonly networkId: NetworkId;
  readonly peerId: PeerId;
  /** This node's current address (read each time it answers). */
  readonly addr: () => EndpointAddr;
  /**
   * IPv4 address of the one interface to multicast on (e.g. `'127.0.0.1'` in tests). Default: the
   * first non-internal IPv4 interface; with none, the source does not start.
   */
  readonly interface?: string;
  /** UDP port (default 5353; tests use another to stay off the real mDNS traffic). */
  readonly port?: number;
  /** Query period with no gossip neighbours (default 5000 ms). */
  readonly aggressivePollMs?: number;
  /** Query period with neighbours (default 60 000 ms). */
  readonly relaxedPollMs?: number;
  readonly logger?: Logger;
  readonly random?: () => number;
}

/** The first non-internal IPv4 address of this host, if any. */
export function defaultMdnsInterface(): string | undefined {
  for (const list of Object.values(networkInterfaces())) {
    for (const iface of list ?? []) if (iface.family === 'IPv4' && !iface.internal) return iface.address;
  }
  return undefined;
}

/** Parses one peer's TXT strings; `{ error }` when a field is missing or malformed. */
export function parseMdnsTxt(
  strings: readonly string[],
): { network: string; addr: EndpointAddr } | { error: string } {
  let network: string | undefined;
  let idText: string | undefined;
  let relayUrl: string | undefined;
  const direct: string[] = [];
  for (const s of strings) {
    const eq = s.indexOf('=');
    if (eq < 0) continue;
    const key = s.slice(0, eq);
    const value = s.slice(eq + 1);
    if (key === 'net') network ??= value;
    else if (key === 'id') idText ??= value;
    else if (key === 'ip') {
      if (!isSocketAddress(value)) return { error: 'malformed address' };
      if (!direct.includes(value)) direct.push(value);
    } else if (key === 'r') {
      if (!URL.canParse(value)) return { error: 'malformed relay url' };
      relayUrl ??= value;
    }
  }
  if (network === undefined) return { error: 'missing net' };
  if (idText === undefined) return { error: 'missing id' };
  const bytes = fromBase58(idText);
  if (bytes === undefined || bytes.length !== 32) return { error: 'malformed peer id' };
  let id: PeerId;
  try {
    id = PeerIdClass.fromBytes(bytes);
  } catch {
    return { error: 'malformed peer id' };
  }
  return { network, addr: { id, ...(relayUrl !== undefined ? { relayUrl } : {}), directAddresses: direct } };
}

function txtStrings(data: unknown): string[] {
  const parts = Array.isArray(data) ? data : [data];
  return parts.map((p) => (Buffer.isBuffer(p) ? p.toString('utf8') : String(p)));
}

/**
 * mDNS as an address source for `Discovery.addAddressSource`. It runs until the context's signal
 * aborts, then leaves the multicast group and closes its socket.
 */
export class MdnsAddressSource {
  readonly #options: MdnsSourceOptions;
  readonly #instance: string;
  readonly #network: string;

  constructor(options: MdnsSourceOptions) {
    this.#options = options;
    this.#instance = `${toZBase32(options.peerId.bytes)}.${MDNS_SERVICE}`;
    this.#network = options.networkId.toString();
  }

  /** Answers queries and queries periodically until `ctx.signal` aborts. Never rejects. */
  async start(sink: AddressSink, ctx: SourceContext): Promise<void> {
    const log = this.#options.logger;
    const iface = this.#options.interface ?? defaultMdnsInterface();
    if (iface === undefined) {
      log?.warn('mdns disabled: no IPv4 interface to pin it to');
      return;
    }
    if (ctx.signal.aborted) return;
    // bind 0.0.0.0 (binding the interface address would not receive multicast); the interface
    // pins both the group membership and the outgoing multicast interface.
    const mdns = multicastDns({
      interface: iface,
      bind: '0.0.0.0',
      port: this.#options.port ?? MDNS_PORT,
      reuseAddr: true,
    });
    const warnings: unknown[] = [];
    const onWarning = (err: unknown) => warnings.push(err);
    mdns.on('warning', onWarning);
    try {
      await new Promise<void>((resolve, reject) => {
        mdns.once('ready', resolve);
        mdns.once('error', reject);
      });
    } catch (error) {
      log?.warn({ err: String(error) }, 'mdns disabled: cannot bind');
      await new Promise<void>((r) => mdns.destroy(() => r()));
      return;
    }
    // A failed membership or multicast-interface pin would make sends fall back to the default
    // route, i.e. out of another interface: refuse to run rather than leak.
    if (warnings.length > 0) {
      log?.warn({ err: String(warnings[0]), interface: iface }, 'mdns disabled: cannot pin the interface');
      await new Promise<void>((r) => mdns.destroy(() => r()));
      return;
    }
    mdns.off('warning', onWarning);
    mdns.on('warning', (err: unknown) => log?.debug({ err: String(err) }, 'mdns warning'));
    mdns.on('error', (err: unknown) => log?.warn({ err: String(err) }, 'mdns error'));

    const forwarder = new AddressForwarder(sink, () => ctx.neighbours());
    mdns.on('query', (query) => {
      if (
        query.questions.some(
          (q) => q.name.toLowerCase() === MDNS_SERVICE && (q.type === 'PTR' || (q.type as string) === 'ANY'),
        )
      )
        this.#announce(mdns);
    });
    mdns.on('response', (response) => {
      try {
        const found = this.#peersIn([...(response.answers ?? []), ...(response.additionals ?? [])]);
        forwarder.forward(found);
      } catch (error) {
        log?.debug({ err: String(error) }, 'mdns response ignored');
      }
    });

    const random = this.#options.random ?? Math.random;
    try {
      this.#announce(mdns);
      while (!ctx.signal.aborted) {
        mdns.query({ questions: [{ name: MDNS_SERVICE, type: 'PTR' }] });
        const base =
          ctx.neighbours() === 0
            ? (this.#options.aggressivePollMs ?? 5_000)
            : (this.#options.relaxedPollMs ?? 60_000);
        await sleep(pollDelay(base, random), ctx.signal).catch(() => undefined);
      }
    } finally {
      await new Promise<void>((r) => mdns.destroy(() => r()));
    }
  }

  #announce(mdns: multicastDns.MulticastDNS): void {
    const addr = this.#options.addr();
    const data = [`net=${this.#network}`, `id=${toBase58(addr.id.bytes)}`];
    for (const a of addr.directAddresses) data.push(`ip=${a}`);
    // A TXT string holds at most 255 bytes; a longer relay URL is left out.
    if (addr.relayUrl !== undefined && Buffer.byteLength(addr.relayUrl) <= 250)
      data.push(`r=${addr.relayUrl}`);
    mdns.respond({
      answers: [
        { type: 'PTR', name: MDNS_SERVICE, ttl: 120, data: this.#instance },
        { type: 'TXT', name: this.#instance, ttl: 120, data },
      ],
    });
  }

  /** Addresses of other peers of this network in a response's TXT records; malformed ones are skipped. */
  #peersIn(answers: readonly Answer[]): EndpointAddr[] {
    const out: EndpointAddr[] = [];
    for (const answer of answers) {
      if (answer.type !== 'TXT' || !answer.name.toLowerCase().endsWith(`.${MDNS_SERVICE}`)) continue;
      const parsed = parseMdnsTxt(txtStrings(answer.data));
      if ('error' in parsed) {
        this.#options.logger?.debug(
          { name: answer.name, reason: parsed.error },
          'skipping an invalid mdns record',
        );
        continue;
      }
      if (parsed.network !== this.#network || parsed.addr.id.equals(this.#options.peerId)) continue;
      out.push(parsed.addr);
    }
    return out;
  }
}
