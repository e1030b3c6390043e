// SPDX-License-Identifier: Apache-2.0
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fabricIdentity } from './identity';
import { DurableLedger, type LogFile } from './durable-ledger';

const id = fabricIdentity('Org1MSP');
const bytes = (s: string): Uint8Array => new Uint8Array(Buffer.from(s));

type Fault = 'short' | 'fail-after-partial' | 'fail-sync' | 'fail-truncate' | undefined;

/** A log file whose next operation misbehaves the way a full or failing disk does. */
function faulty(file: LogFile, plan: { next: Fault }): LogFile {
  return {
    write: async (data, position) => {
      if (plan.next === 'short') {
        plan.next = undefined;
        return file.write(data.subarray(0, Math.max(1, data.length >> 1)), position);
      }
      if (plan.next === 'fail-after-partial' || plan.next === 'fail-truncate') {
        await file.write(data.subarray(0, data.length >> 1), position);
        if (plan.next === 'fail-after-partial') plan.next = undefined;
        throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
      }
      return file.write(data, position);
    },
    datasync: async () => {
      if (plan.next === 'fail-sync') {
        plan.next = undefined;
        throw Object.assign(new Error('EIO'), { code: 'EIO' });
      }
      return file.datasync();
    },
    truncate: async (length) => {
      if (plan.next === 'fail-truncate') throw Object.assign(new Error('EIO'), { code: 'EIO' });
      return file.truncate(length);
    },
    close: () => file.close(),
  };
}

