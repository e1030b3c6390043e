// SPDX-License-Identifier: Apache-2.0
/**
 * The S3 backend against the real SeaweedFS that globalSetup started (scripts/storage/up.sh):
 * the shared BlobStore contract, then what only S3 has: If-None-Match on the server, multipart
 * copies, and STORAGE_UNAVAILABLE for a server that is down, a wrong key and a missing bucket.
 * Alone, without the Fabric network:
 *   MEDSHARE_E2E_STORAGE_ONLY=1 npm run jest -- test/e2e/s3-blob-store.test.ts --selectProjects e2e
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { Readable } from 'node:stream';
import { ListMultipartUploadsCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { S3BlobStore, type S3BlobStoreOptions } from '../../gateway/src/storage/s3-blob-store';
import { localS3, rawS3Client } from './support/local-s3';
import {
  describeBlobStoreContract,
  patternBody,
  patternBytes,
  readAll,
} from '../../gateway/src/testing/blob-store-contract';

const options: S3BlobStoreOptions = localS3();
const MiB = 1024 * 1024;
/** S3's smallest part: puts above it are multipart uploads, kept small so the tests stay quick. */
const PART = 5 * MiB;

async function unfinishedUploads(client: S3Client, prefix: string): Promise<string[]> {
  const answer = await client.send(new ListMultipartUploadsCommand({ Bucket: options.bucket, Prefix: prefix }));
  return (answer.Uploads ?? []).map((u) => `multipart upload of ${u.Key ?? '?'}`);
}

const raw = rawS3Client(options);
afterAll(() => raw.destroy());

describeBlobStoreContract(
  'S3 on SeaweedFS',
  () => {
    const ns = `test/${randomBytes(6).toString('hex')}/`;
    return Promise.resolve({
      store: new S3BlobStore({ ...options, partBytes: PART }),
      ns,
      largeBytes: 2 * PART,
      leftovers: () => unfinishedUploads(raw, ns),
    });
  },
  (h) => h.store.close(),
);

describe('S3BlobStore on SeaweedFS', () => {
  const ns = `test/${randomBytes(6).toString('hex')}/`;
  const store = new S3BlobStore({ ...options, partBytes: PART, copyPartBytes: PART });
  afterAll(async () => {
    for await (const e of store.list(ns)) await store.delete(e.key);
    await store.close();
  });

  it('is refused by the server itself when If-None-Match: * meets an existing key (412)', async () => {
    const key = `${ns}inm/a`;
    await store.put(key, Readable.from([Buffer.from('first')]));
    await expect(
      raw.send(new PutObjectCommand({ Bucket: options.bucket, Key: key, Body: 'second', IfNoneMatch: '*' })),
    ).rejects.toMatchObject({
      name: 'PreconditionFailed',
      $metadata: { httpStatusCode: 412 },
    });
    expect((await readAll(await store.get(key))).toString()).toBe('first');
  });

  it('copies an object larger than one copy part part by part (UploadPartCopy), refusing an existing target the same way', async () => {
    const from = `${ns}copy/big`;
    const size = 2 * PART + 1234;
    await store.put(from, patternBody(size));
    await store.copy(from, `${ns}copy/big-copy`);
    expect((await readAll(await store.get(`${ns}copy/big-copy`))).equals(patternBytes(size))).toBe(true);
    await expect(store.copy(from, `${ns}copy/big-copy`)).rejects.toMatchObject({ code: 'BLOB_EXISTS' });
    expect(await unfinishedUploads(raw, ns)).toEqual([]);
  }, 120_000);

  it('answers STORAGE_UNAVAILABLE when nothing listens at the endpoint, without reading the body', async () => {
    const port = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const address = server.address();
        server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
      });
    });
    const down = new S3BlobStore({ ...options, endpoint: `http://127.0.0.1:${port}` });
    try {
      await expect(down.ready()).rejects.toMatchObject({ name: 'MedshareError', code: 'STORAGE_UNAVAILABLE' });
      const body = patternBody(1000);
      await expect(down.put(`${ns}down/a`, body)).rejects.toMatchObject({ code: 'STORAGE_UNAVAILABLE' });
      expect(body.destroyed).toBe(true);
      await expect(down.get(`${ns}down/a`)).rejects.toMatchObject({ code: 'STORAGE_UNAVAILABLE' });
      await expect(down.head(`${ns}down/a`)).rejects.toMatchObject({ code: 'STORAGE_UNAVAILABLE' });
      const error = (await down.ready().catch((e: unknown) => e)) as Error;
      expect(error.message).not.toContain(String(port));
    } finally {
      await down.close();
    }
  }, 60_000);

  it('answers STORAGE_UNAVAILABLE for a wrong secret, and writes nothing', async () => {
    const wrong = new S3BlobStore({ ...options, secretAccessKey: randomBytes(32).toString('hex') });
    try {
      await expect(wrong.ready()).rejects.toMatchObject({ code: 'STORAGE_UNAVAILABLE' });
      await expect(wrong.put(`${ns}wrong/a`, Readable.from([Buffer.from('x')]))).rejects.toMatchObject({
        code: 'STORAGE_UNAVAILABLE',
      });
      expect(await store.head(`${ns}wrong/a`)).toBeUndefined();
    } finally {
      await wrong.close();
    }
  });

  it('answers STORAGE_UNAVAILABLE, not BLOB_NOT_FOUND, when the bucket is missing', async () => {
    const missing = new S3BlobStore({ ...options, bucket: `medshare-missing-${randomBytes(4).toString('hex')}` });
    try {
      await expect(missing.ready()).rejects.toMatchObject({ code: 'STORAGE_UNAVAILABLE' });
      await expect(missing.get(`${ns}x`)).rejects.toMatchObject({ code: 'STORAGE_UNAVAILABLE' });
    } finally {
      await missing.close();
    }
  });
});
