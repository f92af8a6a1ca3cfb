import { createHmac, createPublicKey, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { id, type PeerId, SecretKey } from '@mosaik/id';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  claimsFor,
  clock,
  expiredTicket,
  handRolled,
  hs256Builder,
  hs256Validator,
  NOW,
  peer,
  TEST_ISSUER,
  TEST_SECRET,
  validTicket,
} from '../../test/fixtures.js';
import { InvalidTicketError, TicketConfigError } from '../errors.js';
import { Expiration } from '../expiration.js';
import { scheduleExpiry } from '../schedule.js';
import type { Ticket } from '../ticket.js';
import { validateAll } from '../validator.js';
import type { JwtAlgorithm } from './algorithms.js';
import { JwtTicketBuilder } from './builder.js';
import { generateJwtKeyPair } from './generate.js';
import { Jwt } from './validator.js';

/** The reason `fn` was rejected with; fails the test if it threw anything but InvalidTicketError. */
function reasonOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidTicketError);
    return (err as InvalidTicketError).reason;
  }
  throw new Error('expected InvalidTicketError, but the ticket validated');
}

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const bytes = (s: string) => new TextEncoder().encode(s);

describe('Jwt validator, HS256 reference fixture', () => {
  const jwt = hs256Validator();

  it('uses the ticket class id("mosaik.tickets.jwt.v1")', async () => {
    expect(Jwt.CLASS.equals(id('mosaik.tickets.jwt.v1'))).toBe(true);
    expect(jwt.class.equals(Jwt.CLASS)).toBe(true);
    expect((await validTicket(peer())).class.equals(Jwt.CLASS)).toBe(true);
  });

  it('accepts a valid ticket and returns its exp', async () => {
    const p = peer();
    const ticket = await validTicket(p);
    expect(jwt.validate(ticket.data, p).at).toBe(NOW + 3_600_000);
  });

  it('authorizes only the peer with a valid ticket (stream_consumer / jwt_authorized_peers_can_bond)', async () => {
    const [valid, expired, none] = [peer(), peer(), peer()];
    const entries = new Map<PeerId, Ticket[]>([
      [valid, [await validTicket(valid)]],
      [expired, [await expiredTicket(expired)]],
      [none, []],
    ]);
    const authorized = [...entries].filter(([p, tickets]) => {
      try {
        validateAll(tickets, [jwt], p, { now: NOW });
        return true;
      } catch (err) {
        expect(err).toBeInstanceOf(InvalidTicketError);
        return false;
      }
    });
    expect(authorized.map(([p]) => p)).toEqual([valid]);
  });

  it('requires every validator: only the peer holding both tickets passes (multiple_validators)', async () => {
    const alphaSecret = id('alpha.secret').bytes;
    const betaSecret = id('beta.secret').bytes;
    const alpha = new Jwt({ key: { alg: 'HS256', secret: alphaSecret }, issuer: 'alpha', clock });
    const beta = new Jwt({ key: { alg: 'HS256', secret: betaSecret }, issuer: 'beta', clock });
    const issue = (secret: Uint8Array, issuer: string, p: PeerId, ttl: number) =>
      new JwtTicketBuilder({ alg: 'HS256', secret })
        .issuer(issuer)
        .expiresAt(NOW + ttl)
        .build(p, NOW);
    const both = peer();
    const onlyAlpha = peer();
    const bothTickets = [
      await issue(alphaSecret, 'alpha', both, 7_200_000),
      await issue(betaSecret, 'beta', both, 3_600_000),
    ];
    expect(validateAll(bothTickets, [alpha, beta], both, { now: NOW }).at).toBe(NOW + 3_600_000);
    const alphaOnly = [await issue(alphaSecret, 'alpha', onlyAlpha, 3_600_000)];
    expect(() => validateAll(alphaOnly, [alpha, beta], onlyAlpha, { now: NOW })).toThrow(InvalidTicketError);
    // A ticket signed with the other validator's secret does not stand in for the missing one.
    const forged = [...alphaOnly, await issue(alphaSecret, 'beta', onlyAlpha, 3_600_000)];
    expect(() => validateAll(forged, [alpha, beta], onlyAlpha, { now: NOW })).toThrow(/signature/);
  });

  it('ignores JWTs of another ticket class (by_jwt_ticket uses an ad-hoc class)', async () => {
    const p = peer();
    const ticket = await validTicket(p);
    const adHoc = { ...ticket, class: id('mosaik.test.jwt'), id: ticket.id } as Ticket;
    expect(() => validateAll([adHoc], [jwt], p)).toThrow(/no ticket of class/);
  });
});

