import { EncodeError, MosaikError } from '@mosaik/id';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { GroupTerminatedError, NoCommandsError, OfflineError, type RsmErrorCode } from './errors.js';

/**
 * What a caller does for each code of the groups API. The `never` default stops compiling when a
 * code is added to `RsmErrorCode` without a case here, and a misspelt case does not compile.
 */
function advice(error: MosaikError<RsmErrorCode>): string {
  switch (error.code) {
    case 'offline':
      return 'retry';
    case 'no_commands':
      return 'pass at least one command';
    case 'group_terminated':
      return 'stop';
    default: {
      const unhandled: never = error.code;
      return unhandled;
    }
  }
}

describe('rsm error codes', () => {
  it('each class carries its code in its type and at runtime', () => {
    expectTypeOf(new OfflineError('no leader').code).toEqualTypeOf<'offline'>();
    expectTypeOf(new NoCommandsError().code).toEqualTypeOf<'no_commands'>();
    expectTypeOf(new GroupTerminatedError().code).toEqualTypeOf<'group_terminated'>();
    const errors = [new OfflineError('no leader'), new NoCommandsError(), new GroupTerminatedError()];
    expect(errors.map(advice)).toEqual(['retry', 'pass at least one command', 'stop']);
    expect(errors.map((e) => e.name)).toEqual(['OfflineError', 'NoCommandsError', 'GroupTerminatedError']);
  });

  it('MosaikError.is narrows an unknown error to its code', () => {
    const caught: unknown = new OfflineError('no leader');
    if (MosaikError.is(caught, 'offline')) expectTypeOf(caught.code).toEqualTypeOf<'offline'>();
    expect(MosaikError.is(caught, 'offline')).toBe(true);
    expect(MosaikError.is(new EncodeError('refused'), 'offline')).toBe(false);
    // @ts-expect-error 'ofline' is not a code of the groups API
    const typo: RsmErrorCode = 'ofline';
    expect(typo).toBe('ofline');
  });
});
