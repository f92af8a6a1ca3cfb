import type { Arbitrary } from 'fast-check';

/** Inputs per decoder: `FUZZ_RUNS` from the environment, else `fallback` (default 10,000). */
export function fuzzRuns(fallback?: number): number;

/** A mutation of one of `samples`: flipped, inserted or deleted bytes, or a splice of two samples. */
export function mutatedSample(samples: readonly Uint8Array[]): Arbitrary<Uint8Array>;

/** Registers the fuzz tests of one network decoder (returns a value or throws a typed error). */
export function fuzzDecoder(
  name: string,
  target: {
    decode: (bytes: Uint8Array) => unknown;
    samples: readonly Uint8Array[];
    isTyped: (error: unknown) => boolean;
    encode?: (value: unknown) => Uint8Array;
    /** A prefix of a valid message may be valid itself: truncations need only fail cleanly. */
    prefixesValid?: boolean;
  },
): void;
