// SPDX-License-Identifier: Apache-2.0
import { MedshareError, fail, type ErrorCode } from '@medshare/protocol';
import { GRPC_STATUS, peerUnreachable, toMedshareError, type LedgerStep } from './ledger-error';

const TX = 'ab'.repeat(32);
type Detail = { message: string; mspId: string; address: string };

/** Error shapes as @hyperledger/fabric-gateway 1.12 reports them (class name, gRPC code, details from the peer's gateway). */
function gatewayError(
  name: string,
  code: number,
  message: string,
  ...details: string[]
): Error & { code: number; details: Detail[]; transactionId: string } {
  return Object.assign(new Error(message), {
    name,
    code,
    transactionId: TX,
    details: details.map((m, i) => ({
      message: m,
      mspId: `Org${i + 1}MSP`,
      address: `peer${i}.org${i + 1}.example.com:${7051 + i * 2000}`,
    })),
  });
}
const endorseError = (...details: string[]): ReturnType<typeof gatewayError> =>
  gatewayError(
    'EndorseError',
    10,
    '10 ABORTED: failed to endorse transaction, see attached details for more info',
    ...details,
  );

const PEER_DIAL =
  'rpc error: code = Unavailable desc = connection error: desc = "transport: error while dialing: dial tcp 127.0.0.1:9051: connect: connection refused"';
const CHAINCODE_DIAL =
  'could not launch chaincode medshare_1.0:abc: error building chaincode: connection failed: error while dialing: dial tcp 127.0.0.1:9999: connect: connection refused';

interface Case {
  readonly name: string;
  readonly error: unknown;
  readonly step?: LedgerStep;
  readonly code: ErrorCode;
  readonly phrase: RegExp;
}

const g = GRPC_STATUS;
const endorse = (code: number, message: string, ...details: string[]): ReturnType<typeof gatewayError> =>
  gatewayError('EndorseError', code, message, ...details);
const evaluate = (code: number, message: string, ...details: string[]): ReturnType<typeof gatewayError> =>
  gatewayError('GatewayError', code, message, ...details);
const submit = (code: number, message: string, ...details: string[]): ReturnType<typeof gatewayError> =>
  gatewayError('SubmitError', code, message, ...details);
const status = (code: number, message: string): ReturnType<typeof gatewayError> =>
  gatewayError('CommitStatusError', code, message);
const commit = (code: number): Error =>
  Object.assign(new Error(`Transaction ${TX} failed to commit with status code ${code}`), {
    name: 'CommitError',
    code,
    transactionId: TX,
  });

