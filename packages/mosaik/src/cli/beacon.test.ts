import { afterEach, describe, expect, it } from 'vitest';
import { collect, exited, spawnCli, stop, Ticks } from '../../test/fixtures.js';
import { id, Network, parseBootstrapAddr, scaled, waitFor } from '../index.js';

const open: Network[] = [];
const children: ReturnType<typeof spawnCli>[] = [];
afterEach(async () => {
  await Promise.all(children.splice(0).map(stop));
  await Promise.all(open.splice(0).map((n) => n.close()));
});

describe('mosaik beacon', () => {
  it('bootstraps two nodes that exchange a datum, and departs gracefully on SIGTERM', async () => {
    const network = `beacon-test-${Math.random()}`;
    const beacon = spawnCli([
      'beacon',
      '--network-id',
      network,
      '--secret',
      'beacon-test',
      '--preset',
      'local',
      '-q',
    ]);
    children.push(beacon);
    const out = collect(beacon);
    const line = await waitFor(() => /^ {2}bootstrap +(\S+)$/m.exec(out.stdout)?.[1], {
      timeout: 20_000,
      message: () => `the beacon printed its bootstrap string (stdout: ${out.stdout}, stderr: ${out.stderr})`,
    });
    const addr = parseBootstrapAddr(line);
    expect(out.stdout).toContain(`network     ${id(network).toString()}`);
    expect(out.stdout).toContain('beacon (');
    // A fixed secret gives a stable identity; no warning about it, but one about nothing else either.
    expect(out.stderr).not.toContain('no --secret');

    // Purging would take 10 minutes: a quick drop can only come from the departure.
    const options = { preset: 'local' as const, bootstrap: [line], discovery: { purgeAfterMs: 600_000 } };
    const a = await Network.create(network, options);
    open.push(a);
    const b = await Network.create(network, options);
    open.push(b);
    const producer = a.streams.produce(Ticks);
    const consumer = b.streams.consume(Ticks);
    await waitFor(producer.when.subscribed({ atLeast: 1 }).wait(), {
      timeout: 20_000,
      message: 'the consumer found the producer through the beacon',
    });
    await producer.send({ n: 42 });
    expect(await consumer.recv(AbortSignal.timeout(scaled(10_000)))).toEqual({ n: 42 });
    for (const n of [a, b]) expect(n.discovery.catalog().get(addr.id)).toBeDefined();
    // The beacon has both in its view: its departure reaches them directly.
    await waitFor(() => a.discovery.catalog().get(b.peerId) !== undefined, { timeout: 10_000 });

    beacon.kill('SIGTERM');
    await waitFor(() => [a, b].every((n) => n.discovery.catalog().get(addr.id) === undefined), {
      timeout: 5_000,
      message: 'both nodes dropped the beacon after its departure',
    });
    expect(await waitFor(exited(beacon), { timeout: 10_000, message: 'the beacon exited' })).toBe(0);
    expect(out.stderr).toContain('SIGTERM: leaving the network');
  });

  it('warns about a random identity and network id', async () => {
    const beacon = spawnCli(['beacon', '--preset', 'local', '-q']);
    children.push(beacon);
    const out = collect(beacon);
    await waitFor(() => out.stdout.includes('Hit Ctrl+C'), {
      timeout: 20_000,
      message: () => `the beacon started (stderr: ${out.stderr})`,
    });
    expect(out.stderr).toContain('no --network-id given');
    expect(out.stderr).toContain('no --secret given');
    beacon.kill('SIGINT');
    expect(await waitFor(exited(beacon), { timeout: 10_000, message: 'the beacon exited' })).toBe(0);
  });

  it('takes its settings from the MOSAIK_BOOTSTRAP_* environment', async () => {
    const network = `beacon-env-${Math.random()}`;
    const beacon = spawnCli(
      ['beacon', '--preset', 'local', '--metrics', '127.0.0.1:0', '--diagnostics', '127.0.0.1:0'],
      {
        MOSAIK_BOOTSTRAP_NETWORK_ID: network,
        MOSAIK_BOOTSTRAP_SECRET: 'env-secret',
        MOSAIK_BOOTSTRAP_TAGS: 'edge,eu-west',
        MOSAIK_BOOTSTRAP_QUIET: '1',
      },
    );
    children.push(beacon);
    const out = collect(beacon);
    await waitFor(() => out.stdout.includes('Hit Ctrl+C'), {
      timeout: 20_000,
      message: 'the beacon started',
    });
    expect(out.stdout).toContain(`network     ${id(network).toString()}`);
    expect(out.stdout).toMatch(/tags +edge \(\w+\), eu-west \(\w+\)/);
    expect(out.stderr).toBe('');
    const metrics = /^ {2}metrics +(\S+)$/m.exec(out.stdout)![1]!;
    expect(await (await fetch(metrics)).text()).toContain('mosaik_discovery_catalog_size');
    const page = /^ {2}diagnostics +(\S+)$/m.exec(out.stdout)![1]!;
    const snapshot = (await (await fetch(new URL('api/snapshot', page))).json()) as {
      node: { tags: string[] };
    };
    expect(snapshot.node.tags).toEqual(['edge', 'eu-west'].map((t) => id(t).toString().slice(0, 10)).sort());
  });
});