describe('Jwt validator, asymmetric keys', () => {
  it('validates a random ES256 key with its compressed public key (es256_asymmetric_tickets)', async () => {
    const { signingKey, verifyingKey } = generateJwtKeyPair('ES256');
    expect('publicKey' in verifyingKey && (verifyingKey.publicKey as Uint8Array).length).toBe(33);
    const jwt = new Jwt({ key: verifyingKey, issuer: 'es', clock });
    const holder = peer();
    const ticket = await new JwtTicketBuilder(signingKey)
      .issuer('es')
      .expiresAt(NOW + 60_000)
      .build(holder, NOW);
    expect(jwt.validate(ticket.data, holder).at).toBe(NOW + 60_000);
    // The ticket is public; another peer presenting it is refused.
    expect(reasonOf(() => jwt.validate(ticket.data, peer()))).toMatch(/not the presenting peer/);
  });

  it('validates the fixed ES256 key pair from hex constants (es256_hex_const_key)', async () => {
    const priv = 'de01776891476ee7bcd6ee9d9824d1440c7ae0c095ad71ad75d3d11a96647b85';
    const pub = '0298a82ebe69ad57e0f7d5c2809a05188ff58572c5a5009015f26643f91e0d3236';
    const jwt = new Jwt({ key: { alg: 'ES256', publicKey: pub }, issuer: 'es256-hex-issuer', clock });
    const holder = peer();
    const ticket = await new JwtTicketBuilder({ alg: 'ES256', privateKey: priv })
      .issuer('es256-hex-issuer')
      .expiresAt(NOW + 60_000)
      .build(holder, NOW);
    expect(jwt.validate(ticket.data, holder).isExpired(NOW)).toBe(false);
    const other = new Jwt({
      key: generateJwtKeyPair('ES256').verifyingKey,
      issuer: 'es256-hex-issuer',
      clock,
    });
    expect(reasonOf(() => other.validate(ticket.data, holder))).toBe('signature does not verify');
  });

  it.each<JwtAlgorithm>(['HS256', 'HS384', 'HS512', 'ES256', 'ES384', 'ES512', 'EdDSA'])(
    'round-trips %s through builder and validator',
    async (alg) => {
      const { signingKey, verifyingKey } = generateJwtKeyPair(alg);
      const holder = peer();
      const token = await new JwtTicketBuilder(signingKey)
        .issuer('i')
        .expiresAt(NOW + 1_000)
        .token(holder, NOW);
      expect(JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString())).toEqual({
        alg,
        typ: 'JWT',
      });
      const jwt = new Jwt({ key: verifyingKey, issuer: 'i', clock });
      expect(jwt.validate(bytes(token), holder).at).toBe(NOW + 1_000);
      const [h, c, s] = token.split('.') as [string, string, string];
      const flipped = `${s[0] === 'A' ? 'B' : 'A'}${s.slice(1)}`;
      expect(reasonOf(() => jwt.validate(bytes(`${h}.${c}.${flipped}`), holder))).toBe(
        'signature does not verify',
      );
    },
  );

  it('accepts the same EC key as compressed SEC1, uncompressed SEC1, JWK or KeyObject', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-384' });
    const jwk = publicKey.export({ format: 'jwk' });
    const x = Buffer.from(jwk.x!, 'base64url');
    const y = Buffer.from(jwk.y!, 'base64url');
    const uncompressed = Buffer.concat([Buffer.from([4]), x, y]);
    const compressed = Buffer.concat([Buffer.from([2 | (y[y.length - 1]! & 1)]), x]);
    const holder = peer();
    const ticket = await new JwtTicketBuilder({
      alg: 'ES384',
      privateKey: privateKey.export({ format: 'jwk' }),
    })
      .issuer('i')
      .expiresAt(NOW + 1_000)
      .build(holder, NOW);
    const forms = [compressed, uncompressed, uncompressed.toString('hex'), jwk, publicKey, privateKey];
    const validators = forms.map(
      (publicKey) => new Jwt({ key: { alg: 'ES384', publicKey }, issuer: 'i', clock }),
    );
    for (const v of validators) {
      expect(v.validate(ticket.data, holder).at).toBe(NOW + 1_000);
      expect(v.signature.equals(validators[0]!.signature)).toBe(true);
    }
  });

  it('lets a node sign EdDSA tickets with its own mosaik identity key', async () => {
    const issuer = SecretKey.generate();
    const jwt = new Jwt({ key: { alg: 'EdDSA', publicKey: issuer.peerId.bytes }, issuer: 'node', clock });
    const holder = peer();
    const ticket = await new JwtTicketBuilder({ alg: 'EdDSA', privateKey: issuer.seed })
      .issuer('node')
      .expiresAt(NOW + 5_000)
      .build(holder, NOW);
    expect(jwt.validate(ticket.data, holder).at).toBe(NOW + 5_000);
  });

  it('accepts any of several keys (rotation)', async () => {
    const old = generateJwtKeyPair('ES256');
    const next = generateJwtKeyPair('EdDSA');
    const jwt = new Jwt({ key: [old.verifyingKey, next.verifyingKey], issuer: 'i', clock });
    const holder = peer();
    for (const { signingKey } of [old, next]) {
      const t = await new JwtTicketBuilder(signingKey)
        .issuer('i')
        .expiresAt(NOW + 1_000)
        .build(holder, NOW);
      expect(jwt.validate(t.data, holder).at).toBe(NOW + 1_000);
    }
  });
});

