import { describe, expect, it } from 'vitest';
import { TdxConfigError } from './errors.js';
import { Measurement, Measurements, MeasurementsCriteria } from './measurement.js';

const hex = '0123456789abcdef'.repeat(6);

describe('Measurement', () => {
  it('parses 96 hex chars in either case, with or without 0x, and prints lowercase', () => {
    expect(Measurement.from(hex.toUpperCase()).toString()).toBe(hex);
    expect(Measurement.from(`0x${hex}`).equals(hex)).toBe(true);
    expect(JSON.stringify(Measurement.from(hex))).toBe(`"${hex}"`);
  });

  it('copies byte input', () => {
    const bytes = new Uint8Array(48).fill(1);
    const m = Measurement.from(bytes);
    bytes[0] = 2;
    expect(m.bytes[0]).toBe(1);
  });

  it.each([
    ['short', 'ab'],
    ['odd', `${hex}a`],
    ['not hex', 'g'.repeat(96)],
    ['47 bytes', new Uint8Array(47)],
  ])('rejects %s input with TdxConfigError', (_what, input) => {
    expect(() => Measurement.from(input)).toThrow(TdxConfigError);
  });
});

describe('MeasurementsCriteria', () => {
  const all = new Measurements(hex, [hex, hex, hex, 'ff'.repeat(48)]);

  it('matches only when every set register is equal', () => {
    expect(MeasurementsCriteria.empty().matches(all)).toBe(true);
    expect(MeasurementsCriteria.exactly(all).matches(all)).toBe(true);
    expect(MeasurementsCriteria.of({ rtmr3: hex }).mismatch(all)).toBe('rtmr3');
    expect(MeasurementsCriteria.of({ mrtd: hex }).withRtmr(3, 'ff'.repeat(48)).matches(all)).toBe(true);
    expect(MeasurementsCriteria.empty().isEmpty).toBe(true);
    expect(MeasurementsCriteria.of({ rtmr1: hex }).isEmpty).toBe(false);
  });

  it('rejects an RTMR index outside 0..3', () => {
    expect(() => MeasurementsCriteria.empty().withRtmr(4 as 0, hex)).toThrow(TdxConfigError);
  });
});
