/** The collections tests' preset of the workspace testkit: nodes run groups, everyone knows everyone. */
import { Cluster as TestCluster, type TestNode } from '@mosaik/testkit';
import { afterAll, beforeAll } from 'vitest';

export { DEADLINE as T, FAST_CONSENSUS as FAST, type TestNode, until, within } from '@mosaik/testkit';

/** Nodes of one test network running groups; each new node syncs with all before it. */
export class Cluster extends TestCluster {
  constructor() {
    super({ prefix: 'collections-test', node: { groups: true }, meshOnAdd: true });
  }
}

/** The nodes of one cluster (three, or `count`), shared by the tests of one file. */
export interface SharedNodes {
  readonly cluster: Cluster;
  readonly n0: TestNode;
  readonly n1: TestNode;
  readonly n2: TestNode;
  /** Only with `count` 4 or more. */
  readonly n3: TestNode;
}

/**
 * Registers hooks that start `count` (default three) nodes before the file's tests (then run `setup`, e.g. to hand
 * out tickets) and close them after. The nodes exist only once `beforeAll` ran: read them in tests.
 */
export function sharedNodes(setup?: (nodes: SharedNodes) => Promise<void>, count = 3): SharedNodes {
  const cluster = new Cluster();
  let started: TestNode[] | undefined;
  const node = (i: number): TestNode => {
    const n = started?.[i];
    if (n === undefined) throw new Error('the shared test nodes start in beforeAll: read them inside a test');
    return n;
  };
  const nodes: SharedNodes = {
    cluster,
    get n0() {
      return node(0);
    },
    get n1() {
      return node(1);
    },
    get n2() {
      return node(2);
    },
    get n3() {
      return node(3);
    },
  };
  beforeAll(async () => {
    started = await cluster.addMany(count);
    await setup?.(nodes);
  });
  afterAll(() => cluster.close());
  return nodes;
}

/** A unique collection name per test (a fresh store id). */
export function storeName(what: string): string {
  return `${what}-${Math.random().toString(36).slice(2)}`;
}
