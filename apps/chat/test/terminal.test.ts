/**
 * The interactive prompt in a real pseudo terminal (tmux): the prompt stays on the bottom row
 * while lines arrive above it, a submitted line is replaced by its committed copy, colours are
 * emitted on a terminal unless NO_COLOR is set, and Ctrl-C / Ctrl-D leave cleanly.
 */
import { scaled } from 'mosaik';
import { afterEach, describe, expect, it } from 'vitest';
import { ChatProcess } from './harness.js';
import { TmuxChat } from './tmux.js';

const opened: { close(): unknown }[] = [];
afterEach(async () => {
  for (const o of opened.splice(0).reverse()) await o.close();
});

describe('the interactive prompt', () => {
  it('keeps the prompt at the bottom, replaces the typed line, colours nicknames, renames, and leaves on Ctrl-C', async () => {
    const bob = ChatProcess.start('Bob', ['--color', 'yellow']);
    opened.push(bob);
    const addr = await bob.address();
    await bob.ready();
    const alice = new TmuxChat(
      ['--nickname', 'Alice', '--color', 'cyan', '--preset', 'local', '--bootstrap', addr],
      {
        NO_COLOR: undefined,
        FORCE_COLOR: undefined,
      },
    );
    opened.push(alice);
    await alice.until((rows) => rows.some((r) => r.startsWith('--- start typing')), 'the banner', 60_000);
    await bob.waitLine('* Alice joined');

    alice.type('hello there');
    alice.press('Enter');
    await alice.until((rows) => rows.includes('Alice: hello there'), 'the committed copy');
    let rows = alice.rows();
    // Exactly one copy, the typed one is gone, and the prompt is the last row.
    expect(rows.filter((r) => r.includes('hello there'))).toEqual(['Alice: hello there']);
    expect(rows.at(-1)).toBe('Alice>');
    await bob.waitLine('Alice: hello there');

    // A line arriving while typing goes above the prompt; the half-typed text stays.
    alice.type('half typed');
    bob.send('from bob');
    await alice.until((rows) => rows.includes('Bob: from bob'), "Bob's line");
    rows = alice.rows();
    expect(rows.at(-1)).toBe('Alice> half typed');
    expect(rows.indexOf('Bob: from bob')).toBe(rows.length - 2);

    // Colours on a terminal: cyan (36) for Alice, yellow (33) for Bob.
    const painted = alice.screen(true).join('\n');
    expect(painted).toContain('\x1b[36mAlice');
    expect(painted).toContain('\x1b[33mBob');

    // Finish the half-typed line, then rename.
    alice.press('Enter');
    await bob.waitLine('Alice: half typed');
    alice.type('/nick Alicia');
    alice.press('Enter');
    await bob.waitLine('* Alice is now Alicia');
    await alice.until((rows) => rows.at(-1) === 'Alicia>', 'the new prompt');

    alice.press('C-c');
    await alice.until(() => alice.exitStatus() !== undefined, 'exit after Ctrl-C', 20_000);
    expect(alice.exitStatus()).toBe(0);
    await bob.waitLine('* Alicia left', scaled(10_000));
  });

  it('emits no colour with NO_COLOR, lists participants with /who, and leaves on Ctrl-D', async () => {
    const alice = new TmuxChat(['--nickname', 'Alice', '--color', 'cyan', '--preset', 'local'], {
      NO_COLOR: '1',
    });
    opened.push(alice);
    await alice.until((rows) => rows.some((r) => r.startsWith('--- start typing')), 'the banner', 60_000);
    alice.type('/who');
    alice.press('Enter');
    await alice.until(
      (rows) => rows.some((r) => /^ {2}Alice \([0-9a-f]{10}\) voter \(you\)$/.test(r)),
      '/who',
    );
    alice.type('plain');
    alice.press('Enter');
    await alice.until((rows) => rows.includes('Alice: plain'), 'the line');
    // biome-ignore lint/suspicious/noControlCharactersInRegex: looking for escape sequences
    expect(alice.screen(true).join('\n')).not.toMatch(/\x1b\[/);
    alice.press('C-d');
    await alice.until(() => alice.exitStatus() !== undefined, 'exit after Ctrl-D', 20_000);
    expect(alice.exitStatus()).toBe(0);
  });
});
