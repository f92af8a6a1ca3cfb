/**
 * Node addresses as one line of text, to print and paste into `--bootstrap`:
 * `<peer id>@<ip:port>[,<ip:port>…]`, or a bare peer id where the transport can look addresses up
 * (the `n0` preset).
 */
import { type EndpointAddr, InvalidArgumentError, PeerId } from 'mosaik';

/** `addr` as `<peer id>@<ip:port>,…`. */
export function formatAddr(addr: EndpointAddr): string {
  return addr.directAddresses.length === 0
    ? addr.id.toString()
    : `${addr.id.toString()}@${addr.directAddresses.join(',')}`;
}

/** Parses {@link formatAddr}'s text; throws `InvalidArgumentError` saying what is wrong. */
export function parseAddr(text: string): EndpointAddr {
  const [idText, addrs, ...rest] = text.trim().split('@');
  if (idText === undefined || rest.length > 0)
    throw new InvalidArgumentError(
      `bad address ${JSON.stringify(text)}: expected <peer id>@<ip:port>[,<ip:port>]`,
    );
  let id: PeerId;
  try {
    id = PeerId.parse(idText);
  } catch (cause) {
    throw new InvalidArgumentError(`bad address ${JSON.stringify(text)}: ${(cause as Error).message}`, {
      cause,
    });
  }
  const directAddresses = (addrs ?? '').split(',').filter((a) => a.length > 0);
  for (const a of directAddresses) {
    if (!/^(\[[0-9a-fA-F:.]+\]|[0-9.]+):\d{1,5}$/.test(a))
      throw new InvalidArgumentError(`bad address ${JSON.stringify(text)}: ${a} is not <ip>:<port>`);
  }
  return { id, directAddresses };
}