const CASES: readonly Case[] = [
  // ---- evaluate and endorse: nothing was written ----
  {
    name: 'endorse FAILED_PRECONDITION: no endorsement plan (gossip membership not formed, or an org peer down)',
    error: endorse(
      g.FAILED_PRECONDITION,
      '9 FAILED_PRECONDITION: no combination of peers can be derived which satisfy the endorsement policy: required chaincodes are not installed',
    ),
    code: 'LEDGER_UNAVAILABLE',
    phrase: /endorsing peers needed by the endorsement policy are not reachable/,
  },
  {
    name: 'endorse UNAVAILABLE: the plan lacks an org (planForOrgs)',
    error: endorse(g.UNAVAILABLE, '14 UNAVAILABLE: failed to find any endorsing peers for org(s): Org2MSP'),
    code: 'LEDGER_UNAVAILABLE',
    phrase: /endorsement policy are not reachable/,
  },
  {
    name: 'endorse FAILED_PRECONDITION: another plan failure (channel or chaincode unknown to the peer)',
    error: endorse(g.FAILED_PRECONDITION, '9 FAILED_PRECONDITION: channel medshare not found'),
    code: 'LEDGER_UNAVAILABLE',
    phrase: /channel or chaincode is not available/,
  },
  {
    name: 'evaluate FAILED_PRECONDITION: no live peer runs the chaincode',
    error: evaluate(
      g.FAILED_PRECONDITION,
      '9 FAILED_PRECONDITION: no peers available to evaluate chaincode medshare in channel medshare',
    ),
    code: 'LEDGER_UNAVAILABLE',
    phrase: /no peer that runs the chaincode is reachable/,
  },
  {
    name: 'endorse ABORTED: an endorsing peer cannot be dialled (peer-to-peer), not the chaincode',
    error: endorseError(PEER_DIAL),
    code: 'LEDGER_UNAVAILABLE',
    phrase: /an endorsing peer is unreachable/,
  },
  {
    name: 'endorse ABORTED: the chaincode server cannot be dialled',
    error: endorseError(CHAINCODE_DIAL, 'could not launch chaincode medshare_1.0:abc: connection refused'),
    code: 'LEDGER_UNAVAILABLE',
    phrase: /chaincode server is unreachable/,
  },
  {
    name: 'endorse ABORTED: the chaincode stream terminated (CCaaS killed mid-call)',
    error: endorseError('chaincode stream terminated'),
    code: 'LEDGER_UNAVAILABLE',
    phrase: /chaincode server is unreachable/,
  },
  {
    name: 'endorse ABORTED: endorsers returned different results',
    error: endorse(
      g.ABORTED,
      '10 ABORTED: failed to collect enough transaction endorsements, see attached details for more info',
      'ProposalResponsePayloads do not match',
    ),
    code: 'LEDGER_UNAVAILABLE',
    phrase: /endorsing peers returned different results/,
  },
  {
    name: "endorse ABORTED: the peer's ACL refuses the gateway identity",
    error: endorseError(
      'error validating proposal: access denied: channel [medshare] creator org unknown, creator is malformed',
    ),
    code: 'LEDGER_UNAVAILABLE',
    phrase: /refused this access layer's Fabric identity/,
  },
  {
    name: 'endorse ABORTED without a recognizable detail',
    error: endorseError('something the peer said'),
    code: 'LEDGER_UNAVAILABLE',
    phrase: /endorsing peers could not run the call \(gRPC ABORTED\)/,
  },
  {
    name: 'endorse DEADLINE_EXCEEDED',
    error: endorse(g.DEADLINE_EXCEEDED, '4 DEADLINE_EXCEEDED: Deadline exceeded'),
    code: 'LEDGER_UNAVAILABLE',
    phrase: /endorsing peers did not answer before the deadline/,
  },
  {
    name: 'evaluate DEADLINE_EXCEEDED',
    error: evaluate(g.DEADLINE_EXCEEDED, '4 DEADLINE_EXCEEDED: evaluate timeout expired'),
    code: 'LEDGER_UNAVAILABLE',
    phrase: /the peer did not answer before the deadline/,
  },
  {
    name: "evaluate UNAVAILABLE: the gateway's own peer is down",
    error: evaluate(
      g.UNAVAILABLE,
      '14 UNAVAILABLE: No connection established. Last error: connect ECONNREFUSED 127.0.0.1:7051',
    ),
    code: 'LEDGER_UNAVAILABLE',
    phrase: /the peer is unreachable/,
  },
  {
    name: 'endorse UNAVAILABLE without details',
    error: endorse(g.UNAVAILABLE, '14 UNAVAILABLE: Connection dropped'),
    code: 'LEDGER_UNAVAILABLE',
    phrase: /the peer is unreachable/,
  },
  {
    name: 'CANCELLED (channel closed at shutdown)',
    error: evaluate(g.CANCELLED, '1 CANCELLED: Call cancelled'),
    code: 'LEDGER_UNAVAILABLE',
    phrase: /was cancelled/,
  },
  {
    name: 'PERMISSION_DENIED',
    error: evaluate(g.PERMISSION_DENIED, '7 PERMISSION_DENIED'),
    code: 'LEDGER_UNAVAILABLE',
    phrase: /Fabric identity/,
  },
  {
    name: 'UNAUTHENTICATED',
    error: endorse(g.UNAUTHENTICATED, '16 UNAUTHENTICATED'),
    code: 'LEDGER_UNAVAILABLE',
    phrase: /Fabric identity/,
  },
  {
    name: 'RESOURCE_EXHAUSTED',
    error: evaluate(g.RESOURCE_EXHAUSTED, '8 RESOURCE_EXHAUSTED: Received message larger than max'),
    code: 'LEDGER_UNAVAILABLE',
    phrase: /resource exhausted/,
  },
  {
    name: 'UNIMPLEMENTED (gateway service off on the peer)',
    error: evaluate(g.UNIMPLEMENTED, '12 UNIMPLEMENTED'),
    code: 'LEDGER_UNAVAILABLE',
    phrase: /does not offer the Fabric Gateway service/,
  },
  {
    name: 'NOT_FOUND',
    error: evaluate(g.NOT_FOUND, '5 NOT_FOUND'),
    code: 'LEDGER_UNAVAILABLE',
    phrase: /gRPC NOT_FOUND/,
  },
  {
    name: 'ALREADY_EXISTS',
    error: evaluate(g.ALREADY_EXISTS, '6 ALREADY_EXISTS'),
    code: 'LEDGER_UNAVAILABLE',
    phrase: /gRPC ALREADY_EXISTS/,
  },
  {
    name: 'OUT_OF_RANGE',
    error: evaluate(g.OUT_OF_RANGE, '11 OUT_OF_RANGE'),
    code: 'LEDGER_UNAVAILABLE',
    phrase: /gRPC OUT_OF_RANGE/,
  },
  {
    name: 'INTERNAL (HTTP/2 protocol error)',
    error: endorse(g.INTERNAL, '13 INTERNAL: Received RST_STREAM with code 2'),
    code: 'LEDGER_UNAVAILABLE',
    phrase: /gRPC INTERNAL/,
  },
  {
    name: 'DATA_LOSS',
    error: evaluate(g.DATA_LOSS, '15 DATA_LOSS'),
    code: 'LEDGER_UNAVAILABLE',
    phrase: /gRPC DATA_LOSS/,
  },
  {
    name: 'INVALID_ARGUMENT is our own malformed request',
    error: endorse(g.INVALID_ARGUMENT, '3 INVALID_ARGUMENT: the proposed transaction must contain a signed proposal'),
    code: 'INTERNAL',
    phrase: /ledger call failed/,
  },
  {
    name: 'UNKNOWN with an uncoded chaincode error',
    error: evaluate(g.UNKNOWN, '2 UNKNOWN: evaluate call to endorser returned error: chaincode response 500, boom'),
    code: 'INTERNAL',
    phrase: /ledger call failed/,
  },
  {
    name: 'OK is no failure description',
    error: evaluate(g.OK, '0 OK'),
    code: 'INTERNAL',
    phrase: /ledger call failed/,
  },

  // ---- submit: only a proven refusal means nothing was written ----
  {
    name: 'submit UNAVAILABLE: every orderer refused the connection',
    error: submit(
      g.UNAVAILABLE,
      '14 UNAVAILABLE: no orderers could successfully process transaction',
      'rpc error: code = Unavailable desc = connection error: desc = "transport: error while dialing: dial tcp 127.0.0.1:7050: connect: connection refused"',
    ),
    code: 'LEDGER_UNAVAILABLE',
    phrase: /the orderer is unreachable or has no leader; the transaction was not ordered/,
  },
  {
    name: 'submit UNAVAILABLE: the orderer answered SERVICE_UNAVAILABLE (no Raft leader; no details)',
    error: submit(g.UNAVAILABLE, '14 UNAVAILABLE: no orderers could successfully process transaction'),
    code: 'LEDGER_UNAVAILABLE',
    phrase: /orderer is unreachable or has no leader/,
  },
  {
    name: 'submit UNAVAILABLE: no orderer in the channel config',
    error: submit(g.UNAVAILABLE, '14 UNAVAILABLE: no orderer nodes available'),
    code: 'LEDGER_UNAVAILABLE',
    phrase: /orderer is unreachable/,
  },
  {
    name: 'submit UNAVAILABLE: the access layer cannot connect to its peer (nothing sent)',
    error: submit(
      g.UNAVAILABLE,
      '14 UNAVAILABLE: No connection established. Last error: connect ECONNREFUSED 127.0.0.1:7051',
    ),
    code: 'LEDGER_UNAVAILABLE',
    phrase: /the peer is unreachable/,
  },
  {
    name: 'submit UNAVAILABLE: the stream to the orderer broke after the send',
    error: submit(
      g.UNAVAILABLE,
      '14 UNAVAILABLE: no orderers could successfully process transaction',
      'rpc error: code = Unavailable desc = error reading from server: EOF',
    ),
    code: 'OUTCOME_UNKNOWN',
    phrase: /connection was lost after the transaction was sent/,
  },
  {
    name: 'submit UNAVAILABLE: the connection to the peer dropped mid-call',
    error: submit(g.UNAVAILABLE, '14 UNAVAILABLE: Connection dropped'),
    code: 'OUTCOME_UNKNOWN',
    phrase: /connection was lost/,
  },
  {
    name: 'submit ABORTED: the orderer refused with FORBIDDEN',
    error: submit(
      g.ABORTED,
      '10 ABORTED: received unsuccessful response from orderer: status=FORBIDDEN, info=implicit policy evaluation failed',
    ),
    code: 'LEDGER_UNAVAILABLE',
    phrase: /orderer refused the transaction \(status=FORBIDDEN\)/,
  },
  {
    name: 'submit ABORTED: the orderer refused a transaction too large for a block',
    error: submit(
      g.ABORTED,
      '10 ABORTED: received unsuccessful response from orderer: status=REQUEST_ENTITY_TOO_LARGE, info=message is too large',
    ),
    code: 'PAYLOAD_TOO_LARGE',
    phrase: /larger than the orderer accepts/,
  },
  {
    name: 'submit ABORTED otherwise',
    error: submit(g.ABORTED, '10 ABORTED: stream aborted'),
    code: 'OUTCOME_UNKNOWN',
    phrase: /aborted after the transaction was sent/,
  },
  {
    name: 'submit DEADLINE_EXCEEDED',
    error: submit(
      g.DEADLINE_EXCEEDED,
      '4 DEADLINE_EXCEEDED: submit timeout expired while broadcasting to ordering service',
    ),
    code: 'OUTCOME_UNKNOWN',
    phrase: /did not confirm the transaction before the deadline/,
  },
  {
    name: 'submit FAILED_PRECONDITION: no orderers for the channel',
    error: submit(g.FAILED_PRECONDITION, '9 FAILED_PRECONDITION: channel medshare not found'),
    code: 'LEDGER_UNAVAILABLE',
    phrase: /knows no orderer for the channel/,
  },
  {
    name: 'submit PERMISSION_DENIED',
    error: submit(g.PERMISSION_DENIED, '7 PERMISSION_DENIED'),
    code: 'LEDGER_UNAVAILABLE',
    phrase: /Fabric identity/,
  },
  {
    name: 'submit UNIMPLEMENTED',
    error: submit(g.UNIMPLEMENTED, '12 UNIMPLEMENTED'),
    code: 'LEDGER_UNAVAILABLE',
    phrase: /Fabric Gateway service/,
  },
  {
    name: 'submit INVALID_ARGUMENT',
    error: submit(g.INVALID_ARGUMENT, '3 INVALID_ARGUMENT: prepared transaction must be signed'),
    code: 'INTERNAL',
    phrase: /ledger call failed/,
  },
  ...[
    g.CANCELLED,
    g.UNKNOWN,
    g.NOT_FOUND,
    g.ALREADY_EXISTS,
    g.RESOURCE_EXHAUSTED,
    g.OUT_OF_RANGE,
    g.INTERNAL,
    g.DATA_LOSS,
  ].map((code): Case => ({
    name: `submit gRPC ${code}`,
    error: submit(code, `${code} failed`),
    code: 'OUTCOME_UNKNOWN',
    phrase: /after the transaction was sent for ordering \(gRPC [A-Z_]+\)/,
  })),

  // ---- commit status: the orderer has the transaction ----
  {
    name: 'commit status DEADLINE_EXCEEDED',
    error: status(g.DEADLINE_EXCEEDED, '4 DEADLINE_EXCEEDED'),
    code: 'OUTCOME_UNKNOWN',
    phrase: /did not report the commit status before the deadline/,
  },
  {
    name: 'commit status UNAVAILABLE (peer killed)',
    error: status(g.UNAVAILABLE, '14 UNAVAILABLE: Connection dropped'),
    code: 'OUTCOME_UNKNOWN',
    phrase: /became unreachable before reporting the commit status/,
  },
  ...[
    g.CANCELLED,
    g.UNKNOWN,
    g.INVALID_ARGUMENT,
    g.PERMISSION_DENIED,
    g.FAILED_PRECONDITION,
    g.ABORTED,
    g.INTERNAL,
  ].map((code): Case => ({
    name: `commit status gRPC ${code}`,
    error: status(code, `${code} failed`),
    code: 'OUTCOME_UNKNOWN',
    phrase: /commit status could not be read \(gRPC [A-Z_]+\)/,
  })),

  // ---- commit: validation codes ----
  { name: 'CommitError MVCC_READ_CONFLICT', error: commit(11), code: 'CONFLICT', phrase: /concurrent transaction/ },
  { name: 'CommitError PHANTOM_READ_CONFLICT', error: commit(12), code: 'CONFLICT', phrase: /concurrent transaction/ },
  {
    name: 'CommitError ENDORSEMENT_POLICY_FAILURE',
    error: commit(10),
    code: 'TRANSACTION_INVALID',
    phrase: /marked the transaction invalid \(ENDORSEMENT_POLICY_FAILURE\)/,
  },
  { name: 'CommitError BAD_RWSET', error: commit(22), code: 'TRANSACTION_INVALID', phrase: /\(BAD_RWSET\)/ },
  {
    name: 'CommitError DUPLICATE_TXID',
    error: commit(9),
    code: 'OUTCOME_UNKNOWN',
    phrase: /already holds a transaction with this id/,
  },
];

