// SPDX-License-Identifier: Apache-2.0
import { PassThrough, Transform, Writable, type Readable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DEFAULT_CHUNK_BYTES, chunkLength, fileLayout, treeRoot, type FileLayout } from '@medshare/crypto/chunked-file';
import type { BlobStore, ResumableWrite } from './blob-store';
import { LeafQueue, MedshareError, fail, toError } from '@medshare/protocol';

/** What a finished upload body commits to (docs/protocol.md §16). */
export interface ChunkedDigest {
  readonly size: number;
  readonly chunkBytes: number;
  readonly chunks: number;
  /** leaf_i of every chunk, in order (32 bytes each). */
  readonly leaves: readonly Uint8Array[];
  readonly root: Uint8Array;
}

export interface ChunkLeavesOptions {
  readonly chunkBytes?: number;
  /** Refuse (PAYLOAD_TOO_LARGE) a body longer than this. */
  readonly maxBytes?: number;
}

/** A chunk size as §16 allows it, else INVALID_INPUT (it comes from a request header). */
export function checkChunkBytes(chunkBytes: number): number {
  try {
    fileLayout(0, chunkBytes);
  } catch (error) {
    throw fail('INVALID_INPUT', error instanceof Error ? error.message : 'chunkBytes is not allowed', error);
  }
  return chunkBytes;
}

function digestOf(layout: FileLayout, leaves: readonly Uint8Array[]): ChunkedDigest {
  const own = leaves.slice(0, layout.chunks);
  return Object.freeze({ ...layout, leaves: Object.freeze(own), root: treeRoot(own) });
}

/**
 * Passes a ciphertext of unknown length through unchanged while computing its §16 leaves and root
 * (a staged object read back, to re-promote it; docs/protocol.md §17). The leaf of a chunk hashes
 * its `final` flag before its bytes, and whether a chunk is the last is known only when more bytes
 * or the end arrive: so a complete chunk's leaf waits for the next byte (final = 0) or the end
 * (final = 1). The hashing runs in the leaf queue's worker thread. Memory: the chunk being
 * gathered and at most MAX_IN_FLIGHT chunks being hashed, and 32 bytes per leaf.
 */
export class ChunkLeaves extends Transform {
  readonly #chunkBytes: number;
  readonly #maxBytes: number;
  readonly #queue: LeafQueue;
  #slot: Uint8Array | undefined;
  #filled = 0;
  #size = 0;
  #chunks = 0;
  #digest: ChunkedDigest | undefined;

  constructor(options: ChunkLeavesOptions = {}) {
    super();
    this.#chunkBytes = checkChunkBytes(options.chunkBytes ?? DEFAULT_CHUNK_BYTES);
    this.#maxBytes = options.maxBytes ?? Number.MAX_SAFE_INTEGER;
    this.#queue = new LeafQueue(this.#chunkBytes, { onFailure: (error) => this.destroy(error) });
  }

  /** The digest once the stream has ended; throws before. */
  get digest(): ChunkedDigest {
    if (!this.#digest) throw new Error('ChunkLeaves: the stream has not ended');
    return this.#digest;
  }

  override _transform(data: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#size += data.length;
    if (this.#size > this.#maxBytes) {
      callback(fail('PAYLOAD_TOO_LARGE', `the upload is larger than ${this.#maxBytes} bytes`));
      return;
    }
    this.#consume(data, 0, callback);
  }

  override _flush(callback: TransformCallback): void {
    // The held chunk is the last; an empty body is one empty, final chunk (§16 layout).
    this.#closeChunk(true);
    this.#queue.whenDrained(() => {
      if (this.#queue.failure) {
        callback(this.#queue.failure);
        return;
      }
      this.#queue.close();
      try {
        this.#digest = digestOf(fileLayout(this.#size, this.#chunkBytes), this.#queue.leaves);
        callback();
      } catch (error) {
        callback(
          fail('PAYLOAD_TOO_LARGE', error instanceof Error ? error.message : 'the upload has too many chunks', error),
        );
      }
    });
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#queue.close();
    callback(error);
  }

