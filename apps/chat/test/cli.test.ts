/** The command line as a user meets it: help, bad flags, and scripted use with a pipe. */
import { describe, expect, it } from 'vitest';
import { ChatProcess } from './harness.js';

describe('the chat command', () => {
  it('prints help and exits 0', async () => {
    const p = ChatProcess.start('Help', ['--help']);
    expect(await p.exited).toBe(0);
    expect(p.lines.join('\n')).toMatch(/--peer <addr>\s+alias of --bootstrap/);
  });

  it('refuses a bad flag with exit code 2 and says why on stderr, starting nothing', async () => {
    const p = ChatProcess.start('Bad', ['--color', 'mauve']);
    expect(await p.exited).toBe(2);
    expect(p.stderr).toMatch(/option '-c, --color <code>' argument 'mauve' is invalid/);
    expect(p.lines.filter((l) => l !== '')).toEqual([]);
  });

  it('reads one message per line from a pipe and exits 0 at end of input once they are delivered', async () => {
    const p = ChatProcess.start('Solo');
    p.send('first line');
    p.send('//slash is text');
    p.send('   ');
    p.send('/nick Soloist');
    p.send('second line');
    p.end();
    expect(await p.exited).toBe(0);
    expect(p.messages()).toEqual(['Solo: first line', 'Solo: /slash is text', 'Soloist: second line']);
    expect(p.lines).toContain('* you are now Soloist');
    // Logs (pino JSON) go to stderr, never into the chat view.
    expect(p.lines.some((l) => l.startsWith('{'))).toBe(false);
  });
});
