import { id, SecretKey } from '@mosaik/id';
import { Expiration, InvalidTicketError } from '@mosaik/tickets';
import { expect, it } from 'vitest';
import { MockTdxProvider, Tdx, TdxTicket } from './index.js';

it('runs the README example', async () => {
  const network = id('my-app');
  const me = SecretKey.generate().peerId;
  const provider = new MockTdxProvider({ mrtd: 'aa'.repeat(48) });

  const ticket = await TdxTicket.generate(provider, {
    peer: me,
    network,
    startedAt: Date.now(),
    expiration: Expiration.after(3_600_000),
  });
  expect(ticket.toString()).toContain('aa'.repeat(48));

  const validator = Tdx.new({ trustAnchor: provider.trustAnchor, network })
    .requireMrtd('aa'.repeat(48))
    .maxAge(24 * 3_600_000);
  const expiration = validator.validate(ticket.encode(), me);
  expect(expiration.remaining()).toBeGreaterThan(3_500_000);
  // ...and the same ticket fails against the Intel root, as a mock must.
  expect(() => Tdx.new({ network }).validate(ticket.encode(), me)).toThrow(InvalidTicketError);
});
