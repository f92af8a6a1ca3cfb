/**
 * Chat processes as a user runs them (piped stdin, one message per line): presence, one shared
 * history in one order, a participant killed with SIGKILL, a late joiner.
 */
import { scaled } from 'mosaik';
import { afterEach, describe, expect, it } from 'vitest';
import { messagesOf, present, Room, step, votersAre } from './harness.js';

const room = new Room();
const start = (name: string, args: readonly string[] = []) => room.start(name, args);
afterEach(() => room.close());

describe('a room of chat processes', () => {
  it(
    'three participants share one history in one order; a killed one leaves; a late joiner gets it all',
    async () => {
      const alice = start('Alice');
      const addr = await alice.address();
      await alice.ready();
      const bob = start('Bob', ['--bootstrap', addr]);
      const carol = start('Carol', ['--peer', addr]);
      await Promise.all([bob.ready(), carol.ready()]);
      step('const all = [alice, bob, carol];');
      const all = [alice, bob, carol];
      for (const p of all) for (const q of all) if (p !== q) await present(p, q.name);

      // Interleaved lines from everyone, typed without waiting for each other.
      const sent: string[] = [];
      for (let i = 1; i <= 3; i++)
        for (const p of all) {
          const text = `${p.name.toLowerCase()} says ${i}`;
          p.send(text);
          sent.push(`${p.name}: ${text}`);
        }
      const seen = await Promise.all(all.map((p) => messagesOf(p, sent.length)));
      for (const s of seen) {
        expect(s).toEqual(seen[0]);
        expect([...s].sort()).toEqual([...sent].sort());
      }
      // Each participant's own lines stay in the order it typed them.
      for (const p of all) {
        const own = seen[0]!.filter((l) => l.startsWith(`${p.name}: `));
        expect(own).toEqual(sent.filter((l) => l.startsWith(`${p.name}: `)));
      }

      await votersAre(alice, ['Alice', 'Bob', 'Carol']);
      step('carol.kill9();');
      carol.kill9();
      await Promise.all([alice.waitLine('* Carol left'), bob.waitLine('* Carol left')]);
      step("alice.send('still here');");
      alice.send('still here');
      bob.send('me too');
      const after = await Promise.all([alice, bob].map((p) => messagesOf(p, sent.length + 2)));
      expect(after[0]).toEqual(after[1]);
      expect(after[0]!.slice(sent.length).sort()).toEqual(['Alice: still here', 'Bob: me too']);

      step('const dave = start(');
      const dave = start('Dave', ['--bootstrap', addr]);
      await dave.ready();
      expect(dave.lines).toContain(`--- ${sent.length + 2} message(s) in history ---`);
      expect(dave.messages()).toEqual(after[0]);
      const banner = dave.lines.slice(dave.lines.indexOf('--- 3 participant(s) ---') + 1);
      expect(banner.slice(0, 3).sort()).toEqual(['  Alice', '  Bob', '  Dave']);
      step("await present(alice, 'Dave');");
      await present(alice, 'Dave');

      // Ctrl-D / EOF: Dave sends what it has, leaves cleanly; the others see it at once.
      dave.send('bye');
      dave.end();
      expect(await dave.exited).toBe(0);
      await alice.waitLine('Dave: bye');
      await alice.waitLine('* Dave left');
      step('for (const p of [alice, bob]) {');
      alice.end();
      bob.end();
      expect(await Promise.all([alice.exited, bob.exited])).toEqual([0, 0]);
      for (const p of [alice, bob, dave]) expect(p.lines.join('\n')).not.toMatch(/"level"/);
    },
    scaled(120_000),
  );
});