  #consume(data: Buffer, offset: number, callback: TransformCallback): void {
    if (this.#queue.failure) {
      callback(this.#queue.failure);
      return;
    }
    while (offset < data.length) {
      // A full chunk with more bytes behind it is not the last one.
      if (this.#filled === this.#chunkBytes) {
        if (this.#queue.full) {
          this.#queue.whenRoom(() => this.#consume(data, offset, callback));
          return;
        }
        this.#closeChunk(false);
      }
      this.#slot ??= this.#queue.slot();
      const take = Math.min(this.#chunkBytes - this.#filled, data.length - offset);
      this.#slot.set(data.subarray(offset, offset + take), this.#filled);
      this.#filled += take;
      offset += take;
    }
    callback(null, data);
  }

  #closeChunk(final: boolean): void {
    const ciphertext = this.#slot ? this.#slot.subarray(0, this.#filled) : new Uint8Array(0);
    this.#slot = undefined;
    this.#filled = 0;
    this.#queue.submit(this.#chunks++, final, ciphertext);
  }
}

/** The leaves as stored beside the object (`files/<root>.leaves`): 32 bytes each, in order. */
export function leavesBytes(leaves: readonly Uint8Array[]): Buffer {
  return Buffer.concat(leaves);
}

/** A staging part's target size; S3 needs 5 MiB but for the last part, and a part is what a dropped upload may lose. */
const TARGET_PART_BYTES = 8 * 1024 * 1024;
/** S3 numbers a multipart upload's parts 1..10,000. */
const MAX_PARTS = 10_000;
/** Parts being stored at once by one upload: one finishing while the next one fills. */
const PARTS_IN_FLIGHT = 2;

/**
 * The part size of a resumable staging (docs/protocol.md §17): a multiple of `chunkBytes`, so
 * every committed offset is chunk-aligned and the leaves of the chunks before it are final; at
 * least the store's minimum part and 8 MiB; large enough that the file takes at most 10,000 parts.
 */
export function stagingPartBytes(
  layout: { size: number; chunkBytes: number },
  minPartBytes: number,
  targetPartBytes = TARGET_PART_BYTES,
): number {
  const want = Math.max(targetPartBytes, minPartBytes, Math.ceil(layout.size / MAX_PARTS));
  return Math.ceil(want / layout.chunkBytes) * layout.chunkBytes;
}

/** A part being written: its bytes go through `stream` into the store's writePart; `stored` is its failure, if any. */
interface OpenPart {
  readonly number: number;
  readonly offset: number;
  readonly end: number;
  readonly stream: PassThrough;
  readonly stored: Promise<Error | undefined>;
}

/**
 * One upload staged as `key` (a `staging/<uploadId>`) resumably, in parts of `partBytes` (a
 * multiple of the chunk size): each append streams the body from the committed offset on, into
 * the store's resumable write, while the leaf queue hashes each complete chunk (its final flag is
 * known from the begun size). A part counts once the store has it durably and the leaves of its
 * chunks are back; a body cut off (a dropped connection) leaves the parts that count, and the next
 * append goes on from there, so the root at the end covers every chunk across resumes, each
 * hashed once. The last byte completes the object. Memory: the chunk being gathered, at most
 * MAX_IN_FLIGHT chunks being hashed, the parts' stream buffers, and 32 bytes per leaf.
 */
export class ResumableStaging {
  readonly #store: BlobStore;
  readonly #key: string;
  readonly #layout: FileLayout;
  readonly partBytes: number;
  readonly #leaves: Uint8Array[] = [];
  #write: ResumableWrite | undefined;
  #committed = 0;
  #digest: ChunkedDigest | undefined;
  #active: { readonly body: Readable; readonly settled: Promise<unknown> } | undefined;
  #aborted = false;

