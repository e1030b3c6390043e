// SPDX-License-Identifier: Apache-2.0
import { randomUUID } from 'node:crypto';
import { createWriteStream, constants as fsConstants, type Dirent, type WriteStream } from 'node:fs';
import { access, copyFile, link, mkdir, open, readdir, rm, stat, truncate, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fail } from '@medshare/protocol';
import {
  assertBlobKey,
  assertBlobPrefix,
  assertBlobRange,
  type BlobListing,
  type BlobPart,
  type BlobRange,
  type BlobStore,
  type ListOptions,
  type PendingWrite,
  type ResumableWrite,
} from './blob-store';
import { errnoOf, fileStoreFailure } from './storage-errors';

/**
 * On disk, object `a/b/c` is the file `<dir>/a/b/c~`: the suffix is outside the key alphabet,
 * so an object's file never has the name of another key's folder (`a/b` and `a/b/c` can both
 * exist, as in S3), and nothing else in the folder passes for an object.
 */
const OBJECT_SUFFIX = '~';
/** Temporary files of puts and copies in progress; keys never start a segment with a dot. */
const TEMP_DIR = '.tmp';
/**
 * Resumable writes in progress, one part file each, named by the key with `~` for `/` (outside
 * the key alphabet, so the name gives the key back); the file sweep (files/file-service.ts)
 * aborts the abandoned ones, not ready().
 */
const PARTS_DIR = '.parts';
/** A part file's name must stay a file name: keys of resumable writes are at most this long. */
const MAX_RESUMABLE_KEY = 200;
/** A temporary file older than this is a crashed put's: ready() deletes it. */
const STALE_TEMP_MS = 60 * 60 * 1000;

export interface EmbeddedBlobStoreOptions {
  /** The store's folder (`<dataDir>/blobs`). */
  readonly dir: string;
}

/**
 * The embedded backend (what `npm start` uses): each object a file under one folder, written to a
 * temporary file, fsync'd, then hard-linked into place. link(2) fails if the name exists, so a
 * put is atomic and write-once even against a concurrent put of the same key, and a crash leaves
 * at most a temporary file, never a partial object.
 */
const READ_BYTES = 1024 * 1024;

export class EmbeddedBlobStore implements BlobStore {
  readonly kind = 'embedded' as const;
  readonly minPartBytes = 1;
  readonly #dir: string;
  readonly #tempDir: string;
  readonly #partsDir: string;

  constructor(options: EmbeddedBlobStoreOptions) {
    this.#dir = options.dir;
    this.#tempDir = join(options.dir, TEMP_DIR);
    this.#partsDir = join(options.dir, PARTS_DIR);
  }

  #path(key: string): string {
    return join(this.#dir, ...key.split('/')) + OBJECT_SUFFIX;
  }

  async put(key: string, body: Readable): Promise<{ size: number }> {
    try {
      assertBlobKey(key);
      const path = this.#path(key);
      if (await this.#exists(path, key)) throw fail('BLOB_EXISTS', `object ${key} already exists`);
      return await this.#write(path, key, body);
    } catch (error) {
      // Refused before or while reading: the body is not read on.
      body.destroy();
      throw error;
    }
  }

  async #write(path: string, key: string, body: Readable): Promise<{ size: number }> {
    const temp = await this.#tempFile(key);
    const out = createWriteStream(temp, { flags: 'wx', mode: 0o600, flush: true });
    try {
      const size = await writeBody(body, out, key);
      await this.#publish(temp, path, key);
      return { size };
    } finally {
      // A body that fails at once can end the pipeline before the file is even opened: wait until
      // the write stream has closed (opened and closed, or failed), or the rm would run before the
      // open creates the file and leave it behind.
      if (!out.closed) await new Promise<void>((done) => out.once('close', () => done()));
      await rm(temp, { force: true });
    }
  }

