// SPDX-License-Identifier: Apache-2.0
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkpointers } from '@hyperledger/fabric-gateway';
import { AUDIT_EVENT_NAME, canonicalize, type AuditEvent } from '@medshare/protocol';
import type { EventStream, EventStreamOptions, LedgerEvent } from '../ledger/backend';
import { DurableCheckpointer } from './checkpointer';
import { EventLog } from './event-log';
import { EventFollower, type FollowerCheckpointer } from './follower';

const OWNER = 'a'.repeat(64);

function auditEvent(block: number, tx: string): LedgerEvent {
  const payload: AuditEvent = {
    v: 1,
    action: 'view',
    recordId: 'b'.repeat(64),
    owner: OWNER,
    actorKeyId: 'c'.repeat(64),
    org: 'Org1MSP',
    txId: tx,
    at: block,
  };
  return {
    blockNumber: BigInt(block),
    transactionId: tx,
    eventName: AUDIT_EVENT_NAME,
    payload: Buffer.from(canonicalize(payload as never)),
  };
}

function otherEvent(block: number, tx: string): LedgerEvent {
  return { blockNumber: BigInt(block), transactionId: tx, eventName: 'UserRegistered', payload: Buffer.from('{}') };
}

/** A finite chain of events served with fabric-gateway's checkpoint semantics (a fake of Network.getChaincodeEvents). */
function fakeSource(chain: readonly LedgerEvent[]): {
  source: (o: EventStreamOptions) => Promise<EventStream>;
  opened: Array<[bigint | undefined, string | undefined]>;
} {
  const opened: Array<[bigint | undefined, string | undefined]> = [];
  const source = (options: EventStreamOptions): Promise<EventStream> => {
    opened.push([options.checkpoint.getBlockNumber(), options.checkpoint.getTransactionId()]);
    const block = options.checkpoint.getBlockNumber() ?? options.startBlock;
    const afterTx =
      options.checkpoint.getBlockNumber() === undefined ? undefined : options.checkpoint.getTransactionId();
    let from = chain.findIndex((e) => e.blockNumber >= block);
    if (from === -1) from = chain.length;
    if (afterTx !== undefined) {
      const at = chain.findIndex((e) => e.blockNumber === block && e.transactionId === afterTx);
      if (at !== -1) from = at + 1;
    }
    const events = chain.slice(from);
    return Promise.resolve({
      close() {},
      async *[Symbol.asyncIterator]() {
        for (const e of events) yield await Promise.resolve(e);
      },
    });
  };
  return { source, opened };
}

/** A checkpointer that "crashes" on its `crashAt`-th checkpoint: that one and every later one throws, and none is written. */
function crashing(inner: DurableCheckpointer, crashAt: number): FollowerCheckpointer {
  let calls = 0;
  return {
    getBlockNumber: () => inner.getBlockNumber(),
    getTransactionId: () => inner.getTransactionId(),
    checkpointChaincodeEvent: (event) => {
      calls += 1;
      if (calls >= crashAt) return Promise.reject(new Error('crash between the log append and the checkpoint'));
      return inner.checkpointChaincodeEvent(event);
    },
  };
}

// blocks with several transactions, audit events mixed with others
const CHAIN: LedgerEvent[] = [
  otherEvent(0, 't0'),
  auditEvent(1, 't1'),
  auditEvent(1, 't2'),
  otherEvent(1, 't3'),
  auditEvent(1, 't4'),
  auditEvent(2, 't5'),
  otherEvent(3, 't6'),
  auditEvent(4, 't7'),
  auditEvent(4, 't8'),
];
const EXPECTED = [
  ['1-0', 't1'],
  ['1-1', 't2'],
  ['1-2', 't4'],
  ['2-0', 't5'],
  ['4-0', 't7'],
  ['4-1', 't8'],
];

