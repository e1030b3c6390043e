import { MedshareError, fail } from '@medshare/protocol';
import { toMedshareError } from './ledger-error';

/** Error shapes as @hyperledger/fabric-gateway reports them (observed on a two-org network). */
function endorseError(...messages: string[]): Error & { details: Array<{ message: string; mspId: string; address: string }>; code: number } {
  return Object.assign(new Error('10 ABORTED: failed to endorse transaction, see attached details for more info'), {
    name: 'EndorseError',
    code: 10,
    transactionId: 'ab'.repeat(32),
    details: messages.map((message, i) => ({ message, mspId: `Org${i + 1}MSP`, address: `127.0.0.1:${7051 + i * 2000}` })),
  });
}

describe('toMedshareError: the one place a ledger failure gets its code', () => {
  it('keeps a MedshareError as it is', () => {
    const e = fail('NOT_OWNER', 'x');
    expect(toMedshareError(e)).toBe(e);
  });

  it("reads the contract's code from EndorseError details and keeps peer addresses out of the message", () => {
    const e = toMedshareError(endorseError('chaincode response 500, NOT_AUTHORIZED: request.keyId is neither the owner nor a current grantee of the record'));
    expect(e).toMatchObject({ code: 'NOT_AUTHORIZED', context: { txId: 'ab'.repeat(32) } });
    expect(e.message).not.toContain('127.0.0.1');
    expect(e.message).not.toContain('Org1MSP');
  });

  it('maps MVCC and phantom read conflicts to CONFLICT', () => {
    for (const code of [11, 12]) expect(toMedshareError(Object.assign(new Error('commit failed'), { name: 'CommitError', code })).code).toBe('CONFLICT');
  });

  it('maps deadlines, unreachable peers and an unreachable chaincode server to LEDGER_UNAVAILABLE', () => {
    expect(toMedshareError(Object.assign(new Error('4 DEADLINE_EXCEEDED'), { code: 4 })).code).toBe('LEDGER_UNAVAILABLE');
    expect(toMedshareError(Object.assign(new Error('14 UNAVAILABLE'), { code: 14 })).code).toBe('LEDGER_UNAVAILABLE');
    const down = endorseError(
      'could not launch chaincode medshare_1.0:abc: error building chaincode: connection failed: error while dialing: dial tcp 127.0.0.1:9999: connect: connection refused',
      'could not launch chaincode medshare_1.0:abc: connection refused',
    );
    expect(toMedshareError(down)).toMatchObject({ name: 'MedshareError', code: 'LEDGER_UNAVAILABLE' });
  });

  it('anything else is INTERNAL, never a guess from prose', () => {
    expect(toMedshareError(new Error('something odd')).code).toBe('INTERNAL');
    expect(toMedshareError(endorseError('chaincode response 500, not a coded message')).code).toBe('INTERNAL');
    expect(toMedshareError(undefined)).toBeInstanceOf(MedshareError);
  });
});
