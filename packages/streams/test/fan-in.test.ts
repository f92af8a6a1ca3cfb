import { within } from '@mosaik/testkit';
import { describe, expect, it } from 'vitest';
import { defineStream } from '../src/index.js';
import { Cluster, discoverAll, eventually, postcardString } from './net.js';

const Reports = defineStream<string>('FanInReports', { codec: postcardString });

/** More producers than Node's default of 10 listeners per event target. */
const PRODUCERS = 12;

describe('fan-in', () => {
  it('one consumer of twelve producers hears each of them and hangs no listener per producer', async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error) => {
      if (warning.name === 'MaxListenersExceededWarning') warnings.push(warning.message);
    };
    process.on('warning', onWarning);
    try {
      await using c = new Cluster();
      const nodes = await c.addMany(PRODUCERS + 1);
      await discoverAll(nodes);
      const [sink, ...sources] = nodes;
      const producers = sources.map((n) => n.streams.produce(Reports));
      const consumer = sink!.streams.consume(Reports);
      await eventually(
        () => consumer.producers().filter((p) => p.state === 'connected').length === PRODUCERS,
        `consumer connected to all ${PRODUCERS} producers`,
        20_000,
      );
      await Promise.all(producers.map((p, i) => p.send(`from ${i}`)));
      const heard = new Set<string>();
      while (heard.size < PRODUCERS) heard.add((await consumer.recv(within(20_000).signal))!);
      expect([...heard].sort()).toEqual(producers.map((_, i) => `from ${i}`).sort());
      await consumer.close();
      expect(consumer.producers()).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
    // Warnings are emitted on the next tick; closing the cluster gave them time to arrive.
    expect(warnings).toEqual([]);
  }, 120_000);
});
