import { describe, expect, it } from 'vitest';
import { Watch } from './index.js';

describe('Watch', () => {
  it('holds the latest value', () => {
    const w = new Watch(1);
    expect(w.get()).toBe(1);
    w.set(2);
    w.update((v) => v + 1);
    expect(w.value).toBe(3);
    expect(w.version).toBe(2);
  });

  it('changed() resolves on the next set, with that value', async () => {
    const w = new Watch('a');
    const next = w.changed();
    w.set('b');
    w.set('c');
    await expect(next).resolves.toBe('b');
    expect(w.listenerCount).toBe(0);
  });

  it('until() resolves at once when the predicate already holds', async () => {
    const w = new Watch(5);
    await expect(w.until((v) => v > 3)).resolves.toBe(5);
    expect(w.listenerCount).toBe(0);
  });

  it('until() waits for the first value that satisfies the predicate', async () => {
    const w = new Watch(0);
    const p = w.until((v) => v >= 3);
    for (let i = 1; i <= 5; i++) w.set(i);
    await expect(p).resolves.toBe(3);
    expect(w.listenerCount).toBe(0);
  });

  it('honours AbortSignal and leaves no listener behind', async () => {
    const w = new Watch(0);
    const ac = new AbortController();
    const changed = w.changed({ signal: ac.signal });
    const until = w.until((v) => v > 10, { signal: ac.signal });
    expect(w.listenerCount).toBe(2);
    ac.abort(new Error('stop'));
    await expect(changed).rejects.toThrow('stop');
    await expect(until).rejects.toThrow('stop');
    expect(w.listenerCount).toBe(0);
    await expect(w.changed({ signal: ac.signal })).rejects.toThrow('stop');
    await expect(w.until(() => true, { signal: ac.signal })).rejects.toThrow('stop');
    expect(w.listenerCount).toBe(0);
  });

  it('removes the abort listener once resolved', async () => {
    const w = new Watch(0);
    const ac = new AbortController();
    let added = 0;
    let removed = 0;
    const signal = ac.signal;
    const add = signal.addEventListener.bind(signal);
    const remove = signal.removeEventListener.bind(signal);
    signal.addEventListener = ((...args: Parameters<typeof add>) => {
      added++;
      add(...args);
    }) as typeof add;
    signal.removeEventListener = ((...args: Parameters<typeof remove>) => {
      removed++;
      remove(...args);
    }) as typeof remove;
    for (let i = 0; i < 100; i++) {
      const p = w.changed({ signal });
      w.set(i + 1);
      await p;
    }
    expect(added).toBe(100);
    expect(removed).toBe(100);
  });

  it('a throwing predicate rejects the wait', async () => {
    const w = new Watch(0);
    const boom = () => {
      throw new Error('boom');
    };
    await expect(w.until(boom)).rejects.toThrow('boom');
    const p = w.until((v) => (v === 1 ? boom() : false));
    w.set(1);
    await expect(p).rejects.toThrow('boom');
    expect(w.listenerCount).toBe(0);
  });

  it('equals suppresses no-op sets', async () => {
    const w = new Watch({ n: 1 }, { equals: (a, b) => a.n === b.n });
    const p = w.changed();
    w.set({ n: 1 });
    expect(w.version).toBe(0);
    w.set({ n: 2 });
    await expect(p).resolves.toEqual({ n: 2 });
  });

  it('subscribe() delivers every value until unsubscribed', () => {
    const w = new Watch(0);
    const seen: number[] = [];
    const off = w.subscribe((v) => seen.push(v));
    w.set(1);
    w.set(2);
    off();
    w.set(3);
    expect(seen).toEqual([1, 2]);
    expect(w.listenerCount).toBe(0);
  });

  it('values() yields the current value then later ones', async () => {
    const w = new Watch(0);
    const ac = new AbortController();
    const it = w.values({ signal: ac.signal });
    expect((await it.next()).value).toBe(0);
    const next = it.next();
    w.set(1);
    expect((await next).value).toBe(1);
    w.set(2);
    w.set(3);
    expect((await it.next()).value).toBe(3);
    const pending = it.next();
    ac.abort();
    await expect(pending).rejects.toThrow();
    expect(w.listenerCount).toBe(0);
  });
});
