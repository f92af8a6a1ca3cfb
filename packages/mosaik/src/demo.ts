// The quick-start demo: two nodes on loopback, no external services. One serves
// an "echo" protocol; the other dials it and exchanges a few messages.
import { Network } from './index.js';

const ALPN = '/mosaik/demo/echo/1';

interface Greeting {
  from: string;
  n: number;
  text: string;
}

await using alice = await Network.create('mosaik-demo', { preset: 'local' });
await using bob = await Network.create('mosaik-demo', { preset: 'local' });
console.log(`alice ${alice.peerId.short()} listening on ${alice.addr.directAddresses.join(', ')}`);
console.log(`bob   ${bob.peerId.short()} joins network ${bob.networkId.short()}`);

alice.local.handle<Greeting>(ALPN, async (link) => {
  for await (const msg of link) {
    console.log(`alice <- ${msg.from}: #${msg.n} "${msg.text}"`);
    await link.send({ from: 'alice', n: msg.n, text: msg.text.toUpperCase() });
  }
});

const link = await bob.local.connect<Greeting>(alice.addr, ALPN);
for (const [n, text] of ['hello', 'how are you?', 'goodbye'].entries()) {
  await link.send({ from: 'bob', n, text });
  const reply = await link.recv();
  console.log(`bob   <- ${reply.from}: #${reply.n} "${reply.text}" (rtt ${link.rtt() ?? '?'} ms)`);
}
await link.close();
console.log('done: both nodes close and the process exits');
