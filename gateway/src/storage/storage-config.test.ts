// SPDX-License-Identifier: Apache-2.0
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { EmbeddedBlobStore } from './embedded-blob-store';
import { S3BlobStore } from './s3-blob-store';
import { openBlobStore, parseStorageConfig, readSecretAccessKey } from './storage-config';

const dir = mkdtempSync(join(tmpdir(), 'medshare-storage-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const SECRET = 'f00dfeed'.repeat(8);
const secretFile = join(dir, 's3.secret');
writeFileSync(secretFile, `${SECRET}\n`, { mode: 0o600 });

const s3 = {
  kind: 's3',
  endpoint: 'http://127.0.0.1:28333',
  region: 'us-east-1',
  bucket: 'medshare',
  accessKeyId: 'medshare0a1b2c',
  secretAccessKeyFile: 's3.secret',
};

describe('parseStorageConfig', () => {
  it('defaults to the embedded store in blobs/ beside the config', () => {
    expect(parseStorageConfig(undefined, dir)).toEqual({ kind: 'embedded', dir: join(dir, 'blobs') });
    expect(parseStorageConfig({ kind: 'embedded', dir: '/var/lib/medshare/blobs' }, dir)).toEqual({
      kind: 'embedded',
      dir: '/var/lib/medshare/blobs',
    });
  });

  it('reads an S3 section, the secret file resolved against the config folder', () => {
    const config = parseStorageConfig(s3, dir);
    expect(config).toEqual({ ...s3, secretAccessKeyFile: secretFile });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it.each([
    [{ kind: 'nfs' }],
    [{ kind: 'embedded', bucket: 'medshare' }],
    [{ ...s3, dir: 'blobs' }],
    [{ ...s3, secretAccessKey: SECRET }],
    [{ ...s3, endpoint: 'ftp://127.0.0.1' }],
    [{ ...s3, endpoint: 'http://user:pw@127.0.0.1:28333' }],
    [{ ...s3, endpoint: 'http://127.0.0.1:28333/medshare' }],
    [{ ...s3, endpoint: 'not a url' }],
    [{ ...s3, bucket: 'Medshare' }],
    [{ ...s3, bucket: 'ab' }],
    [{ ...s3, region: 'US EAST' }],
    [{ ...s3, accessKeyId: '' }],
    [{ ...s3, secretAccessKeyFile: undefined }],
  ])('refuses %j (INVALID_INPUT)', (value) => {
    expect(() => parseStorageConfig(value, dir)).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
  });
});

describe('openBlobStore', () => {
  it('opens the embedded store', async () => {
    expect(await openBlobStore(parseStorageConfig(undefined, dir))).toBeInstanceOf(EmbeddedBlobStore);
  });

  it('reads the S3 secret from its file and never shows it: not in the config, the store or an error', async () => {
    const config = parseStorageConfig(s3, dir);
    const store = await openBlobStore(config);
    expect(store).toBeInstanceOf(S3BlobStore);
    expect(JSON.stringify(config)).not.toContain(SECRET);
    expect(inspect(store, { depth: 10, showHidden: true })).not.toContain(SECRET);
    await store.close();
    expect(await readSecretAccessKey(secretFile)).toBe(SECRET);
  });

  it('refuses a missing, empty or multi-word secret file without quoting it', async () => {
    await expect(readSecretAccessKey(join(dir, 'none'))).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    writeFileSync(join(dir, 'empty'), '\n');
    await expect(readSecretAccessKey(join(dir, 'empty'))).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    writeFileSync(join(dir, 'two'), 'secret words here');
    const error = (await readSecretAccessKey(join(dir, 'two')).catch((e: unknown) => e)) as Error;
    expect(error).toMatchObject({ code: 'INVALID_INPUT' });
    expect(error.message).not.toContain('secret words');
  });
});