describe('EventFollower (over a fake Fabric events source)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'medshare-follow-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const idsIn = (log: EventLog): string[][] => log.after(undefined).map((e) => [e.id, e.txId]);

  async function follow(
    chain: readonly LedgerEvent[],
    crashAt?: number,
    checkpointEvery = 1,
  ): Promise<{ log: EventLog; checkpointer: DurableCheckpointer; outcome: unknown }> {
    const log = await EventLog.open(dir, { retain: 1000 });
    const checkpointer = await DurableCheckpointer.open(join(dir, 'checkpoint.json'));
    const follower = new EventFollower({
      source: fakeSource(chain).source,
      log,
      checkpointer: crashAt === undefined ? checkpointer : crashing(checkpointer, crashAt),
      checkpointEvery,
    });
    const outcome = await follower.runOnce().then(
      () => 'done',
      (error: unknown) => error,
    );
    return { log, checkpointer, outcome };
  }

  it('logs audit events with block-index ids and checkpoints past every event', async () => {
    const appends: number[] = [];
    const original = EventLog.prototype.appendAll;
    const spy = jest.spyOn(EventLog.prototype, 'appendAll').mockImplementation(function (this: EventLog, items) {
      appends.push(items.length);
      return original.call(this, items);
    });
    const { log, checkpointer, outcome } = await follow(CHAIN);
    spy.mockRestore();
    expect(outcome).toBe('done');
    // events read while a batch was being flushed go out together: fewer writes than events
    expect(appends.reduce((a, b) => a + b, 0)).toBe(EXPECTED.length);
    expect(appends.length).toBeLessThan(EXPECTED.length);
    expect(idsIn(log)).toEqual(EXPECTED);
    expect([checkpointer.getBlockNumber(), checkpointer.getTransactionId()]).toEqual([4n, 't8']);
    // the file is fabric-gateway's checkpoint format
    expect(JSON.parse(readFileSync(join(dir, 'checkpoint.json'), 'utf8'))).toEqual({
      blockNumber: '4',
      transactionId: 't8',
    });
    await log.close();
  });

  it.each([2, 3, 5, 9])(
    'resumes after a crash between log append and checkpoint (after %i events) without loss or duplicates',
    async (seen) => {
      // the first run reads `seen` events and logs them; its one checkpoint, at the end, "crashes"
      const first = await follow(CHAIN.slice(0, seen), 1, 1000);
      const before = idsIn(first.log);
      expect(before).toEqual(EXPECTED.filter(([, tx]) => CHAIN.slice(0, seen).some((e) => e.transactionId === tx)));
      await first.log.close();
      expect(existsSync(join(dir, 'checkpoint.json'))).toBe(false);
      // restart: everything from disk, the whole chain replayed from the start
      const second = await follow(CHAIN);
      expect(second.outcome).toBe('done');
      expect(idsIn(second.log)).toEqual(EXPECTED);
      // and the file holds each event once
      const lines = readFileSync(second.log.path, 'utf8').trim().split('\n');
      expect(lines.map((l) => (JSON.parse(l) as { id: string }).id)).toEqual(EXPECTED.map(([id]) => id));
      await second.log.close();
    },
  );

  it.each([2, 4, 100])(
    'with a checkpoint every %i events, a crash replays more and still logs each event once',
    async (every) => {
      const first = await follow(CHAIN, 1, every);
      const logged = idsIn(first.log);
      // nothing was checkpointed (the first checkpoint "crashed"), yet events were logged
      expect(logged).toEqual(EXPECTED.slice(0, logged.length));
      await first.log.close();
      const second = await follow(CHAIN, undefined, every);
      expect(idsIn(second.log)).toEqual(EXPECTED);
      // the end of the stream saved the checkpoint however many events were pending
      expect([second.checkpointer.getBlockNumber(), second.checkpointer.getTransactionId()]).toEqual([4n, 't8']);
      await second.log.close();
    },
  );

  it('resumes from the checkpoint after a clean restart, and new events continue the ids', async () => {
    const first = await follow(CHAIN.slice(0, 5));
    expect(idsIn(first.log)).toEqual(EXPECTED.slice(0, 3));
    await first.log.close();
    const { source, opened } = fakeSource(CHAIN);
    const log = await EventLog.open(dir, { retain: 1000 });
    const checkpointer = await DurableCheckpointer.open(join(dir, 'checkpoint.json'));
    await new EventFollower({ source, log, checkpointer }).runOnce();
    expect(opened).toEqual([[1n, 't4']]);
    expect(idsIn(log)).toEqual(EXPECTED);
    await log.close();
  });

  it('even with the checkpoint lost, replays from the start and logs nothing twice', async () => {
    const first = await follow(CHAIN);
    await first.log.close();
    rmSync(join(dir, 'checkpoint.json'));
    const second = await follow(CHAIN);
    expect(idsIn(second.log)).toEqual(EXPECTED);
    await second.log.close();
  });

  it('skips a malformed audit payload or one naming another transaction, and goes on', async () => {
    const bad: LedgerEvent = { ...auditEvent(1, 't1'), payload: Buffer.from('{"not":"an event"}') };
    const liar: LedgerEvent = { ...auditEvent(1, 't2'), transactionId: 't2-other' };
    const warnings: string[] = [];
    const log = await EventLog.open(dir, { retain: 1000 });
    const checkpointer = await DurableCheckpointer.open(join(dir, 'checkpoint.json'));
    const follower = new EventFollower({
      source: fakeSource([bad, liar, auditEvent(2, 't5')]).source,
      log,
      checkpointer,
      logger: { warn: (_o, m) => warnings.push(m) },
    });
    await follower.runOnce();
    expect(idsIn(log)).toEqual([['2-0', 't5']]);
    expect(warnings).toHaveLength(2);
    await log.close();
  });

  it("writes fabric-gateway's checkpoint file format, both ways", async () => {
    const path = join(dir, 'checkpoint.json');
    const ours = await DurableCheckpointer.open(path);
    await ours.checkpointChaincodeEvent({ blockNumber: 41n, transactionId: 'tx-41' });
    const theirs = await checkpointers.file(path);
    expect([theirs.getBlockNumber(), theirs.getTransactionId()]).toEqual([41n, 'tx-41']);
    await theirs.checkpointBlock(41n);
    const reread = await DurableCheckpointer.open(path);
    expect([reread.getBlockNumber(), reread.getTransactionId()]).toEqual([42n, undefined]);
  });

  it('refuses to start on a damaged checkpoint rather than skip or repeat events', async () => {
    writeFileSync(join(dir, 'checkpoint.json'), '{"blockNumber":"1","trans');
    await expect(DurableCheckpointer.open(join(dir, 'checkpoint.json'))).rejects.toMatchObject({
      code: 'INTERNAL',
      message: expect.stringMatching(/damaged/),
    });
  });

  it('start() keeps following and reconnects after a failed stream; stop() ends it', async () => {
    const log = await EventLog.open(dir, { retain: 1000 });
    const checkpointer = await DurableCheckpointer.open(join(dir, 'checkpoint.json'));
    const { source } = fakeSource(CHAIN);
    let calls = 0;
    const flaky = (o: EventStreamOptions): Promise<EventStream> =>
      ++calls === 1 ? Promise.reject(new Error('peer unavailable')) : source(o);
    const follower = new EventFollower({ source: flaky, log, checkpointer, retryMs: [1, 2] });
    follower.start();
    await follower.caughtUp(4n, 't8');
    await follower.stop();
    expect(idsIn(log)).toEqual(EXPECTED);
    expect(calls).toBeGreaterThanOrEqual(2);
    await log.close();
  });
});

