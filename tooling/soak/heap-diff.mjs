#!/usr/bin/env node
// Reads V8 heap snapshots (`.heapsnapshot`, e.g. the soak witness's from
// `SOAK_HEAP_SNAPSHOTS=120,480`) and prints JSON lines, biggest first.
//
//   node tooling/soak/heap-diff.mjs before.heapsnapshot after.heapsnapshot [top=30]
//     object counts and shallow sizes grouped by constructor (by node type for strings, arrays,
//     code), the groups that changed between the two snapshots, by the change in bytes;
//   node tooling/soak/heap-diff.mjs --buffers snapshot.heapsnapshot [top=30] [depth=6]
//     array-buffer backing stores (what `process.memoryUsage().arrayBuffers` counts) grouped by
//     their chain of retainers: which objects keep the bytes alive;
//   node tooling/soak/heap-diff.mjs --retainers Name snapshot.heapsnapshot [top=30] [depth=6]
//     the same for the objects of constructor `Name`, counted and summed by shallow size.
//
// Shallow sizes only: a leak shows as a group whose count keeps rising between snapshots.
import { readFileSync } from 'node:fs';

const args = process.argv.slice(2);
if (args[0] === '--buffers' && args[1] !== undefined) {
  printRetainers(load(args[1]), 'system / JSArrayBufferData', Number(args[2] ?? 30), Number(args[3] ?? 6));
} else if (args[0] === '--retainers' && args[2] !== undefined) {
  printRetainers(load(args[2]), args[1], Number(args[3] ?? 30), Number(args[4] ?? 6));
} else if (args.length >= 2 && !args[0].startsWith('--')) {
  printDiff(load(args[0]), load(args[1]), Number(args[2] ?? 30));
} else {
  console.error('usage: heap-diff.mjs before.heapsnapshot after.heapsnapshot [top]');
  console.error('       heap-diff.mjs --buffers snapshot.heapsnapshot [top] [depth]');
  console.error('       heap-diff.mjs --retainers Name snapshot.heapsnapshot [top] [depth]');
  process.exit(2);
}

/** The snapshot's flat arrays with accessors for node and edge fields. */
function load(path) {
  const raw = JSON.parse(readFileSync(path, 'utf8'));
  const meta = raw.snapshot.meta;
  const nodeWidth = meta.node_fields.length;
  const edgeWidth = meta.edge_fields.length;
  const field = (name) => meta.node_fields.indexOf(name);
  const at = {
    type: field('type'),
    name: field('name'),
    size: field('self_size'),
    edges: field('edge_count'),
  };
  const nodeTypes = meta.node_types[0];
  const edgeTypes = meta.edge_types[0];
  const count = raw.nodes.length / nodeWidth;
  return {
    raw,
    count,
    nodeWidth,
    edgeWidth,
    type: (n) => nodeTypes[raw.nodes[n * nodeWidth + at.type]],
    name: (n) => raw.strings[raw.nodes[n * nodeWidth + at.name]],
    size: (n) => raw.nodes[n * nodeWidth + at.size],
    edgeCount: (n) => raw.nodes[n * nodeWidth + at.edges],
    edgeType: (e) => edgeTypes[raw.edges[e * edgeWidth]],
    edgeName: (e) => raw.edges[e * edgeWidth + 1],
    edgeTo: (e) => raw.edges[e * edgeWidth + 2] / nodeWidth,
  };
}

/** Objects by constructor; everything else by its type (a string's name is its contents). */
function groupName(s, n) {
  const type = s.type(n);
  return type === 'object' || type === 'native' ? `${type}:${s.name(n)}` : type;
}

function groups(s) {
  const out = new Map();
  for (let n = 0; n < s.count; n++) {
    const key = groupName(s, n);
    const group = out.get(key) ?? { count: 0, bytes: 0 };
    group.count++;
    group.bytes += s.size(n);
    out.set(key, group);
  }
  return out;
}

