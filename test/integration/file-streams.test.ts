// SPDX-License-Identifier: Apache-2.0
/**
 * The large-file streams end to end on the embedded store (issue #13): the SDK encrypts a file
 * chunk by chunk, the gateway stages it computing the same §16 digest, the leaves are stored
 * beside the object, and the download checks them against the root and every chunk against its
 * leaf while it decrypts. Then 256 MiB through all of it with the resident set measured: it
 * must stay flat (one chunk in each stage), whatever the size.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ChunkDecryptor, ChunkEncryptor, checkedLeaves, encryptFileStream } from '../../app/src/files/file-streams';
import { EmbeddedBlobStore } from '../../gateway/src/storage/embedded-blob-store';
import { ResumableStaging, leavesBytes } from '../../gateway/src/storage/staging-writer';
import { patternBody, readAll } from '../../gateway/src/testing/blob-store-contract';

const dir = mkdtempSync(join(tmpdir(), 'medshare-file-streams-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const store = new EmbeddedBlobStore({ dir: join(dir, 'blobs') });
beforeAll(() => store.ready());
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

it('uploads, promotes and downloads a file: the staged digest is the one the SDK computed', async () => {
  const chunkBytes = 64 * 1024;
  const plaintext = randomBytes(5 * chunkBytes + 4321);
  writeFileSync(join(dir, 'scan.dcm'), plaintext);
  const key = randomBytes(16);

  const { stream, encryptor } = encryptFileStream(join(dir, 'scan.dcm'), { key, chunkBytes });
  const staged = await new ResumableStaging(store, 'staging/u1', { size: plaintext.length, chunkBytes }).append(
    stream,
    0,
  );
  expect(hex(staged.root)).toBe(hex(encryptor.digest.root));
  expect(staged.leaves.map(hex)).toEqual(encryptor.digest.leaves.map(hex));

  // Promote (the gateway does this after the ledger committed the descriptor).
  const root = hex(staged.root);
  await store.copy('staging/u1', `files/${root}`);
  await store.put(`files/${root}.leaves`, Readable.from([leavesBytes(staged.leaves)]));
  await store.delete('staging/u1');

  const leaves = checkedLeaves(await readAll(await store.get(`files/${root}.leaves`)), {
    root: staged.root,
    size: plaintext.length,
    chunkBytes,
  });
  await pipeline(
    await store.get(`files/${root}`),
    new ChunkDecryptor({ key, size: plaintext.length, chunkBytes, leaves }),
    createWriteStream(join(dir, 'out.dcm')),
  );
  expect(readFileSync(join(dir, 'out.dcm')).equals(plaintext)).toBe(true);

  // A resumed download from chunk 3 on (a Range at a chunk boundary).
  const tail = await readAll(
    (await store.get(`files/${root}`, { start: 3 * chunkBytes, end: plaintext.length })).pipe(
      new ChunkDecryptor({ key, size: plaintext.length, chunkBytes, leaves, firstChunk: 3 }),
    ),
  );
  expect(tail.equals(plaintext.subarray(3 * chunkBytes))).toBe(true);
});

it('resumes an upload cut off mid-part: the SDK re-encrypts from the stored offset, one root over both halves', async () => {
  const chunkBytes = 64 * 1024;
  const plaintext = randomBytes(11 * chunkBytes + 99);
  const path = join(dir, 'resumed.dcm');
  writeFileSync(path, plaintext);
  const key = randomBytes(16);
  const staging = new ResumableStaging(
    store,
    'staging/u2',
    { size: plaintext.length, chunkBytes },
    { targetPartBytes: 4 * chunkBytes },
  );
  // The first attempt's connection drops after 6.5 chunks: the gateway keeps its first part (4 chunks).
  const leaves: Uint8Array[] = [];
  const first = encryptFileStream(path, { key, chunkBytes, leaves });
  let sent = 0;
  const cut = new Transform({
    transform(chunk: Buffer, _e, cb) {
      sent += chunk.length;
      if (sent > 6.5 * chunkBytes) cb(new Error('connection reset'));
      else cb(null, chunk);
    },
  });
  await expect(staging.append(first.stream.pipe(cut), 0)).rejects.toThrow('connection reset');
  first.stream.destroy();
  expect(staging.committed).toBe(4 * chunkBytes);
  // The second attempt encrypts from chunk 4 (its IVs and leaves are chunk 4's on).
  const second = encryptFileStream(path, { key, chunkBytes, firstChunk: 4, leaves });
  const staged = await staging.append(second.stream, staging.committed);
  expect(hex(staged.root)).toBe(hex(second.encryptor.digest.root));
  const whole = new ChunkEncryptor({ key, chunkBytes });
  await pipeline(Readable.from([plaintext]), whole, new Writable({ write: (_c, _e, cb) => cb() }));
  expect(hex(staged.root)).toBe(hex(whole.digest.root));
  await pipeline(
    await store.get('staging/u2'),
    new ChunkDecryptor({ key, size: plaintext.length, chunkBytes, leaves: staged.leaves }),
    createWriteStream(join(dir, 'resumed.out')),
  );
  expect(readFileSync(join(dir, 'resumed.out')).equals(plaintext)).toBe(true);
});

it('streams 256 MiB through encrypt → stage → store → verify-decrypt with a flat resident set', async () => {
  const size = 256 * 1024 * 1024;
  const chunkBytes = 1024 * 1024;
  const key = randomBytes(16);
  const sourceHash = createHash('sha256');
  const outHash = createHash('sha256');
  const hashing = (hash: ReturnType<typeof createHash>): Transform =>
    new Transform({
      transform(chunk: Buffer, _e, cb) {
        hash.update(chunk);
        cb(null, chunk);
      },
    });

  const baseline = process.memoryUsage.rss();
  let peak = baseline;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 20);
  try {
    const t0 = Date.now();
    const encryptor = new ChunkEncryptor({ key, chunkBytes });
    const staged = await new ResumableStaging(store, 'staging/big', { size, chunkBytes }).append(
      patternBody(size, { piece: 256 * 1024 })
        .pipe(hashing(sourceHash))
        .pipe(encryptor),
      0,
    );
    const t1 = Date.now();
    expect(hex(staged.root)).toBe(hex(encryptor.digest.root));
    let received = 0;
    await pipeline(
      await store.get('staging/big'),
      new ChunkDecryptor({ key, size, chunkBytes, leaves: staged.leaves }),
      hashing(outHash),
      new Writable({
        write(chunk: Buffer, _e, cb) {
          received += chunk.length;
          cb();
        },
      }),
    );
    const t2 = Date.now();
    expect(received).toBe(size);
    expect(outHash.digest('hex')).toBe(sourceHash.digest('hex'));
    const MiB = 1024 * 1024;
    process.stdout.write(
      `256 MiB: RSS ${(baseline / MiB).toFixed(0)} MiB before, peak ${(peak / MiB).toFixed(0)} MiB (+${((peak - baseline) / MiB).toFixed(0)} MiB); ` +
        `encrypt+stage ${((size / MiB / (t1 - t0)) * 1000).toFixed(0)} MiB/s, get+verify+decrypt ${((size / MiB / (t2 - t1)) * 1000).toFixed(0)} MiB/s\n`,
    );
    // Flat: a few chunks per stage and the streams' buffers, not the file (256 MiB).
    expect(peak - baseline).toBeLessThan(96 * MiB);
  } finally {
    clearInterval(sampler);
    await store.delete('staging/big');
  }
}, 300_000);
