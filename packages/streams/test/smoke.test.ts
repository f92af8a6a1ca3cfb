import { id } from '@mosaik/id';
import { describe, expect, it } from 'vitest';
import { defineStream } from '../src/index.js';
import { Cluster, discoverAll, eventually, postcardString } from './net.js';

const Data1 = defineStream<string>('Data1', { codec: postcardString });

describe('smoke', () => {
  it('send_recv: two consumers each receive all 100 datums', async () => {
    await using c = new Cluster();
    const [n0, n1, n2] = await c.addMany(3);
    await discoverAll([n0!, n1!, n2!]);
    const p = n0!.streams.produce(Data1);
    const c1 = n1!.streams.consume(Data1);
    const c2 = n2!.streams.consume(Data1);
    await p.when.subscribed({ atLeast: 2 }).wait();
    for (let i = 0; i < 100; i++) await p.send('hello');
    for (const c of [c1, c2]) {
      for (let i = 0; i < 100; i++) expect(await c.recv()).toBe('hello');
      expect(c.stats().datums).toBe(100);
    }
  });
});
