// SPDX-License-Identifier: Apache-2.0
import type { AnyRequest, ContractEnvelope, Operation } from '@medshare/protocol';
import { FabricBackend, type FabricConnection, type FabricProposal, type StepOptions } from './fabric';

const DEADLINES = { evaluate: 5000, endorse: 8000, submit: 4000, commitStatus: 12_000 };
const BUDGET = DEADLINES.endorse + DEADLINES.submit + DEADLINES.commitStatus;

type Step = 'evaluate' | 'endorse' | 'submit' | 'commitStatus';
/** What one proposal does at each step: throw, or take `ms` of the fake clock. */
interface Script {
  readonly fail?: Partial<Record<Step, Error>>;
  readonly takesMs?: Partial<Record<Step, number>>;
  readonly status?: { successful: boolean; code: number };
  readonly result?: string;
}

/** A fake of fabric-gateway's proposal → transaction → commit flow (unit test only; the real one runs on a network). */
type FakeConnection = FabricConnection & { calls: string[]; deadlines: Array<[Step, number]>; closed: boolean };
function fakeConnection(
  scripts: Script[],
  clock: { now: number },
  peer = 'peer0.org1.example.com',
  txBase = 0,
): FakeConnection {
  const calls: string[] = [];
  const deadlines: Array<[Step, number]> = [];
  const state = { closed: false, tx: txBase };
  const run = async <T>(script: Script, step: Step, options: StepOptions, value: () => T): Promise<T> => {
    calls.push(step);
    deadlines.push([step, options.deadline]);
    clock.now += script.takesMs?.[step] ?? 1;
    await Promise.resolve();
    const failure = script.fail?.[step];
    if (failure) throw failure;
    return value();
  };
  return {
    peer,
    calls,
    deadlines,
    get closed() {
      return state.closed;
    },
    newProposal(transaction, args): FabricProposal {
      calls.push(`proposal ${transaction} ${args.map(abbreviated).join(',')}`);
      const script = scripts.shift();
      if (!script) throw new Error('no more scripted proposals');
      const txId = (state.tx += 1).toString(16).padStart(64, '0');
      const result = new Uint8Array(Buffer.from(script.result ?? '{"done":true}'));
      return {
        getTransactionId: () => txId,
        evaluate: (o) => run(script, 'evaluate', o, () => result),
        endorse: (o) =>
          run(script, 'endorse', o, () => ({
            getResult: () => result,
            submit: (s: StepOptions) =>
              run(script, 'submit', s, () => ({
                getStatus: (c: StepOptions) =>
                  run(script, 'commitStatus', c, () => script.status ?? { successful: true, code: 0 }),
              })),
          })),
      };
    },
    close() {
      state.closed = true;
    },
  };
}

/** An envelope naming `op` (the backend only reads the op and passes the text on). */
const envelope = (op: Operation): ContractEnvelope => ({ request: { op } as AnyRequest, sig1: '', sig3: '', k3Id: '' });
/** An envelope argument as `<op>` in the recorded calls. */
const abbreviated = (arg: string): string =>
  arg.startsWith('{') ? `<${(JSON.parse(arg) as { request: { op: string } }).request.op}>` : arg;

const MVCC: Script = { status: { successful: false, code: 11 } };
const grpcError = (name: string, code: number, message: string, details: Array<{ message: string }> = []): Error =>
  Object.assign(new Error(message), { name, code, details });
const backendOver = (
  conn: FabricConnection | FabricConnection[],
  clock: { now: number },
  mvccRetries = 3,
  preferredPeerRetryMs = 30_000,
): FabricBackend =>
  new FabricBackend(
    Array.isArray(conn) ? conn : [conn],
    { deadlinesMs: DEADLINES, mvccRetries, preferredPeerRetryMs },
    'Org1MSP',
    () => clock.now,
  );

