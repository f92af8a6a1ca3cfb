import { describe, expect, it } from 'vitest';
import { DecodeError, MosaikError } from './index.js';

describe('errors', () => {
  it('MosaikError carries a stable code, a name and a cause', () => {
    const cause = new Error('inner');
    const e = new MosaikError('some_code', 'message', { cause });
    expect(e).toBeInstanceOf(Error);
    expect(e.code).toBe('some_code');
    expect(e.name).toBe('MosaikError');
    expect(e.cause).toBe(cause);
    expect(MosaikError.is(e)).toBe(true);
    expect(MosaikError.is(e, 'some_code')).toBe(true);
    expect(MosaikError.is(e, 'other')).toBe(false);
    expect(MosaikError.is(new Error('x'))).toBe(false);
  });

  it('subclasses keep their own name and code', () => {
    class Custom extends DecodeError {
      constructor() {
        super('custom_decode', 'bad');
      }
    }
    const e = new Custom();
    expect(e).toBeInstanceOf(DecodeError);
    expect(e).toBeInstanceOf(MosaikError);
    expect(e.name).toBe('Custom');
    expect(e.code).toBe('custom_decode');
    expect(new DecodeError('plain').code).toBe('decode');
    expect(new DecodeError('plain').message).toBe('plain');
  });
});
