import { Writable } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLogger, resolveLogLevel } from './index.js';

function sink() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n')) if (line) lines.push(JSON.parse(line));
      done();
    },
  });
  return { lines, stream };
}

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('createLogger', () => {
  it('is silent in tests by default (MOSAIK_LOG=silent from the preset)', () => {
    expect(process.env.MOSAIK_LOG).toBe('silent');
    expect(createLogger().level).toBe('silent');
  });

  it('binds network, peer and subsystem, and child adds more', async () => {
    const { lines, stream } = sink();
    const log = createLogger({
      level: 'debug',
      network: '3a15da9332',
      peer: '73d14e976d',
      destination: stream,
    });
    log.child({ subsystem: 'discovery' }).debug({ peers: 3 }, 'catalog synced');
    log.trace('hidden');
    await new Promise((r) => setImmediate(r));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 20,
      name: 'mosaik',
      network: '3a15da9332',
      peer: '73d14e976d',
      subsystem: 'discovery',
      peers: 3,
      msg: 'catalog synced',
    });
    expect(lines[0]).not.toHaveProperty('pid');
  });

  it('takes the level from options, then MOSAIK_LOG, then warn', () => {
    vi.stubEnv('MOSAIK_LOG', 'warn');
    expect(createLogger().level).toBe('warn');
    expect(createLogger({ level: 'trace' }).level).toBe('trace');
    vi.stubEnv('MOSAIK_LOG', '');
    expect(resolveLogLevel()).toBe('warn');
    delete process.env.MOSAIK_LOG;
    expect(resolveLogLevel()).toBe('warn');
    expect(resolveLogLevel('bogus')).toBe('warn');
    expect(resolveLogLevel('info')).toBe('info');
    expect(resolveLogLevel('OFF')).toBe('silent');
    expect(resolveLogLevel('Debug')).toBe('debug');
  });
});
