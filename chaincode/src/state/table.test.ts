// SPDX-License-Identifier: Apache-2.0
import type { Context } from 'fabric-contract-api';
import { createCompositeKey, fabricIdentity, MemoryLedger } from '@medshare/fabric-sim';
import { expectObject, expectString } from '@medshare/protocol';
import { marshal } from './codec';
import { KEY } from './keys';
import { LedgerState } from './state';
import { index, SimpleKeyTable, Table } from './table';

// A table of test rows with two indexes: one keyed by a field (`owner`: moving it moves the index
// row), one whose key stays but whose value carries a field (`note`: changing it rewrites the row).
interface Item {
  readonly name: string;
  readonly owner: string;
  readonly status: string;
  readonly note: string;
}
const parseItem = (value: unknown): Item => {
  const o = expectObject(value, 'item', ['name', 'owner', 'status', 'note']);
  return {
    name: expectString(o.name, 'name'),
    owner: expectString(o.owner, 'owner'),
    status: expectString(o.status, 'status'),
    note: expectString(o.note, 'note'),
  };
};
const parseRef = (value: unknown): { id: string; note?: string } => {
  const o = expectObject(value, 'ref', ['id', 'note']);
  return { id: expectString(o.id, 'id'), ...(o.note === undefined ? {} : { note: expectString(o.note, 'note') }) };
};
const byOwner = new Table({ type: KEY.ownerIndex, key: ['owner', 'id'], parse: parseRef });
const byStatus = new Table({ type: KEY.granteeIndex, key: ['status', 'id'], parse: parseRef });
const items = new Table({
  type: KEY.record,
  key: ['id'],
  parse: parseItem,
  indexes: [
    index(byOwner, (key: { id: string }, item: Item) => ({
      key: { owner: item.owner, id: key.id },
      row: { id: key.id },
    })),
    index(byStatus, (key: { id: string }, item: Item) => ({
      key: { status: item.status, id: key.id },
      row: { id: key.id, note: item.note },
    })),
  ],
});

const id = fabricIdentity('Org1MSP');
const ck = (type: string, ...attributes: string[]): string => createCompositeKey(type, attributes);
const first: Item = { name: 'scan', owner: 'alice', status: 'active', note: 'n1' };

/** A ledger holding item `x` (and its index rows) as `first`. */
async function ledgerWithItem(): Promise<MemoryLedger> {
  const ledger = new MemoryLedger();
  await ledger.submit(id, (ctx) => items.put(new LedgerState(ctx as unknown as Context), { id: 'x' }, first));
  return ledger;
}

/** The write set (key → bytes as text, or null for a delete) of one transaction that replaces `x` by `next`. */
async function replaceWrites(ledger: MemoryLedger, next: Item): Promise<Record<string, string | null>> {
  const ctx = ledger.simulate(id);
  await items.replace(new LedgerState(ctx as unknown as Context), { id: 'x' }, first, next);
  const writes: Record<string, string | null> = {};
  for (const [key, value] of ctx.stub.readWriteSet().writes)
    writes[key] = value === undefined ? null : Buffer.from(value).toString('utf8');
  await ledger.commit(ctx.stub.readWriteSet());
  return writes;
}

const text = (value: unknown): string => Buffer.from(marshal(value)).toString('utf8');

function committed(ledger: MemoryLedger): Record<string, string> {
  return Object.fromEntries(ledger.entries().map(([k, v]) => [k, Buffer.from(v).toString('utf8')]));
}

