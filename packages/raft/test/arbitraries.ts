/** fast-check arbitraries of the Raft wire types, shared by the codec tests and the decoder fuzz. */
import fc from 'fast-check';
import { type ConfState, type Entry, EntryType, type Message, MessageType } from '../src/types.js';

const id = fc.string({ maxLength: 8 });
const u = fc.nat({ max: 2 ** 40 });
export const conf: fc.Arbitrary<ConfState> = fc.record({
  voters: fc.array(id, { maxLength: 4 }),
  learners: fc.array(id, { maxLength: 3 }),
});
export const entry = (index: number): fc.Arbitrary<Entry> =>
  fc.oneof(
    fc.record({
      term: u,
      index: fc.constant(index),
      type: fc.constant(EntryType.Normal),
      data: fc.uint8Array({ maxLength: 32 }),
    }),
    fc.record({
      term: u,
      index: fc.constant(index),
      type: fc.constant(EntryType.Conf),
      data: fc.constant(new Uint8Array(0)),
      conf,
    }),
  );
const env = { from: id, to: id, term: u };
export const message: fc.Arbitrary<Message> = fc.oneof(
  fc.tuple(u, fc.nat({ max: 4 })).chain(([index, n]) =>
    fc.record({
      t: fc.constant(MessageType.Append),
      ...env,
      index: fc.constant(index),
      logTerm: u,
      entries: fc.tuple(...Array.from({ length: n }, (_, i) => entry(index + 1 + i))),
      commit: u,
    }),
  ),
  fc.record({
    t: fc.constant(MessageType.AppendResp),
    ...env,
    index: u,
    reject: fc.boolean(),
    hint: u,
    hintTerm: u,
  }),
  fc.record({
    t: fc.constantFrom(MessageType.Vote, MessageType.PreVote),
    ...env,
    index: u,
    logTerm: u,
    force: fc.boolean(),
  }),
  fc.record({
    t: fc.constantFrom(MessageType.VoteResp, MessageType.PreVoteResp),
    ...env,
    reject: fc.boolean(),
  }),
  fc.record({ t: fc.constant(MessageType.Heartbeat), ...env, commit: u, round: u, ctx: fc.string() }),
  fc.record({ t: fc.constant(MessageType.HeartbeatResp), ...env, round: u, ctx: fc.string() }),
  fc
    .tuple(fc.uint8Array({ maxLength: 16 }), fc.nat({ max: 100 }), fc.nat({ max: 100 }))
    .chain(([data, offset, extra]) =>
      fc.record({
        t: fc.constant(MessageType.Snapshot),
        ...env,
        meta: fc.record({ index: u, term: u, conf }),
        offset: fc.constant(offset),
        total: fc.constant(offset + data.length + extra),
        data: fc.constant(data),
      }),
    ),
  fc.record({ t: fc.constant(MessageType.SnapshotResp), ...env, index: u, offset: u, reject: fc.boolean() }),
  fc.record({ t: fc.constant(MessageType.TimeoutNow), ...env }),
  fc.record({ t: fc.constant(MessageType.ReadIndex), ...env, ctx: fc.string() }),
  fc.record({ t: fc.constant(MessageType.ReadIndexResp), ...env, index: u, ctx: fc.string() }),
  fc.tuple(u, fc.nat({ max: 4 })).chain(([index, n]) =>
    fc.record({
      t: fc.constant(MessageType.RelayedAppend),
      ...env,
      leader: fc.string(),
      index: fc.constant(index),
      logTerm: u,
      entries: fc.tuple(...Array.from({ length: n }, (_, i) => entry(index + 1 + i))),
      commit: u,
    }),
  ),
  fc.tuple(u, fc.nat({ max: 1000 })).chain(([index, more]) =>
    fc.record({
      t: fc.constant(MessageType.Relay),
      ...env,
      target: fc.string(),
      index: fc.constant(index),
      logTerm: u,
      last: fc.constant(index + 1 + more),
      lastTerm: u,
      commit: u,
    }),
  ),
) as fc.Arbitrary<Message>;
