import { FabricBackend, type FabricConnection } from './fabric';

/** A fake connection shaped like fabric-gateway's Contract (unit test only; the real one is exercised on a network). */
function fakeConnection(behaviour: { submit?: Array<() => Uint8Array>; evaluate?: () => Uint8Array }): FabricConnection & { calls: string[]; closed: boolean } {
  const calls: string[] = [];
  const state = { closed: false };
  return {
    calls,
    get closed() {
      return state.closed;
    },
    contract: {
      submitTransaction: (name: string, ...args: string[]) => {
        calls.push(`submit ${name} ${args.join(',')}`);
        const next = behaviour.submit?.shift();
        if (!next) throw new Error('no more submits');
        return Promise.resolve().then(next);
      },
      evaluateTransaction: (name: string, ...args: string[]) => {
        calls.push(`evaluate ${name} ${args.join(',')}`);
        return Promise.resolve().then(() => (behaviour.evaluate ?? (() => new Uint8Array()))());
      },
    },
    close() {
      state.closed = true;
    },
  };
}

const mvcc = (): never => {
  throw Object.assign(new Error('transaction failed to commit with status code 11 (MVCC_READ_CONFLICT)'), { name: 'CommitError', code: 11 });
};
const ok = (text: string) => (): Uint8Array => new Uint8Array(Buffer.from(text));

describe('FabricBackend (over a fake connection)', () => {
  it('retries an MVCC conflict with a new transaction and returns the committed result', async () => {
    const conn = fakeConnection({ submit: [mvcc, mvcc, ok('{"done":true}')] });
    const backend = new FabricBackend(conn, 3, 'Org1MSP');
    await expect(backend.submit('Upload', ['{}'])).resolves.toBe('{"done":true}');
    expect(conn.calls).toEqual(['submit Upload {}', 'submit Upload {}', 'submit Upload {}']);
  });

  it('gives up after its retries with CONFLICT, and does not retry other errors', async () => {
    const conn = fakeConnection({ submit: [mvcc, mvcc] });
    await expect(new FabricBackend(conn, 1, 'Org1MSP').submit('Grant', ['x'])).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(conn.calls).toHaveLength(2);
    const refused = fakeConnection({
      submit: [
        () => {
          throw Object.assign(new Error('10 ABORTED'), {
            name: 'EndorseError',
            code: 10,
            details: [{ message: 'chaincode response 500, NOT_OWNER: not yours' }],
          });
        },
      ],
    });
    await expect(new FabricBackend(refused, 3, 'Org1MSP').submit('Grant', ['x'])).rejects.toMatchObject({ code: 'NOT_OWNER', message: 'NOT_OWNER: not yours' });
    expect(refused.calls).toHaveLength(1);
  });

  it("checks readiness with its own org's access keys and reports an unreachable ledger", async () => {
    const good = fakeConnection({ evaluate: ok('[]') });
    await new FabricBackend(good, 0, 'Org2MSP').ready();
    expect(good.calls).toEqual(['evaluate ListAccessKeys Org2MSP']);
    const down = fakeConnection({
      evaluate: () => {
        throw Object.assign(new Error('14 UNAVAILABLE: No connection established'), { code: 14 });
      },
    });
    await expect(new FabricBackend(down, 0, 'Org1MSP').ready()).rejects.toMatchObject({ code: 'LEDGER_UNAVAILABLE' });
    await new FabricBackend(down, 0, 'Org1MSP').close();
    expect(down.closed).toBe(true);
  });
});
