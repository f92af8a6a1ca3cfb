// Two nodes exchange a datum with nothing but `@mosaik/streams` installed (its README's example).
import { Discovery } from '@mosaik/discovery';
import { defineStream, Streams } from '@mosaik/streams';
import { LocalNode } from '@mosaik/transport';

const Prices = defineStream<{ symbol: string; price: number }>('prices');
const network = `pack-test-streams-${process.pid}`;

async function start() {
  const node = await LocalNode.bind(network, { preset: 'local' });
  const discovery = await Discovery.start(node);
  return { node, discovery, streams: new Streams(node, discovery) };
}

const a = await start();
const b = await start();
await b.discovery.syncWith(a.node.addr());

const producer = a.streams.produce(Prices);
const consumer = b.streams.consume(Prices);
await producer.when.online();
await producer.send({ symbol: 'ETH', price: 3100 });
console.log(JSON.stringify(await consumer.recv()));

for (const n of [b, a]) {
  await n.streams.close();
  await n.discovery.close();
  await n.node.close();
}
