/**
 * The Ready loop's ordering, with two drivers wired by a fake transport that, like the real one,
 * writes queued frames on a microtask.
 */
import { cborCodec, id, waitFor } from '@mosaik/id';
import { createLogger, createMetrics } from '@mosaik/metrics';
import {
  type Entry,
  MemoryStorage,
  type Message,
  MessageType,
  messageCodec,
  type NodeId,
} from '@mosaik/raft';
import { afterEach, describe, expect, it } from 'vitest';
import { Counter, type CounterCommand } from '../test/fixtures.js';
import { DEFAULT_CONSENSUS } from './config.js';
import { RaftDriver } from './driver.js';
import { GroupsMetrics } from './metrics.js';

/** A memory log whose sync completes on the thread pool's schedule, as `FileStorage`'s does. */
class RecordingDisk extends MemoryStorage {
  constructor(readonly events: string[]) {
    super();
  }
  override append(entries: readonly Entry[]): void {
    for (const e of entries) this.events.push(`written ${e.index}`);
    super.append(entries);
  }
  syncAsync(): Promise<void> {
    return new Promise((resolve) => setImmediate(resolve));
  }
}

const drivers: RaftDriver<CounterCommand>[] = [];
afterEach(() => {
  for (const d of drivers.splice(0)) d.stop();
});

describe('RaftDriver', () => {
  it("hands a leader's appends to the transport before it writes them to its own log", async () => {
    const events: string[] = [];
    const metrics = new GroupsMetrics(createMetrics());
    const logger = createLogger({ level: 'silent' });
    const byId = new Map<NodeId, RaftDriver<CounterCommand>>();
    const make = (self: string, disk: MemoryStorage) => {
      const driver = new RaftDriver<CounterCommand>({
        id: self,
        groupId: id('mosaik.rsm.test/driver'),
        storage: disk,
        machine: new Counter(),
        codec: cborCodec<CounterCommand>(),
        consensus: DEFAULT_CONSENSUS,
        electionFactor: 1,
        host: {
          send: (to, frames) => {
            const messages = frames.map((f) => messageCodec.decode(f) as Message);
            // The transport writes what was queued on a microtask, then the peer reads it later.
            queueMicrotask(() => {
              for (const m of messages)
                if (m.t === MessageType.Append && self === 'a')
                  for (const e of m.entries) events.push(`sent ${e.index}`);
              setImmediate(() => byId.get(to)?.step(messages));
            });
          },
          softState: () => {},
          admitted: () => {},
        },
        metrics,
        logger,
      });
      byId.set(self, driver);
      drivers.push(driver);
      return driver;
    };
    const a = make('a', new RecordingDisk(events));
    const b = make('b', new MemoryStorage());
    expect(a.bootstrap()).toBe(true);
    await waitFor(() => a.raft.role === 'leader', { message: 'a leads alone' });
    b.adopt(a.cluster);
    a.raft.proposeConfChange({ type: 'add-voter', node: 'b' });
    a.pump();
    await waitFor(() => a.raft.conf.voters.length === 2 && b.applied.get() >= a.applied.get(), {
      message: 'b is a voter and caught up',
    });

    // Until b acknowledged a first command, the leader may still be probing it: an append that
    // waits for that answer is not in the Ready that writes the entry.
    const put = async (n: number) => {
      const { last, term, epoch } = a.propose([cborCodec<CounterCommand>().encode({ inc: n })]);
      expect(await waitFor(a.awaitApplied(last, term, epoch), { message: `command ${n} applied` })).toBe(
        true,
      );
      return last;
    };
    await put(1);
    events.length = 0;
    const last = await put(5);
    // Written first, the entry would wait on the leader's thread behind that write.
    expect(events.filter((e) => e.endsWith(` ${last}`))).toEqual([`sent ${last}`, `written ${last}`]);
  });
});
