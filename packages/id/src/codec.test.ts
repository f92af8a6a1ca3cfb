import type { StandardSchemaV1 } from '@standard-schema/spec';
import { Encoder } from 'cbor-x';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  canonicalCodec,
  cborCodec,
  DecodeError,
  decodeCbor,
  EncodeError,
  encodeCanonical,
  fromHex,
  jsonCodec,
  MosaikError,
  toHex,
  withSchema,
} from './index.js';

const key = fc.string().filter((k) => k !== '__proto__');
const leaf = fc.oneof(
  fc.integer(),
  fc.maxSafeInteger(),
  fc.double().filter((d) => !Object.is(d, -0)),
  fc.bigInt(),
  fc.bigInt({ min: -(2n ** 200n), max: 2n ** 200n }),
  fc.string(),
  fc.string({ unit: 'grapheme', maxLength: 300 }),
  fc.uint8Array({ maxLength: 64 }),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
);
// Values the default codec round-trips exactly.
const { value: cborValue } = fc.letrec((tie) => ({
  value: fc.oneof({ maxDepth: 4, depthIdentifier: 'v' }, leaf, tie('array'), tie('object'), tie('map')),
  array: fc.array(tie('value'), { maxLength: 5 }),
  object: fc.dictionary(key, tie('value'), { maxKeys: 5, noNullPrototype: true }),
  map: fc
    .array(fc.tuple(fc.oneof(fc.string(), fc.integer(), fc.bigInt()), tie('value')), { maxLength: 5 })
    .map((entries) => new Map(entries)),
}));

const codec = cborCodec<unknown>();

function expectOnlyDecodeError(fn: () => unknown): void {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(DecodeError);
    expect((error as DecodeError).code).toMatch(/^[a-z_]+$/);
  }
}

