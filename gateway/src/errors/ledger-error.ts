import { MedshareError, fail, parseCodedMessage } from '@medshare/protocol';

interface GatewayErrorLike {
  readonly name?: string;
  readonly code?: number | string;
  readonly message?: string;
  readonly details?: ReadonlyArray<{ readonly message?: string; readonly mspId?: string }>;
  readonly transactionId?: string;
}

// A peer that cannot reach the chaincode server (CCaaS down or restarting) answers ABORTED with
// these details: the ledger is unavailable, not broken.
const CHAINCODE_UNREACHABLE = /could not launch chaincode|error while dialing|connection refused|chaincode registration failed/i;

// gRPC status codes (grpc/status.h) that mean the ledger did not answer in time or at all.
const DEADLINE_EXCEEDED = 4;
const UNAVAILABLE = 14;

/**
 * The one place a ledger failure becomes a coded error. The contract throws `CODE: text`;
 * Fabric carries that in EndorseError.details[].message (one per endorsing peer), embedded mode
 * throws the MedshareError itself. MVCC conflicts (CommitError status MVCC_READ_CONFLICT) become
 * CONFLICT, deadlines and unreachable peers LEDGER_UNAVAILABLE. Peer addresses and MSP details
 * stay in `cause`, which only the server log sees.
 */
export function toMedshareError(error: unknown): MedshareError {
  if (error instanceof MedshareError) return error;
  const e = (error ?? {}) as GatewayErrorLike;
  for (const detail of e.details ?? []) {
    const coded = detail.message === undefined ? undefined : parseCodedMessage(detail.message);
    if (coded) return new MedshareError({ code: coded.code, message: coded.message, cause: error, context: e.transactionId ? { txId: e.transactionId } : {} });
  }
  // fabric-protos TxValidationCode: 11 MVCC_READ_CONFLICT, 12 PHANTOM_READ_CONFLICT.
  if (e.name === 'CommitError' && (e.code === 11 || e.code === 12 || /MVCC_READ_CONFLICT|PHANTOM_READ_CONFLICT/.test(String(e.message)))) {
    return fail('CONFLICT', 'a concurrent transaction changed the same state', error);
  }
  if (e.code === DEADLINE_EXCEEDED || e.code === UNAVAILABLE) return fail('LEDGER_UNAVAILABLE', 'the ledger did not answer in time', error);
  const details = e.details ?? [];
  if (details.length > 0 && details.every((d) => CHAINCODE_UNREACHABLE.test(d.message ?? ''))) {
    return fail('LEDGER_UNAVAILABLE', 'the peers cannot reach the chaincode', error);
  }
  const coded = typeof e.message === 'string' ? parseCodedMessage(e.message) : undefined;
  if (coded) return new MedshareError({ code: coded.code, message: coded.message, cause: error });
  return fail('INTERNAL', 'ledger call failed', error);
}
