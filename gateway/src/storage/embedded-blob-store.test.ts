// SPDX-License-Identifier: Apache-2.0
import { mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describeBlobStoreContract, patternBody } from '../testing/blob-store-contract';
import { EmbeddedBlobStore } from './embedded-blob-store';

const roots: string[] = [];

function tempRoot(): string {
  const dir = mkdtempSync(join(tmpdir(), 'medshare-blobs-'));
  roots.push(dir);
  return dir;
}

afterAll(() => {
  for (const dir of roots) rmSync(dir, { recursive: true, force: true });
});

describeBlobStoreContract(
  'embedded',
  () => {
    const dir = join(tempRoot(), 'blobs');
    return Promise.resolve({
      store: new EmbeddedBlobStore({ dir }),
      ns: 'test/run/',
      largeBytes: 3 * 1024 * 1024,
      leftovers: () =>
        Promise.resolve(
          ['.tmp', '.parts'].flatMap((d) =>
            existsSync(join(dir, d)) ? readdirSync(join(dir, d)).map((f) => `${d}/${f}`) : [],
          ),
        ),
    });
  },
  (h) => h.store.close(),
);

describe('EmbeddedBlobStore', () => {
  it('keeps object a/b as the file a/b~, so a/b and a/b/c coexist and nothing else passes for an object', async () => {
    const dir = tempRoot();
    const store = new EmbeddedBlobStore({ dir });
    await store.ready();
    await store.put('files/x', Readable.from([Buffer.from('x')]));
    await store.put('files/x/y', Readable.from([Buffer.from('y')]));
    expect(readdirSync(join(dir, 'files')).sort()).toEqual(['x', 'x~']);
    writeFileSync(join(dir, 'files', 'stray'), 'not an object');
    const keys: string[] = [];
    for await (const e of store.list('')) keys.push(e.key);
    expect(keys).toEqual(['files/x', 'files/x/y']);
  });

  it('sweeps temporary files older than an hour in ready(), keeps fresh ones', async () => {
    const dir = tempRoot();
    mkdirSync(join(dir, '.tmp'), { recursive: true });
    writeFileSync(join(dir, '.tmp', 'old'), 'crashed put');
    writeFileSync(join(dir, '.tmp', 'new'), 'put in progress');
    const hourAgo = (Date.now() - 61 * 60 * 1000) / 1000;
    utimesSync(join(dir, '.tmp', 'old'), hourAgo, hourAgo);
    await new EmbeddedBlobStore({ dir }).ready();
    expect(readdirSync(join(dir, '.tmp'))).toEqual(['new']);
  });

  it('answers STORAGE_UNAVAILABLE when its folder cannot be used, and leaves nothing', async () => {
    const file = join(tempRoot(), 'not-a-folder');
    writeFileSync(file, 'x');
    const store = new EmbeddedBlobStore({ dir: file });
    await expect(store.ready()).rejects.toMatchObject({ name: 'MedshareError', code: 'STORAGE_UNAVAILABLE' });
    const body = patternBody(1000);
    await expect(store.put('files/a', body)).rejects.toMatchObject({ code: 'STORAGE_UNAVAILABLE' });
    expect(body.destroyed).toBe(true);
    await expect(store.get('files/a')).rejects.toMatchObject({ code: 'STORAGE_UNAVAILABLE' });
  });

  it('never names its folder in an error message', async () => {
    const dir = tempRoot();
    const store = new EmbeddedBlobStore({ dir });
    const error = (await store.get('files/none').catch((e: unknown) => e)) as Error;
    expect(error).toMatchObject({ code: 'BLOB_NOT_FOUND' });
    expect(error.message).not.toContain(dir);
  });
});
