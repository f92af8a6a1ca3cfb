// A two-member consensus group with nothing but `@mosaik/rsm` installed: the second member joins
// the cluster the first one founded, commits a command through the leader, and the first member
// reads it back with a linearizable query.
import { Discovery } from '@mosaik/discovery';
import { Digest, decodeCbor, encodeCbor } from '@mosaik/id';
import { type ApplyContext, Groups, type StateMachine, storage } from '@mosaik/rsm';
import { type EndpointAddr, LocalNode } from '@mosaik/transport';

class Counter implements StateMachine<{ add: number }, null, number> {
  readonly signature = Digest.from('pack-test/counter/v1');
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

const network = `pack-test-rsm-${process.pid}`;

async function member(bootstrap: EndpointAddr[]) {
  const node = await LocalNode.bind(network, { preset: 'local' });
  const discovery = await Discovery.start(node, { bootstrap });
  const groups = new Groups(node, discovery);
  const group = groups
    .withKey('pack-test-secret')
    .withStateMachine(new Counter())
    .withStorage(storage.memory())
    .withConsensus({ bootstrapDelay: 500 })
    .join();
  return { node, discovery, groups, group };
}

const a = await member([]);
await a.group.when.online();
const b = await member([a.node.addr()]);
await b.group.when.online();

const index = await b.group.execute({ add: 5 });
const { result } = await a.group.query(null, 'strong');
console.log(JSON.stringify({ index, result }));

for (const m of [b, a]) {
  await m.group.close();
  await m.groups.close();
  await m.discovery.close();
  await m.node.close();
}