describe('Jwt validator, attacks and malformed tokens', () => {
  const es = generateJwtKeyPair('ES256');
  const esJwt = new Jwt({ key: es.verifyingKey, issuer: TEST_ISSUER, clock });
  const holder = peer();

  it('refuses HS256 tokens MACed with the public key (algorithm confusion)', () => {
    const pub = 'publicKey' in es.verifyingKey ? (es.verifyingKey.publicKey as Uint8Array) : new Uint8Array();
    const signing = (es.signingKey as { privateKey: KeyObject }).privateKey;
    const pem = createPublicKey(signing).export({ format: 'pem', type: 'spki' });
    for (const secret of [pub, Buffer.from(String(pem))]) {
      const token = handRolled({ alg: 'HS256', typ: 'JWT' }, claimsFor(holder), (input) =>
        createHmac('sha256', secret).update(input).digest('base64url'),
      );
      expect(reasonOf(() => esJwt.validate(token, holder))).toBe(
        'algorithm "HS256" not accepted (expected ES256)',
      );
    }
  });

  it('refuses a PEM key configured as an HMAC secret', () => {
    expect(
      () =>
        new Jwt({
          key: { alg: 'HS256', secret: '-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE' },
          issuer: 'i',
        }),
    ).toThrow(TicketConfigError);
  });

  it('refuses alg "none" tokens, with or without a signature', () => {
    const jwt = hs256Validator();
    for (const alg of ['none', 'None', 'NONE']) {
      const unsigned = handRolled({ alg }, claimsFor(holder), () => '');
      expect(reasonOf(() => jwt.validate(unsigned, holder))).toMatch(/alg "none"/);
    }
  });

  it('refuses a token whose algorithm differs from the configured one', async () => {
    const jwt = hs256Validator();
    const hs384 = await new JwtTicketBuilder({ alg: 'HS384', secret: new Uint8Array(48).fill(7) })
      .issuer(TEST_ISSUER)
      .expiresAt(NOW + 1_000)
      .build(holder, NOW);
    expect(reasonOf(() => jwt.validate(hs384.data, holder))).toBe(
      'algorithm "HS384" not accepted (expected HS256)',
    );
  });

  it('refuses a tampered payload', async () => {
    const jwt = hs256Validator();
    const token = text((await validTicket(holder)).data);
    const [h, , s] = token.split('.') as [string, string, string];
    const forged = Buffer.from(JSON.stringify(claimsFor(holder, { exp: NOW / 1000 + 999_999 }))).toString(
      'base64url',
    );
    expect(reasonOf(() => jwt.validate(bytes(`${h}.${forged}.${s}`), holder))).toBe(
      'signature does not verify',
    );
  });

  it('refuses the wrong subject, and a fixed subject only matches itself', async () => {
    const jwt = hs256Validator();
    const other = peer();
    const ticket = await validTicket(other);
    expect(reasonOf(() => jwt.validate(ticket.data, holder))).toMatch(/is not the presenting peer/);
    const upper = handRolled({ alg: 'HS256' }, claimsFor(holder, { sub: holder.toString().toUpperCase() }));
    expect(reasonOf(() => jwt.validate(upper, holder))).toMatch(/is not the presenting peer/);
    expect(
      reasonOf(() =>
        jwt.validate(handRolled({ alg: 'HS256' }, claimsFor(holder, { sub: undefined })), holder),
      ),
    ).toBe('missing subject');
    const fixed = hs256Validator({ subject: 'service-a' });
    const service = await hs256Builder()
      .subject('service-a')
      .expiresAt(NOW + 1_000)
      .build(holder, NOW);
    expect(fixed.validate(service.data, other).at).toBe(NOW + 1_000);
    expect(reasonOf(() => fixed.validate(ticket.data, other))).toMatch(/not accepted/);
  });

  it('refuses a header with "crit" extensions', () => {
    const token = handRolled({ alg: 'HS256', crit: ['b64'], b64: false }, claimsFor(holder));
    expect(reasonOf(() => hs256Validator().validate(token, holder))).toMatch(/crit/);
  });

  it('refuses malformed structure with a readable reason', () => {
    const jwt = hs256Validator();
    const cases: Array<[Uint8Array, RegExp]> = [
      [new Uint8Array([0xff, 0xfe]), /not UTF-8/],
      [bytes('a.b'), /compact JWS/],
      [bytes('a.b.c.d'), /compact JWS/],
      [bytes('***.e30.AA'), /header is not base64url/],
      [bytes(`${Buffer.from('[1]').toString('base64url')}.e30.AA`), /header is not a JSON object/],
      [bytes(`${Buffer.from('{').toString('base64url')}.e30.AA`), /header is not JSON/],
      [bytes(`${Buffer.from('{"typ":"JWT"}').toString('base64url')}.e30.AA`), /no "alg"/],
      [bytes(`${Buffer.from('{"alg":"HS256"}').toString('base64url')}.e30.A=`), /signature is not base64url/],
      [new Uint8Array(20_000).fill(0x41), /longer than/],
    ];
    for (const [data, reason] of cases) expect(reasonOf(() => jwt.validate(data, holder))).toMatch(reason);
  });
});