describe('cborCodec', () => {
  it('round-trips arbitrary values (bigint, Uint8Array, Map, nested)', () => {
    fc.assert(
      fc.property(cborValue, (v) => {
        expect(codec.decode(codec.encode(v))).toStrictEqual(v);
      }),
      { numRuns: 500 },
    );
  });

  it('decodes byte strings as fresh Uint8Arrays, never Buffers or views of the input', () => {
    const input = Buffer.from(codec.encode({ b: new Uint8Array([1, 2, 3]) }));
    const out = codec.decode(input) as { b: Uint8Array };
    expect(Object.getPrototypeOf(out.b)).toBe(Uint8Array.prototype);
    input.fill(0);
    expect(out.b).toStrictEqual(new Uint8Array([1, 2, 3]));
    expect(Object.getPrototypeOf(codec.encode(1))).toBe(Uint8Array.prototype);
  });

  it('never overwrites earlier results with later encodes', () => {
    const kept = Array.from({ length: 5000 }, (_, i) => ({
      i,
      bytes: codec.encode({ i, pad: 'x'.repeat(i % 300) }),
    }));
    for (const { i, bytes } of kept)
      expect(codec.decode(bytes)).toStrictEqual({ i, pad: 'x'.repeat(i % 300) });
  });

  it('keeps bigint as bigint and numbers as numbers', () => {
    expect(codec.decode(codec.encode(1n))).toBe(1n);
    expect(codec.decode(codec.encode(2n ** 100n))).toBe(2n ** 100n);
    expect(codec.decode(codec.encode(-(2n ** 100n)))).toBe(-(2n ** 100n));
    expect(codec.decode(codec.encode(2 ** 40))).toBe(2 ** 40);
    expect(codec.decode(codec.encode(1.5))).toBe(1.5);
  });

  it('round-trips Set and Date', () => {
    const v = { s: new Set([1, 'a']), d: new Date(1_700_000_000_123) };
    expect(codec.decode(codec.encode(v))).toStrictEqual(v);
  });

  it('produces plain CBOR: no record extension, maps as maps', () => {
    // {"a": 1} as a definite-length CBOR map, exactly as any CBOR library writes it.
    expect(toHex(codec.encode({ a: 1 }))).toBe('a1616101');
    expect(toHex(codec.encode([{ a: 1 }, { a: 2 }]))).toBe('82a1616101a1616102');
    expect(toHex(codec.encode(new Map([[1, 2]])))).toBe('d90103a10102');
    expect(toHex(codec.encode(new Uint8Array([1])))).toBe('4101');
  });

  it('refuses cbor-x extensions, unknown tags and cycles on decode', () => {
    const records = new Encoder({ useRecords: true });
    const recordBytes = new Uint8Array(records.encode([{ a: 1 }, { a: 2 }]));
    expect(() => codec.decode(recordBytes)).toThrow(DecodeError);
    // tag 28/29 (shared references) would build a cyclic array
    expect(() => codec.decode(fromHex('d81c81d81d00'))).toThrow(/tag 28/);
    expect(() => codec.decode(fromHex('d9303901'))).toThrow(/tag 12345/);
    expect(() => codec.decode(fromHex('9f01ff'))).toThrow(/indefinite/);
    expect(() => codec.decode(fromHex('0102'))).toThrow(/trailing/);
    expect(() => codec.decode(fromHex('c261'))).toThrow(DecodeError);
  });

  it('bounds nesting depth', () => {
    const deep = new Uint8Array(1000).fill(0x81);
    const bytes = new Uint8Array([...deep, 0x01]);
    expect(() => codec.decode(bytes)).toThrow(/deeper than 256/);
    expect(() => cborCodec({ maxDepth: 2 }).decode(fromHex('81818101'))).toThrow(DecodeError);
    expect(cborCodec({ maxDepth: 3 }).decode(fromHex('81818101'))).toStrictEqual([[[1]]]);
  });

  it('random bytes give a value or a DecodeError, never another exception', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 128 }), (bytes) => {
        expectOnlyDecodeError(() => codec.decode(bytes));
      }),
      { numRuns: 5000 },
    );
  });

  it('truncated and bit-flipped encodings give a DecodeError only', () => {
    fc.assert(
      fc.property(cborValue, fc.nat(), fc.nat(), (v, cut, flip) => {
        const bytes = codec.encode(v);
        if (bytes.length > 1) {
          expect(() => codec.decode(bytes.subarray(0, cut % bytes.length))).toThrow(DecodeError);
        }
        const flipped = Uint8Array.from(bytes);
        flipped[flip % flipped.length]! ^= 1 << (flip % 8);
        expectOnlyDecodeError(() => codec.decode(flipped));
      }),
      { numRuns: 1000 },
    );
  });

  it('gives small results their own buffer, not a view of the encoder scratch buffer', () => {
    // After one large value the shared scratch buffer is large; a kept small result must not pin it.
    codec.encode({ big: new Uint8Array(200_000) });
    const small = codec.encode('0.0:1');
    expect(small.buffer.byteLength).toBeLessThanOrEqual(2 * small.byteLength);
    const large = codec.encode({ big: new Uint8Array(100_000) });
    expect(large.buffer.byteLength).toBeLessThanOrEqual(2 * large.byteLength);
    expect(codec.decode(small)).toBe('0.0:1');
  });

  it('leaves the bytes it decodes as they were (no cached view attached to them)', () => {
    const bytes = codec.encode({ a: 1 });
    codec.decode(bytes);
    expect(Object.keys(bytes).filter((k) => !/^\d+$/.test(k))).toEqual([]);
    expect('dataView' in bytes).toBe(false);
  });

  it('wraps encoding failures in EncodeError', () => {
    expect(() => codec.encode(() => 1)).toThrow(EncodeError);
    expect(() => codec.encode(Symbol('x'))).toThrow(EncodeError);
    expect(() => codec.encode(new Error('x'))).toThrow(EncodeError);
  });

  it('rejects non-Uint8Array input with a DecodeError', () => {
    expect(() => decodeCbor('abc' as unknown as Uint8Array)).toThrow(DecodeError);
  });
});