describe('the durable ledger under disk faults', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'medshare-log-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const put = (ledger: DurableLedger, key: string): Promise<unknown> =>
    ledger.submit(id, (ctx) => ctx.stub.putState(key, bytes(key)));
  const keysAfterRestart = async (): Promise<string[]> => {
    const ledger = await DurableLedger.open(dir);
    const keys = ledger.entries().map(([k]) => k);
    await ledger.close();
    return keys;
  };

  it('completes short writes: every acknowledged write survives a restart', async () => {
    const plan: { next: Fault } = { next: undefined };
    const ledger = await DurableLedger.open(dir, { wrap: (f) => faulty(f, plan) });
    await put(ledger, 'a');
    plan.next = 'short';
    await put(ledger, 'b');
    await put(ledger, 'c');
    await ledger.close();
    expect(await keysAfterRestart()).toEqual(['a', 'b', 'c']);
  });

  it('a failed write or fdatasync is refused (LEDGER_UNAVAILABLE), rolled back, and later writes survive', async () => {
    const plan: { next: Fault } = { next: undefined };
    const ledger = await DurableLedger.open(dir, { wrap: (f) => faulty(f, plan) });
    await put(ledger, 'a');
    plan.next = 'fail-after-partial';
    await expect(put(ledger, 'b')).rejects.toMatchObject({ code: 'LEDGER_UNAVAILABLE' });
    plan.next = 'fail-sync';
    await expect(put(ledger, 'c')).rejects.toMatchObject({ code: 'LEDGER_UNAVAILABLE' });
    expect(ledger.entries().map(([k]) => k)).toEqual(['a']);
    await put(ledger, 'd');
    await ledger.close();
    expect(await keysAfterRestart()).toEqual(['a', 'd']);
  });

  it('stops taking writes when the log cannot be repaired', async () => {
    const plan: { next: Fault } = { next: undefined };
    const ledger = await DurableLedger.open(dir, { wrap: (f) => faulty(f, plan) });
    await put(ledger, 'a');
    plan.next = 'fail-truncate';
    await expect(put(ledger, 'b')).rejects.toMatchObject({ code: 'LEDGER_UNAVAILABLE' });
    plan.next = undefined;
    await expect(put(ledger, 'c')).rejects.toMatchObject({
      code: 'LEDGER_UNAVAILABLE',
      message: expect.stringMatching(/restart/),
    });
    await ledger.close();
  });

  it('cuts a torn last line at start, but refuses to start on damage before the end', async () => {
    const ledger = await DurableLedger.open(dir);
    await put(ledger, 'a');
    await put(ledger, 'b');
    await ledger.close();
    const path = join(dir, 'ledger.log');
    appendFileSync(path, '{"v":1,"n":3,"txId":"to');
    expect(await keysAfterRestart()).toEqual(['a', 'b']);
    expect(readFileSync(path, 'utf8').endsWith('\n')).toBe(true);

    const [first, second] = readFileSync(path, 'utf8').split('\n');
    writeFileSync(path, `${first ?? ''}\n{"garbage":true}\n${second ?? ''}\n`);
    await expect(DurableLedger.open(dir)).rejects.toMatchObject({
      code: 'INTERNAL',
      message: expect.stringMatching(/damaged at byte/),
    });
  });

  it('replays lines longer than its read chunk and lines split across chunks, byte for byte', async () => {
    const ledger = await DurableLedger.open(dir);
    const big = (seed: number): Uint8Array => new Uint8Array(700 * 1024).map((_, i) => (i * 31 + seed) & 0xff); // ~930 KiB of base64 per line
    for (let i = 0; i < 4; i++) await ledger.submit(id, (ctx) => ctx.stub.putState(`big${i}`, big(i)));
    await put(ledger, 'small');
    await ledger.submit(id, (ctx) => ctx.stub.putState('small', bytes('again')));
    await ledger.close();
    const reopened = await DurableLedger.open(dir);
    try {
      expect(reopened.height).toBe(6);
      for (let i = 0; i < 4; i++)
        expect(Buffer.from(reopened.get(`big${i}`)?.value ?? []).equals(Buffer.from(big(i)))).toBe(true);
      expect(Buffer.from(reopened.get('small')?.value ?? []).toString()).toBe('again');
    } finally {
      await reopened.close();
    }
  });

  describe('compaction into a snapshot', () => {
    const state = (l: DurableLedger): string =>
      JSON.stringify({
        height: l.height,
        entries: l.versionedEntries().map(([k, v]) => [k, v.version, Buffer.from(v.value).toString('base64')]),
        events: l.committedEvents.map((e) => [e.blockNumber, e.txId, e.eventName]),
      });
    const write = async (l: DurableLedger, key: string, value: string, event = false): Promise<void> => {
      await l.submit(id, async (ctx) => {
        await ctx.stub.putState(key, bytes(value));
        if (event) ctx.stub.setEvent('medshare.audit', bytes(`{"k":"${key}"}`));
      });
    };

    it('a log over its bound is folded into a snapshot; a restart restores keys, versions, height and events, and writes go on', async () => {
      const ledger = await DurableLedger.open(dir, { compactAfterBytes: 2048 });
      for (let i = 0; i < 40; i++) await write(ledger, `k${i % 5}`, `value ${i} ${'x'.repeat(100)}`, i % 3 === 0);
      await ledger.submit(id, (ctx) => ctx.stub.deleteState('k4'));
      expect(ledger.snapshot.height).toBeGreaterThan(0);
      expect(ledger.logBytes).toBeLessThan(4096);
      const before = state(ledger);
      await ledger.close();
      const reopened = await DurableLedger.open(dir, { compactAfterBytes: 2048 });
      expect(state(reopened)).toBe(before);
      await write(reopened, 'after', 'restart', true);
      expect(reopened.height).toBe(42);
      const after = state(reopened);
      await reopened.close();
      const again = await DurableLedger.open(dir, { compactAfterBytes: 2048 });
      expect(state(again)).toBe(after);
      await again.close();
    });

    it('a crash after the snapshot is in place but before the log is emptied loses and repeats nothing', async () => {
      const plan = { failTruncate: false };
      const wrap = (file: LogFile): LogFile => ({
        ...file,
        truncate: async (length) => {
          if (plan.failTruncate) throw Object.assign(new Error('EIO'), { code: 'EIO' });
          await file.truncate(length);
        },
      });
      const ledger = await DurableLedger.open(dir, { wrap });
      for (let i = 0; i < 6; i++) await write(ledger, `k${i}`, `v${i}`, true);
      plan.failTruncate = true;
      await expect(ledger.compact()).rejects.toThrow('EIO'); // the snapshot is written, the log still full
      const before = state(ledger);
      await ledger.close();
      const reopened = await DurableLedger.open(dir);
      expect(state(reopened)).toBe(before);
      await write(reopened, 'k6', 'v6');
      expect(reopened.height).toBe(7);
      await reopened.close();
    });

    it('refuses to start on a damaged snapshot rather than lose data', async () => {
      const ledger = await DurableLedger.open(dir);
      for (let i = 0; i < 3; i++) await write(ledger, `k${i}`, `v${i}`);
      await ledger.compact();
      await ledger.close();
      const path = join(dir, 'ledger.snapshot');
      const lines = readFileSync(path, 'utf8').split('\n');
      writeFileSync(path, [lines[0], lines[1]].join('\n') + '\n'); // keys missing
      await expect(DurableLedger.open(dir)).rejects.toMatchObject({
        code: 'INTERNAL',
        message: expect.stringMatching(/snapshot .* is damaged/),
      });
    });
  });
});
