import { type PeerId, SecretKey } from 'mosaik';
import { describe, expect, it } from 'vitest';
import { formatAddr, parseAddr } from './addr.js';
import { parseArgs, parseColor } from './cli.js';

const peer = (): PeerId => SecretKey.generate().peerId;

describe('command line', () => {
  it('has the reference defaults', () => {
    const p = parseArgs([]);
    expect(p).toMatchObject({
      kind: 'run',
      options: { nickname: 'anon', room: 'lobby', color: 32, bootstrap: [] },
    });
  });

  it('takes every flag, short and long, and --peer as an alias of --bootstrap (both repeatable)', () => {
    const a = peer();
    const b = peer();
    const p = parseArgs(
      [
        '--',
        '-n',
        'Alice',
        '--room',
        'dev',
        '-c',
        'cyan',
        '--bootstrap',
        `${a}@127.0.0.1:4000`,
        '-p',
        `${b}@127.0.0.1:4001,[::1]:4002`,
        '-m',
        '127.0.0.1:9100',
        '--diagnostics',
        '127.0.0.1:9200',
        '--log',
        'chat.log',
        '--preset',
        'local',
      ],
      '/home/alice',
    );
    expect(p.kind).toBe('run');
    if (p.kind !== 'run') return;
    expect(p.options).toMatchObject({
      nickname: 'Alice',
      room: 'dev',
      color: 36,
      metrics: '127.0.0.1:9100',
      diagnostics: '127.0.0.1:9200',
      log: '/home/alice/chat.log',
      preset: 'local',
    });
    expect(p.options.bootstrap.map((x) => x.id.toString())).toEqual([a.toString(), b.toString()]);
    expect(p.options.bootstrap[1]!.directAddresses).toEqual(['127.0.0.1:4001', '[::1]:4002']);
  });

  it.each([
    [['--color', '12']],
    [['--color', 'mauve']],
    [['--nickname', '']],
    [['--nickname', 'x'.repeat(33)]],
    [['--nickname', 'a\u001b[2Jb']],
    [['--bootstrap', 'not-a-peer']],
    [['--bootstrap', `${'ab'.repeat(32)}@nowhere`]],
    [['--metrics', '9100']],
    [['--preset', 'cloud']],
    [['--what']],
    [['extra']],
  ])('refuses %j with exit code 2 and a message on stderr', (args) => {
    const p = parseArgs(args);
    expect(p).toMatchObject({ kind: 'exit', code: 2 });
    if (p.kind === 'exit') expect(p.stderr).toMatch(/error/);
  });

  it('prints help on stdout with exit code 0', () => {
    const p = parseArgs(['--help']);
    expect(p).toMatchObject({ kind: 'exit', code: 0 });
    if (p.kind === 'exit') expect(p.stdout).toContain('--bootstrap <addr>');
  });

  it('accepts colour names and the SGR foreground codes only', () => {
    expect(parseColor('RED')).toBe(31);
    expect(parseColor('96')).toBe(96);
    expect(() => parseColor('38')).toThrow();
    expect(() => parseColor('1')).toThrow();
  });
});

describe('bootstrap addresses', () => {
  it('round-trip through their text form', () => {
    const id = peer();
    const addr = { id, directAddresses: ['127.0.0.1:1234', '[::1]:99'] };
    const back = parseAddr(formatAddr(addr));
    expect(back.id.equals(id)).toBe(true);
    expect(back.directAddresses).toEqual(addr.directAddresses);
    expect(parseAddr(formatAddr({ id, directAddresses: [] })).directAddresses).toEqual([]);
  });

  it('refuse bad ports with a typed error', () => {
    expect(() => parseAddr(`${peer()}@127.0.0.1:70000`)).toThrow(/ip:port/);
  });
});
