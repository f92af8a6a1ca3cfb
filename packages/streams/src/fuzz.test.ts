import { DecodeError, encodeCbor, id } from '@mosaik/id';
import { fuzzDecoder } from '@mosaik/tooling/fuzz';
import { expect, it } from 'vitest';
import {
  decodeDatumFrame,
  decodeHandshake,
  decodeStartStream,
  encodeDatumFrame,
  encodeHandshake,
  encodeStartStream,
} from './wire.js';

const network = id('net');
const stream = id('stream');

const isDecodeError = (error: unknown) => error instanceof DecodeError;
fuzzDecoder('streams handshake', {
  decode: decodeHandshake,
  samples: [encodeHandshake({ network, stream, criteria: {} })],
  isTyped: isDecodeError,
  encode: encodeCbor,
});
fuzzDecoder('streams start', {
  decode: decodeStartStream,
  samples: [encodeStartStream({ network, stream })],
  isTyped: isDecodeError,
  encode: encodeCbor,
});
fuzzDecoder('streams datum frame', {
  decode: decodeDatumFrame,
  samples: [encodeDatumFrame(new Uint8Array([1, 2, 3]), 1234.5), encodeDatumFrame(new Uint8Array(0), 0)],
  isTyped: isDecodeError,
  prefixesValid: true, // the payload is whatever follows the send time
});

it('names a non-numeric message type without calling into it', () => {
  const hostile = encodeCbor({ t: { toString: false }, n: network.bytes, s: stream.bytes, c: {} });
  expect(() => decodeHandshake(hostile)).toThrow(DecodeError);
  expect(() => decodeStartStream(hostile)).toThrow(/got object/);
});
