import { DecodeError, encodeCbor } from '@mosaik/id';
import { fuzzDecoder } from '@mosaik/tooling/fuzz';
import { decodeBondMessage, decodeHandshake, encodeWire, WireType } from './wire.js';

const k = (fill: number) => new Uint8Array(32).fill(fill);
const isDecodeError = (error: unknown) => error instanceof DecodeError;
fuzzDecoder('groups handshake', {
  decode: decodeHandshake,
  samples: [
    encodeWire({ t: WireType.Hello, network: k(1), group: k(2), nonce: k(3) }),
    encodeWire({ t: WireType.Challenge, nonce: k(4), proof: k(5) }),
    encodeWire({ t: WireType.Proof, proof: k(6) }),
    encodeWire({ t: WireType.Welcome, peers: [k(7), k(8)] }),
  ],
  isTyped: isDecodeError,
  encode: encodeCbor,
});
fuzzDecoder('groups bond message', {
  decode: decodeBondMessage,
  samples: [
    encodeWire({
      t: WireType.Ping,
      status: {
        cluster: 'ab',
        yield: 'cd',
        term: 3,
        commit: 9,
        lead: 'ef',
        pref: 1,
        inc: '0123456789abcdef',
      },
    }),
    encodeWire({ t: WireType.Departure }),
    encodeWire({ t: WireType.Raft, c: 'ab', msgs: [new Uint8Array([1, 2, 3]), new Uint8Array(40)] }),
    encodeWire({ t: WireType.Forward, id: 7, cmds: [new Uint8Array([9])] }),
    encodeWire({ t: WireType.ForwardAck, id: 7, first: 10, last: 12, term: 3 }),
    encodeWire({ t: WireType.ForwardNack, id: 7, reason: 'not leader' }),
  ],
  isTyped: isDecodeError,
  encode: encodeCbor,
});
