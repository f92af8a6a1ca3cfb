import { Counter } from '@mosaik/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import {
  defineStream,
  InvalidArgumentError,
  MosaikError,
  Network,
  type NetworkOptions,
  RelayUnreachableError,
  SecretKey,
  scaled,
  storage,
  TimeoutError,
  waitFor,
} from './index.js';

interface SensorReading {
  temp: number;
}
const SensorReadings = defineStream<SensorReading>('facade-test/sensor-readings');

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
    await groups[1]!.execute({ inc: 2 });
    await groups[2]!.execute({ inc: 3 });
    const { result } = await groups[0]!.query(null, 'strong');
    expect(result).toBe(5);
    await waitFor(() => counters.every((c) => c.value === 5), {
      message: 'every replica applied both commands',
    });
  });
});

/** A relay that never answers: nothing listens on loopback's discard port. */
const deadRelay = { urls: ['http://127.0.0.1:9/'] } as const;

describe('Network.create never hangs silently', () => {
  it('with relays it resolves once bound and reports the relay status as a watch', async () => {
    const net = await Network.create('facade-test', {
      relayMode: deadRelay,
      relayGracePeriod: 100,
      dht: false,
    });
    open.push(net);
    expect(['connecting', 'unreachable']).toContain(net.relay.get().state);
    const status = await net.relay.until((s) => s.state === 'unreachable', {
      signal: AbortSignal.timeout(scaled(10_000)),
    });
    expect(status.homeRelay).toBeUndefined();
    const local = await network();
    expect(local.relay.get().state).toBe('disabled');
    await local.online();
  });

  it('waitForRelay fails with RelayUnreachableError naming the cause and the fix', async () => {
    const error = await Network.create('facade-test', {
      relayMode: deadRelay,
      waitForRelay: true,
      timeout: 300,
      dht: false,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RelayUnreachableError);
    expect(MosaikError.is(error, 'relay_unreachable')).toBe(true);
    expect((error as Error).message).toMatch(
      /no relay answered within 300 ms \(relays: http:\/\/127\.0\.0\.1:9\/\)/,
    );
    expect((error as Error).message).toContain("preset: 'local'");
  });

  it('rejects with the signal reason when aborted, before or while waiting', async () => {
    const reason = new Error('user pressed ctrl-c');
    await expect(
      Network.create('facade-test', { preset: 'local', signal: AbortSignal.abort(reason) }),
    ).rejects.toBe(reason);
    const controller = new AbortController();
    const creating = Network.create('facade-test', {
      relayMode: deadRelay,
      waitForRelay: true,
      dht: false,
      signal: controller.signal,
    });
    controller.abort(reason);
    await expect(creating).rejects.toBe(reason);
  });

  it('timeout bounds create and names the step it interrupted', async () => {
    const net = await network({ timeout: 5_000 });
    expect(net.addr.directAddresses.length).toBeGreaterThan(0);
    expect(await Network.create('facade-test', { timeout: 0 }).catch((e: unknown) => e)).toBeInstanceOf(
      InvalidArgumentError,
    );
    // Binding an endpoint takes far longer than 1 ms: the deadline names the step it interrupted.
    const error = await Network.create('facade-test', { relayMode: deadRelay, dht: false, timeout: 1 }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as Error).message).toBe('Network.create did not finish within 1 ms (binding the endpoint)');
  });
});

describe('Network.create refuses bad input with typed errors', () => {
  const peer = SecretKey.generate().peerId;
  const cases: [string, unknown, unknown, RegExp][] = [
    [
      'an unknown option',
      'n',
      { presett: 'local' },
      /unknown option "presett" \(did you mean "preset"\?\); known options: preset, /,
    ],
    ['an unknown preset', 'n', { preset: 'bogus' }, /preset: expected 'n0' .* or 'local' .*; got "bogus"/],
    [
      'a bootstrap string that is no address',
      'n',
      { bootstrap: ['127.0.0.1:4000'] },
      /bootstrap address "127\.0\.0\.1:4000": "127\.0\.0\.1:4000" is not a peer id/,
    ],
    [
      'a bootstrap id that is a string',
      'n',
      { bootstrap: [{ id: peer.toString(), directAddresses: [] }] },
      /bootstrap\[0\]\.id: expected a PeerId/,
    ],
    [
      'a malformed direct address',
      'n',
      { bootstrap: [{ id: peer, directAddresses: ['my-host'] }] },
      /bootstrap\[0\]\.directAddresses\[0\]: expected "a\.b\.c\.d:port"/,
    ],
    ['bootstrap that is not a list', 'n', { bootstrap: { id: peer } }, /bootstrap: expected an array/],
    ['an empty network name', '', {}, /network: expected a non-empty name/],
    ['a network id of the wrong type', 42, {}, /network: expected a name .* or a NetworkId/],
    [
      'an empty secret key string',
      'n',
      { secretKey: '' },
      /secretKey: expected a SecretKey or a non-empty string/,
    ],
    [
      'a secret key of the wrong type',
      'n',
      { secretKey: new Uint8Array(32) },
      /secretKey: expected a SecretKey/,
    ],
    ['a bad timeout', 'n', { timeout: 'soon' }, /timeout: expected milliseconds/],
    ['a bad signal', 'n', { signal: 'stop' }, /signal: expected an AbortSignal/],
    ['options that are not an object', 'n', 'local', /options: expected an object/],
  ];
  for (const [what, name, options, message] of cases) {
    it(`${what}`, async () => {
      const error = await Network.create(name as string, options as NetworkOptions).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect(MosaikError.is(error, 'invalid_argument')).toBe(true);
      expect((error as Error).message).toMatch(message);
    });
  }
});
