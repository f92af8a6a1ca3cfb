/** Test harness: a few engines wired by a synchronous FIFO message pump; timers are collected. */

import type { GossipConfig } from '../src/gossip/config.js';
import { GossipEngine } from '../src/gossip/engine.js';
import type { GossipInput, GossipMessage, GossipOutput, GossipTimer } from '../src/gossip/types.js';
import { fastDigest, seededRandom } from '../src/sim/prng.js';

export interface Sent {
  readonly from: number;
  readonly to: number;
  readonly message: GossipMessage<number>;
}

export class Harness {
  readonly engines = new Map<number, GossipEngine<number>>();
  readonly sent: Sent[] = [];
  readonly outputs = new Map<number, GossipOutput<number>[]>();
  readonly timers: { node: number; afterMs: number; timer: GossipTimer<number> }[] = [];
  readonly delivered: { node: number; content: Uint8Array; from: number; round: number }[] = [];
  /** Messages queued but not yet delivered. */
  readonly queue: Sent[] = [];
  now = 0;

  constructor(
    ids: readonly number[],
    readonly config: Partial<GossipConfig> = {},
  ) {
    for (const id of ids) this.add(id);
  }

  add(id: number): GossipEngine<number> {
    const engine = new GossipEngine<number>({
      me: id,
      key: String,
      now: () => this.now,
      random: seededRandom(id + 1),
      hash: fastDigest,
      config: this.config,
      data: new Uint8Array([id]),
    });
    this.engines.set(id, engine);
    this.outputs.set(id, []);
    return engine;
  }

  engine(id: number): GossipEngine<number> {
    const e = this.engines.get(id);
    if (e === undefined) throw new Error(`no engine ${id}`);
    return e;
  }

  /** Feeds an input and queues the resulting sends. Returns the outputs. */
  input(node: number, input: GossipInput<number>): GossipOutput<number>[] {
    const out = this.engine(node).handle(input);
    this.outputs.get(node)?.push(...out);
    for (const o of out) {
      if (o.type === 'send') {
        const s = { from: node, to: o.to, message: o.message };
        this.sent.push(s);
        this.queue.push(s);
      } else if (o.type === 'timer') this.timers.push({ node, afterMs: o.afterMs, timer: o.timer });
      else if (o.type === 'deliver')
        this.delivered.push({ node, content: o.content, from: o.from, round: o.round });
    }
    return out;
  }

  /** Delivers queued messages (FIFO) until none is left; messages to unknown nodes are dropped. */
  pump(filter: (s: Sent) => boolean = () => true): void {
    for (let guard = 0; guard < 10_000; guard++) {
      const idx = this.queue.findIndex(filter);
      if (idx < 0) return;
      const [s] = this.queue.splice(idx, 1) as [Sent];
      if (this.engines.has(s.to)) this.input(s.to, { type: 'message', from: s.from, message: s.message });
    }
    throw new Error('pump did not settle');
  }

  /** Fires every collected timer of `kind` (optionally for one node), advancing the clock by its delay. */
  fire(kind: GossipTimer<number>['kind'], node?: number): void {
    const due = this.timers.filter((t) => t.timer.kind === kind && (node === undefined || t.node === node));
    for (const t of due) this.timers.splice(this.timers.indexOf(t), 1);
    for (const t of due) this.input(t.node, { type: 'timer', timer: t.timer });
  }

  sentOfType(t: number, pred: (s: Sent) => boolean = () => true): Sent[] {
    return this.sent.filter((s) => s.message.t === t && pred(s));
  }

  /** A star/line topology: each listed node joins through `contact`. */
  joinAll(contact: number, nodes: readonly number[]): void {
    for (const n of nodes) {
      this.input(n, { type: 'join', peers: [{ id: contact }] });
      this.pump();
    }
  }
}

export function sorted(xs: readonly number[]): number[] {
  return [...xs].sort((a, b) => a - b);
}
