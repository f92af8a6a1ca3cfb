import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { History } from './history.js';
import { type ChatMessage, guardSchema, isChatMessage, isPresence } from './model.js';
import { LeaveDebouncer } from './notices.js';
import { Outbox } from './outbox.js';
import { colorsEnabled, formatMessage, formatNotice, formatWho, paint, sanitize } from './render.js';
import { Roster } from './roster.js';
import { rowsOf, visibleLength } from './terminal.js';

const PEER_A = 'a'.repeat(64);
const PEER_B = 'b'.repeat(64);
const msg = (id: string, text = id): ChatMessage => ({
  id,
  peer: PEER_A,
  nickname: 'Al',
  color: 31,
  text,
  at: 1,
});

describe('history view', () => {
  it('shows each id once across snapshots, inserts and duplicates', () => {
    const h = new History();
    expect(h.replace([msg('1'), msg('2')]).map((m) => m.id)).toEqual(['1', '2']);
    expect(h.insert(2, msg('3'))).toHaveLength(1);
    // A retry that committed twice:
    expect(h.insert(3, msg('3'))).toEqual([]);
    expect(h.items).toHaveLength(4);
    expect(h.distinct).toBe(3);
    // A snapshot after a merge: only the other side's lines are new.
    expect(h.replace([msg('x'), msg('1'), msg('y'), msg('2')]).map((m) => m.id)).toEqual(['x', 'y']);
    expect(h.has('3')).toBe(false);
    expect(h.shown('3')).toBe(true);
  });

  it('tracks the Vec through removals, replacements and truncation', () => {
    const h = new History();
    h.replace([msg('1'), msg('2'), msg('2'), msg('3')]);
    h.remove(1);
    expect(h.has('2')).toBe(true);
    h.remove(1);
    expect(h.has('2')).toBe(false);
    expect(h.set(0, msg('4'))).toHaveLength(1);
    h.truncate(1);
    expect(h.items.map((m) => m.id)).toEqual(['4']);
    h.remove(5);
    h.clear();
    expect(h.distinct).toBe(0);
  });

  it('property: whatever the order of deliveries, every id is returned exactly once, first occurrence first', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.integer({ min: 0, max: 20 }), { maxLength: 10 }), { maxLength: 10 }),
        (batches) => {
          const h = new History();
          const shown: string[] = [];
          const all: string[] = [];
          for (const [i, batch] of batches.entries()) {
            const items = batch.map((n) => msg(String(n)));
            all.push(...items.map((m) => m.id));
            const out = i % 2 === 0 ? h.replace(items) : items.flatMap((m) => h.insert(h.items.length, m));
            shown.push(...out.map((m) => m.id));
          }
          expect(new Set(shown).size).toBe(shown.length);
          expect(new Set(shown)).toEqual(new Set(all));
        },
      ),
    );
  });
});

describe('roster', () => {
  it('reports joins, leaves and renames of others, never of ourselves', () => {
    const r = new Roster(PEER_A);
    expect(r.replace([[PEER_A, { nickname: 'me', color: 32 }]])).toEqual([]);
    expect(r.set(PEER_B, { nickname: 'Bob', color: 33 })).toMatchObject([{ kind: 'joined', peer: PEER_B }]);
    expect(r.set(PEER_B, { nickname: 'Bob', color: 33 })).toEqual([]);
    expect(r.set(PEER_B, { nickname: 'Rob', color: 33 })).toMatchObject([
      { kind: 'renamed', before: { nickname: 'Bob' }, presence: { nickname: 'Rob' } },
    ]);
    expect(r.delete(PEER_B)).toMatchObject([{ kind: 'left', presence: { nickname: 'Rob' } }]);
    expect(r.delete(PEER_B)).toEqual([]);
    expect(r.delete(PEER_A)).toEqual([]);
    r.set(PEER_B, { nickname: 'Bob', color: 33 });
    expect(r.clear()).toMatchObject([{ kind: 'left', peer: PEER_B }]);
  });
});

describe('leave debouncer', () => {
  const bob = { nickname: 'Bob', color: 33 };
  it('holds a leave for its window, and a return inside it cancels both', () => {
    const d = new LeaveDebouncer(1000);
    expect(d.push([{ kind: 'left', peer: PEER_B, presence: bob }], 0)).toEqual([]);
    expect(d.nextDue).toBe(1000);
    expect(d.due(999)).toEqual([]);
    expect(d.push([{ kind: 'joined', peer: PEER_B, presence: bob }], 500)).toEqual([]);
    expect(d.nextDue).toBeUndefined();
    d.push([{ kind: 'left', peer: PEER_B, presence: bob }], 2000);
    expect(d.due(3000)).toMatchObject([{ kind: 'left', peer: PEER_B }]);
  });

  it('turns a return under another name into a rename', () => {
    const d = new LeaveDebouncer(1000);
    d.push([{ kind: 'left', peer: PEER_B, presence: bob }], 0);
    expect(
      d.push([{ kind: 'joined', peer: PEER_B, presence: { ...bob, nickname: 'Rob' } }], 1),
    ).toMatchObject([{ kind: 'renamed', before: bob, presence: { nickname: 'Rob' } }]);
    d.push([{ kind: 'left', peer: PEER_B, presence: bob }], 0);
    expect(d.flush()).toHaveLength(1);
  });
});

