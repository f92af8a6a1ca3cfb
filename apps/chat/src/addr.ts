/**
 * The text form of a node's address for `--bootstrap`/`--peer`: `<peer id>[@<ip:port>,…]`.
 *
 * TEMPORARY: `mosaik` is getting `formatBootstrapAddr`/`parseBootstrapAddr` (same text form) on
 * another branch; once it lands, these two functions should be replaced by those.
 */
import { type EndpointAddr, InvalidArgumentError, PeerId } from 'mosaik';

const HOST_PORT = /^(?:\[[0-9a-fA-F:.]+\]|[^\s:[\]/@,]+):(\d{1,5})$/;

/** `addr` as `<64-hex peer id>@<ip:port>,<ip:port>` (just the id when it has no direct address). */
export function formatAddr(addr: EndpointAddr): string {
  const direct = addr.directAddresses;
  return direct.length === 0 ? addr.id.toString() : `${addr.id.toString()}@${direct.join(',')}`;
}

/** Parses {@link formatAddr}'s form; throws `InvalidArgumentError` saying what is wrong. */
export function parseAddr(text: string): EndpointAddr {
  const trimmed = text.trim();
  const at = trimmed.indexOf('@');
  const idText = at < 0 ? trimmed : trimmed.slice(0, at);
  let id: PeerId;
  try {
    id = PeerId.parse(idText);
  } catch (cause) {
    throw new InvalidArgumentError(`${JSON.stringify(idText)} is not a peer id`, { cause });
  }
  if (at < 0) return { id, directAddresses: [] };
  const directAddresses = trimmed
    .slice(at + 1)
    .split(',')
    .map((a) => a.trim());
  for (const a of directAddresses) {
    const m = HOST_PORT.exec(a);
    if (m === null || Number(m[1]) > 65_535)
      throw new InvalidArgumentError(`${JSON.stringify(a)} is not an ip:port address`);
  }
  return { id, directAddresses };
}
