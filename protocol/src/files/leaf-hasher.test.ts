// SPDX-License-Identifier: Apache-2.0
import { randomBytes } from 'node:crypto';
import { MIN_CHUNK_BYTES, leafHash } from '@medshare/crypto/chunked-file';
import { LeafQueue, MAX_IN_FLIGHT, liveLeafWorkers } from './leaf-hasher';

const C = MIN_CHUNK_BYTES;
const hex = (b: Uint8Array | undefined): string => Buffer.from(b ?? []).toString('hex');

async function workersGone(): Promise<void> {
  for (let i = 0; i < 500 && liveLeafWorkers() > 0; i++) await new Promise((r) => setTimeout(r, 10));
  expect(liveLeafWorkers()).toBe(0);
}
afterEach(workersGone);

describe('LeafQueue', () => {
  it("puts each chunk's §16 leaf at its index, on the worker, never more than MAX_IN_FLIGHT at once", async () => {
    const queue = new LeafQueue(C);
    const chunks = Array.from({ length: 7 }, () => randomBytes(C));
    let most = 0;
    for (const [i, chunk] of chunks.entries()) {
      if (queue.full) await new Promise<void>((resolve) => queue.whenRoom(resolve));
      const slot = queue.slot();
      slot.set(chunk);
      queue.submit(i, i === chunks.length - 1, slot);
      most = Math.max(most, queue.full ? MAX_IN_FLIGHT : 0);
    }
    const leaves = await queue.drained();
    queue.close();
    expect(most).toBe(MAX_IN_FLIGHT);
    expect(leaves.map(hex)).toEqual(chunks.map((c, i) => hex(leafHash(i, i === chunks.length - 1, c))));
  });

  it('hashes a stream of one chunk inline (no worker) and fills a resumed stream after the leaves it was given', async () => {
    const one = new LeafQueue(C);
    const chunk = randomBytes(100);
    one.submit(0, true, chunk);
    expect(liveLeafWorkers()).toBe(0);
    expect(hex(one.leaves[0])).toBe(hex(leafHash(0, true, chunk)));
    one.close();

    const earlier = [leafHash(0, false, randomBytes(C)), leafHash(1, false, randomBytes(C))];
    const leaves = [...earlier];
    const resumed = new LeafQueue(C, { leaves });
    const tail = randomBytes(C);
    resumed.submit(2, false, tail);
    await resumed.drained();
    resumed.close();
    expect(leaves.map(hex)).toEqual([...earlier, leafHash(2, false, tail)].map(hex));
  });

  it('calls back whenDrained at once when nothing is being hashed, and nobody after close()', async () => {
    const queue = new LeafQueue(C);
    let called = false;
    queue.whenDrained(() => (called = true));
    expect(called).toBe(true);
    queue.submit(0, false, randomBytes(C));
    let after = false;
    queue.whenDrained(() => (after = true));
    queue.close();
    await new Promise((r) => setTimeout(r, 50));
    expect(after).toBe(false);
  });

  it("a hash that fails is the stream's failure: told to a waiter, else to onFailure", async () => {
    // Not bytes: the worker's SM3 throws, the worker fails, its jobs are rejected.
    const bad = 123 as unknown as Uint8Array;
    const failures: Error[] = [];
    const alone = new LeafQueue(C, { onFailure: (e) => failures.push(e) });
    alone.submit(0, false, bad);
    for (let i = 0; i < 200 && failures.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(failures).toEqual([expect.objectContaining({ code: 'INTERNAL' })]);
    expect(alone.failure).toMatchObject({ code: 'INTERNAL' });
    alone.close();

    const waited = new LeafQueue(C, { onFailure: (e) => failures.push(e) });
    waited.submit(0, false, bad);
    await expect(waited.drained()).rejects.toMatchObject({ code: 'INTERNAL' });
    expect(failures).toHaveLength(1);
    waited.close();
  });
});
