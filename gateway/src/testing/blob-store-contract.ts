// SPDX-License-Identifier: Apache-2.0
/**
 * The behaviour every BlobStore backend shares, as one jest suite: run against the embedded store
 * in the unit project (gateway/src/storage/embedded-blob-store.test.ts) and against a real
 * SeaweedFS in the e2e project (test/e2e/s3-blob-store.test.ts). Every refusal is checked for its
 * code and for an unchanged store: the keys under the run's namespace, their bytes, and nothing
 * left behind (a temporary file, an unfinished multipart upload).
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import type { BlobListing, BlobStore } from '../storage/blob-store';

export interface BlobStoreHarness {
  readonly store: BlobStore;
  /** A key prefix of this run's own (`test/<random>/`): the store may be shared. */
  readonly ns: string;
  /** What failed writes may leave behind outside the object namespace: temporary files, unfinished multipart uploads. */
  leftovers(): Promise<string[]>;
  /** A body size that takes several parts/writes on this backend. */
  readonly largeBytes: number;
}

/**
 * Every file of an embedded store's folder but its temporary ones, relative to it and sorted:
 * objects (`<key>~`) and part files (`.parts/<key with ~ for />`), to compare before and after a refusal.
 */
export function embeddedStoreFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (folder: string, prefix: string): void => {
    if (!existsSync(folder)) return;
    for (const e of readdirSync(folder, { withFileTypes: true })) {
      if (e.name === '.tmp') continue;
      if (e.isDirectory()) walk(join(folder, e.name), `${prefix}${e.name}/`);
      else out.push(`${prefix}${e.name}`);
    }
  };
  walk(dir, '');
  return out.sort();
}

export async function readAll(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of stream) parts.push(part as Buffer);
  return Buffer.concat(parts);
}

/** A body of `size` bytes from a fixed random block, in `piece`-sized pushes, optionally failing after `failAfter` bytes. */
export function patternBody(
  size: number,
  options: { piece?: number; failAfter?: number; seed?: Buffer } = {},
): Readable {
  const piece = options.piece ?? 64 * 1024;
  const block = options.seed ?? patternBlock;
  let sent = 0;
  return new Readable({
    read() {
      if (options.failAfter !== undefined && sent >= options.failAfter) {
        this.destroy(new Error('body failed on purpose'));
        return;
      }
      if (sent >= size) {
        this.push(null);
        return;
      }
      const n = Math.min(piece, size - sent);
      const out = Buffer.allocUnsafe(n);
      fillPattern(out, sent, block);
      sent += n;
      this.push(out);
    },
  });
}

const patternBlock = randomBytes(64 * 1024 + 7);

/** Fills `out` with the pattern's bytes from absolute offset `at` on. */
function fillPattern(out: Buffer, at: number, block: Buffer): void {
  let o = 0;
  while (o < out.length) o += block.copy(out, o, (at + o) % block.length);
}

export function patternBytes(size: number, seed: Buffer = patternBlock): Buffer {
  const out = Buffer.allocUnsafe(size);
  fillPattern(out, 0, seed);
  return out;
}

