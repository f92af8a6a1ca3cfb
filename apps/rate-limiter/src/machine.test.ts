import fc from 'fast-check';
import { type ApplyContext, id } from 'mosaik';
import { describe, expect, it } from 'vitest';
import { type BudgetCommand, type BudgetConfig, BudgetMachine } from './machine.js';

const CONFIG: BudgetConfig = { rpm: 60, burst: 3, leaseTtlMs: 1000 };
const groupId = id('machine-test');

/** Applies commands at consecutive log indices and returns each command's receipt. */
function run(machine: BudgetMachine, commands: readonly BudgetCommand[], first = 1) {
  return commands.map((c, i) => {
    const ctx: ApplyContext = { index: first + i, term: 1, groupId };
    machine.apply(c, ctx);
    return machine.receipt(first + i);
  });
}

const takeAt = (key: string, at: number, o = 'me'): BudgetCommand => ({ t: 'take', key, at, o });

describe('BudgetMachine', () => {
  it('takes tokens up to the burst, then refills at the rate', () => {
    const m = new BudgetMachine(CONFIG, 'me');
    const r = run(m, [takeAt('a', 0), takeAt('a', 0), takeAt('a', 0), takeAt('a', 0), takeAt('a', 1000)]);
    expect(r.map((x) => x?.t)).toEqual(['granted', 'granted', 'granted', 'denied', 'granted']);
    expect(r[2]).toEqual({ t: 'granted', remaining: 0, resetMs: 3000 });
    expect(r[3]).toEqual({ t: 'denied', retryAfterMs: 1000, resetMs: 3000 });
    expect(m.query({ t: 'peek', key: 'a' })).toEqual({ tokens: 0, lent: 0 });
    expect(m.query({ t: 'peek', key: 'b' })).toEqual({ tokens: 3, lent: 0 });
  });

  it('clamps command times: a clock that runs behind refills nothing', () => {
    const m = new BudgetMachine(CONFIG, 'me');
    run(m, [takeAt('a', 10_000), takeAt('a', 10_000), takeAt('a', 10_000)]);
    // A gateway whose clock says 5 s earlier cannot mint tokens, nor move the machine's clock back.
    const [late] = run(m, [takeAt('a', 5_000)], 4);
    expect(late).toMatchObject({ t: 'denied', retryAfterMs: 1000 });
    expect(m.clock).toBe(10_000);
    const [ok] = run(m, [takeAt('a', 11_000)], 5);
    expect(ok?.t).toBe('granted');
  });

  it('keeps receipts only for its own gateway and a bounded number of them', () => {
    const m = new BudgetMachine(CONFIG, 'me');
    const r = run(m, [takeAt('a', 0, 'other'), takeAt('a', 0, 'me')]);
    expect(r).toEqual([undefined, { t: 'granted', remaining: 1, resetMs: 2000 }]);
    expect(m.receipt(2)).toBeUndefined(); // read once
    // Receipts nobody reads (their gateway gave up waiting) are dropped oldest first.
    for (let i = 0; i < 10_050; i++) m.apply(takeAt(`k${i}`, 0), { index: 10 + i, term: 1, groupId });
    expect(m.receipt(10)).toBeUndefined();
    expect(m.receipt(10_059)?.t).toBe('granted');
  });

  it('lends tokens, counts them against the capacity until returned or expired', () => {
    const m = new BudgetMachine({ rpm: 60, burst: 10, leaseTtlMs: 1000 }, 'me');
    const [lease] = run(m, [{ t: 'lease', key: 'a', n: 4, at: 0, o: 'me' }]);
    expect(lease).toEqual({ t: 'leased', id: 1, n: 4, remaining: 6, resetMs: 4000 });
    // Even after a long time, the bucket refills only to 10 − 4 while the lease lives.
    expect(m.query({ t: 'peek', key: 'a' })).toEqual({ tokens: 6, lent: 4 });
    run(m, [{ t: 'return', key: 'a', id: 1, n: 3, at: 500 }], 2);
    expect(m.query({ t: 'peek', key: 'a' })).toEqual({ tokens: 9, lent: 0 });
    // A lease that expires is spent: its tokens do not come back, the bucket refills instead.
    run(m, [{ t: 'lease', key: 'a', n: 9, at: 600, o: 'me' }], 3);
    run(m, [{ t: 'return', key: 'a', id: 3, n: 9, at: 1700 }], 4);
    expect(m.query({ t: 'peek', key: 'a' })).toEqual({ tokens: 1, lent: 0 });
    // A lease command can end the previous lease of its gateway in the same commit.
    run(m, [{ t: 'lease', key: 'c', n: 6, at: 1700, o: 'me' }], 10);
    const [next] = run(m, [{ t: 'lease', key: 'c', n: 6, at: 1700, o: 'me', end: { id: 10, n: 2 } }], 11);
    expect(next).toMatchObject({ t: 'leased', id: 11, n: 6 });
    expect(m.query({ t: 'peek', key: 'c' })).toEqual({ tokens: 0, lent: 6 });
    // An empty bucket lends nothing.
    run(m, [{ t: 'lease', key: 'b', n: 10, at: 1700, o: 'me' }], 5);
    const [none] = run(m, [{ t: 'lease', key: 'b', n: 1, at: 1700, o: 'me' }], 6);
    expect(none).toEqual({ t: 'denied', retryAfterMs: 1000, resetMs: 10_000 });
  });

  it('forgets full buckets on gc and ignores malformed commands', () => {
    const m = new BudgetMachine(CONFIG, 'me');
    run(m, [takeAt('a', 0), takeAt('b', 0), takeAt('b', 0)]);
    run(m, [{ t: 'gc', at: 1000 }], 4);
    expect(m.query({ t: 'size' })).toBe(1);
    const bad = [
      null,
      42,
      { t: 'take' },
      { t: 'lease', key: 'x', n: -1, at: 0 },
      { t: 'nope' },
      { t: 'return' },
    ];
    run(m, bad as unknown as BudgetCommand[], 5);
    expect(m.query({ t: 'size' })).toBe(1);
  });

  it('snapshots canonically: replicas reach the same bytes whatever the key insertion order', () => {
    const a = new BudgetMachine(CONFIG, 'me');
    const b = new BudgetMachine(CONFIG, 'me');
    run(a, [takeAt('zeta', 5), takeAt('alpha', 7), { t: 'lease', key: 'm', n: 2, at: 9, o: 'x' }]);
    const c = new BudgetMachine(CONFIG, 'me');
    c.restore(a.snapshot());
    expect(c.snapshot()).toEqual(a.snapshot());
    run(b, [{ t: 'gc', at: 0 }]);
    b.restore(a.snapshot());
    expect(b.query({ t: 'peek', key: 'm' })).toEqual({ tokens: 1, lent: 2 });
    expect(b.clock).toBe(9);
  });

  it('puts the rate, burst and lease lifetime into the signature', () => {
    const sig = (c: BudgetConfig) => new BudgetMachine(c, 'x').signature.toString();
    expect(sig(CONFIG)).toBe(new BudgetMachine(CONFIG, 'other').signature.toString());
    expect(sig({ ...CONFIG, rpm: 61 })).not.toBe(sig(CONFIG));
    expect(sig({ ...CONFIG, burst: 4 })).not.toBe(sig(CONFIG));
    expect(sig({ ...CONFIG, leaseTtlMs: 999 })).not.toBe(sig(CONFIG));
  });

  it('lease mode: gateways spending leases never exceed burst + rate·t in any window', () => {
    // A model of three gateways: each leases chunks, spends them before their local expiry, and
    // returns what is left; the machine's clock is the gateways' shared clock.
    const config: BudgetConfig = { rpm: 600, burst: 20, leaseTtlMs: 500 };
    const action = fc.record({
      dt: fc.integer({ min: 0, max: 300 }),
      gw: fc.integer({ min: 0, max: 2 }),
      op: fc.constantFrom('lease', 'spend', 'spend', 'spend', 'return'),
      n: fc.integer({ min: 1, max: 8 }),
    });
    fc.assert(
      fc.property(fc.array(action, { maxLength: 120 }), (actions) => {
        const m = new BudgetMachine(config, 'g');
        const held: { id: number; left: number; until: number }[][] = [[], [], []];
        const grants: number[] = [];
        let now = 0;
        let index = 0;
        for (const a of actions) {
          now += a.dt;
          const mine = held[a.gw]!;
          for (let i = mine.length - 1; i >= 0; i--) if (mine[i]!.until <= now) mine.splice(i, 1);
          if (a.op === 'lease') {
            m.apply({ t: 'lease', key: 'k', n: a.n, at: now, o: 'g' }, { index: ++index, term: 1, groupId });
            const r = m.receipt(index);
            if (r?.t === 'leased') mine.push({ id: r.id, left: r.n, until: now + config.leaseTtlMs });
          } else if (a.op === 'spend') {
            for (let i = 0; i < a.n; i++) {
              const lease = mine.find((l) => l.left > 0);
              if (lease === undefined) break;
              lease.left--;
              grants.push(now);
            }
          } else {
            const lease = mine.shift();
            if (lease !== undefined)
              m.apply(
                { t: 'return', key: 'k', id: lease.id, n: lease.left, at: now },
                { index: ++index, term: 1, groupId },
              );
          }
        }
        for (let i = 0; i < grants.length; i++) {
          for (let j = i; j < grants.length; j++) {
            const allowed = config.burst + (config.rpm * (grants[j]! - grants[i]!)) / 60_000;
            if (j - i + 1 > allowed) return false;
          }
        }
        return true;
      }),
    );
  });
});
