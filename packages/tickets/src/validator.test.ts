import { id, type PeerId } from '@mosaik/id';
import { describe, expect, it } from 'vitest';
import { clock, NOW, peer } from '../test/fixtures.js';
import { InvalidTicketError } from './errors.js';
import { Expiration } from './expiration.js';
import { Ticket } from './ticket.js';
import { bestExpiration, type TicketValidator, validateAll } from './validator.js';

/** A validator whose tickets are the decimal expiry in ms, or "bad". */
function fake(name: string): TicketValidator {
  const klass = id(`mosaik.test.${name}`);
  return {
    class: klass,
    signature: klass.derive('sig'),
    validate(data: Uint8Array, _peer: PeerId): Expiration {
      const text = new TextDecoder().decode(data);
      if (text === 'never') return Expiration.never();
      if (text === 'throw') throw new Error('bug');
      const ms = Number(text);
      if (!Number.isFinite(ms)) throw new InvalidTicketError(`bad ${name}`);
      return Expiration.at(ms);
    },
  };
}

const ticket = (v: TicketValidator, text: string) => new Ticket(v.class, new TextEncoder().encode(text));

describe('bestExpiration', () => {
  const alpha = fake('alpha');
  const p = peer();

  it('returns the latest expiration among the valid tickets of the class', () => {
    const tickets = [ticket(alpha, `${NOW + 1000}`), ticket(alpha, 'x'), ticket(alpha, `${NOW + 5000}`)];
    expect(bestExpiration(tickets, alpha, p, { now: NOW }).at).toBe(NOW + 5000);
    expect(bestExpiration([...tickets, ticket(alpha, 'never')], alpha, p, { now: NOW }).isNever).toBe(true);
  });

  it('ignores tickets of other classes', () => {
    const beta = fake('beta');
    expect(() => bestExpiration([ticket(beta, `${NOW + 1000}`)], alpha, p, { now: NOW })).toThrow(
      /no ticket of class/,
    );
  });

  it('treats an already-expired result as invalid', () => {
    expect(() => bestExpiration([ticket(alpha, `${NOW - 1}`)], alpha, p, { now: NOW })).toThrow(/expired/);
  });

  it("reports the validator's reason, and turns a validator's crash into InvalidTicketError", () => {
    expect(() => bestExpiration([ticket(alpha, 'x')], alpha, p)).toThrow(new InvalidTicketError('bad alpha'));
    const err = (() => {
      try {
        bestExpiration([ticket(alpha, 'throw')], alpha, p);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(InvalidTicketError);
    expect((err as InvalidTicketError).reason).toContain('bug');
    expect((err as InvalidTicketError).code).toBe('invalid_ticket');
  });
});

describe('validateAll', () => {
  const alpha = fake('alpha');
  const beta = fake('beta');
  const p = peer();

  it('means "no auth" for an empty validator list', () => {
    expect(validateAll([], [], p).isNever).toBe(true);
  });

  it('requires every validator and returns the earliest of their best expirations', () => {
    const tickets = [
      ticket(alpha, `${NOW + 9000}`),
      ticket(beta, `${NOW + 3000}`),
      ticket(beta, `${NOW + 4000}`),
    ];
    expect(validateAll(tickets, [alpha, beta], p, { now: clock() }).at).toBe(NOW + 4000);
    expect(validateAll(tickets.values(), [alpha, beta], p, { now: NOW }).at).toBe(NOW + 4000);
  });

  it('fails naming the validator no ticket satisfies', () => {
    const onlyAlpha = [ticket(alpha, `${NOW + 9000}`)];
    expect(() => validateAll(onlyAlpha, [alpha, beta], p, { now: NOW })).toThrow(/validator #1: no ticket/);
    expect(() => validateAll(onlyAlpha, [beta], p, { now: NOW })).toThrow(/^invalid ticket: no ticket/);
  });
});
