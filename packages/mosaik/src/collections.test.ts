import { afterEach, describe, expect, it } from 'vitest';
import { defineCollection, Network, scaled } from './index.js';

const Balances = defineCollection.map<string, bigint>(`facade-test/balances-${Math.random()}`, {
  consensus: { bootstrapDelay: 300 },
});

const open: Network[] = [];
afterEach(async () => {
  await Promise.allSettled(open.splice(0).map((n) => n.close()));
});

describe('collections through the facade', () => {
  it('runs the design quick taste: a Map writer on one Network, a reader on another', async () => {
    const net0 = await Network.create('facade-test', { preset: 'local' });
    open.push(net0);
    const net1 = await Network.create('facade-test', { preset: 'local', bootstrap: [net0.addr] });
    open.push(net1);
    const signal = () => AbortSignal.timeout(scaled(15_000));
    const map = Balances.writer(net0);
    await map.when.online({ signal: signal() });
    const version = await map.set('alice', 100n);
    const reader = Balances.reader(net1);
    await reader.when.reaches(version, { signal: signal() });
    expect(reader.get('alice')).toBe(100n);
    await reader.close();
    await map.close();
  });
});
