// SPDX-License-Identifier: Apache-2.0
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChaincodeEvent, ChaincodeEventsOptions, CloseableAsyncIterable } from '@hyperledger/fabric-gateway';
import { AUDIT_EVENT_NAME, canonicalize } from '@medshare/protocol';
import { DEFAULT_DEADLINES_MS } from '../config/config';
import { DurableCheckpointer } from '../events/checkpointer';
import { EventLog } from '../events/event-log';
import { EventFollower } from '../events/follower';
import { FabricBackend } from './fabric';
import { fabricChaincodeEvents, type ChaincodeEventsNetwork } from './fabric-events';

const payload = (txId: string): Uint8Array =>
  Buffer.from(
    canonicalize({
      v: 1,
      action: 'upload',
      recordId: 'b'.repeat(64),
      owner: 'a'.repeat(64),
      actorKeyId: 'a'.repeat(64),
      org: 'Org1MSP',
      txId,
      at: 1,
    }),
  );

/** A fake of fabric-gateway's Network.getChaincodeEvents that records its calls and serves a fixed list. */
function fakeNetwork(events: ChaincodeEvent[]): ChaincodeEventsNetwork & {
  calls: Array<{ name: string; block?: bigint; tx?: string; startBlock?: bigint }>;
  closed: number;
} {
  const state = { calls: [] as Array<{ name: string; block?: bigint; tx?: string; startBlock?: bigint }>, closed: 0 };
  return {
    get calls() {
      return state.calls;
    },
    get closed() {
      return state.closed;
    },
    getChaincodeEvents(
      name: string,
      options?: ChaincodeEventsOptions,
    ): Promise<CloseableAsyncIterable<ChaincodeEvent>> {
      const block = options?.checkpoint?.getBlockNumber();
      const tx = options?.checkpoint?.getTransactionId();
      state.calls.push({
        name,
        ...(block === undefined ? {} : { block }),
        ...(tx === undefined ? {} : { tx }),
        ...(options?.startBlock === undefined ? {} : { startBlock: options.startBlock }),
      });
      const from = tx === undefined ? 0 : events.findIndex((e) => e.transactionId === tx) + 1;
      const close = (): void => {
        state.closed += 1;
      };
      return Promise.resolve({
        close,
        [Symbol.dispose]: close,
        async *[Symbol.asyncIterator]() {
          for (const e of events.slice(from)) yield await Promise.resolve(e);
        },
      });
    },
  };
}

const event = (block: bigint, txId: string, eventName = AUDIT_EVENT_NAME): ChaincodeEvent => ({
  blockNumber: block,
  transactionId: txId,
  chaincodeName: 'medshare',
  eventName,
  payload: eventName === AUDIT_EVENT_NAME ? payload(txId) : Buffer.from('{}'),
});

const unused = (): never => {
  throw new Error('unused: this test only follows events');
};

describe('Fabric chaincode events (over a fake Network)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'medshare-fabric-events-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("asks the Gateway service for the contract's events from the checkpoint, and the follower logs them", async () => {
    const network = fakeNetwork([event(5n, 'tx1'), event(5n, 'tx2', 'UserRegistered'), event(6n, 'tx3')]);
    const backend = new FabricBackend(
      [
        {
          peer: 'peer0.org1.example.com',
          newProposal: unused,
          chaincodeEvents: fabricChaincodeEvents(network, 'medshare'),
          close() {},
        },
      ],
      { deadlinesMs: DEFAULT_DEADLINES_MS, mvccRetries: 0 },
      'Org1MSP',
    );
    const log = await EventLog.open(dir, { retain: 100 });
    const checkpointer = await DurableCheckpointer.open(join(dir, 'checkpoint.json'));
    const follower = new EventFollower({ source: (o) => backend.chaincodeEvents(o), log, checkpointer });
    await follower.runOnce();
    expect(log.after(undefined).map((e) => [e.id, e.txId])).toEqual([
      ['5-0', 'tx1'],
      ['6-0', 'tx3'],
    ]);
    await follower.runOnce();
    expect(network.calls).toEqual([
      { name: 'medshare', startBlock: 0n },
      { name: 'medshare', block: 6n, tx: 'tx3', startBlock: 0n },
    ]);
    expect(network.closed).toBe(2);
    await log.close();
  });

  it('a connection without an events source refuses to follow with a coded error', async () => {
    const backend = new FabricBackend(
      [{ peer: 'peer0.org1.example.com', newProposal: unused, close() {} }],
      { deadlinesMs: DEFAULT_DEADLINES_MS, mvccRetries: 0 },
      'Org1MSP',
    );
    await expect(
      backend.chaincodeEvents({
        checkpoint: { getBlockNumber: () => undefined, getTransactionId: () => undefined },
        startBlock: 0n,
      }),
    ).rejects.toMatchObject({
      code: 'LEDGER_UNAVAILABLE',
    });
  });
});