function printDiff(beforeSnapshot, afterSnapshot, top) {
  const before = groups(beforeSnapshot);
  const after = groups(afterSnapshot);
  const rows = [];
  for (const name of new Set([...before.keys(), ...after.keys()])) {
    const b = before.get(name) ?? { count: 0, bytes: 0 };
    const a = after.get(name) ?? { count: 0, bytes: 0 };
    if (a.count === b.count && a.bytes === b.bytes) continue;
    rows.push({
      name,
      countBefore: b.count,
      countAfter: a.count,
      deltaCount: a.count - b.count,
      deltaBytes: a.bytes - b.bytes,
    });
  }
  rows.sort((x, y) => Math.abs(y.deltaBytes) - Math.abs(x.deltaBytes));
  for (const row of rows.slice(0, top)) console.log(JSON.stringify(row));
  const total = (m) =>
    [...m.values()].reduce((t, g) => ({ count: t.count + g.count, bytes: t.bytes + g.bytes }), {
      count: 0,
      bytes: 0,
    });
  const tb = total(before);
  const ta = total(after);
  console.log(
    JSON.stringify({
      total: true,
      countBefore: tb.count,
      countAfter: ta.count,
      bytesBefore: tb.bytes,
      bytesAfter: ta.bytes,
    }),
  );
}

/** For each node, the edges that point at it (from-node and edge index). */
function retainers(s) {
  const edgeTotal = s.raw.edges.length / s.edgeWidth;
  const start = new Uint32Array(s.count + 1);
  for (let e = 0; e < edgeTotal; e++) start[s.edgeTo(e) + 1]++;
  for (let n = 0; n < s.count; n++) start[n + 1] += start[n];
  const from = new Uint32Array(edgeTotal);
  const edge = new Uint32Array(edgeTotal);
  const fill = start.slice();
  let e = 0;
  for (let n = 0; n < s.count; n++)
    for (let k = s.edgeCount(n); k > 0; k--, e++) {
      const slot = fill[s.edgeTo(e)]++;
      from[slot] = n;
      edge[slot] = e;
    }
  return { start, from, edge };
}

function printRetainers(s, name, top, depth) {
  const back = retainers(s);
  const label = (n) => {
    const type = s.type(n);
    return type === 'object' || type === 'native' || type === 'closure'
      ? s.name(n).slice(0, 40)
      : `(${type})`;
  };
  const edgeLabel = (e) => {
    const type = s.edgeType(e);
    if (type === 'element' || type === 'hidden') return `[${type}]`;
    // Numbered internal slots (arrays of contexts, generator registers) would split every group.
    const name = String(s.raw.strings[s.edgeName(e)]);
    return /^\d+$/.test(name) ? '[n]' : name.slice(0, 30);
  };
  const out = new Map();
  for (let n = 0; n < s.count; n++) {
    if (s.name(n) !== name || s.type(n) === 'string') continue;
    // The first strong retainer at each step: one path, enough to name the holder.
    const chain = [];
    const seen = new Set([n]);
    for (let cur = n, d = 0; d < depth; d++) {
      let next = -1;
      for (let k = back.start[cur]; k < back.start[cur + 1]; k++) {
        if (s.edgeType(back.edge[k]) === 'weak' || seen.has(back.from[k])) continue;
        next = k;
        break;
      }
      if (next < 0) break;
      cur = back.from[next];
      seen.add(cur);
      chain.push(`${label(cur)}.${edgeLabel(back.edge[next])}`);
    }
    const key = chain.join(' < ');
    const group = out.get(key) ?? { count: 0, bytes: 0 };
    group.count++;
    group.bytes += s.size(n);
    out.set(key, group);
  }
  const rows = [...out].sort((a, b) => b[1].bytes - a[1].bytes).slice(0, top);
  for (const [retainedBy, g] of rows)
    console.log(JSON.stringify({ bytes: g.bytes, count: g.count, retainedBy }));
}
