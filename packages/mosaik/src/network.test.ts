import { afterEach, describe, expect, it } from 'vitest';
import {
  type ApplyContext,
  Digest,
  decodeCbor,
  defineStream,
  encodeCbor,
  Network,
  type StateMachine,
  storage,
  waitFor,
} from './index.js';

interface SensorReading {
  temp: number;
}
const SensorReadings = defineStream<SensorReading>('facade-test/sensor-readings');

class Counter implements StateMachine<{ add: number }, null, number> {
  readonly signature = Digest.hash(new TextEncoder().encode('facade-test/counter/v1'));
  value = 0;
  apply(cmd: { add: number }, _ctx: ApplyContext): void {
    this.value += cmd.add;
  }
  query(): number {
    return this.value;
  }
  snapshot(): Uint8Array {
    return encodeCbor(this.value);
  }
  restore(bytes: Uint8Array): void {
    this.value = decodeCbor(bytes) as number;
  }
}

const open: Network[] = [];
async function network(options: Parameters<typeof Network.create>[1] = {}): Promise<Network> {
  const net = await Network.create('facade-test', { preset: 'local', ...options });
  open.push(net);
  return net;
}

afterEach(async () => {
  await Promise.all(open.splice(0).map((n) => n.close()));
});

describe('Network facade', () => {
  it('runs the quick taste: a producer and a consumer found through a bootstrap peer', async () => {
    const net0 = await network();
    const producer = net0.streams.produce(SensorReadings);
    const net1 = await network({ bootstrap: [net0.addr] });
    const consumer = net1.streams.consume(SensorReadings);
    await producer.when.subscribed({ atLeast: 1 });
    await producer.send({ temp: 21.5 });
    const iterator = consumer[Symbol.asyncIterator]();
    const first = await iterator.next();
    expect(first.value).toEqual({ temp: 21.5 });
    expect(net1.discovery.catalog().get(net0.peerId)).toBeDefined();
  });

  it('replicates a state machine across three nodes through net.groups', async () => {
    const net0 = await network();
    const net1 = await network({ bootstrap: [net0.addr] });
    const net2 = await network({ bootstrap: [net0.addr] });
    const counters = [new Counter(), new Counter(), new Counter()];
    const groups = [net0, net1, net2].map((net, i) =>
      net.groups
        .withKey('facade-test-group')
        .withStateMachine(counters[i]!)
        .withStorage(storage.memory())
        .withConsensus({ bootstrapDelay: 300 })
        .join(),
    );
    await Promise.all(groups.map((g) => g.when.online()));
    await groups[1]!.execute({ add: 2 });
    await groups[2]!.execute({ add: 3 });
    const { result } = await groups[0]!.query(null, 'strong');
    expect(result).toBe(5);
    await waitFor(() => counters.every((c) => c.value === 5), {
      message: 'every replica applied both commands',
    });
  });
});