describe('Table.replace', () => {
  it('rewrites only the row when no index input changed: unchanged index rows are not written', async () => {
    const ledger = await ledgerWithItem();
    const next = { ...first, name: 'scan, renamed' };
    expect(await replaceWrites(ledger, next)).toEqual({ [ck(KEY.record, 'x')]: text(next) });
    expect(committed(ledger)).toEqual({
      [ck(KEY.record, 'x')]: text(next),
      [ck(KEY.ownerIndex, 'alice', 'x')]: text({ id: 'x' }),
      [ck(KEY.granteeIndex, 'active', 'x')]: text({ id: 'x', note: 'n1' }),
    });
  });

  it('moves an index row whose key changed (old key deleted, new one written) and leaves the others', async () => {
    const ledger = await ledgerWithItem();
    const next = { ...first, owner: 'bob' };
    expect(await replaceWrites(ledger, next)).toEqual({
      [ck(KEY.record, 'x')]: text(next),
      [ck(KEY.ownerIndex, 'alice', 'x')]: null,
      [ck(KEY.ownerIndex, 'bob', 'x')]: text({ id: 'x' }),
    });
    expect(committed(ledger)).toEqual({
      [ck(KEY.record, 'x')]: text(next),
      [ck(KEY.ownerIndex, 'bob', 'x')]: text({ id: 'x' }),
      [ck(KEY.granteeIndex, 'active', 'x')]: text({ id: 'x', note: 'n1' }),
    });
    const read = await ledger.evaluate(id, async (ctx) => {
      const state = new LedgerState(ctx as unknown as Context);
      return { alice: await byOwner.all(state, { owner: 'alice' }), bob: await byOwner.all(state, { owner: 'bob' }) };
    });
    expect(read.result).toEqual({ alice: [], bob: [{ id: 'x' }] });
  });

  it('rewrites an index row under the same key when only its value changed (a write, not a delete)', async () => {
    const ledger = await ledgerWithItem();
    const next = { ...first, note: 'n2' };
    expect(await replaceWrites(ledger, next)).toEqual({
      [ck(KEY.record, 'x')]: text(next),
      [ck(KEY.granteeIndex, 'active', 'x')]: text({ id: 'x', note: 'n2' }),
    });
    expect(committed(ledger)[ck(KEY.granteeIndex, 'active', 'x')]).toBe(text({ id: 'x', note: 'n2' }));
  });

  it('writes the row and its changed indexes in one transaction: all of them commit, or none', async () => {
    const ledger = await ledgerWithItem();
    const before = committed(ledger);
    const height = ledger.height;
    const next = { ...first, owner: 'carol', status: 'retired', note: 'n3' };
    await expect(
      ledger.submit(id, async (ctx) => {
        await items.replace(new LedgerState(ctx as unknown as Context), { id: 'x' }, first, next);
        throw new Error('refused after the replace');
      }),
    ).rejects.toThrow('refused after the replace');
    expect(committed(ledger)).toEqual(before);
    expect(ledger.height).toBe(height);

    await ledger.submit(id, (ctx) =>
      items.replace(new LedgerState(ctx as unknown as Context), { id: 'x' }, first, next),
    );
    expect(ledger.height).toBe(height + 1);
    expect(committed(ledger)).toEqual({
      [ck(KEY.record, 'x')]: text(next),
      [ck(KEY.ownerIndex, 'carol', 'x')]: text({ id: 'x' }),
      [ck(KEY.granteeIndex, 'retired', 'x')]: text({ id: 'x', note: 'n3' }),
    });
  });
});

describe('SimpleKeyTable.scanPage', () => {
  const list = new SimpleKeyTable({ type: KEY.accessEntry, key: ['study', 'id'], parse: parseRef });

  it('pages a list in transactions that write, each page reading from its bookmark, not from the start', async () => {
    const ledger = new MemoryLedger();
    const ids = Array.from({ length: 7 }, (_, i) => `e${i}`);
    await ledger.submit(id, async (ctx) => {
      const state = new LedgerState(ctx as unknown as Context);
      for (const e of ids) await list.put(state, { study: 's1', id: e }, { id: e });
      await list.put(state, { study: 's2', id: 'other' }, { id: 'other' });
    });
    expect(Object.keys(committed(ledger))).toContain(`${KEY.accessEntry}/s1/e0`);
    const seen: string[] = [];
    const readsPerPage: number[] = [];
    let bookmark = '';
    do {
      const ctx = ledger.simulate(id);
      const state = new LedgerState(ctx as unknown as Context);
      const page = await list.scanPage(state, { study: 's1' }, 3, bookmark);
      await ctx.stub.putState('a-write', new Uint8Array([1]));
      readsPerPage.push(ctx.stub.readWriteSet().reads.size);
      await ledger.commit(ctx.stub.readWriteSet());
      seen.push(...page.items.map((r) => r.id));
      bookmark = page.bookmark;
    } while (bookmark !== '');
    expect(seen).toEqual(ids);
    // Each page reads its rows and the next page's first key, never the rows before its bookmark.
    expect(readsPerPage).toEqual([4, 4, 1]);
  });

  it('refuses an attribute that would change the key structure', async () => {
    const ledger = new MemoryLedger();
    await expect(
      ledger.submit(id, (ctx) =>
        list.put(new LedgerState(ctx as unknown as Context), { study: 'a/b', id: 'x' }, { id: 'x' }),
      ),
    ).rejects.toMatchObject({ code: 'INTERNAL', message: expect.stringContaining('contains "/"') });
    expect(ledger.height).toBe(0);
    expect(ledger.entries()).toEqual([]);
  });
});
