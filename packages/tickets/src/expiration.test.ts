import { describe, expect, it } from 'vitest';
import { TicketConfigError } from './errors.js';
import { Expiration } from './expiration.js';

describe('Expiration', () => {
  const t = Date.UTC(2030, 0, 1);

  it('orders every instant before never, and instants by time', () => {
    const early = Expiration.at(t);
    const late = Expiration.at(new Date(t + 1));
    expect(early.compare(late)).toBeLessThan(0);
    expect(late.compare(early)).toBeGreaterThan(0);
    expect(late.compare(Expiration.never())).toBeLessThan(0);
    expect(Expiration.never().compare(late)).toBeGreaterThan(0);
    expect(Expiration.never().compare(Expiration.never())).toBe(0);
    expect(Expiration.at(t).equals(early)).toBe(true);
  });

  it('is expired from its instant on; never is never expired', () => {
    const e = Expiration.at(t);
    expect(e.isExpired(t - 1)).toBe(false);
    expect(e.isExpired(t)).toBe(true);
    expect(Expiration.never().isExpired(Number.MAX_SAFE_INTEGER)).toBe(false);
    expect(Expiration.alreadyExpired().isExpired()).toBe(true);
  });

  it('reports the remaining time, 0 once expired and Infinity for never', () => {
    const e = Expiration.after(5_000, t);
    expect(e.at).toBe(t + 5_000);
    expect(e.remaining(t)).toBe(5_000);
    expect(e.remaining(t + 6_000)).toBe(0);
    expect(Expiration.never().remaining()).toBe(Number.POSITIVE_INFINITY);
    expect(Expiration.never().isNever).toBe(true);
    expect(Expiration.never().at).toBeUndefined();
    expect(e.isNever).toBe(false);
  });

  it('picks the earliest and the latest', () => {
    const a = Expiration.at(t);
    const b = Expiration.at(t + 10);
    expect(Expiration.earliest(b, Expiration.never(), a)).toBe(a);
    expect(Expiration.earliest()).toBe(Expiration.never());
    expect(Expiration.latest(a, b)).toBe(b);
    expect(Expiration.latest(a, Expiration.never(), b).isNever).toBe(true);
    expect(() => Expiration.latest()).toThrow(TicketConfigError);
  });

  it('refuses non-finite instants with a typed error', () => {
    expect(() => Expiration.at(Number.NaN)).toThrow(TicketConfigError);
    expect(() => Expiration.at(new Date('nope'))).toThrow(TicketConfigError);
  });

  it('renders as ISO time or never', () => {
    expect(Expiration.at(t).toString()).toBe('2030-01-01T00:00:00.000Z');
    expect(String(Expiration.never())).toBe('never');
  });
});
