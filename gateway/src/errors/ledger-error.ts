// SPDX-License-Identifier: Apache-2.0
import { StatusCode } from '@hyperledger/fabric-gateway';
import { MedshareError, parseCodedMessage, type ErrorCode } from '@medshare/protocol';

interface FabricErrorLike {
  readonly name?: string;
  readonly code?: number | string;
  readonly message?: string;
  readonly details?: ReadonlyArray<{ readonly message?: string; readonly mspId?: string; readonly address?: string }>;
  readonly transactionId?: string;
}

/**
 * Where in fabric-gateway's flow a call failed. It decides what a failure means for the
 * client: up to and including endorsement nothing can have been written; once the endorsed
 * transaction has been handed to the peer for ordering, a failure leaves the outcome unknown.
 * fabric-gateway tells the step by its error class (GatewayError for evaluate, EndorseError,
 * SubmitError, CommitStatusError, CommitError); the Fabric backend, which drives the steps
 * itself, passes it explicitly.
 */
export type LedgerStep = 'evaluate' | 'endorse' | 'submit' | 'commitStatus' | 'commit';

const STEP_BY_CLASS: Readonly<Record<string, LedgerStep>> = {
  GatewayError: 'evaluate',
  EndorseError: 'endorse',
  SubmitError: 'submit',
  CommitStatusError: 'commitStatus',
  CommitError: 'commit',
};

/** gRPC status codes (grpc/include/grpc/status.h; https://grpc.io/docs/guides/status-codes/). */
export const GRPC_STATUS = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;
const GRPC_NAME = new Map<number, string>(Object.entries(GRPC_STATUS).map(([name, code]) => [code, name]));
const G = GRPC_STATUS;

/** fabric-protos TxValidationCode names (a CommitError's code), e.g. 10 → ENDORSEMENT_POLICY_FAILURE. */
const VALIDATION_NAME = new Map<number, string>(Object.entries(StatusCode).map(([name, code]) => [code, name]));

// What the peer's gateway writes into an error (fabric v2.5 internal/pkg/gateway, core/chaincode).
// Each pattern names one cause; they are matched against Fabric's own texts, never the contract's.
/** core/chaincode: the peer could not start or reach the chaincode server (CCaaS down or restarting). */
const CHAINCODE_UNREACHABLE = /could not launch chaincode|chaincode registration failed|chaincode stream terminated/i;
/** A gRPC dial failure: the node at the other end is down or not listening. */
const DIAL_FAILURE =
  /error while dialing|connection refused|ECONNREFUSED|no such host|ENOTFOUND|EHOSTUNREACH|no connection established|connection error/i;
/** registry.go: discovery cannot build a plan because the peers an org needs are not (yet) in the membership. */
const POLICY_PEERS =
  /no combination of peers can be derived which satisfy the endorsement policy|satisfy the endorsement policy due to unavailability|failed to find any endorsing peers/i;
/** endorsement.go: two endorsers produced different results (chaincode versions or K4 keys differ). */
const MISMATCH = /ProposalResponsePayloads do not match/;
/** The peer's ACL or MSP checks refused the gateway's own Fabric identity. */
const IDENTITY_REFUSED =
  /access denied|creator (org )?unknown|creator is malformed|certificate has expired|failed evaluating policy/i;
/** registry.go: no live peer of the channel runs the chaincode. */
const NO_EVALUATOR = /no peers available to evaluate chaincode/;
/** submit.go: the orderer answered with a 4xx status (the transaction was refused, not ordered). */
const ORDERER_STATUS =
  /received unsuccessful response from orderer: status=(BAD_REQUEST|FORBIDDEN|NOT_FOUND|REQUEST_ENTITY_TOO_LARGE)\b/;
/** submit.go: no orderer took the transaction. */
const NO_ORDERER = /no orderers could successfully process transaction|no orderer nodes available/;

/**
 * grpc-js's own words when the channel to the gateway's peer has no connection, or lost it during
 * the call: the peer's server never answered. (A live peer that cannot reach other nodes answers
 * with its own texts, and with details per endorser.)
 */