describe('EventLog', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'medshare-eventlog-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const payload = (tx: string): AuditEvent =>
    JSON.parse(Buffer.from(auditEvent(1, tx).payload).toString()) as AuditEvent;

  it('keeps a bounded number of events, remembers the horizon, and refuses to resume from before it', async () => {
    const log = await EventLog.open(dir, { retain: 4 });
    for (let i = 1; i <= 30; i++) await log.append(BigInt(i), `t${i}`, payload(`t${i}`));
    expect(log.size).toBeLessThanOrEqual(4 + 16);
    await log.close();
    const reopened = await EventLog.open(dir, { retain: 4 });
    const kept = reopened.after(undefined);
    expect(kept.at(-1)?.id).toBe('30-0');
    expect(kept.map((e) => e.position.block)).toEqual(
      Array.from({ length: kept.length }, (_, i) => 31 - kept.length + i),
    );
    const horizon = reopened.horizon as string;
    expect(horizon).toBe(`${30 - kept.length}-0`);
    expect(() => reopened.assertResumable({ block: 1, index: 0 })).toThrow(
      expect.objectContaining({ code: 'EVENT_ID_EXPIRED' }) as Error,
    );
    expect(() => reopened.assertResumable({ block: 30 - kept.length, index: 0 })).not.toThrow();
    expect(reopened.after({ block: 28, index: 0 }).map((e) => e.id)).toEqual(['29-0', '30-0']);
    await reopened.close();
  });

  it('cuts a torn last line off at open, and refuses damage elsewhere', async () => {
    const log = await EventLog.open(dir, { retain: 100 });
    await log.append(1n, 't1', payload('t1'));
    await log.append(2n, 't2', payload('t2'));
    await log.close();
    const text = readFileSync(log.path, 'utf8');
    writeFileSync(log.path, `${text}{"v":1,"id":"3-0","tx`);
    const reopened = await EventLog.open(dir, { retain: 100 });
    expect(reopened.after(undefined).map((e) => e.id)).toEqual(['1-0', '2-0']);
    await reopened.append(3n, 't3', payload('t3'));
    await reopened.close();
    expect(readFileSync(log.path, 'utf8').trim().split('\n')).toHaveLength(3);
    writeFileSync(log.path, `garbage\n${text}`);
    await expect(EventLog.open(dir, { retain: 100 })).rejects.toMatchObject({
      code: 'INTERNAL',
      message: expect.stringMatching(/damaged/),
    });
  });
});
