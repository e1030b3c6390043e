// SPDX-License-Identifier: Apache-2.0
import type { Context } from 'fabric-contract-api';
import { fabricIdentity, MemoryLedger, type SimulatedContext, type TransactionStub } from '@medshare/fabric-sim';
import { expectObject, expectString } from '@medshare/protocol';
import { Harness, rejects } from '../testing/harness';
import { countingStub, type ShimCall } from '../testing/shim-calls';
import { KEY } from './keys';
import { LedgerState } from './state';
import { SimpleKeyTable, Table } from './table';

const parseRow = (value: unknown): { v: string } => ({ v: expectString(expectObject(value, 'row', ['v']).v, 'v') });
const rows = new Table({ type: KEY.record, key: ['id'], parse: parseRow });
const simpleRows = new SimpleKeyTable({ type: KEY.indicatorTotal, key: ['id'], parse: parseRow });
const id = fabricIdentity('Org1MSP');

/** A ledger holding rows a (v1) and, under a simple key, s (v1). */
async function ledger(): Promise<MemoryLedger> {
  const l = new MemoryLedger();
  await l.submit(id, async (ctx) => {
    const state = new LedgerState(ctx as unknown as Context);
    await rows.put(state, { id: 'a' }, { v: 'v1' });
    await simpleRows.put(state, { id: 's' }, { v: 'v1' });
  });
  return l;
}

/** A simulation whose stub counts its calls, and the LedgerState over it. */
function counted(l: MemoryLedger): { ctx: SimulatedContext; state: LedgerState; calls: ShimCall[] } {
  const ctx = l.simulate(id);
  const calls: ShimCall[] = [];
  const stub: TransactionStub = countingStub(ctx.stub, calls);
  return { ctx, state: new LedgerState({ ...ctx, stub } as unknown as Context), calls };
}

const gets = (calls: readonly ShimCall[]): number => calls.filter((c) => c.method === 'getState').length;

describe('LedgerState: a key is fetched once per transaction', () => {
  it('a second read, or an exists, of the same key is answered without a round trip; the read set is unchanged', async () => {
    const l = await ledger();
    const { ctx, state, calls } = counted(l);
    expect(await rows.get(state, { id: 'a' })).toEqual({ v: 'v1' });
    expect(await rows.exists(state, { id: 'a' })).toBe(true);
    expect(await rows.get(state, { id: 'a' })).toEqual({ v: 'v1' });
    expect(await simpleRows.get(state, { id: 's' })).toEqual({ v: 'v1' });
    expect(await simpleRows.exists(state, { id: 's' })).toBe(true);
    // A missing key is remembered too (empty bytes, as Fabric returns).
    expect(await rows.get(state, { id: 'none' })).toBeUndefined();
    expect(await rows.exists(state, { id: 'none' })).toBe(false);
    expect(gets(calls)).toBe(3);
    expect([...ctx.stub.readWriteSet().reads.values()]).toEqual([1, 1, 0]);
  });

  it('reads after the transaction’s own writes return what Fabric returns: the committed value, not the write', async () => {
    const l = await ledger();
    // What the stub itself answers (Fabric's semantics, fabric-sim's TransactionStub) …
    const raw = l.simulate(id);
    const direct = async (key: string): Promise<string> => Buffer.from(await raw.stub.getState(key)).toString();
    const aKey = raw.stub.createCompositeKey(KEY.record, ['a']);
    const bKey = raw.stub.createCompositeKey(KEY.record, ['b']);
    await raw.stub.putState(bKey, Buffer.from('{"v":"new"}'));
    const rawB = await direct(bKey);
    const rawA1 = await direct(aKey);
    await raw.stub.putState(aKey, Buffer.from('{"v":"v2"}'));
    const rawA2 = await direct(aKey);
    await raw.stub.deleteState(aKey);
    const rawA3 = await direct(aKey);
    expect([rawB, rawA1, rawA2, rawA3]).toEqual(['', '{"v":"v1"}', '{"v":"v1"}', '{"v":"v1"}']);

    // … and the same sequence through LedgerState (cache cold, then warm).
    const { ctx, state } = counted(l);
    await rows.put(state, { id: 'b' }, { v: 'new' });
    expect(await rows.get(state, { id: 'b' })).toBeUndefined();
    expect(await rows.get(state, { id: 'a' })).toEqual({ v: 'v1' });
    await rows.put(state, { id: 'a' }, { v: 'v2' });
    expect(await rows.get(state, { id: 'a' })).toEqual({ v: 'v1' });
    await rows.delete(state, { id: 'a' }, { v: 'v2' });
    expect(await rows.exists(state, { id: 'a' })).toBe(true);
    // The writes are the transaction's last ones, as without the cache.
    const writes = ctx.stub.readWriteSet().writes;
    expect(writes.get(aKey)).toBeUndefined();
    expect(writes.has(aKey)).toBe(true);
    expect(Buffer.from(writes.get(bKey) ?? new Uint8Array()).toString()).toBe('{"v":"new"}');
  });

  it('is the transaction’s own: the next transaction reads the committed value again', async () => {
    const l = await ledger();
    await l.submit(id, async (ctx) => {
      const state = new LedgerState(ctx as unknown as Context);
      expect(await rows.get(state, { id: 'a' })).toEqual({ v: 'v1' });
      await rows.put(state, { id: 'a' }, { v: 'v2' });
    });
    const { state, calls } = counted(l);
    expect(await rows.get(state, { id: 'a' })).toEqual({ v: 'v2' });
    expect(gets(calls)).toBe(1);
  });

  it('range queries always go to the peer, and do not fill the cache', async () => {
    const l = await ledger();
    const { state, calls } = counted(l);
    expect(await rows.all(state, {})).toEqual([{ v: 'v1' }]);
    expect(await rows.get(state, { id: 'a' })).toEqual({ v: 'v1' });
    expect(await rows.all(state, {})).toEqual([{ v: 'v1' }]);
    expect(calls.map((c) => c.method).filter((m) => m !== 'createCompositeKey')).toEqual([
      'getStateByPartialCompositeKey',
      'getState',
      'getStateByPartialCompositeKey',
    ]);
  });

  it('a request refused after a cached read (the holder check of a view) leaves the ledger unchanged', async () => {
    const h = await Harness.create();
    const patient = await h.registerPatient();
    const { recordId } = await h.upload(patient);
    // The owner's entry is read as the author (sig1), then again as the holder: from the cache.
    const restore = await h.setUserStatus(patient, 'pending');
    await rejects(h, () => h.act('view', patient, { recordId }), 'NOT_APPROVED', /check holder/);
    await restore();
    await h.act('view', patient, { recordId });
  });
});
