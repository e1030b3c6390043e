// SPDX-License-Identifier: Apache-2.0
/**
 * The local SeaweedFS of the e2e project (scripts/storage/up.sh, started by globalSetup): its S3
 * endpoint, bucket and key from `.storage/s3.env` (STORAGE_HOME), and a raw S3 client that
 * reaches the bucket around the gateways (to look at what they stored, or to tamper with it).
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';

export const STORAGE_HOME = process.env.STORAGE_HOME ?? join(resolve(__dirname, '..', '..', '..'), '.storage');
/** What scripts/storage/up.sh wrote: S3_ENDPOINT, S3_REGION, S3_BUCKET, S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY. */
export const S3_ENV_FILE = join(STORAGE_HOME, 's3.env');

export interface LocalS3 {
  readonly endpoint: string;
  readonly region: string;
  readonly bucket: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

export function localS3(): LocalS3 {
  const env = Object.fromEntries(
    readFileSync(S3_ENV_FILE, 'utf8')
      .split('\n')
      .filter((line) => /^[A-Z0-9_]+=/.test(line))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  ) as Record<string, string | undefined>;
  const value = (name: string): string => {
    const v = env[name];
    if (!v) throw new Error(`${name} missing in ${S3_ENV_FILE} (scripts/storage/up.sh writes it)`);
    return v;
  };
  return {
    endpoint: value('S3_ENDPOINT'),
    region: value('S3_REGION'),
    bucket: value('S3_BUCKET'),
    accessKeyId: value('S3_ACCESS_KEY_ID'),
    secretAccessKey: value('S3_SECRET_ACCESS_KEY'),
  };
}

export function rawS3Client(s3: LocalS3): S3Client {
  return new S3Client({
    endpoint: s3.endpoint,
    region: s3.region,
    forcePathStyle: true,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
  });
}

/** The bucket's objects through the raw client: keys under a prefix (sorted), one object's bytes, a put. */
export interface RawBucket {
  readonly client: S3Client;
  keys(prefix: string): Promise<string[]>;
  get(key: string): Promise<Buffer>;
  put(key: string, body: Uint8Array): Promise<void>;
  close(): void;
}

export function rawBucket(s3: LocalS3 = localS3()): RawBucket {
  const client = rawS3Client(s3);
  const Bucket = s3.bucket;
  return {
    client,
    keys: async (prefix) =>
      ((await client.send(new ListObjectsV2Command({ Bucket, Prefix: prefix }))).Contents ?? [])
        .map((o) => o.Key ?? '')
        .sort(),
    get: async (key) => {
      const answer = await client.send(new GetObjectCommand({ Bucket, Key: key }));
      if (!answer.Body) throw new Error(`no body for ${key}`);
      return Buffer.from(await answer.Body.transformToByteArray());
    },
    put: async (key, body) => {
      await client.send(new PutObjectCommand({ Bucket, Key: key, Body: body }));
    },
    close: () => client.destroy(),
  };
}