describe('Jwt validator, claims and time', () => {
  const holder = peer();
  const nowS = NOW / 1000;

  it('rejects a token expired by 1 s with tolerance 0, accepts it with tolerance 2 s', () => {
    const token = handRolled({ alg: 'HS256' }, claimsFor(holder, { exp: nowS - 1 }));
    expect(reasonOf(() => hs256Validator().validate(token, holder))).toMatch(
      /^expired at 2029-12-31T23:59:59/,
    );
    const tolerant = hs256Validator({ clockTolerance: 2 });
    // The expiration reported is when the ticket stops validating: exp + tolerance.
    expect(tolerant.validate(token, holder).at).toBe(NOW + 1_000);
  });

  it('rejects exp == now (the expiry instant is already expired)', () => {
    const token = handRolled({ alg: 'HS256' }, claimsFor(holder, { exp: nowS }));
    expect(reasonOf(() => hs256Validator().validate(token, holder))).toMatch(/expired/);
  });

  it('honours nbf: a future nbf is refused, nbf == now is fine, tolerance covers skew', () => {
    const future = handRolled({ alg: 'HS256' }, claimsFor(holder, { nbf: nowS + 10 }));
    expect(reasonOf(() => hs256Validator().validate(future, holder))).toMatch(/not valid before/);
    expect(hs256Validator({ clockTolerance: 10 }).validate(future, holder).isNever).toBe(false);
    const present = handRolled({ alg: 'HS256' }, claimsFor(holder, { nbf: nowS }));
    expect(hs256Validator().validate(present, holder).at).toBe(NOW + 3_600_000);
  });

  it('requires exp unless allowNoExpiry, which then yields never', async () => {
    const forever = await hs256Builder().build(holder, NOW);
    expect(reasonOf(() => hs256Validator().validate(forever.data, holder))).toBe('missing expiry ("exp")');
    expect(hs256Validator({ allowNoExpiry: true }).validate(forever.data, holder)).toEqual(
      Expiration.never(),
    );
  });

  it('checks the issuer (any of several) and refuses a missing one', () => {
    const jwt = hs256Validator({ issuer: ['a', 'b'] });
    expect(jwt.validate(handRolled({ alg: 'HS256' }, claimsFor(holder, { iss: 'b' })), holder).isNever).toBe(
      false,
    );
    expect(
      reasonOf(() => jwt.validate(handRolled({ alg: 'HS256' }, claimsFor(holder, { iss: 'c' })), holder)),
    ).toBe('issuer "c" not accepted');
    const noIss = handRolled({ alg: 'HS256' }, claimsFor(holder, { iss: undefined }));
    expect(reasonOf(() => jwt.validate(noIss, holder))).toBe('missing issuer');
  });

  it('checks the audience as a single string', () => {
    const jwt = hs256Validator({ audience: 'net-1' });
    const token = (aud: unknown) => handRolled({ alg: 'HS256' }, claimsFor(holder, { aud }));
    expect(jwt.validate(token('net-1'), holder).isNever).toBe(false);
    expect(reasonOf(() => jwt.validate(token('net-2'), holder))).toBe('audience "net-2" not accepted');
    expect(reasonOf(() => jwt.validate(token(undefined), holder))).toBe('missing audience');
    expect(reasonOf(() => jwt.validate(token(['net-1']), holder))).toBe(
      'claim "aud" must be a single string',
    );
    // Without a configured audience, any single-string aud is fine.
    expect(hs256Validator().validate(token('whatever'), holder).isNever).toBe(false);
  });

  it.each([
    ['exp', 1.5],
    ['exp', -1],
    ['exp', '1900000000'],
    ['nbf', 1e300],
    ['iat', null],
  ])('refuses a badly typed time claim %s = %j', (name, value) => {
    const token = handRolled({ alg: 'HS256' }, claimsFor(holder, { [name]: value }));
    expect(reasonOf(() => hs256Validator().validate(token, holder))).toMatch(
      `claim "${name}" must be a non-negative integer`,
    );
  });

  it('enforces maxLifetime and maxAge', () => {
    const long = handRolled({ alg: 'HS256' }, claimsFor(holder, { exp: nowS + 7200 }));
    expect(reasonOf(() => hs256Validator({ maxLifetime: 3600 }).validate(long, holder))).toMatch(/lifetime/);
    const aged = hs256Validator({ maxAge: 60 });
    expect(reasonOf(() => aged.validate(handRolled({ alg: 'HS256' }, claimsFor(holder)), holder))).toMatch(
      /"iat"/,
    );
    const old = handRolled({ alg: 'HS256' }, claimsFor(holder, { iat: nowS - 61 }));
    expect(reasonOf(() => aged.validate(old, holder))).toMatch(/issued more than 60 s ago/);
    const fresh = handRolled({ alg: 'HS256' }, claimsFor(holder, { iat: nowS + 30 }));
    expect(aged.validate(fresh, holder).isNever).toBe(false);
  });

  it('requires configured custom claims to be present and JSON-equal', async () => {
    const jwt = hs256Validator({ claims: { role: 'writer', scope: { a: [1, 2] } } });
    const good = await hs256Builder()
      .claim('scope', { a: [1, 2] })
      .claim('role', 'writer')
      .expiresAt(NOW + 1_000)
      .build(holder, NOW);
    expect(jwt.validate(good.data, holder).at).toBe(NOW + 1_000);
    const wrong = await hs256Builder()
      .claim('scope', { a: [2, 1] })
      .claim('role', 'writer')
      .expiresAt(NOW + 1_000)
      .build(holder, NOW);
    expect(reasonOf(() => jwt.validate(wrong.data, holder))).toBe('claim "scope" does not match');
    const missing = await hs256Builder()
      .claim('role', 'writer')
      .expiresAt(NOW + 1_000)
      .build(holder, NOW);
    expect(reasonOf(() => jwt.validate(missing.data, holder))).toBe('missing claim "scope"');
  });
});

