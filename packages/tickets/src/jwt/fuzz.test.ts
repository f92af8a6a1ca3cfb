import { createHmac } from 'node:crypto';
import { fuzzDecoder } from '@mosaik/tooling/fuzz';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hs256Validator, peer, TEST_SECRET, validTicket } from '../../test/fixtures.js';
import { InvalidTicketError } from '../errors.js';
import { Expiration } from '../expiration.js';

const jwt = hs256Validator({ audience: 'aud', claims: { role: 'x' }, maxAge: 600 });
const holder = peer();

/** Validation must return an Expiration or throw InvalidTicketError with a readable, bounded reason. */
function outcome(data: Uint8Array): 'ok' | 'invalid' {
  try {
    expect(jwt.validate(data, holder)).toBeInstanceOf(Expiration);
    return 'ok';
  } catch (err) {
    if (!(err instanceof InvalidTicketError)) throw err;
    expect(err.reason.length).toBeGreaterThan(0);
    expect(err.reason.length).toBeLessThan(200);
    expect(err.code).toBe('invalid_ticket');
    return 'invalid';
  }
}

const b64 = (s: string) => Buffer.from(s).toString('base64url');
const hmac = (input: string) => createHmac('sha256', TEST_SECRET).update(input).digest('base64url');

describe('Jwt validator under fuzzing', () => {
  it('turns random bytes into InvalidTicketError', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 512 }), (data) => outcome(data) === 'invalid'));
  });

  it('turns random dotted strings into InvalidTicketError', () => {
    const part = fc.string({ unit: fc.constantFrom(...'AZaz09-_.=+/{}"'.split('')), maxLength: 40 });
    fc.assert(
      fc.property(
        fc.tuple(part, part, part),
        ([a, b, c]) => outcome(new TextEncoder().encode(`${a}.${b}.${c}`)) === 'invalid',
      ),
    );
  });

  it('refuses every truncation and never crashes on any single-byte mutation of a valid token', async () => {
    const ticket = await validTicket(holder);
    const token = ticket.data;
    const strict = hs256Validator();
    expect(strict.validate(token, holder).isNever).toBe(false);
    for (let n = 0; n < token.length; n++) {
      expect(() => strict.validate(token.subarray(0, n), holder)).toThrow(InvalidTicketError);
    }
    fc.assert(
      fc.property(fc.nat(token.length - 1), fc.integer({ min: 0, max: 255 }), (at, byte) => {
        const mutated = new Uint8Array(token);
        mutated[at] = byte;
        try {
          strict.validate(mutated, holder);
        } catch (err) {
          return err instanceof InvalidTicketError;
        }
        return true;
      }),
    );
  });

  it('survives correctly signed tokens with arbitrary JSON headers and claims', () => {
    const claim = fc.oneof(
      fc.jsonValue(),
      fc.constantFrom('aud', 'x', holder.toString(), 'mosaik.test.jwt.issuer'),
      fc.integer({ min: -10, max: 2_000_000_000 }),
    );
    const claims = fc.oneof(
      fc.jsonValue(),
      fc.record(
        {
          iss: claim,
          sub: claim,
          aud: claim,
          exp: claim,
          nbf: claim,
          iat: claim,
          role: claim,
          __proto__: claim,
        },
        { requiredKeys: [] },
      ),
    );
    const header = fc.oneof(
      fc.jsonValue(),
      fc.record({ alg: fc.constantFrom('HS256', 'none', 'ES256', 'hs256') }),
    );
    fc.assert(
      fc.property(header, claims, (h, c) => {
        const input = `${b64(JSON.stringify(h) ?? 'null')}.${b64(JSON.stringify(c) ?? 'null')}`;
        outcome(new TextEncoder().encode(`${input}.${hmac(input)}`));
      }),
      { numRuns: 300 },
    );
  });
});

// The ticket bytes a peer presents in its discovery entry: only a valid ticket or InvalidTicketError.
const plain = hs256Validator();
fuzzDecoder('jwt ticket', {
  decode: (bytes) => plain.validate(bytes, holder),
  samples: [(await validTicket(holder)).data],
  isTyped: (error) => error instanceof InvalidTicketError,
});
