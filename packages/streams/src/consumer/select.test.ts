import { type GeoLocation, PeerEntry } from '@mosaik/discovery';
import { id, SecretKey } from '@mosaik/id';
import { describe, expect, it } from 'vitest';
import { defineStream } from '../def.js';
import { StreamsConfigError } from '../errors.js';
import { type Candidate, needsProbe, selectProducers } from './select.js';

function candidate(
  name: string,
  rtt: number | undefined,
  estimate: number | undefined,
  placement: { region?: string; location?: GeoLocation } = {},
): Candidate & { name: string } {
  const entry = PeerEntry.create({
    network: id('select-test'),
    address: { peerId: SecretKey.generate().peerId, directAddresses: [] },
    nowMs: 1,
    ...placement,
  });
  return { name, entry, rtt, estimate };
}

const names = (cs: readonly { name: string }[]) => cs.map((c) => c.name);

const BERLIN = { lat: 52.52, lon: 13.4 };
const PARIS = { lat: 48.86, lon: 2.35 };
const TOKYO = { lat: 35.68, lon: 139.69 };

describe('producer selection', () => {
  const measuredFar = candidate('measured-far', 80, undefined);
  const estimatedNear = candidate('estimated-near', undefined, 12);
  const measuredMid = candidate('measured-mid', 30, 5); // a measurement beats its estimate
  const unknown = candidate('unknown', undefined, undefined);
  const all = [measuredFar, estimatedNear, measuredMid, unknown];

  it('best: n ranks by measured RTT where known, else by the estimate; unknown last', () => {
    expect(names(selectProducers(all, { best: 1 }, {}))).toEqual(['estimated-near']);
    expect(names(selectProducers(all, { best: 3 }, {}))).toEqual([
      'estimated-near',
      'measured-mid',
      'measured-far',
    ]);
    expect(names(selectProducers(all, { best: 9 }, {}))).toHaveLength(4);
    expect(names(selectProducers(all, 'lowest-rtt', {}))).toEqual(['estimated-near']);
    expect(selectProducers(all, 'all', {})).toHaveLength(4);
  });

  it('same-region keeps the producers of the local region, or all when there are none', () => {
    const eu1 = candidate('eu1', 50, undefined, { region: 'eu' });
    const eu2 = candidate('eu2', undefined, undefined, { region: 'eu' });
    const us = candidate('us', 1, undefined, { region: 'us' });
    const none = candidate('none', 1, undefined);
    const pool = [eu1, us, eu2, none];
    expect(names(selectProducers(pool, 'same-region', { region: 'eu' })).sort()).toEqual(['eu1', 'eu2']);
    expect(selectProducers(pool, 'same-region', { region: 'ap' })).toHaveLength(4);
    expect(selectProducers(pool, 'same-region', {})).toHaveLength(4);
  });

  it('nearest: n ranks by great-circle distance; producers without a location last, by RTT', () => {
    const paris = candidate('paris', 90, undefined, { location: PARIS });
    const tokyo = candidate('tokyo', 1, undefined, { location: TOKYO });
    const nowhereFast = candidate('nowhere-fast', 2, undefined);
    const nowhereSlow = candidate('nowhere-slow', undefined, 50);
    const pool = [tokyo, nowhereSlow, paris, nowhereFast];
    expect(names(selectProducers(pool, { nearest: 1 }, { location: BERLIN }))).toEqual(['paris']);
    expect(names(selectProducers(pool, { nearest: 4 }, { location: BERLIN }))).toEqual([
      'paris',
      'tokyo',
      'nowhere-fast',
      'nowhere-slow',
    ]);
    // Without a local location, distance says nothing: the RTT order decides.
    expect(names(selectProducers(pool, { nearest: 2 }, {}))).toEqual(['tokyo', 'nowhere-fast']);
  });

  it('ties are broken by peer id, so the choice does not depend on catalog order', () => {
    const a = candidate('a', 10, undefined);
    const b = candidate('b', 10, undefined);
    expect(names(selectProducers([a, b], { best: 1 }, {}))).toEqual(
      names(selectProducers([b, a], { best: 1 }, {})),
    );
  });

  it('only RTT rankings without an estimate probe an unmeasured producer first', () => {
    expect(needsProbe('all', 5)).toBe(true);
    expect(needsProbe('lowest-rtt', undefined)).toBe(true);
    expect(needsProbe({ best: 2 }, 5)).toBe(false);
    expect(needsProbe({ best: 2 }, undefined)).toBe(true);
    expect(needsProbe('same-region', undefined)).toBe(false);
    expect(needsProbe({ nearest: 1 }, undefined)).toBe(false);
  });

  it('defineStream accepts the new modes and refuses malformed ones', () => {
    expect(defineStream('s', { consumer: { prefer: 'same-region' } }).consumer.prefer).toBe('same-region');
    expect(defineStream('s', { consumer: { prefer: { nearest: 2 } } }).consumer.prefer).toEqual({
      nearest: 2,
    });
    for (const bad of [{ nearest: 0 }, { nearest: 1.5 }, { best: 1, nearest: 1 }, 'nearest', {}]) {
      expect(() => defineStream('s', { consumer: { prefer: bad as never } }), JSON.stringify(bad)).toThrow(
        StreamsConfigError,
      );
    }
  });
});
