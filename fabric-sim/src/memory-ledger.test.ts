// SPDX-License-Identifier: Apache-2.0
import { fabricIdentity } from './identity';
import { MemoryLedger } from './memory-ledger';
import { compareKeys, createCompositeKey, splitCompositeKey } from './composite-key';

const id = fabricIdentity('Org1MSP');
const bytes = (s: string): Uint8Array => new Uint8Array(Buffer.from(s));
const text = (b: Uint8Array): string => Buffer.from(b).toString();

describe('the in-memory Fabric ledger', () => {
  it('reads missing keys as empty bytes and hides a transaction’s own writes until commit', async () => {
    const ledger = new MemoryLedger();
    await ledger.submit(id, async (ctx) => {
      expect((await ctx.stub.getState('a')).length).toBe(0);
      await ctx.stub.putState('a', bytes('1'));
      expect((await ctx.stub.getState('a')).length).toBe(0);
    });
    const { result } = await ledger.evaluate(id, async (ctx) => text(await ctx.stub.getState('a')));
    expect(result).toBe('1');
  });

  it('commits nothing when the chaincode throws, and evaluation writes nothing', async () => {
    const ledger = new MemoryLedger();
    await expect(
      ledger.submit(id, async (ctx) => {
        await ctx.stub.putState('a', bytes('1'));
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    await ledger.evaluate(id, (ctx) => ctx.stub.putState('b', bytes('1')));
    expect(ledger.entries()).toEqual([]);
    expect(ledger.height).toBe(0);
  });

  it('fails the second of two transactions that read and wrote the same key (MVCC)', async () => {
    const ledger = new MemoryLedger();
    const t1 = ledger.simulate(id);
    const t2 = ledger.simulate(id);
    for (const ctx of [t1, t2]) {
      await ctx.stub.getState('counter');
      await ctx.stub.putState('counter', bytes('x'));
    }
    await ledger.commit(t1.stub.readWriteSet());
    await expect(ledger.commit(t2.stub.readWriteSet())).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(text(ledger.get('counter')?.value ?? new Uint8Array(0))).toBe('x');
  });

  it('iterates partial composite keys in UTF-8 byte order, with pagination bookmarks', async () => {
    const ledger = new MemoryLedger();
    const names = ['b', 'a', '\u{1F600}', '\uFFFD', 'c'];
    await ledger.submit(id, async (ctx) => {
      for (const n of names) await ctx.stub.putState(createCompositeKey('t', ['x', n]), bytes(n));
      await ctx.stub.putState(createCompositeKey('t', ['y', 'z']), bytes('other'));
    });
    const { result } = await ledger.evaluate(id, async (ctx) => {
      const seen: string[] = [];
      for await (const kv of await ctx.stub.getStateByPartialCompositeKey('t', ['x'])) seen.push(text(kv.value));
      return seen;
    });
    expect(result).toEqual([...names].sort((a, b) => compareKeys(a, b)));
    expect(result.indexOf('\uFFFD')).toBeLessThan(result.indexOf('\u{1F600}'));

    const pages: string[][] = [];
    let bookmark = '';
    do {
      const page = await ledger.evaluate(id, async (ctx) => {
        const { iterator, metadata } = await ctx.stub.getStateByPartialCompositeKeyWithPagination(
          't',
          ['x'],
          2,
          bookmark,
        );
        const items: string[] = [];
        for (let s = await iterator.next(); !s.done; s = await iterator.next()) items.push(text(s.value.value));
        return { items, bookmark: metadata?.bookmark ?? '' };
      });
      pages.push(page.result.items);
      bookmark = page.result.bookmark;
    } while (bookmark);
    expect(pages.flat()).toEqual(result);
    expect(pages.map((p) => p.length)).toEqual([2, 2, 1]);
  });

  it('returns no pagination metadata for an empty range, as fabric-shim does', async () => {
    const ledger = new MemoryLedger();
    await ledger.submit(id, async (ctx) => {
      await ctx.stub.putState(createCompositeKey('t', ['x', 'a']), bytes('a'));
    });
    const { result } = await ledger.evaluate(id, async (ctx) => {
      const empty = await ctx.stub.getStateByPartialCompositeKeyWithPagination('t', ['nobody'], 5, '');
      const full = await ctx.stub.getStateByPartialCompositeKeyWithPagination('t', ['x'], 5, '');
      return { empty: empty.metadata, emptyDone: (await empty.iterator.next()).done, full: full.metadata };
    });
    expect(result).toEqual({ empty: undefined, emptyDone: true, full: { fetchedRecordsCount: 1, bookmark: '' } });
  });

  it('refuses paginated queries in transactions that write, as Fabric does', async () => {
    const ledger = new MemoryLedger();
    await expect(
      ledger.submit(id, async (ctx) => {
        await ctx.stub.getStateByPartialCompositeKeyWithPagination('t', [], 1, '');
        await ctx.stub.putState('a', bytes('1'));
      }),
    ).rejects.toThrow(/read-only/);
  });

  it('runs plain range queries of simple keys in transactions that write, from any start, end exclusive', async () => {
    const ledger = new MemoryLedger();
    await ledger.submit(id, async (ctx) => {
      for (const k of ['l/a/1', 'l/a/2', 'l/a/3', 'l/a0', 'l/b/1']) await ctx.stub.putState(k, bytes(k));
      await ctx.stub.putState(createCompositeKey('l', ['a', '9']), bytes('composite'));
    });
    const { result } = await ledger.submit(id, async (ctx) => {
      const seen: string[] = [];
      const iterator = await ctx.stub.getStateByRange('l/a/2', 'l/a0');
      for (let s = await iterator.next(); !s.done; s = await iterator.next()) seen.push(s.value.key);
      await iterator.close();
      await ctx.stub.putState('written', bytes('1'));
      return seen;
    });
    expect(result).toEqual(['l/a/2', 'l/a/3']);
    await expect(
      ledger.evaluate(id, (ctx) => ctx.stub.getStateByRange(createCompositeKey('l', ['a']), '')),
    ).rejects.toThrow(/simple keys/);
  });

  it('deletes, tx ids and timestamps, and one event per transaction', async () => {
    const ledger = new MemoryLedger();
    ledger.clock = () => 1_700_000_000_123;
    const events: string[] = [];
    ledger.onEvent((e) => events.push(e.eventName));
    const first = await ledger.submit(id, async (ctx) => {
      await ctx.stub.putState('k', bytes('v1'));
      ctx.stub.setEvent('A', bytes('{}'));
      ctx.stub.setEvent('B', bytes('{}'));
      return ctx.stub.getTxTimestamp();
    });
    expect(first.result).toEqual({ seconds: 1_700_000_000, nanos: 123_000_000 });
    expect(first.txId).toMatch(/^[0-9a-f]{64}$/);
    await ledger.submit(id, (ctx) => ctx.stub.deleteState('k'));
    expect(ledger.get('k')).toBeUndefined();
    expect(events).toEqual(['B']);
  });

  it('composite keys round-trip and refuse separator characters', () => {
    const key = createCompositeKey('type', ['a', 'b']);
    expect(splitCompositeKey(key)).toEqual({ objectType: 'type', attributes: ['a', 'b'] });
    expect(() => createCompositeKey('type', ['a\u0000'])).toThrow(RangeError);
  });
});

describe('chaincode events', () => {
  it('are recorded only for committed transactions, in commit order, with their block and transaction', async () => {
    const ledger = new MemoryLedger();
    const heard: string[] = [];
    ledger.onEvent((e) => heard.push(e.eventName));
    const first = await ledger.submit(id, async (ctx) => {
      await ctx.stub.putState('k', bytes('1'));
      ctx.stub.setEvent('first', bytes('{"n":1}'));
    });
    // a transaction that throws, an evaluation and an MVCC loser emit nothing
    await expect(
      ledger.submit(id, (ctx) => {
        ctx.stub.setEvent('thrown', bytes('{}'));
        return Promise.reject(new Error('refused'));
      }),
    ).rejects.toThrow('refused');
    await ledger.evaluate(id, (ctx) => {
      ctx.stub.setEvent('evaluated', bytes('{}'));
      return Promise.resolve();
    });
    const winner = ledger.simulate(id);
    const loser = ledger.simulate(id);
    for (const [ctx, name] of [
      [winner, 'winner'],
      [loser, 'loser'],
    ] as const) {
      await ctx.stub.getState('k');
      await ctx.stub.putState('k', bytes(name));
      ctx.stub.setEvent(name, bytes('{}'));
    }
    const outcomes = await Promise.allSettled([
      ledger.commit(winner.stub.readWriteSet()),
      ledger.commit(loser.stub.readWriteSet()),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected']);
    // an event with no writes is still a committed transaction (Fabric delivers it)
    const eventOnly = await ledger.submit(id, (ctx) => {
      ctx.stub.setEvent('event-only', bytes('{}'));
      return Promise.resolve();
    });

    expect(ledger.committedEvents.map((e) => [e.eventName, e.blockNumber])).toEqual([
      ['first', 1],
      ['winner', 2],
      ['event-only', 3],
    ]);
    expect(ledger.committedEvents[0]).toMatchObject({ txId: first.txId, payload: bytes('{"n":1}') });
    expect(ledger.committedEvents[1]?.txId).toBe(winner.stub.getTxID());
    expect(ledger.committedEvents[2]?.txId).toBe(eventOnly.txId);
    expect(heard).toEqual(['first', 'winner', 'event-only']);
  });

  it('are not recorded when persisting the batch fails', async () => {
    class FailingLedger extends MemoryLedger {
      protected override persist(): Promise<void> {
        return Promise.reject(new Error('disk full'));
      }
    }
    const ledger = new FailingLedger();
    await expect(
      ledger.submit(id, async (ctx) => {
        await ctx.stub.putState('k', bytes('v'));
        ctx.stub.setEvent('lost', bytes('{}'));
      }),
    ).rejects.toThrow('disk full');
    expect(ledger.committedEvents).toEqual([]);
  });
});

describe('group commit', () => {
  class CountingLedger extends MemoryLedger {
    batches: number[] = [];
    protected override persist(batch: ReadonlyArray<{ readonly version: number }>): Promise<void> {
      this.batches.push(batch.length);
      return Promise.resolve();
    }
  }

  it('validates a batch in order (a conflict inside the batch is caught) and persists it once', async () => {
    const ledger = new CountingLedger();
    const a = ledger.simulate(id);
    const b = ledger.simulate(id);
    const c = ledger.simulate(id);
    await a.stub.getState('shared');
    await a.stub.putState('shared', bytes('a'));
    await b.stub.getState('shared');
    await b.stub.putState('shared', bytes('b'));
    await c.stub.putState('other', bytes('c'));
    const results = await Promise.allSettled([a, b, c].map((ctx) => ledger.commit(ctx.stub.readWriteSet())));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ code: 'CONFLICT' });
    expect(ledger.batches).toEqual([2]);
    expect(ledger.entries().map(([k, v]) => [k, text(v)])).toEqual([
      ['other', 'c'],
      ['shared', 'a'],
    ]);
  });

  it('makes nothing visible when persisting fails', async () => {
    class FailingLedger extends MemoryLedger {
      protected override persist(): Promise<void> {
        return Promise.reject(new Error('disk full'));
      }
    }
    const ledger = new FailingLedger();
    await expect(ledger.submit(id, (ctx) => ctx.stub.putState('k', bytes('v')))).rejects.toThrow('disk full');
    expect(ledger.entries()).toEqual([]);
    expect(ledger.height).toBe(0);
  });
});
