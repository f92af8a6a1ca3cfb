/**
 * A linearizability checker: the Wing–Gong search with Lowe's memoization, partitioned by key,
 * as Porcupine does. Histories are small (hundreds of operations per key), so the exponential
 * worst case stays out of reach in practice; a step budget turns it into an "unknown" answer.
 */

/** The sequential specification of the object under test. */
export interface Model<S, I, O> {
  init(): S;
  /** Applies `input` to `state`: whether `output` is what it would return, and the next state. */
  step(state: S, input: I, output: O): [boolean, S];
  /** Splits the history into independent parts (e.g. by key). Default: one part. */
  partition?(input: I): string;
  /** A string that is equal for equal states (for memoization). Default: JSON. */
  hash?(state: S): string;
}

/** One completed (or timed-out) operation. Times are any increasing clock; `Infinity` = no answer. */
export interface Operation<I, O> {
  readonly client: number;
  readonly input: I;
  readonly output: O;
  readonly call: number;
  readonly ret: number;
}

/** Verdict of the checker: linearizable, not linearizable, or undecided within the search budget. */
export type CheckResult = 'ok' | 'illegal' | 'unknown';

interface Node {
  readonly op: number; // index into ops
  readonly isCall: boolean;
  match: Node | undefined; // call → its return
  prev: Node | undefined;
  next: Node | undefined;
}

/** Checks one history against a model. */
export function checkOperations<S, I, O>(
  model: Model<S, I, O>,
  history: readonly Operation<I, O>[],
  options: { maxSteps?: number } = {},
): CheckResult {
  const parts = new Map<string, Operation<I, O>[]>();
  for (const op of history) {
    const k = model.partition?.(op.input) ?? '';
    let p = parts.get(k);
    if (p === undefined) {
      p = [];
      parts.set(k, p);
    }
    p.push(op);
  }
  let result: CheckResult = 'ok';
  for (const part of parts.values()) {
    const r = checkPart(model, part, options.maxSteps ?? 5_000_000);
    if (r === 'illegal') return 'illegal';
    if (r === 'unknown') result = 'unknown';
  }
  return result;
}

function checkPart<S, I, O>(
  model: Model<S, I, O>,
  ops: readonly Operation<I, O>[],
  maxSteps: number,
): CheckResult {
  const hash = model.hash ?? ((s: S) => JSON.stringify(s));
  // Events sorted by time; at equal times calls go first (treating the operations as concurrent
  // is the permissive choice: it can only hide, never invent, a violation).
  const events: { time: number; isCall: boolean; op: number }[] = [];
  ops.forEach((op, i) => {
    events.push({ time: op.call, isCall: true, op: i });
    events.push({ time: op.ret, isCall: false, op: i });
  });
  events.sort((a, b) =>
    a.time < b.time ? -1 : a.time > b.time ? 1 : a.isCall === b.isCall ? 0 : a.isCall ? -1 : 1,
  );

  const head: Node = { op: -1, isCall: false, match: undefined, prev: undefined, next: undefined };
  let tail = head;
  const calls = new Map<number, Node>();
  for (const ev of events) {
    const n: Node = { op: ev.op, isCall: ev.isCall, match: undefined, prev: tail, next: undefined };
    tail.next = n;
    tail = n;
    if (ev.isCall) calls.set(ev.op, n);
    else calls.get(ev.op)!.match = n;
  }

  const lift = (n: Node) => {
    n.prev!.next = n.next;
    if (n.next !== undefined) n.next.prev = n.prev;
    const m = n.match!;
    m.prev!.next = m.next;
    if (m.next !== undefined) m.next.prev = m.prev;
  };
  const unlift = (n: Node) => {
    const m = n.match!;
    m.prev!.next = m;
    if (m.next !== undefined) m.next.prev = m;
    n.prev!.next = n;
    if (n.next !== undefined) n.next.prev = n;
  };

  const words = Math.ceil(ops.length / 32) || 1;
  const linearized = new Uint32Array(words);
  const cache = new Set<string>();
  const stack: { node: Node; state: S }[] = [];
  let state = model.init();
  let entry = head.next;
  let steps = 0;

  while (head.next !== undefined) {
    if (++steps > maxSteps) return 'unknown';
    if (entry === undefined) return 'illegal'; // cannot happen: a return always ends the list
    if (entry.isCall) {
      const op = ops[entry.op]!;
      const [ok, next] = model.step(state, op.input, op.output);
      if (ok) {
        const w = entry.op >>> 5;
        const bit = 1 << (entry.op & 31);
        linearized[w]! |= bit;
        const key = `${linearized.join(',')}|${hash(next)}`;
        if (!cache.has(key)) {
          cache.add(key);
          stack.push({ node: entry, state });
          state = next;
          lift(entry);
          entry = head.next;
          continue;
        }
        linearized[w]! &= ~bit;
      }
      entry = entry.next;
    } else {
      // The earliest pending return cannot be linearized here: backtrack.
      const top = stack.pop();
      if (top === undefined) return 'illegal';
      state = top.state;
      linearized[top.node.op >>> 5]! &= ~(1 << (top.node.op & 31));
      unlift(top.node);
      entry = top.node.next;
    }
  }
  return 'ok';
}