  constructor(
    store: BlobStore,
    key: string,
    layout: { size: number; chunkBytes: number },
    options: { readonly targetPartBytes?: number } = {},
  ) {
    this.#store = store;
    this.#key = key;
    this.#layout = fileLayout(layout.size, checkChunkBytes(layout.chunkBytes));
    this.partBytes = stagingPartBytes(this.#layout, store.minPartBytes, options.targetPartBytes);
  }

  /** Bytes stored durably, with their leaves: a multiple of partBytes, or the size once complete. */
  get committed(): number {
    return this.#committed;
  }

  /** The digest once the last byte is stored and the object published. */
  get digest(): ChunkedDigest | undefined {
    return this.#digest;
  }

  /** Whether an append is running. */
  get active(): boolean {
    return this.#active !== undefined;
  }

  /**
   * Streams `body`, bytes `offset`.. of the upload, into the staging. Resolves with the digest
   * when the body ends the upload. Rejects with INTEGRITY_FAILED for a body longer than the begun
   * size or one that ends cleanly before it (the caller then aborts); with the body's own error
   * when it is cut off (the parts stored before stay); UPLOAD_OFFSET_MISMATCH for an offset other
   * than the committed one, or an append while another runs, or after the end.
   */
  append(body: Readable, offset: number): Promise<ChunkedDigest> {
    if (this.#aborted || this.#digest || this.#active || offset !== this.#committed) {
      body.resume();
      const why = this.#aborted
        ? 'the upload has ended'
        : this.#digest
          ? 'the upload is complete'
          : this.#active
            ? 'another PUT of this upload is running'
            : `the gateway has ${this.#committed} bytes of it, not ${offset}`;
      return Promise.reject(fail('UPLOAD_OFFSET_MISMATCH', `cannot continue the upload at ${offset}: ${why}`));
    }
    const run = this.#run(body, offset);
    const settled = run.catch(() => undefined);
    this.#active = { body, settled };
    void settled.then(() => (this.#active = undefined));
    return run;
  }

  /** Cuts a running append (what it stored durably stays) and waits until it has settled. */
  async interrupt(): Promise<void> {
    const active = this.#active;
    if (!active) return;
    active.body.destroy(fail('UPLOAD_OFFSET_MISMATCH', 'a newer request of the same upload took over'));
    await active.settled;
  }

  /** Removes every part and forgets the upload (a refused or expired one); a completed object stays. */
  async abort(): Promise<void> {
    this.#aborted = true;
    await this.interrupt();
    await this.#write?.abort();
  }

  async #run(body: Readable, offset: number): Promise<ChunkedDigest> {
    let write: ResumableWrite;
    try {
      write = this.#write ??= await this.#store.startResumable(this.#key);
    } catch (error) {
      body.destroy();
      throw error;
    }
    const queue = new LeafQueue(this.#layout.chunkBytes, { leaves: this.#leaves });
    const parts: OpenPart[] = [];
    try {
      const end = await this.#pump(body, offset, write, queue, parts);
      if (end < this.#layout.size)
        throw fail('INTEGRITY_FAILED', `the body ended at byte ${end}; the upload was begun for ${this.#layout.size}`);
      if (this.#layout.size === 0) queue.submit(0, true, new Uint8Array(0));
      await this.#settle(parts, queue);
      if (this.#committed !== this.#layout.size) throw await firstFailure(parts, this.#key);
      await write.complete(Math.ceil(this.#layout.size / this.partBytes), this.#layout.size);
      this.#digest = digestOf(this.#layout, this.#leaves);
      return this.#digest;
    } catch (error) {
      // The part being filled is cut; the parts already sent whole may still finish and count.
      for (const part of parts) if (!part.stream.writableEnded) part.stream.destroy(toError(error));
      await this.#settle(parts, queue).catch(() => undefined);
      throw error;
    } finally {
      queue.close();
    }
  }

  /** Reads the body into parts and chunks; resolves with the position after its last byte. */
  async #pump(
    body: Readable,
    offset: number,
    write: ResumableWrite,
    queue: LeafQueue,
    parts: OpenPart[],
  ): Promise<number> {
    const { size, chunkBytes } = this.#layout;
    let pos = offset;
    let part: OpenPart | undefined;
    let slot: Uint8Array | undefined;
    let filled = 0;
    for await (const data of body as AsyncIterable<Buffer>) {
      let at = 0;
      while (at < data.length) {
        if (pos >= size)
          throw fail('INTEGRITY_FAILED', `the body is longer than the ${size} bytes the upload was begun for`);
        part ??= this.#openPart(write, pos, parts);
        const index = Math.floor(pos / chunkBytes);
        const want = chunkLength(this.#layout, index);
        slot ??= queue.slot(want);
        const take = Math.min(want - filled, data.length - at, part.end - pos);
        const piece = data.subarray(at, at + take);
        slot.set(piece, filled);
        filled += take;
        at += take;
        pos += take;
        if (filled === want) {
          if (queue.full) await new Promise<void>((resolve) => queue.whenRoom(resolve));
          if (queue.failure) throw queue.failure;
          queue.submit(index, index === this.#layout.chunks - 1, slot);
          slot = undefined;
          filled = 0;
        }
        if (!part.stream.write(piece)) await drained(part);
        if (pos === part.end) {
          part.stream.end();
          part = undefined;
          // One part finishing while the next fills; a third waits for the oldest.
          const failure = await parts.at(-PARTS_IN_FLIGHT)?.stored;
          if (failure) throw failure;
        }
      }
    }
    return pos;
  }

  #openPart(write: ResumableWrite, offset: number, parts: OpenPart[]): OpenPart {
    const number = Math.floor(offset / this.partBytes) + 1;
    const end = Math.min(offset + this.partBytes, this.#layout.size);
    const stream = new PassThrough();
    const stored = write.writePart({ number, offset, length: end - offset }, stream).then(
      () => undefined,
      (error: unknown) => {
        stream.destroy();
        return toError(error);
      },
    );
    const part = { number, offset, end, stream, stored };
    parts.push(part);
    return part;
  }

  /** Waits for every part and leaf; the committed offset is then the end of the parts stored whose leaves are all back. */
  async #settle(parts: readonly OpenPart[], queue: LeafQueue): Promise<void> {
    const failures = await Promise.all(parts.map((p) => p.stored));
    await new Promise<void>((resolve) => queue.whenDrained(resolve));
    let committed = this.#committed;
    for (const [i, part] of parts.entries()) {
      if (failures[i] || part.offset !== committed || !this.#hashed(part)) break;
      committed = part.end;
    }
    this.#committed = committed;
    // Leaves past the committed offset belong to bytes that will be sent again.
    const kept = committed === this.#layout.size ? this.#layout.chunks : committed / this.#layout.chunkBytes;
    this.#leaves.length = Math.min(this.#leaves.length, kept);
    if (queue.failure) throw queue.failure;
  }

  #hashed(part: OpenPart): boolean {
    const { chunkBytes } = this.#layout;
    const last = Math.max(Math.ceil(part.end / chunkBytes), 1);
    for (let i = Math.floor(part.offset / chunkBytes); i < last; i++) if (!this.#leaves[i]) return false;
    return true;
  }
}

/** Why the parts did not all count: the first part's failure, else the store's silence. */
async function firstFailure(parts: readonly OpenPart[], key: string): Promise<Error> {
  for (const part of parts) {
    const failure = await part.stored;
    if (failure) return failure;
  }
  return fail('STORAGE_UNAVAILABLE', `the store did not keep every part of ${key}`);
}

/** Resolves when the part's stream takes more, or rejects when its store write has failed. */
function drained(part: OpenPart): Promise<void> {
  if (part.stream.destroyed) return Promise.reject(fail('STORAGE_UNAVAILABLE', 'the store stopped taking a part'));
  return new Promise<void>((resolve, reject) => {
    const done = (): void => {
      part.stream.off('drain', done);
      part.stream.off('close', closed);
      resolve();
    };
    const closed = (): void => {
      part.stream.off('drain', done);
      reject(fail('STORAGE_UNAVAILABLE', 'the store stopped taking a part'));
    };
    part.stream.once('drain', done);
    part.stream.once('close', closed);
  });
}

/**
 * Recomputes the §16 digest of a stored object (a staged upload re-promoted after a crash, whose
 * leaves were not kept): the object streamed through ChunkLeaves.
 */
export async function digestOfStored(store: BlobStore, key: string, chunkBytes: number): Promise<ChunkedDigest> {
  const hasher = new ChunkLeaves({ chunkBytes });
  // The bytes pass through to nowhere; only the leaves are kept.
  await pipeline(await store.get(key), hasher, new Writable({ write: (_chunk, _encoding, done) => done() }));
  return hasher.digest;
}

/** Whether an error ends an upload (INTEGRITY_FAILED: other bytes than begun) rather than interrupting it. */
export function endsUpload(error: unknown): boolean {
  return error instanceof MedshareError && error.code === 'INTEGRITY_FAILED';
}