describe('toMedshareError: the one place a ledger failure gets its code', () => {
  it.each(CASES)('$name → $code', ({ error, step, code, phrase }) => {
    const e = toMedshareError(error, step);
    expect(e).toMatchObject({ name: 'MedshareError', code, cause: error, context: { txId: TX } });
    expect(e.detail).toMatch(phrase);
    // Peer addresses and MSP details stay in `cause`, never in what a client sees.
    expect(e.detail).not.toMatch(/127\.0\.0\.1|example\.com|Org[12]MSP|:70[0-9]{2}/);
  });

  it('covers every gRPC status code for every step of the flow', () => {
    const steps: LedgerStep[] = ['evaluate', 'endorse', 'submit', 'commitStatus'];
    for (const step of steps)
      for (const code of Object.values(GRPC_STATUS)) {
        const e = toMedshareError(Object.assign(new Error(`${code} x`), { code }), step);
        expect(e).toBeInstanceOf(MedshareError);
        if (step === 'commitStatus') expect(e.code).toBe('OUTCOME_UNKNOWN');
        if (step === 'evaluate' || step === 'endorse') expect(e.code).not.toBe('OUTCOME_UNKNOWN');
      }
  });

  it('the step the backend names wins over the class: any failure once sent for ordering is not "nothing written"', () => {
    const e = toMedshareError(
      Object.assign(new Error('4 DEADLINE_EXCEEDED'), { code: g.DEADLINE_EXCEEDED }),
      'submit',
      TX,
    );
    expect(e).toMatchObject({ code: 'OUTCOME_UNKNOWN', context: { txId: TX } });
  });

  it('keeps a MedshareError as it is', () => {
    const e = fail('NOT_OWNER', 'x');
    expect(toMedshareError(e)).toBe(e);
  });

  it("reads the contract's code from EndorseError details and keeps peer addresses out of the message", () => {
    const e = toMedshareError(
      endorseError(
        'chaincode response 500, NOT_AUTHORIZED: request.keyId is neither the owner nor a current grantee of the record',
      ),
    );
    expect(e).toMatchObject({ code: 'NOT_AUTHORIZED', context: { txId: TX } });
    expect(e.message).not.toContain('peer0');
    expect(e.message).not.toContain('Org1MSP');
  });

  it("reads the contract's code from an evaluation's top-level message", () => {
    const e = toMedshareError(
      evaluate(
        g.UNKNOWN,
        '2 UNKNOWN: evaluate call to endorser returned error: chaincode response 500, RECORD_NOT_FOUND: no record x',
      ),
    );
    expect(e).toMatchObject({ code: 'RECORD_NOT_FOUND', message: 'RECORD_NOT_FOUND: no record x' });
  });

  it('anything that is not a Fabric condition is INTERNAL, never a guess from prose', () => {
    expect(toMedshareError(new Error('something odd')).code).toBe('INTERNAL');
    expect(toMedshareError(endorseError('chaincode response 500, not a coded message')).code).toBe('INTERNAL');
    expect(toMedshareError(undefined)).toBeInstanceOf(MedshareError);
  });
});