describe('FabricBackend (over a fake connection)', () => {
  it('drives endorse → submit → commit status, and retries an MVCC conflict with a new transaction', async () => {
    const clock = { now: 1_000_000 };
    const conn = fakeConnection([MVCC, MVCC, { result: '{"ok":1}' }], clock);
    await expect(backendOver(conn, clock).run(envelope('upload'))).resolves.toBe('{"ok":1}');
    expect(conn.calls.filter((c) => c.startsWith('proposal'))).toEqual([
      'proposal records:Upload <upload>',
      'proposal records:Upload <upload>',
      'proposal records:Upload <upload>',
    ]);
    expect(conn.calls.filter((c) => !c.startsWith('proposal'))).toEqual(
      Array(3).fill(['endorse', 'submit', 'commitStatus']).flat(),
    );
  });

  it('gives up after its retries with CONFLICT, and does not retry other errors', async () => {
    const clock = { now: 0 };
    const conn = fakeConnection([MVCC, MVCC], clock);
    await expect(backendOver(conn, clock, 1).run(envelope('grant'))).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(conn.calls.filter((c) => c === 'endorse')).toHaveLength(2);
    const notOwner = grpcError('EndorseError', 10, '10 ABORTED', [
      { message: 'chaincode response 500, NOT_OWNER: not yours' },
    ]);
    const refused = fakeConnection([{ fail: { endorse: notOwner } }], clock);
    await expect(backendOver(refused, clock).run(envelope('grant'))).rejects.toMatchObject({
      code: 'NOT_OWNER',
      message: 'NOT_OWNER: not yours',
    });
    expect(refused.calls).toEqual(['proposal records:Grant <grant>', 'endorse']);
  });

  it('a failure at or before endorsement says nothing was written; nothing is sent for ordering', async () => {
    const clock = { now: 0 };
    const plan = grpcError(
      'EndorseError',
      9,
      '9 FAILED_PRECONDITION: no combination of peers can be derived which satisfy the endorsement policy',
    );
    const conn = fakeConnection([{ fail: { endorse: plan } }], clock);
    await expect(backendOver(conn, clock).run(envelope('upload'))).rejects.toMatchObject({
      code: 'LEDGER_UNAVAILABLE',
      message: expect.stringMatching(/endorsement policy are not reachable/),
      context: { txId: '1'.padStart(64, '0') },
    });
    expect(conn.calls).not.toContain('submit');
  });

  it.each([
    ['submit', grpcError('SubmitError', 4, '4 DEADLINE_EXCEEDED: submit timeout expired'), /did not confirm/],
    ['submit', grpcError('SubmitError', 14, '14 UNAVAILABLE: Connection dropped'), /connection was lost/],
    ['commitStatus', grpcError('CommitStatusError', 4, '4 DEADLINE_EXCEEDED'), /did not report the commit status/],
    ['commitStatus', grpcError('CommitStatusError', 14, '14 UNAVAILABLE: Connection dropped'), /became unreachable/],
    // A plain gRPC error (no fabric-gateway class) after endorsement is still "sent for ordering".
    ['commitStatus', Object.assign(new Error('1 CANCELLED'), { code: 1 }), /commit status could not be read/],
  ] as const)(
    'a %s failure after endorsement is OUTCOME_UNKNOWN with the transaction id, and is not retried (%#)',
    async (step, error, phrase) => {
      const clock = { now: 0 };
      const conn = fakeConnection([{ fail: { [step]: error } }, {}], clock);
      await expect(backendOver(conn, clock).run(envelope('upload'))).rejects.toMatchObject({
        code: 'OUTCOME_UNKNOWN',
        message: expect.stringMatching(phrase),
        context: { txId: '1'.padStart(64, '0') },
      });
      expect(conn.calls.filter((c) => c === 'endorse')).toHaveLength(1);
    },
  );

  it('an orderer refusing at once is LEDGER_UNAVAILABLE (not ordered), not a deadline', async () => {
    const clock = { now: 0 };
    const refused = grpcError('SubmitError', 14, '14 UNAVAILABLE: no orderers could successfully process transaction', [
      {
        message:
          'rpc error: code = Unavailable desc = connection error: desc = "transport: error while dialing: dial tcp 127.0.0.1:7050: connect: connection refused"',
      },
    ]);
    const conn = fakeConnection([{ fail: { submit: refused } }], clock);
    await expect(backendOver(conn, clock).run(envelope('upload'))).rejects.toMatchObject({
      code: 'LEDGER_UNAVAILABLE',
      message: expect.stringMatching(/orderer is unreachable/),
    });
  });

  it('a transaction validated as invalid (not an MVCC conflict) is TRANSACTION_INVALID', async () => {
    const clock = { now: 0 };
    const conn = fakeConnection([{ status: { successful: false, code: 10 } }], clock);
    await expect(backendOver(conn, clock).run(envelope('upload'))).rejects.toMatchObject({
      code: 'TRANSACTION_INVALID',
      message: expect.stringMatching(/ENDORSEMENT_POLICY_FAILURE/),
    });
  });

  it('every step has its own deadline and the whole submit, retries included, ends within endorse + submit + commitStatus', async () => {
    const clock = { now: 1_000_000 };
    const start = clock.now;
    // The first attempt is slow and conflicts; a retry starts only while a whole endorsement fits.
    const slow: Script = { ...MVCC, takesMs: { endorse: 6000, submit: 3000, commitStatus: 6000 } };
    const conn = fakeConnection([slow, {}], clock);
    await expect(backendOver(conn, clock).run(envelope('upload'))).resolves.toBe('{"done":true}');
    const [endorse1, submit1, status1, endorse2, submit2, status2] = conn.deadlines;
    expect(endorse1).toEqual(['endorse', start + DEADLINES.endorse]);
    expect(submit1).toEqual(['submit', start + 6000 + DEADLINES.submit]);
    expect(status1).toEqual(['commitStatus', start + 9000 + DEADLINES.commitStatus]);
    // Second attempt at start + 15 s: its commit-status allowance is cut to the budget's end.
    expect(endorse2).toEqual(['endorse', start + 15_000 + DEADLINES.endorse]);
    expect(submit2?.[1]).toBe(start + 15_001 + DEADLINES.submit);
    expect(status2).toEqual(['commitStatus', start + BUDGET]);
    for (const [, deadline] of conn.deadlines) expect(deadline).toBeLessThanOrEqual(start + BUDGET);

    // With less than one endorsement left, the conflict is returned instead of another attempt.
    const late = fakeConnection([{ ...MVCC, takesMs: { endorse: 8000, submit: 4000, commitStatus: 5000 } }, {}], clock);
    await expect(backendOver(late, clock).run(envelope('upload'))).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(late.calls.filter((c) => c === 'endorse')).toHaveLength(1);
  });

  it('evaluates within the evaluate deadline', async () => {
    const clock = { now: 5 };
    const conn = fakeConnection([{ result: '[]' }], clock);
    await expect(backendOver(conn, clock).run(envelope('list-records'))).resolves.toBe('[]');
    expect(conn.deadlines).toEqual([['evaluate', 5 + DEADLINES.evaluate]]);
  });

  it("checks readiness with its own org's access keys and reports an unreachable ledger", async () => {
    const clock = { now: 0 };
    const good = fakeConnection([{ result: '[]' }], clock);
    await new FabricBackend([good], { deadlinesMs: DEADLINES, mvccRetries: 0 }, 'Org2MSP').ready();
    expect(good.calls).toEqual(['proposal layer-keys:ListAccessKeys Org2MSP', 'evaluate']);
    const down = fakeConnection(
      [{ fail: { evaluate: grpcError('GatewayError', 14, '14 UNAVAILABLE: No connection established') } }],
      clock,
    );
    const backend = backendOver(down, clock, 0);
    await expect(backend.ready()).rejects.toMatchObject({
      code: 'LEDGER_UNAVAILABLE',
      message: expect.stringMatching(/the peer is unreachable/),
    });
    await backend.close();
    expect(down.closed).toBe(true);
  });
});

