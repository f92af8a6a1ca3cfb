import { getEventListeners } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  abortAfter,
  anySignal,
  linkedTo,
  linkSignals,
  MosaikError,
  scaled,
  sleep,
  TimeoutError,
  timeFactor,
  Watch,
  waitFor,
} from './index.js';

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('timeFactor / scaled', () => {
  it('reads TIME_FACTOR, default 1', () => {
    vi.stubEnv('TIME_FACTOR', '');
    expect(timeFactor()).toBe(1);
    expect(scaled(100)).toBe(100);
    vi.stubEnv('TIME_FACTOR', '3');
    expect(timeFactor()).toBe(3);
    expect(scaled(100)).toBe(300);
    vi.stubEnv('TIME_FACTOR', '0.5');
    expect(scaled(100)).toBe(50);
    for (const bad of ['abc', '0', '-2', 'Infinity']) {
      vi.stubEnv('TIME_FACTOR', bad);
      expect(timeFactor()).toBe(1);
    }
  });
});

describe('waitFor', () => {
  it('polls a probe until it is truthy and returns its value', async () => {
    let n = 0;
    await expect(waitFor(() => (++n >= 3 ? n : false), { interval: 1 })).resolves.toBe(3);
  });

  it('awaits async probes and promises', async () => {
    const w = new Watch(0);
    const p = waitFor(w.until((v) => v === 2));
    w.set(1);
    w.set(2);
    await expect(p).resolves.toBe(2);
    await expect(waitFor(async () => 'ok')).resolves.toBe('ok');
  });

  it('throws a timeout MosaikError with the message and the last error as cause', async () => {
    const err = await waitFor(
      () => {
        throw new Error('not yet');
      },
      { timeout: 30, interval: 5, message: 'never ready' },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect(MosaikError.is(err, 'timeout')).toBe(true);
    expect((err as Error).message).toMatch(/^never ready/);
    expect(((err as Error).cause as Error).message).toBe('not yet');
  });

  it('scales the deadline by TIME_FACTOR', async () => {
    vi.stubEnv('TIME_FACTOR', '4');
    const err = await waitFor(() => false, { timeout: 10, message: () => 'scaled' }).catch((e: Error) => e);
    expect((err as Error).message).toBe('scaled (after 40 ms)');
  });

  it('times out on a promise that never settles', async () => {
    await expect(waitFor(new Promise(() => {}), { timeout: 10 })).rejects.toMatchObject({ code: 'timeout' });
  });

  it('is cancelled by its signal', async () => {
    const ac = new AbortController();
    const p = waitFor(() => false, { signal: ac.signal, timeout: 10_000 });
    ac.abort(new Error('cancelled'));
    await expect(p).rejects.toThrow('cancelled');
  });
});

describe('sleep', () => {
  it('resolves after the delay', async () => {
    const t = performance.now();
    await sleep(5);
    expect(performance.now() - t).toBeGreaterThanOrEqual(4);
  });

  it('rejects with the abort reason and clears its timer', async () => {
    const ac = new AbortController();
    const p = sleep(60_000, ac.signal);
    ac.abort(new Error('stop'));
    await expect(p).rejects.toThrow('stop');
    await expect(sleep(1, ac.signal)).rejects.toThrow('stop');
  });
});

describe('AbortSignal helpers', () => {
  it('abortAfter aborts with a TimeoutError', async () => {
    const s = abortAfter(5);
    await waitFor(() => s.aborted);
    expect((s.reason as DOMException).name).toBe('TimeoutError');
  });

  it('anySignal follows the first signal to abort', () => {
    const a = new AbortController();
    const b = new AbortController();
    const s = anySignal([a.signal, undefined, b.signal]);
    expect(s.aborted).toBe(false);
    b.abort('b');
    expect(s.aborted).toBe(true);
    expect(s.reason).toBe('b');
    expect(anySignal([a.signal])).toBe(a.signal);
    expect(anySignal([]).aborted).toBe(false);
  });

  it('linkSignals follows the first signal to abort and then lets go of every source', () => {
    const a = new AbortController();
    const b = new AbortController();
    const linked = linkSignals([a.signal, undefined, b.signal]);
    expect(linked.signal.aborted).toBe(false);
    expect(getEventListeners(a.signal, 'abort')).toHaveLength(1);
    b.abort('b');
    expect(linked.signal.reason).toBe('b');
    expect(getEventListeners(a.signal, 'abort')).toHaveLength(0);
    expect(linkSignals([a.signal, AbortSignal.abort('x')]).signal.reason).toBe('x');
    expect(linkSignals([]).signal.aborted).toBe(false);
  });

  it('linkSignals leaves nothing on a long-lived source once disposed', () => {
    const long = new AbortController();
    for (let i = 0; i < 100; i++) {
      const linked = linkSignals([long.signal, AbortSignal.timeout(60_000)]);
      linked.dispose();
      linked.dispose();
    }
    expect(getEventListeners(long.signal, 'abort')).toHaveLength(0);
    // A disposed link no longer follows its sources.
    const linked = linkSignals([long.signal]);
    linked.dispose();
    long.abort();
    expect(linked.signal.aborted).toBe(false);
  });

  it('linkSignals puts one listener on a source however many links follow it', () => {
    // Dozens of concurrent operations under one long-lived signal (a node's pending accepts)
    // must stay under Node's listener limit, which warns at 11.
    const long = new AbortController();
    const links = Array.from({ length: 64 }, () => linkSignals([long.signal, undefined]));
    expect(getEventListeners(long.signal, 'abort')).toHaveLength(1);
    expect(linkedTo(long.signal)).toBe(64);
    links[0]!.dispose();
    expect(linkedTo(long.signal)).toBe(63);
    expect(getEventListeners(long.signal, 'abort')).toHaveLength(1);
    long.abort('stop');
    expect(links[0]!.signal.aborted).toBe(false);
    expect(links.slice(1).every((l) => l.signal.reason === 'stop')).toBe(true);
    expect(getEventListeners(long.signal, 'abort')).toHaveLength(0);
  });
});