  async get(key: string, range?: BlobRange): Promise<Readable> {
    assertBlobKey(key);
    if (range) assertBlobRange(range);
    let handle;
    try {
      handle = await open(this.#path(key), 'r');
      const { size } = await handle.stat();
      const start = range?.start ?? 0;
      const end = Math.min(range?.end ?? size, size);
      if (start >= end) {
        await handle.close();
        return Readable.from([]);
      }
      // The open handle keeps the bytes readable even if the object is deleted meanwhile. Reads of
      // 1 MiB (a default chunk) rather than Node's 64 KiB: a sixteenth of the thread-pool round trips.
      return handle.createReadStream({ start, end: end - 1, autoClose: true, highWaterMark: READ_BYTES });
    } catch (error) {
      await handle?.close();
      throw fileStoreFailure(error, key);
    }
  }

  async head(key: string): Promise<{ size: number } | undefined> {
    assertBlobKey(key);
    try {
      const info = await stat(this.#path(key));
      return { size: info.size };
    } catch (error) {
      if (errnoOf(error) === 'ENOENT') return undefined;
      throw fileStoreFailure(error, key);
    }
  }

  async copy(from: string, to: string): Promise<void> {
    assertBlobKey(from, 'from');
    assertBlobKey(to, 'to');
    const source = this.#path(from);
    const target = this.#path(to);
    if (!(await this.#exists(source, from))) throw fail('BLOB_NOT_FOUND', `no object ${from}`);
    if (await this.#exists(target, to)) throw fail('BLOB_EXISTS', `object ${to} already exists`);
    const temp = await this.#tempFile(to);
    try {
      try {
        await copyFile(source, temp, fsConstants.COPYFILE_EXCL);
      } catch (error) {
        throw fileStoreFailure(error, from);
      }
      const handle = await open(temp, 'r+');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
      await this.#publish(temp, target, to);
    } catch (error) {
      throw fileStoreFailure(error, to);
    } finally {
      await rm(temp, { force: true });
    }
  }

  async delete(key: string): Promise<void> {
    assertBlobKey(key);
    try {
      await unlink(this.#path(key));
    } catch (error) {
      if (errnoOf(error) !== 'ENOENT') throw fileStoreFailure(error, key);
    }
  }

  async *list(prefix: string, options: ListOptions = {}): AsyncIterable<BlobListing> {
    assertBlobPrefix(prefix);
    const cut = prefix.lastIndexOf('/');
    const folder = prefix.slice(0, cut + 1);
    const start = join(this.#dir, ...folder.split('/').filter((s) => s.length > 0));
    const after = options.startAfter;
    for await (const entry of this.#walk(start, folder, prefix.slice(cut + 1)))
      if (after === undefined || entry.key > after) yield entry;
  }

  async startResumable(key: string): Promise<ResumableWrite> {
    assertBlobKey(key);
    if (key.length > MAX_RESUMABLE_KEY)
      throw fail('INVALID_INPUT', `a resumable write's key is at most ${MAX_RESUMABLE_KEY} characters`);
    const path = this.#path(key);
    if (await this.#exists(path, key)) throw fail('BLOB_EXISTS', `object ${key} already exists`);
    const parts = join(this.#partsDir, key.replaceAll('/', '~'));
    try {
      await mkdir(this.#partsDir, { recursive: true, mode: 0o700 });
      await (await open(parts, 'wx', 0o600)).close();
    } catch (error) {
      if (errnoOf(error) === 'EEXIST') throw fail('BLOB_EXISTS', `a write of ${key} is already in progress`, error);
      throw fileStoreFailure(error, key);
    }
    return new EmbeddedResumableWrite(key, parts, (temp) => this.#publish(temp, path, key));
  }

  async *listResumable(prefix: string): AsyncIterable<PendingWrite> {
    assertBlobPrefix(prefix);
    let names: string[];
    try {
      names = await readdir(this.#partsDir);
    } catch (error) {
      if (errnoOf(error) === 'ENOENT') return;
      throw fileStoreFailure(error, prefix);
    }
    for (const name of names.sort()) {
      const key = name.replaceAll('~', '/');
      if (!key.startsWith(prefix)) continue;
      const path = join(this.#partsDir, name);
      const info = await stat(path).catch(() => undefined);
      if (!info) continue;
      yield { key, touchedAt: Math.floor(info.mtimeMs), abort: () => rm(path, { force: true }) };
    }
  }

  /**
   * Depth-first in S3's order: siblings sorted by the key text they stand for (a file `x~` for
   * the key `…x`, a folder `x` for keys `…x/…`), which is bytewise key order, since no sibling's
   * text falls inside another folder's `x/` range.
   */
  async *#walk(dir: string, keyPrefix: string, namePrefix: string): AsyncGenerator<BlobListing> {
    let entries: Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (error) {
      if (errnoOf(error) === 'ENOENT' || errnoOf(error) === 'ENOTDIR') return;
      throw fileStoreFailure(error, keyPrefix);
    }
    const children: { text: string; name: string; folder: boolean }[] = [];
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue;
      if (entry.isDirectory()) children.push({ text: `${entry.name}/`, name: entry.name, folder: true });
      else if (entry.isFile() && entry.name.endsWith(OBJECT_SUFFIX))
        children.push({ text: entry.name.slice(0, -1), name: entry.name, folder: false });
    }
    children.sort((a, b) => (a.text < b.text ? -1 : a.text > b.text ? 1 : 0));
    for (const child of children) {
      if (!child.text.startsWith(namePrefix)) continue;
      const path = join(dir, child.name);
      if (child.folder) {
        yield* this.#walk(path, keyPrefix + child.text, '');
        continue;
      }
      try {
        const info = await stat(path);
        yield { key: keyPrefix + child.text, size: info.size, modifiedAt: Math.floor(info.mtimeMs) };
      } catch (error) {
        // Deleted between readdir and stat: not listed.
        if (errnoOf(error) !== 'ENOENT') throw fileStoreFailure(error, keyPrefix + child.text);
      }
    }
  }

  async ready(): Promise<void> {
    try {
      await mkdir(this.#tempDir, { recursive: true, mode: 0o700 });
      await access(this.#dir, fsConstants.W_OK);
      const now = Date.now();
      for (const name of await readdir(this.#tempDir)) {
        const path = join(this.#tempDir, name);
        const info = await stat(path).catch(() => undefined);
        if (info && now - info.mtimeMs > STALE_TEMP_MS) await rm(path, { force: true });
      }
    } catch (error) {
      throw fail(
        'STORAGE_UNAVAILABLE',
        `the embedded object store's folder is not usable (${errnoOf(error) ?? 'an I/O error'})`,
        error,
      );
    }
  }

  async close(): Promise<void> {
    // Nothing is held open between calls; streams returned by get() close themselves.
  }

  async #exists(path: string, key: string): Promise<boolean> {
    try {
      await stat(path);
      return true;
    } catch (error) {
      if (errnoOf(error) === 'ENOENT') return false;
      throw fileStoreFailure(error, key);
    }
  }

  async #tempFile(key: string): Promise<string> {
    try {
      await mkdir(this.#tempDir, { recursive: true, mode: 0o700 });
    } catch (error) {
      throw fileStoreFailure(error, key);
    }
    return join(this.#tempDir, randomUUID());
  }

  /** Links the complete, fsync'd temporary file into place (EEXIST if the key exists), then makes the new name durable. */
  async #publish(temp: string, path: string, key: string): Promise<void> {
    const folder = dirname(path);
    try {
      await mkdir(folder, { recursive: true, mode: 0o700 });
      await link(temp, path);
      const handle = await open(folder, 'r');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
    } catch (error) {
      throw fileStoreFailure(error, key);
    }
  }
}

/**
 * Pipes `body` into the file stream `out` and counts its bytes. pipeline() destroys every stream
 * with the first error, so the first stream to report one is where it came from: the body's own
 * error (a client abort, a refusal by the stream that fed it) is the caller's and passes
 * unchanged; only the file's side is mapped.
 */
async function writeBody(body: Readable, out: WriteStream, key: string): Promise<number> {
  let size = 0;
  let origin: 'body' | 'file' | undefined;
  body.once('error', () => (origin ??= 'body'));
  out.once('error', () => (origin ??= 'file'));
  try {
    await pipeline(
      body,
      async function* count(source: AsyncIterable<Buffer>) {
        for await (const chunk of source) {
          size += chunk.length;
          yield chunk;
        }
      },
      out,
    );
  } catch (error) {
    throw origin === 'file' ? fileStoreFailure(error, key) : error;
  }
  return size;
}

/**
 * A resumable write on disk: one part file, each part written at its offset with its own stream
 * and fsync'd before it counts (`flush`), published by the store's atomic link once complete.
 */
class EmbeddedResumableWrite implements ResumableWrite {
  #done = false;

  constructor(
    readonly key: string,
    private readonly path: string,
    private readonly publish: (temp: string) => Promise<void>,
  ) {}

  async writePart(part: BlobPart, body: Readable): Promise<void> {
    if (this.#done) throw fail('INTERNAL', `the write of ${this.key} is over`);
    const out = createWriteStream(this.path, { flags: 'r+', start: part.offset, flush: true });
    // Durable means fsync'd and closed (`flush` syncs before the close, which comes after 'finish').
    const closed = new Promise<void>((resolve, reject) => {
      out.once('close', () => resolve());
      out.once('error', reject);
    });
    let size: number;
    try {
      size = await writeBody(body, out, this.key);
    } catch (error) {
      await closed.catch(() => undefined);
      throw error;
    }
    try {
      await closed;
    } catch (error) {
      throw fileStoreFailure(error, this.key);
    }
    if (size !== part.length)
      throw fail('INTERNAL', `part ${part.number} of ${this.key} got ${size} bytes, not ${part.length}`);
  }

  async complete(_parts: number, size: number): Promise<void> {
    try {
      // A part written after the last one that counted may have left bytes past the end.
      await truncate(this.path, size);
      const handle = await open(this.path, 'r+');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
    } catch (error) {
      throw fileStoreFailure(error, this.key);
    }
    await this.publish(this.path);
    this.#done = true;
    await rm(this.path, { force: true });
  }

  async abort(): Promise<void> {
    if (this.#done) return;
    this.#done = true;
    await rm(this.path, { force: true });
  }
}