describe('outbox', () => {
  it('gives unique ids in order and knows which committed lines a merge lost', () => {
    const o = new Outbox(PEER_A, 'q1', () => 42);
    const me = { nickname: 'Al', color: 31 };
    expect(o.compose('   ', me)).toBeUndefined();
    const a = o.compose('one  ', me)!;
    const b = o.compose('two', me)!;
    const c = o.compose('x'.repeat(5000), me)!;
    expect(a.text).toBe('one');
    expect(c.text).toHaveLength(2000);
    expect(new Set([a.id, b.id, c.id]).size).toBe(3);
    expect(a.id.startsWith(PEER_A.slice(0, 10))).toBe(true);
    expect(isChatMessage(a)).toBe(true);
    o.committed(a.id);
    o.committed(b.id);
    expect(o.pending).toBe(1);
    expect(o.committedIds()).toEqual([a.id, b.id]);
    expect(o.lost((id) => id === a.id)).toEqual([b]);
  });
});

describe('values from the network', () => {
  it('only well-formed presence entries and messages pass', () => {
    expect(isPresence({ nickname: 'x', color: 31 })).toBe(true);
    expect(isPresence({ nickname: '', color: 31 })).toBe(false);
    expect(isPresence({ nickname: 'x', color: 300 })).toBe(false);
    expect(isPresence(null)).toBe(false);
    expect(isChatMessage({ ...msg('1'), text: 'x'.repeat(2001) })).toBe(false);
    expect(isChatMessage({ ...msg('1'), at: Number.NaN })).toBe(false);
    const schema = guardSchema('message', isChatMessage);
    expect(schema['~standard'].validate(msg('1'))).toEqual({ value: msg('1') });
    expect(schema['~standard'].validate(42)).toHaveProperty('issues');
  });

  it('property: arbitrary values never throw and anything accepted has the right shape', () => {
    fc.assert(
      fc.property(fc.anything(), (v) => {
        if (isChatMessage(v)) expect(typeof v.text).toBe('string');
        if (isPresence(v)) expect(typeof v.nickname).toBe('string');
      }),
    );
  });
});

describe('rendering', () => {
  const on = { colors: true };
  const off = { colors: false };

  it('colours nicknames only when asked', () => {
    expect(formatMessage(msg('1', 'hi'), on)).toBe('\x1b[31mAl\x1b[0m: hi');
    expect(formatMessage(msg('1', 'hi'), off)).toBe('Al: hi');
    expect(
      formatNotice({ kind: 'joined', peer: PEER_B, presence: { nickname: 'Bob', color: 33 } }, off),
    ).toBe('* Bob joined');
    expect(paint('x', 36, off)).toBe('x');
  });

  it('respects NO_COLOR and FORCE_COLOR, else colours only a terminal', () => {
    expect(colorsEnabled({}, true)).toBe(true);
    expect(colorsEnabled({}, false)).toBe(false);
    expect(colorsEnabled({ NO_COLOR: '1' }, true)).toBe(false);
    expect(colorsEnabled({ NO_COLOR: '' }, true)).toBe(true);
    expect(colorsEnabled({ FORCE_COLOR: '1' }, false)).toBe(true);
    expect(colorsEnabled({ FORCE_COLOR: '0' }, true)).toBe(false);
  });

  it('property: text from peers never carries a control character to the terminal', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 40 }),
        fc.string({ unit: 'binary', maxLength: 40 }),
        (nickname, text) => {
          const line = formatMessage({ ...msg('1', text), nickname }, off);
          // biome-ignore lint/suspicious/noControlCharactersInRegex: checking there are none
          const unsafe = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
          return !unsafe.test(line) && sanitize(line) === line;
        },
      ),
    );
  });

  it('lists participants sorted, marking ourselves', () => {
    const lines = formatWho(
      [
        [PEER_B, { nickname: 'Bob', color: 33 }],
        [PEER_A, { nickname: 'Al', color: 31 }],
      ],
      PEER_A,
      off,
    );
    expect(lines).toEqual(['--- 2 participant(s) ---', '  Al (aaaaaaaaaa) (you)', '  Bob (bbbbbbbbbb)']);
    const withRoles = formatWho(
      [[PEER_B, { nickname: 'Bob', color: 33 }]],
      PEER_A,
      off,
      new Map([[PEER_B, 'learner']]),
    );
    expect(withRoles[1]).toBe('  Bob (bbbbbbbbbb) learner');
  });

  it('measures prompt rows without colour sequences', () => {
    expect(visibleLength('\x1b[36mAl\x1b[0m> ')).toBe(4);
    expect(rowsOf(0, 80)).toBe(1);
    expect(rowsOf(80, 80)).toBe(1);
    expect(rowsOf(81, 80)).toBe(2);
    expect(rowsOf(5, 0)).toBe(1);
  });
});
