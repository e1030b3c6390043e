// SPDX-License-Identifier: Apache-2.0
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { MIN_CHUNK_BYTES, leafHash, treeRoot } from '@medshare/crypto/chunked-file';
import { readAll } from '../testing/blob-store-contract';
import { EmbeddedBlobStore } from './embedded-blob-store';
import { fail, liveLeafWorkers } from '@medshare/protocol';
import type { BlobPart, BlobStore, ResumableWrite } from './blob-store';
import { ChunkLeaves, ResumableStaging, digestOfStored, leavesBytes, stagingPartBytes } from './staging-writer';

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

const partFiles = (): string[] => (existsSync(join(dir, '.parts')) ? readdirSync(join(dir, '.parts')) : []);
/** Parts of 2 chunks: a body of many parts stays small. */
const P = 2 * C;
const staging = (key: string, size: number, on: BlobStore = store): ResumableStaging =>
  new ResumableStaging(on, key, { size, chunkBytes: C }, { targetPartBytes: P });

/** A store whose resumable writes refuse part `failPart` once (STORAGE_UNAVAILABLE). */
function failingPartStore(failPart: number): BlobStore {
  let failed = false;
  return Object.assign(Object.create(store) as BlobStore, {
    minPartBytes: store.minPartBytes,
    startResumable: async (key: string): Promise<ResumableWrite> => {
      const write = await store.startResumable(key);
      return {
        key,
        complete: (parts: number, size: number) => write.complete(parts, size),
        abort: () => write.abort(),
        writePart: async (part: BlobPart, body: Readable) => {
          if (part.number === failPart && !failed) {
            failed = true;
            body.resume();
            throw fail('STORAGE_UNAVAILABLE', 'the test store refuses this part once');
          }
          return write.writePart(part, body);
        },
      };
    },
  });
}

