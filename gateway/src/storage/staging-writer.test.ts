// SPDX-License-Identifier: Apache-2.0
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { MIN_CHUNK_BYTES, leafHash, treeRoot } from '@medshare/crypto/chunked-file';
import { patternBody, readAll } from '../testing/blob-store-contract';
import { EmbeddedBlobStore } from './embedded-blob-store';
import { liveLeafWorkers } from '@medshare/protocol';
import { ChunkLeaves, leavesBytes, stageUpload } from './staging-writer';

const C = MIN_CHUNK_BYTES;
const dir = mkdtempSync(join(tmpdir(), 'medshare-staging-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const store = new EmbeddedBlobStore({ dir });
/** Waits (up to 5 s) for every leaf worker to exit: none may outlive its stream, whatever ended it. */
async function workersGone(): Promise<void> {
  for (let i = 0; i < 500 && liveLeafWorkers() > 0; i++) await new Promise((r) => setTimeout(r, 10));
  expect(liveLeafWorkers()).toBe(0);
}
afterEach(workersGone);
const tempFiles = (): string[] => (existsSync(join(dir, '.tmp')) ? readdirSync(join(dir, '.tmp')) : []);

function reference(data: Buffer): { leaves: string[]; root: string } {
  const chunks = Math.max(1, Math.ceil(data.length / C));
  const leaves = Array.from({ length: chunks }, (_, i) =>
    leafHash(i, i === chunks - 1, data.subarray(i * C, (i + 1) * C)),
  );
  return {
    leaves: leaves.map((l) => Buffer.from(l).toString('hex')),
    root: Buffer.from(treeRoot(leaves)).toString('hex'),
  };
}

function pieces(data: Buffer, piece: number): Buffer[] {
  const out: Buffer[] = [];
  for (let o = 0; o < data.length; o += piece) out.push(data.subarray(o, o + piece));
  return out;
}

describe('ChunkLeaves', () => {
  it.each([0, 1, C - 1, C, C + 1, 3 * C, 5 * C + 7])(
    'passes %i bytes through unchanged and computes the §16 leaves and root',
    async (size) => {
      const data = randomBytes(size);
      for (const piece of [7, 1000, C, 3 * C + 1]) {
        const hasher = new ChunkLeaves({ chunkBytes: C });
        const out: Buffer[] = [];
        await pipeline(
          Readable.from(pieces(data, piece)),
          hasher,
          new Writable({
            write(chunk: Buffer, _e, cb) {
              out.push(chunk);
              cb();
            },
          }),
        );
        expect(Buffer.concat(out).equals(data)).toBe(true);
        const ref = reference(data);
        const d = hasher.digest;
        expect({ size: d.size, chunkBytes: d.chunkBytes, chunks: d.chunks }).toEqual({
          size,
          chunkBytes: C,
          chunks: ref.leaves.length,
        });
        expect(d.leaves.map((l) => Buffer.from(l).toString('hex'))).toEqual(ref.leaves);
        expect(Buffer.from(d.root).toString('hex')).toBe(ref.root);
        expect(leavesBytes(d.leaves).length).toBe(32 * d.chunks);
      }
    },
  );

  it('hashes on a worker thread that ends with the stream, or with its destruction mid-stream', async () => {
    const hasher = new ChunkLeaves({ chunkBytes: C });
    hasher.resume();
    await new Promise<void>((resolve) => hasher.write(randomBytes(2 * C + 1), () => resolve()));
    expect(liveLeafWorkers()).toBe(1);
    hasher.destroy();
    await workersGone();

    const one = new ChunkLeaves({ chunkBytes: C });
    one.resume();
    one.end(randomBytes(C));
    await new Promise((resolve) => one.once('end', resolve));
    expect(liveLeafWorkers()).toBe(0); // one chunk: hashed inline, no worker
  });

  it('refuses a chunk size §16 does not allow (INVALID_INPUT)', () => {
    for (const chunkBytes of [0, 4095, 4100, 32 * 1024 * 1024])
      expect(() => new ChunkLeaves({ chunkBytes })).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
  });
});

describe('stageUpload', () => {
  it('streams a body into the store and answers its digest', async () => {
    const data = randomBytes(3 * C + 11);
    const digest = await stageUpload(store, 'staging/ok', Readable.from(pieces(data, 1500)), { chunkBytes: C });
    expect(Buffer.from(digest.root).toString('hex')).toBe(reference(data).root);
    expect((await readAll(await store.get('staging/ok'))).equals(data)).toBe(true);
  });

  it('refuses a body over maxBytes (PAYLOAD_TOO_LARGE) and leaves no object, no temporary file', async () => {
    const body = patternBody(10 * C);
    await expect(stageUpload(store, 'staging/big', body, { chunkBytes: C, maxBytes: 4 * C })).rejects.toMatchObject({
      name: 'MedshareError',
      code: 'PAYLOAD_TOO_LARGE',
    });
    expect(await store.head('staging/big')).toBeUndefined();
    expect(tempFiles()).toEqual([]);
    expect(body.destroyed).toBe(true);
  });

  it('refuses an existing key (BLOB_EXISTS) without reading the body, keeping the object', async () => {
    await stageUpload(store, 'staging/taken', Readable.from([Buffer.from('first')]), { chunkBytes: C });
    const body = patternBody(10 * C);
    await expect(stageUpload(store, 'staging/taken', body, { chunkBytes: C })).rejects.toMatchObject({
      code: 'BLOB_EXISTS',
    });
    expect(body.destroyed).toBe(true);
    expect((await readAll(await store.get('staging/taken'))).toString()).toBe('first');
  });

  it("passes the body's error on and leaves nothing", async () => {
    await expect(
      stageUpload(store, 'staging/broken', patternBody(10 * C, { failAfter: 3 * C }), { chunkBytes: C }),
    ).rejects.toThrow('body failed on purpose');
    expect(await store.head('staging/broken')).toBeUndefined();
    expect(tempFiles()).toEqual([]);
  });

  it('refuses a bad chunk size (INVALID_INPUT) before touching the store', async () => {
    const body = patternBody(100);
    await expect(stageUpload(store, 'staging/odd', body, { chunkBytes: 5000 })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    });
    expect(body.destroyed).toBe(true);
    expect(await store.head('staging/odd')).toBeUndefined();
  });
});
