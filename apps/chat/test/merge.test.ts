/**
 * Two parts of one room started apart (each with its own bootstrap) form two clusters of each
 * collection; when they meet, rsm merges them (the longer committed log wins, the other side
 * discards its state and resets). The chat on the losing side says so, enters its presence
 * again and re-sends its lines, so every participant ends with one history holding every line
 * once and all four nicknames present.
 */
import { scaled } from 'mosaik';
import { afterEach, describe, expect, it } from 'vitest';
import { type ChatProcess, messagesOf, Room, step } from './harness.js';

const room = new Room();
afterEach(() => room.close());

/** Sends `/who` until the listing counts `n` participants. */
async function whoCounts(p: ChatProcess, n: number): Promise<void> {
  const deadline = Date.now() + scaled(40_000);
  for (;;) {
    const from = p.lines.length;
    p.send('/who');
    const header = await p.until(
      (lines) => lines.slice(from).find((l) => /^--- \d+ participant\(s\) ---$/.test(l)),
      '/who listing',
    );
    if (header === `--- ${n} participant(s) ---`) return;
    if (Date.now() > deadline)
      throw new Error(`${p.name}: /who says ${header}, want ${n}\n${p.transcript()}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

describe('two parts of a room started apart', () => {
  it(
    'merge into one history with every line once and all four present',
    async () => {
      const ann = room.start('Ann');
      const cat = room.start('Cat');
      const [annAddr, catAddr] = await Promise.all([ann.address(), cat.address()]);
      await Promise.all([ann.ready(), cat.ready()]);
      const ben = room.start('Ben', ['--bootstrap', annAddr]);
      const dan = room.start('Dan', ['--bootstrap', catAddr]);
      await Promise.all([ben.ready(), dan.ready()]);
      step('two pairs up');

      // Lines typed on each side while apart: the Ann/Ben side commits more, so it wins the merge.
      ann.send('ann 1');
      ben.send('ben 1');
      ann.send('ann 2');
      cat.send('cat 1');
      dan.send('dan 1');
      await Promise.all([messagesOf(ann, 3), messagesOf(ben, 3), messagesOf(cat, 2), messagesOf(dan, 2)]);
      expect(cat.messages().some((l) => l.startsWith('Ann'))).toBe(false);
      step('each side chatted');

      ann.send(`/connect ${catAddr}`);
      // Typed while the parts meet: may be in flight when a reset discards the side's state.
      dan.send('dan during merge');
      ben.send('ben during merge');
      const expected = ['ann 1', 'ann 2', 'ben 1', 'cat 1', 'dan 1', 'dan during merge', 'ben during merge'];
      const everyone = [ann, ben, cat, dan];
      const seen = await Promise.all(everyone.map((p) => messagesOf(p, expected.length, 90_000)));
      step('all lines everywhere');
      for (const s of seen)
        expect(s.map((l) => l.slice(l.indexOf(': ') + 2)).sort()).toEqual([...expected].sort());
      const merged = everyone.filter((p) =>
        p.lines.some((l) => l.includes('merged with another one; history merged')),
      );
      expect(merged.length).toBeGreaterThan(0);
      for (const p of everyone) await whoCounts(p, 4);
      step('all present');

      // One room now: a line from the former losing side reaches everyone once.
      cat.send('together');
      const after = await Promise.all(everyone.map((p) => messagesOf(p, expected.length + 1)));
      for (const a of after) expect(a.filter((l) => l === 'Cat: together')).toHaveLength(1);

      // A late joiner sees one history with every line exactly once.
      const eve = room.start('Eve', ['--bootstrap', annAddr]);
      await eve.ready();
      const history = eve.messages().map((l) => l.slice(l.indexOf(': ') + 2));
      expect(history.sort()).toEqual([...expected, 'together'].sort());
      step('late joiner');
      if (process.env.CHAT_TEST_STEPS)
        for (const p of [...everyone, eve]) process.stderr.write(`${p.transcript()}\n`);
    },
    scaled(240_000),
  );
});
