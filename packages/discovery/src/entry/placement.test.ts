import { encodeCanonical } from '@mosaik/id';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { entryOf, key, T0 } from '../../test/fixtures.js';
import type { NetworkCoordinate } from '../coordinates/vivaldi.js';
import { COORDINATE_BYTES, encodeCoordinate } from '../coordinates/wire.js';
import { EntryDecodeError, InvalidCoordinateError } from '../errors.js';
import { decodePeerEntry } from './codec.js';
import { SignedPeerEntry } from './signed.js';

const a = key(1);
const coordinate: NetworkCoordinate = { vector: [1.1, -2, 3, 0, 0, 0.5, 0, 9], height: 4.2, error: 0.3 };

function placed() {
  return entryOf(a)
    .setCoordinate(coordinate, T0)
    .setRegion('eu-west', T0)
    .setLocation({ lat: 52.520008, lon: 13.404954 }, T0);
}

/** The wire form of an entry with its ninth item replaced. */
function withExtensions(extra: unknown): Uint8Array {
  return encodeCanonical([...entryOf(a).toWire(), extra]);
}

describe('PeerEntry coordinate, region and location', () => {
  it('an entry without them encodes as before: eight items, no extension map', () => {
    const wire = entryOf(a).toWire();
    expect(wire).toHaveLength(8);
    const back = decodePeerEntry(entryOf(a).encode());
    expect(back.coordinate).toBeUndefined();
    expect(back.region).toBeUndefined();
    expect(back.location).toBeUndefined();
  });

  it('round-trip through the signed entry; the coordinate travels as float32', () => {
    const s = SignedPeerEntry.sign(placed(), a);
    const back = SignedPeerEntry.decode(s.encode()).entry;
    expect(back.equals(s.entry)).toBe(true);
    expect(back.region).toBe('eu-west');
    expect(back.location).toEqual({ lat: 52.52001, lon: 13.40495 });
    expect(back.coordinate?.vector).toEqual(coordinate.vector.map(Math.fround));
    expect(back.coordinate?.height).toBe(Math.fround(4.2));
    // The local entry already holds the rounded form, so both sides agree on estimates.
    expect(s.entry.coordinate).toEqual(back.coordinate);
  });

  it('costs at most about 70 bytes on the wire with a short region', () => {
    const growth = placed().encode().length - entryOf(a).encode().length;
    expect(growth).toBeLessThanOrEqual(COORDINATE_BYTES + 30);
  });

  it('setters bump the version only on change', () => {
    const e = placed();
    expect(e.isNewerThan(entryOf(a))).toBe(true);
    expect(e.setCoordinate(coordinate, T0 + 5)).toBe(e);
    expect(e.setCoordinate({ ...coordinate, height: 4.2000000001 }, T0 + 5)).toBe(e); // same float32
    expect(e.setRegion('eu-west', T0 + 5)).toBe(e);
    expect(e.setLocation({ lat: 52.520008, lon: 13.404954 }, T0 + 5)).toBe(e);
    expect(e.setCoordinate({ ...coordinate, error: 0.2 }, T0 + 5).isNewerThan(e)).toBe(true);
    const cleared = e.setCoordinate(undefined, T0).setRegion(undefined, T0).setLocation(undefined, T0);
    expect(cleared.toWire()).toHaveLength(8);
    // Other mutators keep them.
    expect(e.addTags([], T0).coordinate).toEqual(e.coordinate);
    expect(e.incrementVersion(T0).region).toBe('eu-west');
  });

  it('refuses invalid values at the API with a typed error', () => {
    const e = entryOf(a);
    expect(() => e.setRegion('', T0)).toThrow(InvalidCoordinateError);
    expect(() => e.setRegion('x'.repeat(65), T0)).toThrow(InvalidCoordinateError);
    expect(() => e.setLocation({ lat: 91, lon: 0 }, T0)).toThrow(InvalidCoordinateError);
    expect(() => e.setLocation({ lat: 0, lon: Number.NaN }, T0)).toThrow(InvalidCoordinateError);
    expect(() => e.setCoordinate({ ...coordinate, height: Number.POSITIVE_INFINITY }, T0)).toThrow(
      InvalidCoordinateError,
    );
  });

  it('decoders refuse malformed coordinates, regions and locations with EntryDecodeError', () => {
    const nan = encodeCoordinate(coordinate);
    new DataView(nan.buffer).setFloat32(8, Number.NaN, true);
    const negativeHeight = encodeCoordinate({ ...coordinate, height: -1 });
    const hugeError = encodeCoordinate({ ...coordinate, error: 7 });
    const farAway = encodeCoordinate({ ...coordinate, vector: [1e9, 0, 0, 0, 0, 0, 0, 0] });
    const bad: unknown[] = [
      {},
      [],
      'x',
      { c: new Uint8Array(COORDINATE_BYTES - 4) },
      { c: [1, 2, 3] },
      { c: nan },
      { c: negativeHeight },
      { c: hugeError },
      { c: farAway },
      { r: '' },
      { r: 'x'.repeat(65) },
      { r: 7 },
      { l: [9_000_001, 0] },
      { l: [0, -18_000_001] },
      { l: [0.5, 0] },
      { l: [0] },
    ];
    for (const extra of bad) {
      expect(() => decodePeerEntry(withExtensions(extra)), JSON.stringify(extra)).toThrow(EntryDecodeError);
    }
    expect(() => decodePeerEntry(encodeCanonical([...entryOf(a).toWire(), { r: 'a' }, 1]))).toThrow(
      EntryDecodeError,
    );
  });

  it('skips extension keys it does not know, so a later field does not split the network', () => {
    const e = decodePeerEntry(withExtensions({ r: 'us-east', z: [1, 2, 3] }));
    expect(e.region).toBe('us-east');
  });

  it('property: any coordinate bytes decode to a valid coordinate or fail with EntryDecodeError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: COORDINATE_BYTES, maxLength: COORDINATE_BYTES }), (bytes) => {
        try {
          const c = decodePeerEntry(withExtensions({ c: bytes })).coordinate as NetworkCoordinate;
          expect(c.vector.every(Number.isFinite)).toBe(true);
          expect(c.height).toBeGreaterThanOrEqual(0);
        } catch (error) {
          expect(error).toBeInstanceOf(EntryDecodeError);
        }
      }),
      { numRuns: 300 },
    );
  });
});
