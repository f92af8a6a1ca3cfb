// Shared decoder fuzzing for the packages' tests (dev only). Every decoder that reads bytes from
// the network gets the same treatment: random bytes, every truncation of valid messages,
// mutations of valid messages (flipped, inserted, deleted and spliced bytes) and, given an
// encoder, well-formed CBOR of random shapes. A decoder may return a value or throw a typed
// error; anything else (a TypeError from a missing field, a RangeError, a hang) fails the test.
//
// `FUZZ_RUNS` sets the number of inputs per decoder (default 10,000, what CI runs);
// `pnpm fuzz` runs every fuzz file with 1,000,000.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

/** Inputs per decoder: `FUZZ_RUNS` from the environment, else `fallback`. */
export function fuzzRuns(fallback = 10_000) {
  const n = Number(process.env.FUZZ_RUNS);
  return Number.isFinite(n) && n > 0 ? Math.floor(n) : fallback;
}

/** @param {Uint8Array} a @param {Uint8Array} b */
function concat(a, b) {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/**
 * A mutation of one of `samples`: a few flipped bytes, bytes inserted or deleted at random
 * places, or a splice of two samples.
 * @param {readonly Uint8Array[]} samples
 */
export function mutatedSample(samples) {
  const sample = fc.constantFrom(...samples);
  const flip = fc
    .tuple(
      sample,
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }),
    )
    .map(([s, edits]) => {
      const copy = new Uint8Array(s);
      for (const [at, xor] of edits) if (copy.length > 0) copy[at % copy.length] ^= xor;
      return copy;
    });
  const insert = fc
    .tuple(sample, fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 8 }))
    .map(([s, at, bytes]) => {
      const cut = s.length === 0 ? 0 : at % (s.length + 1);
      return concat(concat(s.subarray(0, cut), bytes), s.subarray(cut));
    });
  const remove = fc.tuple(sample, fc.nat(), fc.integer({ min: 1, max: 8 })).map(([s, at, n]) => {
    const cut = s.length === 0 ? 0 : at % s.length;
    return concat(s.subarray(0, cut), s.subarray(cut + n));
  });
  const splice = fc
    .tuple(sample, sample, fc.nat(), fc.nat())
    .map(([a, b, i, j]) => concat(a.subarray(0, i % (a.length + 1)), b.subarray(j % (b.length + 1))));
  return fc.oneof(flip, insert, remove, splice);
}

/**
 * Registers the fuzz tests of one decoder.
 *
 * @param {string} name
 * @param {{
 *   decode: (bytes: Uint8Array) => unknown,
 *   samples: readonly Uint8Array[],
 *   isTyped: (error: unknown) => boolean,
 *   encode?: (value: unknown) => Uint8Array,
 *   prefixesValid?: boolean,
 * }} target `prefixesValid`: a prefix of a valid message may itself be valid (a frame whose
 *   length is implied), so truncations need only fail cleanly, not fail.
 */
export function fuzzDecoder(name, { decode, samples, isTyped, encode, prefixesValid = false }) {
  const runs = fuzzRuns();
  // Long local runs must not trip the per-test timeout.
  const timeout = Math.max(30_000, runs * 2);
  /** @param {Uint8Array} bytes */
  const decodeTyped = (bytes) => {
    try {
      decode(bytes);
    } catch (error) {
      if (!isTyped(error)) throw new Error(`${name}: untyped error ${String(error)}`, { cause: error });
    }
  };

  describe(`fuzz: ${name}`, () => {
    it('decodes its valid samples', () => {
      for (const s of samples) expect(() => decode(s)).not.toThrow();
    });

    it('every truncation of a valid sample fails with a typed error', () => {
      for (const s of samples) {
        for (let n = 0; n < s.length; n++) {
          if (prefixesValid) {
            decodeTyped(s.subarray(0, n));
            continue;
          }
          let error;
          try {
            decode(s.subarray(0, n));
          } catch (e) {
            error = e;
          }
          expect(isTyped(error), `${name} truncated to ${n} of ${s.length} bytes`).toBe(true);
        }
      }
    });

    it('random bytes', { timeout }, () => {
      fc.assert(fc.property(fc.uint8Array({ maxLength: 512 }), decodeTyped), {
        numRuns: Math.ceil(runs / 4),
      });
    });

    it('mutated valid samples', { timeout }, () => {
      fc.assert(fc.property(mutatedSample(samples), decodeTyped), { numRuns: Math.ceil(runs / 2) });
    });

    if (encode !== undefined) {
      it('well-formed CBOR of random shapes', { timeout }, () => {
        const value = fc.oneof(
          fc.anything({ maxDepth: 3 }),
          fc.dictionary(
            fc.constantFrom('t', 'id', 'data', 'entries', 'term', 'index'),
            fc.anything({ maxDepth: 2 }),
          ),
          fc.array(fc.anything({ maxDepth: 2 }), { maxLength: 6 }),
        );
        fc.assert(
          fc.property(value, (v) => {
            let bytes;
            try {
              bytes = encode(v);
            } catch {
              return;
            }
            decodeTyped(bytes);
          }),
          { numRuns: Math.ceil(runs / 4) },
        );
      });
    }
  });
}