describe('encodeCanonical', () => {
  const shuffle = (v: unknown, seed: number): unknown => {
    if (Array.isArray(v)) return v.map((x) => shuffle(x, seed));
    if (v instanceof Map) {
      const entries = [...v].map(([k, x]) => [k, shuffle(x, seed)] as const);
      return new Map(seed % 2 ? entries.reverse() : entries);
    }
    if (v !== null && typeof v === 'object' && !(v instanceof Uint8Array)) {
      const entries = Object.entries(v).map(([k, x]) => [k, shuffle(x, seed)] as const);
      return Object.fromEntries(seed % 2 ? entries.reverse() : entries);
    }
    return v;
  };

  it('decodes back to the same value', () => {
    fc.assert(
      fc.property(cborValue, (v) => {
        expect(codec.decode(encodeCanonical(v))).toStrictEqual(v);
      }),
      { numRuns: 500 },
    );
  });

  it('gives equal bytes for equal values built in any key order', () => {
    fc.assert(
      fc.property(cborValue, fc.nat(), (v, seed) => {
        expect(toHex(encodeCanonical(shuffle(v, seed)))).toBe(toHex(encodeCanonical(v)));
      }),
      { numRuns: 500 },
    );
  });

  it('is a fixed point through decode', () => {
    fc.assert(
      fc.property(cborValue, (v) => {
        const bytes = encodeCanonical(v);
        expect(toHex(encodeCanonical(codec.decode(bytes)))).toBe(toHex(bytes));
      }),
      { numRuns: 300 },
    );
  });

  it('sorts keys by their encoded bytes (shorter keys first), including integer-like keys', () => {
    const bytes = encodeCanonical({ b: 1, '10': 2, '9': 3, a: 4 });
    // "9" (61 39) < "a" (61 61) < "b" (61 62) < "10" (62 31 30)
    expect(toHex(bytes)).toBe('a4613903616104616201623130' + '02');
    const map = encodeCanonical(
      new Map<unknown, number>([
        ['a', 1],
        [10, 2],
        [-1, 3],
      ]),
    );
    // tag 259, then keys 10 (0a) < -1 (20) < "a" (6161)
    expect(toHex(map)).toBe('d90103a30a02200361610' + '1');
  });

  it('uses shortest integer forms and fixed forms for the rest', () => {
    expect(toHex(encodeCanonical(0))).toBe('00');
    expect(toHex(encodeCanonical(-0))).toBe('00');
    expect(toHex(encodeCanonical(23))).toBe('17');
    expect(toHex(encodeCanonical(24))).toBe('1818');
    expect(toHex(encodeCanonical(65536))).toBe('1a00010000');
    expect(toHex(encodeCanonical(-(2 ** 32)))).toBe('3affffffff');
    expect(toHex(encodeCanonical(2 ** 32))).toBe('fb41f0000000000000');
    expect(toHex(encodeCanonical(1.5))).toBe('fb3ff8000000000000');
    expect(toHex(encodeCanonical(Number.NaN))).toBe('fb7ff8000000000000');
    expect(toHex(encodeCanonical(1n))).toBe('1b0000000000000001');
    expect(toHex(encodeCanonical(-1n))).toBe('3b0000000000000000');
    expect(toHex(encodeCanonical(2n ** 64n))).toBe('c249010000000000000000');
    expect(toHex(encodeCanonical(-(2n ** 64n) - 1n))).toBe('c349010000000000000000');
    expect(toHex(encodeCanonical(new Uint8Array([1, 2])))).toBe('420102');
    expect(toHex(encodeCanonical([true, false, null, undefined]))).toBe('84f5f4f6f7');
  });

  it('writes text strings as minimal header + UTF-8', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ maxLength: 300 }), fc.string({ unit: 'grapheme', maxLength: 300 })),
        (s) => {
          const utf8 = new TextEncoder().encode(s);
          const n = utf8.length;
          const head = n < 24 ? [0x60 + n] : n < 256 ? [0x78, n] : [0x79, n >> 8, n & 0xff];
          expect(toHex(encodeCanonical(s))).toBe(toHex(new Uint8Array([...head, ...utf8])));
        },
      ),
    );
  });

  it('refuses values without a canonical form', () => {
    class Thing {}
    for (const v of [
      new Thing(),
      new Set([1]),
      new Float64Array(1),
      () => 1,
      Symbol('s'),
      new Date(Number.NaN),
    ]) {
      expect(() => encodeCanonical(v)).toThrow(EncodeError);
    }
    const cyclic: unknown[] = [];
    cyclic.push(cyclic);
    expect(() => encodeCanonical(cyclic)).toThrow(/cyclic/);
    expect(() =>
      encodeCanonical(
        new Map<unknown, number>([
          [new Uint8Array([1]), 1],
          [new Uint8Array([1]), 2],
        ]),
      ),
    ).toThrow(/same canonical encoding/);
    // a repeated (non-cyclic) reference is fine
    const shared = { a: 1 };
    expect(codec.decode(encodeCanonical([shared, shared]))).toStrictEqual([shared, shared]);
  });

  it('canonicalCodec encodes canonically and decodes like cborCodec', () => {
    const c = canonicalCodec<Record<string, number>>();
    expect(toHex(c.encode({ b: 1, a: 2 }))).toBe(toHex(c.encode({ a: 2, b: 1 })));
    expect(c.decode(c.encode({ b: 1, a: 2 }))).toStrictEqual({ a: 2, b: 1 });
  });
});

