import { describe, expect, it } from 'vitest';
import { CloseCode, closeCodeName, parseCloseReason } from './close-code.js';

describe('parseCloseReason', () => {
  it('reads the connection-closed form', () => {
    expect(parseCloseReason('closed by peer: AlreadyBonded (code 30429)')).toEqual({
      code: CloseCode.AlreadyBonded,
      reason: 'AlreadyBonded',
      local: false,
    });
  });

  it('reads the failed read/write form', () => {
    const text =
      'ConnectionLost(ApplicationClosed(ApplicationClose { error_code: 400, reason: b"ProtocolViolation" }))';
    expect(parseCloseReason(text)).toEqual({ code: 400, reason: 'ProtocolViolation', local: false });
  });

  it('unescapes reasons with quotes and non-ASCII bytes', () => {
    const text = 'ApplicationClose { error_code: 7, reason: b"a \\"b\\" \\xc3\\xa9" }';
    expect(parseCloseReason(text)?.reason).toBe('a "b" Ã©');
  });

  it('recognises a local close and ignores unrelated text', () => {
    expect(parseCloseReason('closed')).toEqual({ code: undefined, reason: 'closed', local: true });
    expect(parseCloseReason('ConnectionLost(LocallyClosed)')?.local).toBe(true);
    expect(parseCloseReason('timed out')).toBeUndefined();
  });

  it('names every code', () => {
    for (const code of Object.values(CloseCode).filter((v) => typeof v === 'number')) {
      expect(closeCodeName(code)).toBe(CloseCode[code]);
    }
    expect(closeCodeName(12345)).toBe('Code12345');
  });
});
