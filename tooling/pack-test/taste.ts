// The README's taste on one host (`preset: 'local'`: loopback, no relays, no DHT), run against the
// `mosaik` tarball installed with npm.
import { defineStream, Network } from 'mosaik';

const SensorReadings = defineStream<{ temp: number }>('sensor-readings');

const net0 = await Network.create('my-app', { preset: 'local' });
const producer = net0.streams.produce(SensorReadings);
const net1 = await Network.create('my-app', { preset: 'local', bootstrap: [net0.addr] });
const consumer = net1.streams.consume(SensorReadings);

await producer.when.subscribed({ atLeast: 1 });
await producer.send({ temp: 21.5 });
for await (const reading of consumer) {
  console.log(JSON.stringify(reading));
  break;
}

await net1.close();
await net0.close();