const NO_CONNECTION =
  /No connection established|Connection dropped|connect ECONNREFUSED|read ECONNRESET|EHOSTUNREACH|ENETUNREACH|getaddrinfo ENOTFOUND/;

/**
 * True when a failed call proves that the peer the access layer talks to is itself unreachable:
 * gRPC UNAVAILABLE raised by the client's channel (no connection, or the connection dropped),
 * with no details, which only the peer's gateway would attach. Everything a live peer answers —
 * a contract refusal, an endorsement plan it cannot build, an unreachable endorser or orderer
 * behind it, its own UNAVAILABLE — is false: another peer of the org would see the same network.
 * The Fabric backend moves to the next peer of its org only on this.
 */
export function peerUnreachable(error: unknown): boolean {
  if (error instanceof MedshareError || typeof error !== 'object' || error === null) return false;
  const e = error as FabricErrorLike;
  return e.code === GRPC_STATUS.UNAVAILABLE && (e.details ?? []).length === 0 && NO_CONNECTION.test(e.message ?? '');
}

type Mapped = readonly [ErrorCode, string];

const UNREACHABLE_PEER: Mapped = ['LEDGER_UNAVAILABLE', 'the peer is unreachable'];
const IDENTITY: Mapped = ['LEDGER_UNAVAILABLE', "the peer refused this access layer's Fabric identity"];
const NO_GATEWAY: Mapped = ['LEDGER_UNAVAILABLE', 'the peer does not offer the Fabric Gateway service'];
const BAD_CALL: Mapped = ['INTERNAL', 'ledger call failed'];

/**
 * The one place a ledger failure becomes a coded error. The contract throws `CODE: text`;
 * Fabric carries that in GatewayError.details[].message (one per endorsing peer), embedded mode
 * throws the MedshareError itself. Everything else is decided by the step that failed and its
 * gRPC status (every code 0–16 is decided in `endorseOrEvaluate`, `submit` and `commitStatus`):
 *
 * - up to endorsement, nothing was written: LEDGER_UNAVAILABLE naming the cause (peer,
 *   endorsing peers, chaincode server, deadline), INTERNAL only for what is our own bug;
 * - submit: LEDGER_UNAVAILABLE or PAYLOAD_TOO_LARGE when the transaction certainly did not reach
 *   an orderer or an orderer refused it, otherwise OUTCOME_UNKNOWN;
 * - commit status: always OUTCOME_UNKNOWN (the orderer has the transaction);
 * - commit: CONFLICT for MVCC and phantom reads, TRANSACTION_INVALID for other validation codes.
 *
 * The transaction id goes into the context. Peer addresses and MSP details stay in `cause`,
 * which only the server log sees; messages carry only Fabric's status names.
 */
export function toMedshareError(error: unknown, step?: LedgerStep, txId?: string): MedshareError {
  if (error instanceof MedshareError) return error;
  const e = (error ?? {}) as FabricErrorLike;
  const transactionId = txId ?? e.transactionId;
  const context: Record<string, string> = transactionId ? { txId: transactionId } : {};
  for (const detail of e.details ?? []) {
    const coded = detail.message === undefined ? undefined : parseCodedMessage(detail.message);
    if (coded) return new MedshareError({ code: coded.code, message: coded.message, cause: error, context });
  }
  const at = step ?? STEP_BY_CLASS[e.name ?? ''] ?? 'evaluate';
  const [code, message] = classify(at, e);
  if (code === 'INTERNAL') {
    // An uncoded failure may still carry the contract's code in its top-level message.
    const coded = typeof e.message === 'string' ? parseCodedMessage(e.message) : undefined;
    if (coded) return new MedshareError({ code: coded.code, message: coded.message, cause: error, context });
  }
  return new MedshareError({ code, message, cause: error, context });
}

function classify(step: LedgerStep, e: FabricErrorLike): Mapped {
  const code = typeof e.code === 'number' ? e.code : undefined;
  if (step === 'commit') return commit(code);
  if (code === undefined) return BAD_CALL;
  if (step === 'submit') return submit(code, e);
  if (step === 'commitStatus') return commitStatus(code);
  return endorseOrEvaluate(step, code, e);
}

