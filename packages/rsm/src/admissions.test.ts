import { encodeCbor } from '@mosaik/id';
import { describe, expect, it } from 'vitest';
import { AdmissionRecord, admissionContext } from './admissions.js';

const conf = (voters: string[], learners: string[] = []) => ({ voters, learners });

describe('admission record', () => {
  it('records the life a configuration entry admits, and forgets members that left', () => {
    const r = new AdmissionRecord();
    r.apply(admissionContext([['b', 'life-1']]), conf(['a'], ['b']));
    r.apply(admissionContext([['c', 'life-2']]), conf(['a'], ['b', 'c']));
    expect(r.of('b')).toBe('life-1');
    // A promotion without a context keeps what was recorded.
    r.apply(new Uint8Array(0), conf(['a', 'b'], ['c']));
    expect(r.pairs()).toEqual([
      ['b', 'life-1'],
      ['c', 'life-2'],
    ]);
    // b is removed: coming back, it must be admitted again.
    r.apply(new Uint8Array(0), conf(['a'], ['c']));
    expect(r.of('b')).toBeUndefined();
    r.apply(admissionContext([['c', 'life-3']]), conf(['a'], ['c']));
    expect(r.of('c')).toBe('life-3');
  });

  it('takes in several admissions of one entry', () => {
    const r = new AdmissionRecord();
    r.apply(
      admissionContext([
        ['c', 'life-c'],
        ['b', 'life-b'],
      ]),
      conf(['a'], ['b', 'c']),
    );
    expect(r.pairs()).toEqual([
      ['b', 'life-b'],
      ['c', 'life-c'],
    ]);
  });

  it('ignores contexts it does not understand, and restores from a snapshot', () => {
    const r = new AdmissionRecord();
    for (const junk of [
      new Uint8Array([0xff, 0x00]),
      encodeCbor(['b']),
      encodeCbor({ b: 'x' }),
      encodeCbor([1, 2]),
    ])
      r.apply(junk, conf(['a', 'b']));
    expect(r.pairs()).toEqual([]);
    r.restore([
      ['z', '1'],
      ['b', '2'],
    ]);
    expect(r.pairs()).toEqual([
      ['b', '2'],
      ['z', '1'],
    ]);
  });
});
