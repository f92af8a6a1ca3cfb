#!/usr/bin/env node
// Compares two V8 heap snapshots (`.heapsnapshot`, e.g. the soak witness's from
// `SOAK_HEAP_SNAPSHOTS=120,480`): object counts and shallow sizes grouped by constructor (or by
// node type for strings, arrays, closures and native nodes), sorted by the growth in bytes.
// Prints one JSON line per group that grew or shrank, biggest change first, then a total line.
//
//   node tooling/soak/heap-diff.mjs before.heapsnapshot after.heapsnapshot [top=30]
//
// Shallow sizes only: a leak shows as a constructor whose count keeps rising between snapshots;
// what holds it is for the DevTools retainers view.
import { readFileSync } from 'node:fs';

const [beforePath, afterPath, topArg] = process.argv.slice(2);
if (beforePath === undefined || afterPath === undefined) {
  console.error('usage: heap-diff.mjs before.heapsnapshot after.heapsnapshot [top=30]');
  process.exit(2);
}
const top = Number(topArg ?? 30);

/** Count and shallow size per group of one snapshot. */
function groups(path) {
  const snapshot = JSON.parse(readFileSync(path, 'utf8'));
  const fields = snapshot.snapshot.meta.node_fields;
  const types = snapshot.snapshot.meta.node_types[0];
  const width = fields.length;
  const typeAt = fields.indexOf('type');
  const nameAt = fields.indexOf('name');
  const sizeAt = fields.indexOf('self_size');
  const { nodes, strings } = snapshot;
  const out = new Map();
  for (let i = 0; i < nodes.length; i += width) {
    const type = types[nodes[i + typeAt]];
    // Objects by constructor; everything else by its type (names of strings are their contents).
    const name = type === 'object' || type === 'native' ? `${type}:${strings[nodes[i + nameAt]]}` : type;
    const group = out.get(name) ?? { count: 0, bytes: 0 };
    group.count++;
    group.bytes += nodes[i + sizeAt];
    out.set(name, group);
  }
  return out;
}

const before = groups(beforePath);
const after = groups(afterPath);
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
  [...m.values()].reduce((s, g) => ({ count: s.count + g.count, bytes: s.bytes + g.bytes }), {
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
