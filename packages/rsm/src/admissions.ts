/**
 * Which life of each member the configuration took in.
 *
 * A member's log lives in its storage, whose life is `Storage.incarnation`. A member that comes
 * back under the same peer id without that storage (memory storage after a crash, a lost disk)
 * no longer holds entries it acknowledged; if it voted as before, it could elect a leader that
 * lacks a committed entry. So a member abstains from voting until it has applied a
 * configuration entry that admits it in its current life, and the leader, seeing a member of
 * the configuration report a life the configuration did not admit, demotes (or removes) it and
 * admits it again: by the time the member applies that entry it holds the log up to there,
 * which includes everything it could have acknowledged before.
 *
 * The record is replicated state: built from the contexts of configuration entries as they are
 * applied, and carried in snapshots.
 */
import { decodeCbor, encodeCbor } from '@mosaik/id';
import { type ConfState, isMember, type NodeId } from '@mosaik/raft';

/** An admission: a member and the life of its storage the configuration takes it in with. */
export type Admission = readonly [member: NodeId, life: string];

/** The context of a configuration change that admits these members in these lives. */
export function admissionContext(admissions: readonly Admission[]): Uint8Array {
  return encodeCbor(admissions);
}

/** The admissions a configuration entry's context records; a context it does not understand records none. */
function readAdmissions(data: Uint8Array): readonly Admission[] {
  if (data.length === 0) return [];
  let v: unknown;
  try {
    v = decodeCbor(data);
  } catch {
    return [];
  }
  if (!Array.isArray(v)) return [];
  const isAdmission = (a: unknown): a is Admission =>
    Array.isArray(a) && a.length === 2 && typeof a[0] === 'string' && typeof a[1] === 'string';
  return v.every(isAdmission) ? v : [];
}

/** The life each member of the configuration was last admitted in. */
export class AdmissionRecord {
  #admitted = new Map<NodeId, string>();

  /**
   * Takes in an applied configuration entry (`data` its context, `conf` the configuration it
   * sets). Members that left are forgotten, so a member removed and added again must be
   * admitted again.
   */
  apply(data: Uint8Array, conf: ConfState): void {
    for (const [member, life] of readAdmissions(data)) this.#admitted.set(member, life);
    for (const id of [...this.#admitted.keys()]) if (!isMember(conf, id)) this.#admitted.delete(id);
  }

  /** The life `node` was admitted in, if the record knows. */
  of(node: NodeId): string | undefined {
    return this.#admitted.get(node);
  }

  /** The record as a snapshot carries it: `[member, life]` pairs in member order. */
  pairs(): [string, string][] {
    return [...this.#admitted].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  }

  /** Replaces the record with a snapshot's. */
  restore(pairs: readonly Admission[]): void {
    this.#admitted = new Map(pairs);
  }
}