describe('peerUnreachable: only a failure that proves the peer itself is gone moves the gateway to another peer', () => {
  const e = (name: string, code: number, message: string, details: Array<{ message: string }> = []): unknown =>
    Object.assign(new Error(message), { name, code, details });
  it.each([
    [
      'no connection (grpc-js)',
      e(
        'GatewayError',
        14,
        '14 UNAVAILABLE: No connection established. Last error: connect ECONNREFUSED 127.0.0.1:7051',
      ),
    ],
    ['connection refused', e('EndorseError', 14, '14 UNAVAILABLE: connect ECONNREFUSED 127.0.0.1:7051')],
    ['connection dropped during the call', e('EndorseError', 14, '14 UNAVAILABLE: Connection dropped')],
    [
      'a host that does not resolve',
      e('GatewayError', 14, '14 UNAVAILABLE: getaddrinfo ENOTFOUND peer0.org1.example.com'),
    ],
  ])('true for %s', (_, error) => {
    expect(peerUnreachable(error)).toBe(true);
  });

  it.each([
    [
      'an endorsement plan failure',
      e(
        'EndorseError',
        9,
        '9 FAILED_PRECONDITION: no combination of peers can be derived which satisfy the endorsement policy',
      ),
    ],
    [
      'an unreachable endorser behind a live peer (details)',
      e('EndorseError', 14, '14 UNAVAILABLE: failed to endorse transaction, see attached details for more info', [
        {
          message:
            'rpc error: code = Unavailable desc = connection error: desc = "transport: error while dialing: dial tcp: connect: connection refused"',
        },
      ]),
    ],
    [
      'the live peer answering UNAVAILABLE',
      e('GatewayError', 14, '14 UNAVAILABLE: failed to connect to channel peers'),
    ],
    [
      'an orderer that is down (submit, details)',
      e('SubmitError', 14, '14 UNAVAILABLE: no orderers could successfully process transaction', [
        { message: 'connection refused' },
      ]),
    ],
    ['a deadline', e('GatewayError', 4, '4 DEADLINE_EXCEEDED: Deadline exceeded')],
    [
      'a contract refusal',
      e('EndorseError', 10, '10 ABORTED', [{ message: 'chaincode response 500, NOT_OWNER: not yours' }]),
    ],
    ['a coded error', fail('LEDGER_UNAVAILABLE', 'No connection established')],
    ['no error object', undefined],
  ])('false for %s', (_, error) => {
    expect(peerUnreachable(error)).toBe(false);
  });
});
