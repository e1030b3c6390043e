// SPDX-License-Identifier: Apache-2.0
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DurableLedger, fabricIdentity } from '@medshare/fabric-sim';
import type { EventCheckpoint, LedgerEvent } from './backend';
import { memoryLedgerEvents } from './embedded-events';

const id = fabricIdentity('Org1MSP');
const bytes = (s: string): Uint8Array => new Uint8Array(Buffer.from(s));
const at = (block?: bigint, tx?: string): EventCheckpoint => ({
  getBlockNumber: () => block,
  getTransactionId: () => tx,
});

async function commitWithEvent(ledger: DurableLedger, name: string): Promise<string> {
  const { txId } = await ledger.submit(id, async (ctx) => {
    await ctx.stub.putState(`k-${name}`, bytes(name));
    ctx.stub.setEvent(name, bytes('{}'));
  });
  return txId;
}

/** The next `n` events of one iteration (which stays open, as a follower's does). */
async function take(iterator: AsyncIterator<LedgerEvent>, n: number): Promise<LedgerEvent[]> {
  const out: LedgerEvent[] = [];
  while (out.length < n) {
    const step = await iterator.next();
    if (step.done) break;
    out.push(step.value);
  }
  return out;
}
const first = (stream: AsyncIterable<LedgerEvent>): AsyncIterator<LedgerEvent> => stream[Symbol.asyncIterator]();

describe('embedded ledger events (the follower source of npm start)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'medshare-embedded-events-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('replays committed events from a checkpoint, then delivers new ones live, and survives a restart unchanged', async () => {
    const ledger = await DurableLedger.open(dir);
    const txs = [await commitWithEvent(ledger, 'a'), await commitWithEvent(ledger, 'b')];
    // an event-less write and a refused transaction take no event
    await ledger.submit(id, (ctx) => ctx.stub.putState('plain', bytes('1')));
    await expect(
      ledger.submit(id, (ctx) => {
        ctx.stub.setEvent('refused', bytes('{}'));
        return Promise.reject(new Error('refused'));
      }),
    ).rejects.toThrow();

    const fromStart = memoryLedgerEvents(ledger, { checkpoint: at(), startBlock: 0n });
    const iterator = first(fromStart);
    const replayed = await take(iterator, 2);
    expect(replayed.map((e) => [e.eventName, e.blockNumber, e.transactionId])).toEqual([
      ['a', 1n, txs[0]],
      ['b', 2n, txs[1]],
    ]);
    const live = take(iterator, 1);
    const c = await commitWithEvent(ledger, 'c');
    expect((await live).map((e) => [e.eventName, e.blockNumber, e.transactionId])).toEqual([['c', 4n, c]]);
    fromStart.close();

    // resume after (block 2, tx b): only c; resume at block 3 with no tx: c too
    expect(
      (await take(first(memoryLedgerEvents(ledger, { checkpoint: at(2n, txs[1]), startBlock: 0n })), 1)).map(
        (e) => e.eventName,
      ),
    ).toEqual(['c']);
    expect(
      (await take(first(memoryLedgerEvents(ledger, { checkpoint: at(3n), startBlock: 0n })), 1)).map(
        (e) => e.eventName,
      ),
    ).toEqual(['c']);
    await ledger.close();

    const reopened = await DurableLedger.open(dir);
    expect(reopened.committedEvents.map((e) => [e.eventName, e.blockNumber, e.txId])).toEqual([
      ['a', 1, txs[0]],
      ['b', 2, txs[1]],
      ['c', 4, c],
    ]);
    await reopened.close();
  });

  it('refuses a checkpoint ahead of the ledger (a replaced ledger) instead of dropping its events as repeats', async () => {
    const ledger = await DurableLedger.open(dir);
    await commitWithEvent(ledger, 'a');
    expect(() => memoryLedgerEvents(ledger, { checkpoint: at(7n, 'tx'), startBlock: 0n })).toThrow(
      expect.objectContaining({ code: 'INTERNAL' }) as Error,
    );
    expect(() => memoryLedgerEvents(ledger, { checkpoint: at(1n, 'tx'), startBlock: 0n })).not.toThrow();
    await ledger.close();
  });

  it('close() ends an iteration that is waiting for the next event', async () => {
    const ledger = await DurableLedger.open(dir);
    const stream = memoryLedgerEvents(ledger, { checkpoint: at(), startBlock: 0n });
    const pending = take(first(stream), 1);
    stream.close();
    await expect(pending).resolves.toEqual([]);
    await ledger.close();
  });
});