describe('Jwt configuration errors', () => {
  const es = generateJwtKeyPair('ES256');
  it.each<[string, () => unknown]>([
    ['a short HMAC secret', () => new Jwt({ key: { alg: 'HS256', secret: 'short' }, issuer: 'i' })],
    ['no issuer', () => new Jwt({ key: { alg: 'HS256', secret: TEST_SECRET }, issuer: [] })],
    ['no key', () => new Jwt({ key: [], issuer: 'i' })],
    [
      'an unknown algorithm',
      () => new Jwt({ key: { alg: 'RS256', secret: TEST_SECRET } as never, issuer: 'i' }),
    ],
    [
      'a point off the curve',
      () =>
        new Jwt({
          key: { alg: 'ES256', publicKey: Uint8Array.of(2, ...new Uint8Array(32).fill(0xff)) },
          issuer: 'i',
        }),
    ],
    [
      'a key of the wrong curve',
      () => new Jwt({ key: { ...es.verifyingKey, alg: 'ES384' } as never, issuer: 'i' }),
    ],
    [
      'an Ed25519 key of the wrong size',
      () => new Jwt({ key: { alg: 'EdDSA', publicKey: new Uint8Array(31) }, issuer: 'i' }),
    ],
    [
      'a negative tolerance',
      () => new Jwt({ key: { alg: 'HS256', secret: TEST_SECRET }, issuer: 'i', clockTolerance: -1 }),
    ],
    ['a registered custom claim', () => hs256Validator({ claims: { exp: 1 } })],
    ['a non-JSON custom claim', () => hs256Validator({ claims: { f: Number.NaN } })],
    ['a builder claim with a registered name', () => hs256Builder().claim('sub', 'x')],
    [
      'an EC builder key of the wrong size',
      () => new JwtTicketBuilder({ alg: 'ES256', privateKey: new Uint8Array(31) }),
    ],
  ])('refuses %s with TicketConfigError', (_name, make) => {
    expect(make).toThrow(TicketConfigError);
  });

  it('still validates hand-signed EdDSA tokens (independent of jose)', () => {
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const holder = peer();
    const token = handRolled({ alg: 'EdDSA' }, claimsFor(holder, { iss: 'i' }), (input) =>
      sign(null, Buffer.from(input), privateKey).toString('base64url'),
    );
    expect(new Jwt({ key: { alg: 'EdDSA', publicKey }, issuer: 'i', clock }).validate(token, holder).at).toBe(
      NOW + 3_600_000,
    );
  });
});

describe('Jwt tickets and the expiry scheduler (stream_*_ticket_expiry)', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('a 3 s ticket fires its expiry timer at 3 s, after which it no longer validates', async () => {
    vi.useFakeTimers({ now: NOW });
    const holder = peer();
    const jwt = new Jwt({ key: { alg: 'HS256', secret: TEST_SECRET }, issuer: TEST_ISSUER });
    const ticket = await hs256Builder().expiresIn(3_000).build(holder);
    const expiration = validateAll([ticket], [jwt], holder);
    const expired = vi.fn();
    scheduleExpiry(expiration, expired);
    vi.advanceTimersByTime(2_999);
    expect(expired).not.toHaveBeenCalled();
    expect(validateAll([ticket], [jwt], holder).equals(expiration)).toBe(true);
    vi.advanceTimersByTime(1);
    expect(expired).toHaveBeenCalledOnce();
    expect(() => validateAll([ticket], [jwt], holder)).toThrow(/expired at/);
    expect(vi.getTimerCount()).toBe(0);
  });
});
