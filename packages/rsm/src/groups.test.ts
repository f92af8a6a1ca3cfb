import { Digest, EncodeError, id, waitFor } from '@mosaik/id';
import { Jwt } from '@mosaik/tickets';
import { describe, expect, it } from 'vitest';
import { Cluster, Counter, type CounterCommand, discoverAll, FAST, T } from '../test/fixtures.js';
import { GroupTerminatedError, NoCommandsError, OfflineError } from './errors.js';
import { GroupKey } from './key.js';
import { NoOp } from './state-machine.js';
import { storage } from './storage.js';

describe('GroupKey and GroupId', () => {
  it('keys from secrets, digests and validators; display is masked', () => {
    expect(GroupKey.fromSecret('s').equals(GroupKey.fromSecret('s'))).toBe(true);
    expect(GroupKey.fromSecret('s').equals(GroupKey.fromSecret('t'))).toBe(false);
    expect(GroupKey.random().equals(GroupKey.random())).toBe(false);
    const jwt = () => new Jwt({ key: { alg: 'HS256', secret: id('k').bytes }, issuer: 'i' });
    expect(GroupKey.fromValidator(jwt()).equals(GroupKey.fromValidator(jwt()))).toBe(true);
    expect(GroupKey.fromSecret('s').toString()).toMatch(/^[0-9a-f]{2}\*\*\*\*[0-9a-f]{2}$/);
  });

  it('group id derives from key, machine, shared consensus and validators; never storage (builder.rs)', async () => {
    await using c = new Cluster();
    const [n] = await c.addMany(1);
    const g = n!.groups;
    const base = g.withKey('k1').withStateMachine(new Counter());
    expect(base.withStorage(storage.memory()).groupId().equals(base.groupId())).toBe(true);
    expect(base.withStorage(storage.file('/tmp/unused')).groupId().equals(base.groupId())).toBe(true);
    expect(g.withKey('k2').withStateMachine(new Counter()).groupId().equals(base.groupId())).toBe(false);
    expect(g.withKey('k1').withStateMachine(new NoOp()).groupId().equals(base.groupId())).toBe(false);
    // Local timeouts do not split a group; the failure detector and the voter bound do.
    expect(base.withConsensus({ electionTimeout: 5000 }).groupId().equals(base.groupId())).toBe(true);
    expect(base.withConsensus({ heartbeatInterval: 250 }).groupId().equals(base.groupId())).toBe(false);
    expect(base.withConsensus({ maxVoters: 3 }).groupId().equals(base.groupId())).toBe(false);
    expect(base.withConsensus({ relayLearners: false }).groupId().equals(base.groupId())).toBe(true);
    expect(() => base.withConsensus({ relayLearners: 'no' as unknown as boolean }).groupId()).toThrow(
      /relayLearners must be a boolean/,
    );
    expect(() => base.withConsensus({ maxVoters: 0 }).groupId()).toThrow(
      /maxVoters must be a positive integer/,
    );
    const v1 = new Jwt({ key: { alg: 'HS256', secret: id('a').bytes }, issuer: 'a' });
    const v2 = new Jwt({ key: { alg: 'HS256', secret: id('b').bytes }, issuer: 'b' });
    const ab = base.requireTicket(v1).requireTicket(v2).groupId();
    expect(ab.equals(base.groupId())).toBe(false);
    expect(ab.equals(base.requireTicket(v2).requireTicket(v1).groupId())).toBe(false);
    expect(Digest.isDigest(ab)).toBe(true);
  });

  it('joining publishes the group id in discovery, closing withdraws it; join twice gives the same handle', async () => {
    await using c = new Cluster();
    const [n] = await c.addMany(1);
    const builder = n!.groups.withKey('publish').withConsensus(FAST);
    const group = builder.join();
    expect(builder.join()).toBe(group);
    expect(n!.discovery.me().entry.hasGroup(group.id)).toBe(true);
    await group.close();
    expect(n!.discovery.me().entry.hasGroup(group.id)).toBe(false);
  });

  it('NoCommandsError, GroupTerminatedError, and OfflineError while no leader is known', async () => {
    await using c = new Cluster();
    const [n] = await c.addMany(1);
    // A long bootstrap delay keeps the lone member leaderless for the test.
    const group = n!.groups
      .withKey('errors')
      .withStateMachine(new Counter())
      .withConsensus({ ...FAST, bootstrapDelay: 60_000 })
      .join();
    await expect(group.execute({ inc: 1 })).rejects.toBeInstanceOf(OfflineError);
    await expect(group.query(null, 'strong')).rejects.toBeInstanceOf(OfflineError);
    expect((await group.query(null, 'weak')).result).toBe(0);
    await expect(group.executeMany([])).rejects.toBeInstanceOf(NoCommandsError);
    await group.close();
    await expect(group.execute({ inc: 1 })).rejects.toBeInstanceOf(GroupTerminatedError);
    await expect(group.query(null)).rejects.toBeInstanceOf(GroupTerminatedError);
  });

  it('a command the codec refuses rejects with EncodeError before any leader is needed', async () => {
    await using c = new Cluster();
    const [n] = await c.addMany(1);
    const machine = Object.assign(new Counter(), {
      commandCodec: {
        encode: (): Uint8Array => {
          throw new Error('refused by the codec');
        },
        decode: (): CounterCommand => ({ inc: 0 }),
      },
    });
    const group = n!.groups
      .withKey('encode-errors')
      .withStateMachine(machine)
      .withConsensus({ ...FAST, bootstrapDelay: 60_000 })
      .join();
    const error = await group.execute({ inc: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EncodeError);
    expect(error).toMatchObject({ code: 'encode', cause: { message: 'refused by the codec' } });
    await group.close();
  });

  it('members of several groups on shared nodes see each other per group (bonds.rs members_can_see_each_other)', async () => {
    await using c = new Cluster();
    const n = await c.addMany(4);
    await discoverAll(n);
    const k3 = GroupKey.random();
    const join = (i: number, key: GroupKey | string) => n[i]!.groups.withKey(key).withConsensus(FAST).join();
    const g1 = [join(0, 'group1'), join(1, 'group1')];
    const g2 = [join(0, 'group2'), join(2, 'group2'), join(3, 'group2')];
    const g3 = [join(1, k3), join(2, k3)];
    const expectPeers = async (
      groups: {
        bonds(): { has(p: import('@mosaik/id').PeerId): boolean; readonly size: number };
        peerId: import('@mosaik/id').PeerId;
      }[],
    ) =>
      waitFor(() => groups.every((g) => groups.every((o) => o === g || g.bonds().has(o.peerId))), {
        timeout: T,
        message: () => `bonds per member: ${groups.map((g) => g.bonds().size).join(',')}`,
      });
    await Promise.all([expectPeers(g1), expectPeers(g2), expectPeers(g3)]);
  });
});