/** What the details (one per endorsing peer) and the message say, most specific cause first. */
function detailCause(e: FabricErrorLike): Mapped | undefined {
  const texts = [...(e.details ?? []).map((d) => d.message ?? ''), e.message ?? ''];
  if (texts.some((t) => POLICY_PEERS.test(t)))
    return ['LEDGER_UNAVAILABLE', 'the endorsing peers needed by the endorsement policy are not reachable'];
  if (texts.some((t) => CHAINCODE_UNREACHABLE.test(t)))
    return ['LEDGER_UNAVAILABLE', 'the chaincode server is unreachable'];
  const details = (e.details ?? []).map((d) => d.message ?? '');
  if (details.some((t) => DIAL_FAILURE.test(t) || /code = Unavailable/.test(t)))
    return ['LEDGER_UNAVAILABLE', 'an endorsing peer is unreachable'];
  if (texts.some((t) => MISMATCH.test(t)))
    return ['LEDGER_UNAVAILABLE', 'the endorsing peers returned different results'];
  if (texts.some((t) => IDENTITY_REFUSED.test(t))) return IDENTITY;
  return undefined;
}

/** Evaluate and endorse: nothing has been sent for ordering, so nothing was written. */
function endorseOrEvaluate(step: 'evaluate' | 'endorse', code: number, e: FabricErrorLike): Mapped {
  const peers = step === 'endorse' ? 'the endorsing peers' : 'the peer';
  const cause = detailCause(e);
  switch (code) {
    case G.DEADLINE_EXCEEDED:
      return ['LEDGER_UNAVAILABLE', `${peers} did not answer before the deadline`];
    case G.UNAVAILABLE:
      return cause ?? UNREACHABLE_PEER;
    case G.FAILED_PRECONDITION:
      return cause ?? cannotRun(e);
    case G.ABORTED:
    case G.UNKNOWN:
      // ABORTED: every endorser failed (details say why); UNKNOWN: the chaincode answered with an
      // error that is not coded, which is a bug of ours, not a Fabric condition.
      return (
        cause ??
        (code === G.ABORTED && !hasChaincodeAnswer(e)
          ? ['LEDGER_UNAVAILABLE', `${peers} could not run the call (gRPC ABORTED)`]
          : BAD_CALL)
      );
    default:
      return endorseStatus(code);
  }
}

/** FAILED_PRECONDITION without a cause in the details: no peer runs the chaincode, or this one cannot. */
function cannotRun(e: FabricErrorLike): Mapped {
  if (NO_EVALUATOR.test(e.message ?? '')) return ['LEDGER_UNAVAILABLE', 'no peer that runs the chaincode is reachable'];
  return ['LEDGER_UNAVAILABLE', 'the peer cannot run the call: the channel or chaincode is not available on it'];
}

/** Evaluate and endorse: the gRPC statuses whose meaning does not depend on the details. */
const ENDORSE_BY_STATUS: ReadonlyMap<number, Mapped> = new Map<number, Mapped>([
  [G.CANCELLED, ['LEDGER_UNAVAILABLE', 'the ledger call was cancelled']],
  [G.PERMISSION_DENIED, IDENTITY],
  [G.UNAUTHENTICATED, IDENTITY],
  [G.RESOURCE_EXHAUSTED, ['LEDGER_UNAVAILABLE', 'the peer refused the call: resource exhausted']],
  [G.UNIMPLEMENTED, NO_GATEWAY],
]);

/** The peer's own failures, named by their gRPC status. */
const PEER_FAILURES: ReadonlySet<number> = new Set([
  G.NOT_FOUND,
  G.ALREADY_EXISTS,
  G.OUT_OF_RANGE,
  G.INTERNAL,
  G.DATA_LOSS,
]);

function endorseStatus(code: number): Mapped {
  const known = ENDORSE_BY_STATUS.get(code);
  if (known) return known;
  if (PEER_FAILURES.has(code))
    return ['LEDGER_UNAVAILABLE', `the peer failed the call (gRPC ${GRPC_NAME.get(code) ?? code})`];
  // INVALID_ARGUMENT: the access layer built a request the peer cannot parse (our bug); OK
  // or an unknown number cannot describe a failure.
  return BAD_CALL;
}