// What grpc-js raises when the channel to the peer has no connection (the peer process is gone).
const noConnection = (name: string): Error =>
  grpcError(
    name,
    14,
    '14 UNAVAILABLE: No connection established. Last error: connect ECONNREFUSED 127.0.0.1:7051 (2026-12-01T10:00:00.000Z)',
  );
const DOWN: Script = { fail: { evaluate: noConnection('GatewayError'), endorse: noConnection('EndorseError') } };
const ops = (conn: { calls: string[] }): string[] => conn.calls.filter((c) => !c.startsWith('proposal'));

describe('FabricBackend over several peers of its org (failover)', () => {
  it('moves to the next peer when its peer is unreachable, retries the evaluation there within the same deadline, and stays there', async () => {
    const clock = { now: 1000 };
    const peer0 = fakeConnection([DOWN], clock);
    const peer1 = fakeConnection([{ result: '[1]' }, { result: '[2]' }], clock, 'peer1.org1.example.com', 100);
    const backend = backendOver([peer0, peer1], clock);
    await expect(backend.run(envelope('list-records'))).resolves.toBe('[1]');
    expect(ops(peer0)).toEqual(['evaluate']);
    expect(peer1.deadlines).toEqual([['evaluate', 1000 + DEADLINES.evaluate]]);
    expect(backend.peer).toBe('peer1.org1.example.com');
    // the next call goes to peer1 at once
    await expect(backend.run(envelope('list-records'))).resolves.toBe('[2]');
    expect(ops(peer0)).toEqual(['evaluate']);
  });

  it('an endorsement that found its peer unreachable is endorsed on the next peer as a new transaction, then submitted there once', async () => {
    const clock = { now: 0 };
    const peer0 = fakeConnection([DOWN], clock);
    const peer1 = fakeConnection([{ result: '{"recordId":"r"}' }], clock, 'peer1.org1.example.com', 100);
    await expect(backendOver([peer0, peer1], clock).run(envelope('upload'))).resolves.toBe('{"recordId":"r"}');
    expect(ops(peer0)).toEqual(['endorse']);
    expect(ops(peer1)).toEqual(['endorse', 'submit', 'commitStatus']);
    // the whole endorsement, both peers, within one endorse deadline
    expect(peer1.deadlines[0]).toEqual(['endorse', DEADLINES.endorse]);
  });

  it.each([
    [
      'a contract refusal',
      grpcError('EndorseError', 10, '10 ABORTED', [{ message: 'chaincode response 500, NOT_OWNER: not yours' }]),
      'NOT_OWNER',
    ],
    [
      'an endorsement plan the peer cannot build',
      grpcError(
        'EndorseError',
        9,
        '9 FAILED_PRECONDITION: no combination of peers can be derived which satisfy the endorsement policy',
      ),
      'LEDGER_UNAVAILABLE',
    ],
    [
      'an endorsing peer of the other org unreachable (details from the live peer)',
      grpcError(
        'EndorseError',
        14,
        '14 UNAVAILABLE: failed to endorse transaction, see attached details for more info',
        [
          {
            message:
              'rpc error: code = Unavailable desc = connection error: desc = "transport: error while dialing: dial tcp 127.0.0.1:9051: connect: connection refused"',
          },
        ],
      ),
      'LEDGER_UNAVAILABLE',
    ],
    [
      'the live peer answering UNAVAILABLE itself',
      grpcError('EndorseError', 14, '14 UNAVAILABLE: failed to connect to channel peers'),
      'LEDGER_UNAVAILABLE',
    ],
    [
      'a deadline (a slow peer is not proved unreachable)',
      grpcError('EndorseError', 4, '4 DEADLINE_EXCEEDED: Deadline exceeded'),
      'LEDGER_UNAVAILABLE',
    ],
  ] as const)('does not move on %s: the answer is returned, the other peer is not asked', async (_, error, code) => {
    const clock = { now: 0 };
    const peer0 = fakeConnection([{ fail: { endorse: error } }], clock);
    const peer1 = fakeConnection([], clock, 'peer1.org1.example.com');
    const backend = backendOver([peer0, peer1], clock);
    await expect(backend.run(envelope('upload'))).rejects.toMatchObject({ code });
    expect(peer1.calls).toEqual([]);
    expect(backend.peer).toBe('peer0.org1.example.com');
  });

  it.each([
    ['submit', noConnection('SubmitError'), 'LEDGER_UNAVAILABLE'],
    ['submit', grpcError('SubmitError', 14, '14 UNAVAILABLE: Connection dropped'), 'OUTCOME_UNKNOWN'],
    ['commitStatus', grpcError('CommitStatusError', 14, '14 UNAVAILABLE: Connection dropped'), 'OUTCOME_UNKNOWN'],
  ] as const)(
    'never sends a transaction again after its %s found the peer unreachable (%s); the next call uses the next peer',
    async (step, error, code) => {
      const clock = { now: 0 };
      const peer0 = fakeConnection([{ fail: { [step]: error } }], clock);
      const peer1 = fakeConnection([{ result: '{"next":1}' }], clock, 'peer1.org1.example.com', 100);
      const backend = backendOver([peer0, peer1], clock);
      await expect(backend.run(envelope('upload'))).rejects.toMatchObject({
        code,
        context: { txId: '1'.padStart(64, '0') },
      });
      expect(peer1.calls).toEqual([]);
      expect(ops(peer0).filter((c) => c === 'endorse')).toHaveLength(1);
      await expect(backend.run(envelope('upload'))).resolves.toBe('{"next":1}');
      expect(ops(peer0).filter((c) => c === 'endorse')).toHaveLength(1);
    },
  );

  it('with every peer unreachable: LEDGER_UNAVAILABLE saying no peer of the org answered, each peer tried once', async () => {
    const clock = { now: 0 };
    const peer0 = fakeConnection([DOWN, DOWN], clock);
    const peer1 = fakeConnection([DOWN, DOWN], clock, 'peer1.org1.example.com', 100);
    const backend = backendOver([peer0, peer1], clock);
    await expect(backend.run(envelope('upload'))).rejects.toMatchObject({
      code: 'LEDGER_UNAVAILABLE',
      message: 'LEDGER_UNAVAILABLE: no peer of this organization answered (all 2 unreachable)',
    });
    await expect(backend.ready()).rejects.toMatchObject({
      code: 'LEDGER_UNAVAILABLE',
      message: expect.stringMatching(/no peer of this organization answered/),
    });
    expect([...ops(peer0), ...ops(peer1)]).toEqual(['endorse', 'evaluate', 'endorse', 'evaluate']);
  });

  it('stops trying further peers once the deadline has passed', async () => {
    const clock = { now: 0 };
    const slowDown: Script = {
      fail: { evaluate: noConnection('GatewayError') },
      takesMs: { evaluate: DEADLINES.evaluate },
    };
    const peer0 = fakeConnection([slowDown], clock);
    const peer1 = fakeConnection([], clock, 'peer1.org1.example.com');
    await expect(backendOver([peer0, peer1], clock).run(envelope('list-records'))).rejects.toMatchObject({
      code: 'LEDGER_UNAVAILABLE',
      message: expect.stringMatching(/the peer is unreachable/),
    });
    expect(peer1.calls).toEqual([]);
  });

  it('tries the preferred peer again once per preferredPeerRetryMs, and goes back to it when it answers', async () => {
    const clock = { now: 0 };
    const peer0 = fakeConnection([DOWN, DOWN, { result: '"p0"' }], clock);
    const peer1 = fakeConnection(
      [{ result: '"a"' }, { result: '"b"' }, { result: '"c"' }, { result: '"d"' }],
      clock,
      'peer1.org1.example.com',
      100,
    );
    const backend = backendOver([peer0, peer1], clock, 0, 10_000);
    await expect(backend.getUser('k')).resolves.toBe('"a"'); // peer0 down: peer1
    clock.now += 5_000;
    await expect(backend.getUser('k')).resolves.toBe('"b"'); // within the interval: peer1 only
    expect(ops(peer0)).toHaveLength(1);
    clock.now += 5_000;
    await expect(backend.getUser('k')).resolves.toBe('"c"'); // the probe: peer0 (still down), then peer1
    expect(ops(peer0)).toHaveLength(2);
    await expect(backend.getUser('k')).resolves.toBe('"d"'); // no second probe in the interval
    expect(ops(peer0)).toHaveLength(2);
    clock.now += 10_000;
    await expect(backend.getUser('k')).resolves.toBe('"p0"'); // peer0 is back
    expect(backend.peer).toBe('peer0.org1.example.com');
  });

  it('closes every connection', async () => {
    const clock = { now: 0 };
    const conns = [fakeConnection([], clock), fakeConnection([], clock, 'peer1.org1.example.com')];
    await backendOver(conns, clock).close();
    expect(conns.map((c) => c.closed)).toEqual([true, true]);
  });
});
