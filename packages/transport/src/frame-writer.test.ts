import { describe, expect, it } from 'vitest';
import { FrameDecoder } from './frame.js';
import { FrameWriter, WRITE_SLICE_SIZE } from './frame-writer.js';
import type { NativeSendStream } from './native.js';

/** A send stream that records each native write and lets the test decide when it completes. */
function fakeStream() {
  const writes: number[][] = [];
  const pending: (() => void)[] = [];
  const stream = {
    writeAll(bytes: number[]): Promise<void> {
      writes.push([...bytes]);
      return new Promise<void>((resolve) => pending.push(resolve));
    },
  } as unknown as NativeSendStream;
  /** Completes writes one by one until the writer stops issuing new ones. */
  const completeAll = async () => {
    for (;;) {
      await new Promise((r) => setImmediate(r));
      const next = pending.shift();
      if (!next) return;
      next();
    }
  };
  return { stream, writes, pending, completeAll };
}

describe('FrameWriter', () => {
  it('coalesces frames written in the same tick into one native write', async () => {
    const fake = fakeStream();
    const writer = new FrameWriter(fake.stream);
    const sends = Array.from({ length: 100 }, (_, i) => writer.write(new Uint8Array([i])));
    await fake.completeAll();
    await Promise.all(sends);
    expect(fake.writes).toHaveLength(1);
    const decoder = new FrameDecoder();
    decoder.push(Uint8Array.from(fake.writes[0]!));
    const frames: number[] = [];
    for (let f = decoder.next(); f; f = decoder.next()) frames.push(f[0]!);
    expect(frames).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  it('writes pre-framed bytes as they are, in order with ordinary frames', async () => {
    const fake = fakeStream();
    const writer = new FrameWriter(fake.stream);
    const twoFrames = Uint8Array.of(0, 0, 0, 1, 7, 0, 0, 0, 2, 8, 9);
    const sends = [
      writer.write(Uint8Array.of(6)),
      writer.writeFramed(twoFrames),
      writer.writeFramed(new Uint8Array(0)),
    ];
    await fake.completeAll();
    await Promise.all(sends);
    expect(fake.writes).toHaveLength(1);
    const decoder = new FrameDecoder();
    decoder.push(Uint8Array.from(fake.writes[0]!));
    const frames: number[][] = [];
    for (let f = decoder.next(); f; f = decoder.next()) frames.push([...f]);
    expect(frames).toEqual([[6], [7], [8, 9]]);
  });

  it('slices a large frame so no native write exceeds the slice size', async () => {
    const fake = fakeStream();
    const writer = new FrameWriter(fake.stream);
    const done = writer.write(new Uint8Array(100_000).fill(9));
    await fake.completeAll();
    await done;
    expect(fake.writes.every((w) => w.length <= WRITE_SLICE_SIZE)).toBe(true);
    expect(fake.writes.reduce((n, w) => n + w.length, 0)).toBe(100_004);
  });

  it('on failure, settles the in-flight write by its outcome and rejects what was queued', async () => {
    const fake = fakeStream();
    const writer = new FrameWriter(fake.stream);
    const inFlight = writer.write(new Uint8Array([1]));
    await new Promise((r) => setImmediate(r)); // the first batch is now being written
    const queued = writer.write(new Uint8Array([2])).catch((error: unknown) => error);
    const failure = new Error('link closed');
    writer.fail(failure);
    await fake.completeAll();
    await expect(inFlight).resolves.toBeUndefined();
    expect(await queued).toBe(failure);
    await expect(writer.write(new Uint8Array([3]))).rejects.toBe(failure);
    expect(fake.writes).toHaveLength(1);
  });

  it('builds a deferred failure only when a write needs it, and only once', async () => {
    const fake = fakeStream();
    const writer = new FrameWriter(fake.stream);
    let built = 0;
    const failure = new Error('link closed');
    writer.failWith(() => {
      built++;
      return failure;
    });
    writer.fail(new Error('a later failure does not replace the first'));
    expect(built).toBe(0);
    await expect(writer.write(new Uint8Array([1]))).rejects.toBe(failure);
    await expect(writer.writeFramed(new Uint8Array([0, 0, 0, 0]))).rejects.toBe(failure);
    expect(built).toBe(1);
    expect(fake.writes).toHaveLength(0);
  });

  it('reports how long it has been quiet: never written, busy while writing, then the time since', async () => {
    const fake = fakeStream();
    const writer = new FrameWriter(fake.stream);
    expect(writer.quietForMs()).toBe(Number.POSITIVE_INFINITY);
    const sent = writer.write(new Uint8Array([1]));
    expect(writer.quietForMs()).toBe(0); // queued
    await new Promise((r) => setImmediate(r));
    expect(fake.pending).toHaveLength(1);
    expect(writer.quietForMs(performance.now() + 60_000)).toBe(0); // handed over, not yet taken
    await fake.completeAll();
    await sent;
    const writtenBy = performance.now();
    const quiet = writer.quietForMs(writtenBy + 5_000);
    expect(quiet).toBeGreaterThanOrEqual(5_000);
    expect(Number.isFinite(quiet)).toBe(true);
  });
});
