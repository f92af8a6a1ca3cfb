/**
 * The text form of a node's address, printed by `mosaik beacon` and accepted by
 * `Network.create({ bootstrap })`: `<peer-id>[@<ip:port>,…[,<relay-url>]]`.
 */
import { InvalidArgumentError, PeerId } from '@mosaik/id';
import type { EndpointAddr } from '@mosaik/transport';

const HOST_PORT = /^(?:\[[0-9a-fA-F:.%a-zA-Z0-9]+\]|[^\s:[\]/@,]+):\d{1,5}$/;

/**
 * Formats an address as `<peer-id>@<ip:port>,<ip:port>,<relay-url>`: the peer id in hex, then
 * the direct addresses, then the relay URL if any. A bare peer id is a valid form too (nodes with
 * address lookup can dial it).
 *
 * @example
 * ```ts
 * formatBootstrapAddr(net.addr); // 'ae58…9f@127.0.0.1:41873'
 * ```
 */
export function formatBootstrapAddr(addr: EndpointAddr): string {
  const parts = [...addr.directAddresses, ...(addr.relayUrl === undefined ? [] : [addr.relayUrl])];
  return parts.length === 0 ? addr.id.toString() : `${addr.id.toString()}@${parts.join(',')}`;
}

/**
 * Parses the form of {@link formatBootstrapAddr}. The peer id may be hex or base32; each item
 * after `@` is a direct `host:port` (`[v6]:port` for IPv6) or, if it contains `://`, the relay
 * URL. Surrounding whitespace is ignored.
 *
 * @throws {InvalidArgumentError} when the text is not such an address.
 */
export function parseBootstrapAddr(text: string): EndpointAddr {
  const trimmed = text.trim();
  const at = trimmed.indexOf('@');
  const idText = at < 0 ? trimmed : trimmed.slice(0, at);
  let id: PeerId;
  try {
    id = PeerId.parse(idText);
  } catch (cause) {
    throw new InvalidArgumentError(
      `bootstrap address ${JSON.stringify(text)}: ${JSON.stringify(idText)} is not a peer id`,
      { cause },
    );
  }
  if (at < 0) return { id, directAddresses: [] };
  const directAddresses: string[] = [];
  let relayUrl: string | undefined;
  for (const item of trimmed.slice(at + 1).split(',')) {
    const part = item.trim();
    if (part.includes('://')) {
      if (relayUrl !== undefined || !URL.canParse(part))
        throw new InvalidArgumentError(`bootstrap address ${JSON.stringify(text)}: bad relay URL ${part}`);
      relayUrl = part;
    } else if (HOST_PORT.test(part) && Number(part.slice(part.lastIndexOf(':') + 1)) <= 65_535) {
      directAddresses.push(part);
    } else {
      throw new InvalidArgumentError(
        `bootstrap address ${JSON.stringify(text)}: ${JSON.stringify(part)} is not host:port or a relay URL`,
      );
    }
  }
  return { id, directAddresses, ...(relayUrl === undefined ? {} : { relayUrl }) };
}

/** An address given as an object or in text form. */
export function toEndpointAddr(addr: EndpointAddr | string): EndpointAddr {
  return typeof addr === 'string' ? parseBootstrapAddr(addr) : addr;
}
