import { describe, expect, it } from 'vitest';
import { abortable, Condition, Watch } from './index.js';

/** A condition over a watch: holds while the value reaches `min`. */
class AtLeast extends Condition<number> {
  constructor(
    private readonly watch: Watch<number>,
    private readonly min: number,
  ) {
    super();
  }
  wait(signal?: AbortSignal): Promise<number> {
    return this.watch.until((v) => v >= this.min, signal ? { signal } : {});
  }
}

describe('Condition', () => {
  it('is awaitable as written and waits until it holds', async () => {
    const w = new Watch(0);
    let done = false;
    const waiting = (async () => {
      const v = await new AtLeast(w, 2);
      done = true;
      return v;
    })();
    w.set(1);
    await Promise.resolve();
    expect(done).toBe(false);
    w.set(2);
    await expect(waiting).resolves.toBe(2);
  });

  it('keeps the explicit form, which a signal aborts with its reason', async () => {
    const w = new Watch(0);
    const controller = new AbortController();
    const waiting = new AtLeast(w, 1).wait(controller.signal);
    const reason = new Error('stop');
    controller.abort(reason);
    await expect(waiting).rejects.toBe(reason);
    expect(w.listenerCount).toBe(0);
  });

  it('works with Promise combinators', async () => {
    const w = new Watch(5);
    await expect(Promise.all([new AtLeast(w, 1), new AtLeast(w, 5)])).resolves.toEqual([5, 5]);
  });
});

describe('abortable', () => {
  it('passes the value through when not aborted and removes its listener', async () => {
    const controller = new AbortController();
    await expect(abortable(Promise.resolve(7), controller.signal)).resolves.toBe(7);
    await expect(abortable(Promise.reject(new Error('x')), controller.signal)).rejects.toThrow('x');
  });

  it('rejects with the reason at once when the signal aborts, swallowing the late rejection', async () => {
    const controller = new AbortController();
    let rejectLater: (e: unknown) => void = () => {};
    const work = new Promise<number>((_, reject) => {
      rejectLater = reject;
    });
    const waiting = abortable(work, controller.signal);
    controller.abort('gone');
    await expect(waiting).rejects.toBe('gone');
    rejectLater(new Error('late'));
    await expect(abortable(Promise.resolve(1), AbortSignal.abort('already'))).rejects.toBe('already');
  });
});