function hasChaincodeAnswer(e: FabricErrorLike): boolean {
  return (e.details ?? []).some((d) => /chaincode response/.test(d.message ?? ''));
}

/**
 * Submit: the endorsed transaction goes to the peer, which broadcasts it to an orderer. Only
 * a refusal that proves no orderer took it leaves the ledger certainly unchanged; anything
 * else may have been ordered and is OUTCOME_UNKNOWN.
 */
function submit(code: number, e: FabricErrorLike): Mapped {
  const message = e.message ?? '';
  switch (code) {
    case G.UNAVAILABLE:
      return submitUnavailable(
        message,
        (e.details ?? []).map((d) => d.message ?? ''),
      );
    case G.ABORTED:
      return submitAborted(message);
    case G.DEADLINE_EXCEEDED:
      return ['OUTCOME_UNKNOWN', 'the orderer did not confirm the transaction before the deadline'];
    case G.FAILED_PRECONDITION:
      return ['LEDGER_UNAVAILABLE', 'the peer knows no orderer for the channel; the transaction was not ordered'];
    case G.PERMISSION_DENIED:
    case G.UNAUTHENTICATED:
      return IDENTITY;
    case G.UNIMPLEMENTED:
      return NO_GATEWAY;
    case G.INVALID_ARGUMENT:
      return BAD_CALL;
    default:
      return [
        'OUTCOME_UNKNOWN',
        `the submit failed after the transaction was sent for ordering (gRPC ${GRPC_NAME.get(code) ?? code})`,
      ];
  }
}

function submitUnavailable(message: string, details: readonly string[]): Mapped {
  // submit.go: no orderer known, or every orderer failed to connect or answered 5xx (no
  // Raft leader): details hold only the connection failures, so any other detail (a stream
  // broken after the send) leaves the outcome open.
  if (NO_ORDERER.test(message) && details.every((d) => DIAL_FAILURE.test(d)))
    return ['LEDGER_UNAVAILABLE', 'the orderer is unreachable or has no leader; the transaction was not ordered'];
  // grpc-js: the access layer could not connect to its peer, so nothing was sent.
  if (details.length === 0 && DIAL_FAILURE.test(message)) return UNREACHABLE_PEER;
  return ['OUTCOME_UNKNOWN', 'the connection was lost after the transaction was sent for ordering'];
}

function submitAborted(message: string): Mapped {
  const refused = ORDERER_STATUS.exec(message)?.[1];
  if (refused === 'REQUEST_ENTITY_TOO_LARGE')
    return ['PAYLOAD_TOO_LARGE', 'the transaction is larger than the orderer accepts'];
  if (refused) return ['LEDGER_UNAVAILABLE', `the orderer refused the transaction (status=${refused})`];
  return ['OUTCOME_UNKNOWN', 'the submit was aborted after the transaction was sent for ordering'];
}

/** Commit status: the orderer accepted the transaction; only the ledger can say whether it committed. */
function commitStatus(code: number): Mapped {
  if (code === G.DEADLINE_EXCEEDED)
    return ['OUTCOME_UNKNOWN', 'the peer did not report the commit status before the deadline'];
  if (code === G.UNAVAILABLE)
    return ['OUTCOME_UNKNOWN', 'the peer became unreachable before reporting the commit status'];
  return ['OUTCOME_UNKNOWN', `the commit status could not be read (gRPC ${GRPC_NAME.get(code) ?? code})`];
}

/** A committed transaction that validation marked invalid (fabric-protos TxValidationCode). */
function commit(code: number | undefined): Mapped {
  if (code === StatusCode.MVCC_READ_CONFLICT || code === StatusCode.PHANTOM_READ_CONFLICT) {
    return ['CONFLICT', 'a concurrent transaction changed the same state'];
  }
  // A duplicate id means a transaction with this id is already on the ledger: it may be ours.
  if (code === StatusCode.DUPLICATE_TXID)
    return ['OUTCOME_UNKNOWN', 'the ledger already holds a transaction with this id'];
  const name = code === undefined ? undefined : VALIDATION_NAME.get(code);
  return [
    'TRANSACTION_INVALID',
    `the ledger marked the transaction invalid (${name ?? `validation code ${String(code)}`})`,
  ];
}