describe('jsonCodec', () => {
  const json = jsonCodec<unknown>();
  it('round-trips JSON values', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        expect(json.decode(json.encode(v))).toStrictEqual(JSON.parse(JSON.stringify(v)));
      }),
    );
  });
  it('throws DecodeError on bad bytes and EncodeError on unencodable values', () => {
    expect(() => json.decode(new Uint8Array([0xff]))).toThrow(DecodeError);
    expect(() => json.decode(new TextEncoder().encode('{'))).toThrow(DecodeError);
    expect(() => json.encode(1n)).toThrow(EncodeError);
    expect(() => json.encode(undefined)).toThrow(EncodeError);
    fc.assert(
      fc.property(fc.uint8Array(), (bytes) => {
        expectOnlyDecodeError(() => json.decode(bytes));
      }),
    );
  });
});

describe('withSchema', () => {
  type Point = { x: number; y: number };
  const pointSchema: StandardSchemaV1<unknown, Point> = {
    '~standard': {
      version: 1,
      vendor: 'test',
      validate(value) {
        const v = value as Partial<Point> | null;
        if (typeof v === 'object' && v !== null && typeof v.x === 'number' && typeof v.y === 'number') {
          return { value: { x: v.x, y: v.y } };
        }
        return { issues: [{ message: 'expected a point', path: ['x'] }] };
      },
    },
  };

  it('returns the schema output for valid values', () => {
    const c = withSchema(cborCodec<unknown>(), pointSchema);
    expect(c.decode(c.encode({ x: 1, y: 2 }))).toStrictEqual({ x: 1, y: 2 });
  });

  it('turns schema issues into a DecodeError carrying them', () => {
    const c = withSchema(cborCodec<unknown>(), pointSchema);
    let caught: unknown;
    try {
      c.decode(cborCodec().encode({ x: 'no' }));
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(DecodeError);
    expect((caught as DecodeError).code).toBe('schema');
    expect((caught as DecodeError).issues).toEqual([{ message: 'expected a point', path: ['x'] }]);
    expect((caught as DecodeError).message).toMatch(/expected a point at x/);
  });

  it('still reports malformed bytes as a DecodeError', () => {
    const c = withSchema(cborCodec<unknown>(), pointSchema);
    expect(() => c.decode(new Uint8Array([0xff]))).toThrow(DecodeError);
  });

  it('refuses asynchronous schemas with a clear error', () => {
    const asyncSchema: StandardSchemaV1<unknown, unknown> = {
      '~standard': { version: 1, vendor: 'async-lib', validate: async (value) => ({ value }) },
    };
    const c = withSchema(cborCodec<unknown>(), asyncSchema);
    expect(() => c.decode(cborCodec().encode(1))).toThrow(
      expect.objectContaining({ code: 'async_schema', message: expect.stringMatching(/asynchronously/) }),
    );
    expect(() => withSchema(cborCodec(), {} as StandardSchemaV1)).toThrow(MosaikError);
  });
});
