// SPDX-License-Identifier: Apache-2.0
import { MedshareError, fail } from '@medshare/protocol';
import { errorBodyOf } from './error-handler';

const TX = 'cd'.repeat(32);

describe('errorBodyOf: the HTTP error body', () => {
  it('an unknown outcome is 504 and carries the transaction id', () => {
    const e = new MedshareError({
      code: 'OUTCOME_UNKNOWN',
      message: 'the peer did not report the commit status before the deadline',
      context: { txId: TX },
    });
    expect(errorBodyOf(e)).toEqual({
      status: 504,
      body: {
        code: 'OUTCOME_UNKNOWN',
        message: 'the peer did not report the commit status before the deadline',
        txId: TX,
      },
      internal: false,
    });
  });

  it('other coded errors carry the transaction id they belong to, and no txId when there is none', () => {
    expect(errorBodyOf(new MedshareError({ code: 'NOT_OWNER', message: 'x', context: { txId: TX } })).body).toEqual({
      code: 'NOT_OWNER',
      message: 'x',
      txId: TX,
    });
    expect(errorBodyOf(fail('LEDGER_UNAVAILABLE', 'the peer is unreachable'))).toEqual({
      status: 503,
      body: { code: 'LEDGER_UNAVAILABLE', message: 'the peer is unreachable' },
      internal: false,
    });
  });

  it('INTERNAL says nothing, and a context value that is not a transaction id is not echoed', () => {
    expect(
      errorBodyOf(new MedshareError({ code: 'INTERNAL', message: 'secret detail', context: { txId: TX } })).body,
    ).toEqual({
      code: 'INTERNAL',
      message: 'internal error',
    });
    expect(
      errorBodyOf(new MedshareError({ code: 'CONFLICT', message: 'x', context: { txId: '127.0.0.1:7051' } })).body,
    ).toEqual({
      code: 'CONFLICT',
      message: 'x',
    });
  });
});
