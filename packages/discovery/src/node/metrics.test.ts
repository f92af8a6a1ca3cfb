import { CancelledError, CloseCode, ConnectFailedError, LinkClosedError } from '@mosaik/transport';
import { describe, expect, it } from 'vitest';
import { ExchangeRejectedError } from './exchange.js';
import { syncFailureOf } from './metrics.js';

describe('the reason of a failed sync attempt', () => {
  it('tells dial timeouts, failed dials, peer closes, exchange timeouts and refusals apart', () => {
    expect(syncFailureOf(new ConnectFailedError('dial to abc on /x timed out'))).toBe('dial_timeout');
    expect(syncFailureOf(new ConnectFailedError('dial to abc on /x failed: refused'))).toBe('dial_failed');
    expect(syncFailureOf(new LinkClosedError({ code: CloseCode.Success, reason: '', local: false }))).toBe(
      'closed_by_peer',
    );
    // The exchange deadline closes the link on our side.
    expect(syncFailureOf(new LinkClosedError({ code: CloseCode.Cancelled, reason: '', local: true }))).toBe(
      'timeout',
    );
    expect(syncFailureOf(new CancelledError())).toBe('timeout');
    expect(syncFailureOf(new ExchangeRejectedError('signature'))).toBe('rejected');
    expect(syncFailureOf('not an error')).toBe('timeout');
  });
});