describe('ResumableStaging', () => {
  it('streams a body into the store in parts and answers its digest; no part file is left', async () => {
    const data = randomBytes(7 * C + 11);
    const s = staging('staging/ok', data.length);
    expect(s.partBytes).toBe(P);
    const digest = await s.append(Readable.from(pieces(data, 1500)), 0);
    expect(Buffer.from(digest.root).toString('hex')).toBe(reference(data).root);
    expect(digest.leaves.map((l) => Buffer.from(l).toString('hex'))).toEqual(reference(data).leaves);
    expect(s.committed).toBe(data.length);
    expect((await readAll(await store.get('staging/ok'))).equals(data)).toBe(true);
    expect(partFiles()).toEqual([]);
  });

  it.each([0, 1, C, P, P + 1])('stages a body of %i bytes', async (size) => {
    const data = randomBytes(size);
    const s = staging(`staging/size-${size}`, size);
    const digest = await s.append(Readable.from(size ? [data] : []), 0);
    expect(Buffer.from(digest.root).toString('hex')).toBe(reference(data).root);
    expect((await readAll(await store.get(`staging/size-${size}`))).equals(data)).toBe(true);
  });

  it('keeps the whole parts of a body cut off and goes on from there: one object, the root over every chunk', async () => {
    const data = randomBytes(9 * C + 5);
    const s = staging('staging/resumed', data.length);
    // The connection drops 2.5 parts in: 2 parts count, nothing is visible under the key yet.
    await expect(s.append(patternBodyOf(data, { failAfter: 2 * P + C / 2 }), 0)).rejects.toThrow(
      'body failed on purpose',
    );
    expect(s.committed).toBe(2 * P);
    expect(s.active).toBe(false);
    expect(await store.head('staging/resumed')).toBeUndefined();
    expect(partFiles()).toEqual(['staging~resumed']);
    // Another offset is refused, and changes nothing.
    const wrong = Readable.from([data.subarray(P)]);
    await expect(s.append(wrong, P)).rejects.toMatchObject({ code: 'UPLOAD_OFFSET_MISMATCH' });
    expect(s.committed).toBe(2 * P);
    // Resumed twice more (a second cut inside the last part), then complete.
    await expect(s.append(patternBodyOf(data.subarray(2 * P), { failAfter: 2 * P + 100 }), 2 * P)).rejects.toThrow(
      'body failed on purpose',
    );
    expect(s.committed).toBe(4 * P);
    const digest = await s.append(Readable.from(pieces(data.subarray(4 * P), 999)), 4 * P);
    expect(Buffer.from(digest.root).toString('hex')).toBe(reference(data).root);
    expect((await readAll(await store.get('staging/resumed'))).equals(data)).toBe(true);
    expect(partFiles()).toEqual([]);
    await expect(s.append(Readable.from([]), data.length)).rejects.toMatchObject({ code: 'UPLOAD_OFFSET_MISMATCH' });
  });

  it('refuses a body longer than begun, and one that ends early, with INTEGRITY_FAILED; abort() removes the parts', async () => {
    const data = randomBytes(5 * C);
    const long = staging('staging/long', data.length - 1);
    await expect(long.append(Readable.from([data]), 0)).rejects.toMatchObject({ code: 'INTEGRITY_FAILED' });
    const short = staging('staging/short', data.length + 1);
    await expect(short.append(Readable.from(pieces(data, 4096)), 0)).rejects.toMatchObject({
      code: 'INTEGRITY_FAILED',
    });
    expect(short.committed).toBe(2 * P);
    await long.abort();
    await short.abort();
    expect(await store.head('staging/long')).toBeUndefined();
    expect(await store.head('staging/short')).toBeUndefined();
    expect(partFiles()).toEqual([]);
    await expect(short.append(Readable.from([data]), 2 * P)).rejects.toMatchObject({ code: 'UPLOAD_OFFSET_MISMATCH' });
  });

  it('interrupt() cuts a running append (UPLOAD_OFFSET_MISMATCH for it); its stored parts stay', async () => {
    const data = randomBytes(6 * C);
    const s = staging('staging/cut', data.length);
    const body = new PassThrough();
    const running = s.append(body, 0);
    body.write(data.subarray(0, P + 10));
    await new Promise((r) => setTimeout(r, 50));
    await s.interrupt();
    await expect(running).rejects.toMatchObject({ code: 'UPLOAD_OFFSET_MISMATCH' });
    expect(s.committed).toBe(P);
    const digest = await s.append(Readable.from([data.subarray(P)]), P);
    expect(Buffer.from(digest.root).toString('hex')).toBe(reference(data).root);
  });

  it('a part the store refuses does not count: the offset stays before it, and the upload resumes there', async () => {
    const data = randomBytes(6 * C);
    const s = staging('staging/refused-part', data.length, failingPartStore(2));
    await expect(s.append(Readable.from(pieces(data, 5000)), 0)).rejects.toMatchObject({ code: 'STORAGE_UNAVAILABLE' });
    expect(s.committed).toBe(P);
    expect(await store.head('staging/refused-part')).toBeUndefined();
    const digest = await s.append(Readable.from([data.subarray(P)]), P);
    expect(Buffer.from(digest.root).toString('hex')).toBe(reference(data).root);
    expect((await readAll(await store.get('staging/refused-part'))).equals(data)).toBe(true);
  });

  it('refuses a bad chunk size (INVALID_INPUT) before touching the store', () => {
    expect(() => new ResumableStaging(store, 'staging/odd', { size: 100, chunkBytes: 5000 })).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT' }),
    );
    expect(partFiles()).toEqual([]);
  });

  it('chooses parts of whole chunks, at least 8 MiB and the store minimum, at most 10,000 of them', () => {
    const MiB = 1024 * 1024;
    expect(stagingPartBytes({ size: 100 * MiB, chunkBytes: MiB }, 5 * MiB)).toBe(8 * MiB);
    expect(stagingPartBytes({ size: 100 * MiB, chunkBytes: 3 * MiB }, 5 * MiB)).toBe(9 * MiB);
    expect(stagingPartBytes({ size: 2 ** 40, chunkBytes: MiB }, 5 * MiB)).toBe(105 * MiB);
    expect(stagingPartBytes({ size: 10, chunkBytes: 4096 }, 1, 4096)).toBe(4096);
  });
});

describe('digestOfStored', () => {
  it('recomputes the digest of a stored object', async () => {
    const data = randomBytes(4 * C + 3);
    await store.put('staging/stored', Readable.from([data]));
    const digest = await digestOfStored(store, 'staging/stored', C);
    expect(Buffer.from(digest.root).toString('hex')).toBe(reference(data).root);
  });
});

/**
 * `data` as a body in 1000-byte pieces that fails after `failAfter` bytes, once every one of them
 * has been read (a destroyed stream drops what it buffered, as a reset socket does).
 */
function patternBodyOf(data: Buffer, options: { failAfter: number }): Readable {
  const body = new PassThrough();
  void (async () => {
    for (let o = 0; o < options.failAfter; o += 1000) {
      if (!body.write(data.subarray(o, Math.min(o + 1000, options.failAfter)))) await once(body, 'drain');
    }
    while (body.readableLength > 0 || body.writableLength > 0) await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, 20));
    body.destroy(new Error('body failed on purpose'));
  })();
  return body;
}