function sha(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

async function listAll(store: BlobStore, prefix: string): Promise<BlobListing[]> {
  const out: BlobListing[] = [];
  for await (const entry of store.list(prefix)) out.push(entry);
  return out;
}

export function describeBlobStoreContract(
  name: string,
  open: () => Promise<BlobStoreHarness>,
  close: (h: BlobStoreHarness) => Promise<void>,
): void {
  describe(`BlobStore contract: ${name}`, () => {
    let h: BlobStoreHarness;
    let store: BlobStore;
    let ns: string;

    beforeAll(async () => {
      h = await open();
      store = h.store;
      ns = h.ns;
      await store.ready();
    });
    afterAll(async () => {
      for (const entry of await listAll(store, ns)) await store.delete(entry.key);
      await close(h);
    });

    /** The state a refusal must leave unchanged: every key under ns with its digest, and no leftovers. */
    async function snapshot(): Promise<{ objects: Record<string, string>; leftovers: string[] }> {
      const objects: Record<string, string> = {};
      for (const entry of await listAll(store, ns))
        objects[entry.key] = `${entry.size}:${sha(await readAll(await store.get(entry.key)))}`;
      return { objects, leftovers: await h.leftovers() };
    }

    async function expectRefused(action: () => Promise<unknown>, code: string): Promise<void> {
      const before = await snapshot();
      await expect(action()).rejects.toMatchObject({ name: 'MedshareError', code });
      expect(await snapshot()).toEqual(before);
    }

    it('is ready and of its kind', async () => {
      await expect(store.ready()).resolves.toBeUndefined();
      expect(['embedded', 's3']).toContain(store.kind);
    });

    it.each([0, 1, 4095, 100_000])('puts and gets back %i bytes', async (size) => {
      const key = `${ns}round/${size}`;
      const data = patternBytes(size);
      await expect(store.put(key, Readable.from([data]))).resolves.toEqual({ size });
      expect(await store.head(key)).toEqual({ size });
      expect((await readAll(await store.get(key))).equals(data)).toBe(true);
    });

    it('streams a large body in many pieces and back', async () => {
      const key = `${ns}large/one`;
      const size = h.largeBytes + 12_345;
      await expect(store.put(key, patternBody(size, { piece: 100_000 }))).resolves.toEqual({ size });
      const back = await readAll(await store.get(key));
      expect(back.length).toBe(size);
      expect(sha(back)).toBe(sha(patternBytes(size)));
      expect(await h.leftovers()).toEqual([]);
    }, 120_000);

    it('reads byte ranges, end exclusive, clipped to the size', async () => {
      const key = `${ns}range/obj`;
      const data = patternBytes(10_000);
      await store.put(key, Readable.from([data]));
      const read = async (start: number, end: number): Promise<Buffer> => readAll(await store.get(key, { start, end }));
      expect((await read(0, 0)).length).toBe(0);
      expect((await read(2, 5)).equals(data.subarray(2, 5))).toBe(true);
      expect((await read(4096, 8192)).equals(data.subarray(4096, 8192))).toBe(true);
      expect((await read(9_990, 20_000)).equals(data.subarray(9_990))).toBe(true);
      expect((await read(10_000, 10_005)).length).toBe(0);
      expect((await read(0, 10_000)).equals(data)).toBe(true);
      await expect(store.get(key, { start: 5, end: 2 })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
      await expect(store.get(key, { start: -1, end: 2 })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
      await expect(store.get(`${ns}range/missing`, { start: 0, end: 1 })).rejects.toMatchObject({
        code: 'BLOB_NOT_FOUND',
      });
      await expect(store.get(`${ns}range/missing`, { start: 0, end: 0 })).rejects.toMatchObject({
        code: 'BLOB_NOT_FOUND',
      });
    });

    it('refuses a put of an existing key (BLOB_EXISTS), keeping the first bytes and not reading the body', async () => {
      const key = `${ns}once/a`;
      await store.put(key, Readable.from([Buffer.from('first')]));
      const body = patternBody(1_000_000);
      await expectRefused(() => store.put(key, body), 'BLOB_EXISTS');
      expect(body.destroyed).toBe(true);
      expect((await readAll(await store.get(key))).toString()).toBe('first');
    });

    it('refuses the second of two racing puts: the key created after the first one looked (write-once on the server side)', async () => {
      const key = `${ns}once/race`;
      let reading!: () => void;
      const firstRead = new Promise<void>((resolve) => (reading = resolve));
      const body = new PassThrough({
        read() {
          reading();
        },
      });
      const first = store.put(key, body);
      // The first put has passed its existence check once it reads its body.
      await firstRead;
      await store.put(key, Readable.from([Buffer.from('second, but finished first')]));
      body.end(Buffer.from('first, finished second'));
      await expect(first).rejects.toMatchObject({ name: 'MedshareError', code: 'BLOB_EXISTS' });
      expect((await readAll(await store.get(key))).toString()).toBe('second, but finished first');
      expect(await h.leftovers()).toEqual([]);
    });

    it("passes a body's own error through and leaves no object, no partial object, nothing behind", async () => {
      const key = `${ns}failed/body`;
      const before = await snapshot();
      await expect(store.put(key, patternBody(h.largeBytes * 2, { failAfter: h.largeBytes + 65_536 }))).rejects.toThrow(
        'body failed on purpose',
      );
      expect(await store.head(key)).toBeUndefined();
      expect(await snapshot()).toEqual(before);
      // The key is still free.
      await expect(store.put(key, Readable.from([Buffer.from('ok')]))).resolves.toEqual({ size: 2 });
    }, 120_000);

    it('refuses an empty body that fails at once the same way', async () => {
      const key = `${ns}failed/at-once`;
      const before = await snapshot();
      await expect(store.put(key, patternBody(10, { failAfter: 0 }))).rejects.toThrow('body failed on purpose');
      expect(await snapshot()).toEqual(before);
    });

    it.each([
      '',
      'A',
      'a b',
      '/a',
      'a/',
      'a//b',
      '.a',
      'a/.b',
      'a/./b',
      'a/../b',
      '..',
      '../x',
      'a\\b',
      'é',
      'a'.repeat(513),
    ])('refuses the key %j (INVALID_INPUT) in every call, store unchanged', async (bad) => {
      const key = bad.startsWith('/') || bad === '' ? bad : `${ns}${bad}`;
      for (const k of [key, bad]) {
        await expectRefused(() => store.put(k, Readable.from([Buffer.from('x')])), 'INVALID_INPUT');
        await expect(store.get(k)).rejects.toMatchObject({ code: 'INVALID_INPUT' });
        await expect(store.head(k)).rejects.toMatchObject({ code: 'INVALID_INPUT' });
        await expect(store.delete(k)).rejects.toMatchObject({ code: 'INVALID_INPUT' });
        await expect(store.copy(`${ns}round/1`, k)).rejects.toMatchObject({ code: 'INVALID_INPUT' });
      }
    });

    it('answers BLOB_NOT_FOUND for a missing object, undefined from head', async () => {
      await expect(store.get(`${ns}missing/x`)).rejects.toMatchObject({
        name: 'MedshareError',
        code: 'BLOB_NOT_FOUND',
      });
      expect(await store.head(`${ns}missing/x`)).toBeUndefined();
    });

    it('copies to a new key; refuses a missing source (BLOB_NOT_FOUND) and an existing target (BLOB_EXISTS)', async () => {
      const from = `${ns}copy/from`;
      const data = patternBytes(70_000);
      await store.put(from, Readable.from([data]));
      await store.copy(from, `${ns}copy/to`);
      expect((await readAll(await store.get(`${ns}copy/to`))).equals(data)).toBe(true);
      expect((await readAll(await store.get(from))).equals(data)).toBe(true);
      await expectRefused(() => store.copy(`${ns}copy/none`, `${ns}copy/other`), 'BLOB_NOT_FOUND');
      await store.put(`${ns}copy/taken`, Readable.from([Buffer.from('taken')]));
      await expectRefused(() => store.copy(from, `${ns}copy/taken`), 'BLOB_EXISTS');
      expect((await readAll(await store.get(`${ns}copy/taken`))).toString()).toBe('taken');
    });

    it('deletes idempotently, and a deleted key can be written again', async () => {
      const key = `${ns}del/x`;
      await store.put(key, Readable.from([Buffer.from('one')]));
      await store.delete(key);
      await store.delete(key);
      await store.delete(`${ns}del/never`);
      await expect(store.get(key)).rejects.toMatchObject({ code: 'BLOB_NOT_FOUND' });
      await store.put(key, Readable.from([Buffer.from('two')]));
      expect((await readAll(await store.get(key))).toString()).toBe('two');
    });

    it('lists after a key (startAfter), for a sweep that goes on where it stopped', async () => {
      const base = `${ns}after/`;
      for (const k of ['a', 'b', 'b.leaves', 'c']) await store.put(base + k, Readable.from([Buffer.from(k)]));
      const keys = async (startAfter?: string): Promise<string[]> => {
        const out: string[] = [];
        for await (const e of store.list(base, startAfter === undefined ? {} : { startAfter }))
          out.push(e.key.slice(base.length));
        return out;
      };
      expect(await keys()).toEqual(['a', 'b', 'b.leaves', 'c']);
      expect(await keys(`${base}a`)).toEqual(['b', 'b.leaves', 'c']);
      expect(await keys(`${base}b`)).toEqual(['b.leaves', 'c']);
      expect(await keys(`${base}c`)).toEqual([]);
    });

    describe('resumable writes', () => {
      /** A part as small as the store allows (S3: 5 MiB), so that three make an object. */
      const partOf = (): number => Math.max(store.minPartBytes, 64 * 1024);
      const pending = async (prefix: string): Promise<string[]> => {
        const out: string[] = [];
        for await (const p of store.listResumable(prefix)) out.push(p.key);
        return out;
      };

      it('stores parts, shows nothing under the key until complete, then the whole object; nothing is left behind', async () => {
        const key = `${ns}resumable/one`;
        const P = partOf();
        const data = patternBytes(2 * P + 1234);
        const write = await store.startResumable(key);
        expect(await pending(`${ns}resumable/`)).toEqual([key]);
        await write.writePart({ number: 1, offset: 0, length: P }, Readable.from([data.subarray(0, P)]));
        const second = data.subarray(P, 2 * P);
        const pieces = Array.from({ length: Math.ceil(P / 100_000) }, (_, i) =>
          second.subarray(i * 100_000, (i + 1) * 100_000),
        );
        await write.writePart({ number: 2, offset: P, length: P }, Readable.from(pieces));
        expect(await store.head(key)).toBeUndefined();
        expect((await listAll(store, `${ns}resumable/`)).map((e) => e.key)).toEqual([]);
        await write.writePart({ number: 3, offset: 2 * P, length: 1234 }, Readable.from([data.subarray(2 * P)]));
        await write.complete(3, data.length);
        expect(await store.head(key)).toEqual({ size: data.length });
        expect(sha(await readAll(await store.get(key)))).toBe(sha(data));
        expect(await pending(`${ns}resumable/`)).toEqual([]);
        expect(await h.leftovers()).toEqual([]);
      }, 120_000);

      it("a part whose body fails does not count (the body's error passes); written again, the object is whole", async () => {
        const key = `${ns}resumable/retried`;
        const P = partOf();
        const data = patternBytes(P + 10);
        const write = await store.startResumable(key);
        await expect(
          write.writePart({ number: 1, offset: 0, length: P }, patternBody(P, { failAfter: P / 2 })),
        ).rejects.toThrow('body failed on purpose');
        await write.writePart({ number: 1, offset: 0, length: P }, Readable.from([data.subarray(0, P)]));
        await write.writePart({ number: 2, offset: P, length: 10 }, Readable.from([data.subarray(P)]));
        await write.complete(2, data.length);
        expect(sha(await readAll(await store.get(key)))).toBe(sha(data));
        expect(await h.leftovers()).toEqual([]);
      }, 120_000);

      it('abort() removes every part: no object, no pending write, nothing left behind', async () => {
        const key = `${ns}resumable/aborted`;
        const before = await snapshot();
        const write = await store.startResumable(key);
        await write.writePart({ number: 1, offset: 0, length: 1000 }, Readable.from([patternBytes(1000)]));
        await write.abort();
        await write.abort();
        expect(await store.head(key)).toBeUndefined();
        expect(await pending(`${ns}resumable/`)).toEqual([]);
        expect(await snapshot()).toEqual(before);
      });

      it('listResumable() finds an unfinished write to abort (what a crashed process left)', async () => {
        const key = `${ns}resumable/left`;
        const t0 = Date.now();
        await store.startResumable(key);
        const found = [];
        for await (const p of store.listResumable(`${ns}resumable/`)) found.push(p);
        expect(found.map((p) => p.key)).toEqual([key]);
        expect(found[0]!.touchedAt).toBeGreaterThan(t0 - 120_000);
        await found[0]!.abort();
        expect(await pending(`${ns}resumable/`)).toEqual([]);
        expect(await h.leftovers()).toEqual([]);
      });

      it('an empty object completes with no part', async () => {
        const key = `${ns}resumable/empty`;
        const write = await store.startResumable(key);
        await write.complete(0, 0);
        expect(await store.head(key)).toEqual({ size: 0 });
        expect(await h.leftovers()).toEqual([]);
      });

      it('is write-once: refuses to start on an existing key, and to complete over a key created meanwhile (BLOB_EXISTS)', async () => {
        const key = `${ns}resumable/taken`;
        await store.put(key, Readable.from([Buffer.from('first')]));
        await expectRefused(() => store.startResumable(key), 'BLOB_EXISTS');
        const raced = `${ns}resumable/raced`;
        const write = await store.startResumable(raced);
        await write.writePart({ number: 1, offset: 0, length: 5 }, Readable.from([Buffer.from('later')]));
        await store.put(raced, Readable.from([Buffer.from('sooner')]));
        await expect(write.complete(1, 5)).rejects.toMatchObject({ code: 'BLOB_EXISTS' });
        await write.abort();
        expect((await readAll(await store.get(raced))).toString()).toBe('sooner');
        expect((await readAll(await store.get(key))).toString()).toBe('first');
        expect(await h.leftovers()).toEqual([]);
      });
    });

    it('lists by prefix in bytewise key order with sizes and times, nested keys included', async () => {
      const base = `${ns}list/`;
      const keys = ['b', 'a', 'a/b', 'a/b/c', 'a.b', 'a-b', 'a0', 'c.leaves', 'c'];
      const t0 = Date.now();
      for (const [i, k] of keys.entries()) await store.put(base + k, Readable.from([Buffer.alloc(i + 1)]));
      const all = await listAll(store, base);
      expect(all.map((e) => e.key)).toEqual([...keys].sort().map((k) => base + k));
      for (const e of all) {
        expect(e.size).toBe(keys.indexOf(e.key.slice(base.length)) + 1);
        expect(e.modifiedAt).toBeGreaterThan(t0 - 120_000);
        expect(e.modifiedAt).toBeLessThan(Date.now() + 120_000);
      }
      expect((await listAll(store, `${base}a`)).map((e) => e.key.slice(base.length))).toEqual([
        'a',
        'a-b',
        'a.b',
        'a/b',
        'a/b/c',
        'a0',
      ]);
      expect((await listAll(store, `${base}a/`)).map((e) => e.key.slice(base.length))).toEqual(['a/b', 'a/b/c']);
      expect((await listAll(store, `${base}c.`)).map((e) => e.key.slice(base.length))).toEqual(['c.leaves']);
      expect(await listAll(store, `${base}zzz`)).toEqual([]);
      expect(await listAll(store, `${ns}nothing-here/`)).toEqual([]);
      await expect(listAll(store, '../')).rejects.toMatchObject({ code: 'INVALID_INPUT' });
      await expect(listAll(store, 'A')).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    });
  });
}
