import { id } from '@mosaik/id';
import { describe, expect, it } from 'vitest';
import { TicketConfigError } from './errors.js';
import { Ticket } from './ticket.js';

describe('Ticket', () => {
  const klass = id('mosaik.test.class');

  it('has the id class ⊕ data, equal for equal tickets', () => {
    const data = new TextEncoder().encode('payload');
    const a = new Ticket(klass, data);
    const b = new Ticket(klass, new Uint8Array(data));
    expect(a.id().equals(klass.derive(data))).toBe(true);
    expect(a.id().equals(b.id())).toBe(true);
    expect(a.equals(b)).toBe(true);
  });

  it('differs by class and by data', () => {
    const data = new Uint8Array([1, 2, 3]);
    const a = new Ticket(klass, data);
    expect(a.id().equals(new Ticket(id('other'), data).id())).toBe(false);
    expect(a.id().equals(new Ticket(klass, new Uint8Array([1, 2, 4])).id())).toBe(false);
    expect(a.equals(new Ticket(klass, new Uint8Array([1, 2])))).toBe(false);
  });

  it('prints its class and size but not its payload', () => {
    const t = new Ticket(klass, new TextEncoder().encode('secret-ish'));
    expect(t.toString()).toBe(`Ticket(${klass.short()}, 10 B)`);
  });

  it('refuses non-byte data', () => {
    expect(() => new Ticket(klass, 'text' as unknown as Uint8Array)).toThrow(TicketConfigError);
  });
});
