import { DecodeError, encodeCbor } from '@mosaik/id';
import { fuzzDecoder } from '@mosaik/tooling/fuzz';
import fc from 'fast-check';
import { entry, message } from '../test/arbitraries.js';
import { entryCodec, messageCodec } from './codec.js';

const isDecodeError = (error: unknown) => error instanceof DecodeError;

fuzzDecoder('raft message', {
  decode: (b) => messageCodec.decode(b),
  samples: fc.sample(message, { numRuns: 40, seed: 7 }).map((m) => messageCodec.encode(m)),
  isTyped: isDecodeError,
  encode: encodeCbor,
});

fuzzDecoder('raft entry', {
  decode: (b) => entryCodec.decode(b),
  samples: fc.sample(entry(5), { numRuns: 20, seed: 7 }).map((e) => entryCodec.encode(e)),
  isTyped: isDecodeError,
  encode: encodeCbor,
});
