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
function fakeConnection(scripts: Script[], clock: { now: number }): FabricConnection & { calls: string[]; deadlines: Array<[Step, number]>; closed: boolean } {
  const calls: string[] = [];
  const deadlines: Array<[Step, number]> = [];
  const state = { closed: false, tx: 0 };
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
    calls,
    deadlines,
    get closed() {
      return state.closed;
    },
    newProposal(transaction, args): FabricProposal {
      calls.push(`proposal ${transaction} ${args.join(',')}`);
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
                getStatus: (c: StepOptions) => run(script, 'commitStatus', c, () => script.status ?? { successful: true, code: 0 }),
              })),
          })),
      };
    },
    close() {
      state.closed = true;
    },
  };
}

const MVCC: Script = { status: { successful: false, code: 11 } };
const grpcError = (name: string, code: number, message: string, details: Array<{ message: string }> = []): Error =>
  Object.assign(new Error(message), { name, code, details });
const backendOver = (conn: FabricConnection, clock: { now: number }, mvccRetries = 3): FabricBackend =>
  new FabricBackend(conn, { deadlinesMs: DEADLINES, mvccRetries }, 'Org1MSP', () => clock.now);

describe('FabricBackend (over a fake connection)', () => {
  it('drives endorse → submit → commit status, and retries an MVCC conflict with a new transaction', async () => {
    const clock = { now: 1_000_000 };
    const conn = fakeConnection([MVCC, MVCC, { result: '{"ok":1}' }], clock);
    await expect(backendOver(conn, clock).submit('Upload', ['{}'])).resolves.toBe('{"ok":1}');
    expect(conn.calls.filter((c) => c.startsWith('proposal'))).toEqual(['proposal Upload {}', 'proposal Upload {}', 'proposal Upload {}']);
    expect(conn.calls.filter((c) => !c.startsWith('proposal'))).toEqual(Array(3).fill(['endorse', 'submit', 'commitStatus']).flat());
  });

  it('gives up after its retries with CONFLICT, and does not retry other errors', async () => {
    const clock = { now: 0 };
    const conn = fakeConnection([MVCC, MVCC], clock);
    await expect(backendOver(conn, clock, 1).submit('Grant', ['x'])).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(conn.calls.filter((c) => c === 'endorse')).toHaveLength(2);
    const notOwner = grpcError('EndorseError', 10, '10 ABORTED', [{ message: 'chaincode response 500, NOT_OWNER: not yours' }]);
    const refused = fakeConnection([{ fail: { endorse: notOwner } }], clock);
    await expect(backendOver(refused, clock).submit('Grant', ['x'])).rejects.toMatchObject({ code: 'NOT_OWNER', message: 'NOT_OWNER: not yours' });
    expect(refused.calls).toEqual(['proposal Grant x', 'endorse']);
  });

  it('a failure at or before endorsement says nothing was written; nothing is sent for ordering', async () => {
    const clock = { now: 0 };
    const plan = grpcError('EndorseError', 9, '9 FAILED_PRECONDITION: no combination of peers can be derived which satisfy the endorsement policy');
    const conn = fakeConnection([{ fail: { endorse: plan } }], clock);
    await expect(backendOver(conn, clock).submit('Upload', ['{}'])).rejects.toMatchObject({
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
  ] as const)('a %s failure after endorsement is OUTCOME_UNKNOWN with the transaction id, and is not retried (%#)', async (step, error, phrase) => {
    const clock = { now: 0 };
    const conn = fakeConnection([{ fail: { [step]: error } }, {}], clock);
    await expect(backendOver(conn, clock).submit('Upload', ['{}'])).rejects.toMatchObject({
      code: 'OUTCOME_UNKNOWN',
      message: expect.stringMatching(phrase),
      context: { txId: '1'.padStart(64, '0') },
    });
    expect(conn.calls.filter((c) => c === 'endorse')).toHaveLength(1);
  });

  it('an orderer refusing at once is LEDGER_UNAVAILABLE (not ordered), not a deadline', async () => {
    const clock = { now: 0 };
    const refused = grpcError('SubmitError', 14, '14 UNAVAILABLE: no orderers could successfully process transaction', [
      {
        message:
          'rpc error: code = Unavailable desc = connection error: desc = "transport: error while dialing: dial tcp 127.0.0.1:7050: connect: connection refused"',
      },
    ]);
    const conn = fakeConnection([{ fail: { submit: refused } }], clock);
    await expect(backendOver(conn, clock).submit('Upload', ['{}'])).rejects.toMatchObject({
      code: 'LEDGER_UNAVAILABLE',
      message: expect.stringMatching(/orderer is unreachable/),
    });
  });

  it('a transaction validated as invalid (not an MVCC conflict) is TRANSACTION_INVALID', async () => {
    const clock = { now: 0 };
    const conn = fakeConnection([{ status: { successful: false, code: 10 } }], clock);
    await expect(backendOver(conn, clock).submit('Upload', ['{}'])).rejects.toMatchObject({
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
    await expect(backendOver(conn, clock).submit('Upload', ['{}'])).resolves.toBe('{"done":true}');
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
    await expect(backendOver(late, clock).submit('Upload', ['{}'])).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(late.calls.filter((c) => c === 'endorse')).toHaveLength(1);
  });

  it('evaluates within the evaluate deadline', async () => {
    const clock = { now: 5 };
    const conn = fakeConnection([{ result: '[]' }], clock);
    await expect(backendOver(conn, clock).evaluate('ListRecords', ['e'])).resolves.toBe('[]');
    expect(conn.deadlines).toEqual([['evaluate', 5 + DEADLINES.evaluate]]);
  });

  it("checks readiness with its own org's access keys and reports an unreachable ledger", async () => {
    const clock = { now: 0 };
    const good = fakeConnection([{ result: '[]' }], clock);
    await new FabricBackend(good, { deadlinesMs: DEADLINES, mvccRetries: 0 }, 'Org2MSP').ready();
    expect(good.calls).toEqual(['proposal ListAccessKeys Org2MSP', 'evaluate']);
    const down = fakeConnection([{ fail: { evaluate: grpcError('GatewayError', 14, '14 UNAVAILABLE: No connection established') } }], clock);
    const backend = backendOver(down, clock, 0);
    await expect(backend.ready()).rejects.toMatchObject({ code: 'LEDGER_UNAVAILABLE', message: expect.stringMatching(/the peer is unreachable/) });
    await backend.close();
    expect(down.closed).toBe(true);
  });
});
