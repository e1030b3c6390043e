// SPDX-License-Identifier: Apache-2.0
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPair, privateKeyToPem } from '@medshare/crypto/sm2';
import { MedshareError, type ContractEnvelope } from '@medshare/protocol';
import type { EmbeddedLedgerConfig } from '../config/config';
import type { EventCheckpoint, LedgerEvent } from './backend';
import { EmbeddedBackend } from './embedded';
import { EmbeddedWorkerBackend } from './embedded-worker';

const ORG = 'Org1MSP';
const at = (block?: bigint, tx?: string): EventCheckpoint => ({
  getBlockNumber: () => block,
  getTransactionId: () => tx,
});
const k3 = (): { publicKey: string; notBefore: number; notAfter: number } => ({
  publicKey: generateKeyPair().publicKey,
  notBefore: Date.now() - 60_000,
  notAfter: Date.now() + 86_400_000,
});
const refusal = (p: Promise<unknown>): Promise<MedshareError> =>
  p.then(
    () => {
      throw new Error('expected a refusal');
    },
    (e: unknown) => {
      expect(e).toBeInstanceOf(MedshareError);
      return e as MedshareError;
    },
  );

async function take(iterator: AsyncIterator<LedgerEvent>, n: number): Promise<LedgerEvent[]> {
  const out: LedgerEvent[] = [];
  while (out.length < n) {
    const step = await iterator.next();
    if (step.done) break;
    out.push(step.value);
  }
  return out;
}

describe('the embedded ledger on its own thread (what npm start runs)', () => {
  let dir: string;
  let config: EmbeddedLedgerConfig;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'medshare-ledger-thread-'));
    writeFileSync(join(dir, 'k4.pem'), privateKeyToPem(generateKeyPair().privateKey), { mode: 0o600 });
    config = { type: 'embedded', dir: join(dir, 'ledger'), k4KeyFile: join(dir, 'k4.pem') };
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('answers and refuses as the in-process backend does, and what it commits is in the durable log', async () => {
    const threaded = await EmbeddedWorkerBackend.open(config, ORG);
    const key = k3();
    await threaded.orgAdmin().registerAccessKey(key);
    // Concurrent writes through the thread: each answered, all committed.
    await Promise.all([1, 2, 3].map(() => threaded.orgAdmin().registerAccessKey(k3())));
    const listed = await threaded.listAccessKeys(ORG);
    expect(JSON.parse(listed) as unknown[]).toHaveLength(4);
    const unknownUser = await refusal(threaded.getUser('0'.repeat(64)));
    const changedWindow = await refusal(threaded.orgAdmin().registerAccessKey({ ...key, notAfter: key.notAfter + 1 }));
    await threaded.ready();
    await threaded.close();
    expect((await refusal(threaded.getUser('0'.repeat(64)))).code).toBe('LEDGER_UNAVAILABLE');
    await expect(threaded.ready()).rejects.toMatchObject({ code: 'LEDGER_UNAVAILABLE' });

    const inProcess = await EmbeddedBackend.open(config, ORG);
    expect(await inProcess.listAccessKeys(ORG)).toBe(listed);
    for (const [threadError, again] of [
      [unknownUser, await refusal(inProcess.getUser('0'.repeat(64)))],
      [changedWindow, await refusal(inProcess.orgAdmin().registerAccessKey({ ...key, notAfter: key.notAfter + 1 }))],
    ] as const)
      expect([threadError.code, threadError.message]).toEqual([again.code, again.message]);
    // The refused registration wrote nothing.
    expect(await inProcess.listAccessKeys(ORG)).toBe(listed);
    await inProcess.close();
  });

  it('streams committed events from a checkpoint, then live; refuses a checkpoint ahead of the ledger', async () => {
    const threaded = await EmbeddedWorkerBackend.open(config, ORG);
    await threaded.orgAdmin().registerAccessKey(k3());
    const stream = await threaded.chaincodeEvents({ checkpoint: at(), startBlock: 0n });
    const iterator = stream[Symbol.asyncIterator]();
    const [first] = await take(iterator, 1);
    expect(first).toMatchObject({ blockNumber: 1n, eventName: expect.any(String) as string });
    expect(first?.payload).toBeInstanceOf(Uint8Array);
    const live = take(iterator, 1);
    await threaded.orgAdmin().registerAccessKey(k3());
    const [second] = await live;
    expect(second?.blockNumber).toBe(2n);
    stream.close();
    expect(await iterator.next()).toEqual({ done: true, value: undefined });

    // Resuming after the first: only the second; a checkpoint past the ledger is refused.
    const resumed = await threaded.chaincodeEvents({ checkpoint: at(1n, first?.transactionId), startBlock: 0n });
    expect((await take(resumed[Symbol.asyncIterator](), 1)).map((e) => e.transactionId)).toEqual([
      second?.transactionId,
    ]);
    expect((await refusal(threaded.chaincodeEvents({ checkpoint: at(9n, 'tx'), startBlock: 0n }))).code).toBe(
      'INTERNAL',
    );
    // close() ends an iteration that waits for the next event.
    const waiting = take(resumed[Symbol.asyncIterator](), 1);
    await threaded.close();
    await expect(waiting).resolves.toEqual([]);
  });

  it('fails to open as the ledger does (no K4 file), starting nothing', async () => {
    await expect(EmbeddedWorkerBackend.open({ ...config, k4KeyFile: join(dir, 'missing.pem') }, ORG)).rejects.toThrow(
      /missing\.pem/,
    );
  });

  it('when the thread dies: a write waiting is OUTCOME_UNKNOWN, a read waiting and every later call LEDGER_UNAVAILABLE', async () => {
    // A thread that starts, then exits on the first call, before answering anything.
    const entry = join(dir, 'dying-thread.js');
    writeFileSync(
      entry,
      "const { parentPort } = require('node:worker_threads');\n" +
        "parentPort.postMessage({ type: 'ready' });\n" +
        "parentPort.on('message', () => setTimeout(() => process.exit(3), 50));\n",
    );
    const threaded = await EmbeddedWorkerBackend.open(config, ORG, { threadEntry: entry });
    const write = refusal(threaded.run({ request: { op: 'upload' } } as unknown as ContractEnvelope));
    const read = refusal(threaded.getUser('0'.repeat(64)));
    const evaluated = refusal(threaded.run({ request: { op: 'list-records' } } as unknown as ContractEnvelope));
    expect((await write).code).toBe('OUTCOME_UNKNOWN');
    expect((await read).code).toBe('LEDGER_UNAVAILABLE');
    expect((await evaluated).code).toBe('LEDGER_UNAVAILABLE');
    await expect(threaded.ready()).rejects.toMatchObject({ code: 'LEDGER_UNAVAILABLE' });
    await expect(threaded.close()).resolves.toBeUndefined();
  });
});
