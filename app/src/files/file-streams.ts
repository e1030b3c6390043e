// SPDX-License-Identifier: Apache-2.0
/**
 * The SDK's side of the chunked file format (docs/protocol.md §16), as streams that hold one
 * chunk at a time: encrypting a file for upload, and verifying then decrypting it on download.
 */
import { createCipheriv, randomBytes, type Cipheriv } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { Transform, pipeline, type Readable, type TransformCallback } from 'node:stream';
import { pipeline as pipelineAsync } from 'node:stream/promises';
import {
  DEFAULT_CHUNK_BYTES,
  FILE_KEY_BYTES,
  LEAF_BYTES,
  chunkIv,
  chunkLength,
  fileLayout,
  leafHash,
  treeRoot,
  type FileLayout,
} from '@medshare/crypto/chunked-file';
import { fail } from '@medshare/protocol';
import { ChunkSlots, LeafHasher, LeafQueue, MAX_IN_FLIGHT, toError } from '@medshare/protocol';

/** SM4 of a checked chunk runs in slices of this size, the event loop turning between them. */
const DECRYPT_SLICE_BYTES = 64 * 1024;

/** What an encrypted file commits to: the §16 layout, its leaves and their root. */
export interface FileDigest {
  readonly size: number;
  readonly chunkBytes: number;
  readonly chunks: number;
  readonly leaves: readonly Uint8Array[];
  readonly root: Uint8Array;
}

function layoutOf(size: number, chunkBytes: number): FileLayout {
  try {
    return fileLayout(size, chunkBytes);
  } catch (error) {
    throw fail('INVALID_INPUT', error instanceof Error ? error.message : 'the file layout is not allowed', error);
  }
}

function checkKey(key: Uint8Array): void {
  if (!(key instanceof Uint8Array) || key.length !== FILE_KEY_BYTES)
    throw new RangeError(`key must be the ${FILE_KEY_BYTES}-byte file encryption key`);
}

export interface ChunkEncryptorOptions {
  readonly key: Uint8Array;
  readonly chunkBytes?: number;
  /**
   * The index of the stream's first chunk (a resumed upload encrypts the file from that chunk
   * on): its IV and leaf are chunk `firstChunk`'s. Default 0.
   */
  readonly firstChunk?: number;
  /** Where the leaves go, by chunk index: a resumed upload passes the array holding the earlier chunks' leaves. */
  readonly leaves?: Uint8Array[];
}

/**
 * Plaintext in, ciphertext out: each chunk SM4-CTR encrypted under the file key (§16 chunk i),
 * pushed piece by piece as its plaintext arrives. A leaf needs its chunk's `final` flag, known
 * only when more bytes or the end arrive: when chunk i starts, chunk i−1's ciphertext goes to the
 * leaf queue's worker thread, which computes its leaf while this thread encrypts chunk i; the
 * last leaf is computed at the end, and `digest` is set when the stream ends. A file of one
 * chunk starts no worker. Memory: the chunk being encrypted and at most MAX_IN_FLIGHT
 * ciphertexts waiting for their leaves (a write waits while that many are).
 */
export class ChunkEncryptor extends Transform {
  readonly #key: Uint8Array;
  readonly #chunkBytes: number;
  readonly #firstChunk: number;
  readonly #queue: LeafQueue;
  #cipher: Cipheriv | undefined;
  #slot: Uint8Array | undefined;
  #filled = 0;
  #size = 0;
  #chunks: number;
  #pending: Uint8Array | undefined;
  #digest: FileDigest | undefined;

  constructor(options: ChunkEncryptorOptions) {
    super();
    checkKey(options.key);
    this.#key = options.key;
    this.#chunkBytes = layoutOf(0, options.chunkBytes ?? DEFAULT_CHUNK_BYTES).chunkBytes;
    this.#firstChunk = options.firstChunk ?? 0;
    if (!Number.isSafeInteger(this.#firstChunk) || this.#firstChunk < 0)
      throw new RangeError('firstChunk must be a chunk index');
    this.#chunks = this.#firstChunk;
    this.#queue = new LeafQueue(this.#chunkBytes, {
      ...(options.leaves ? { leaves: options.leaves } : {}),
      onFailure: (error) => this.destroy(error),
    });
  }

  get digest(): FileDigest {
    if (!this.#digest) throw new Error('ChunkEncryptor: the stream has not ended');
    return this.#digest;
  }

  /** The leaves computed so far, by chunk index (a stream cut short leaves holes after the last one hashed). */
  get leaves(): readonly Uint8Array[] {
    return this.#queue.leaves;
  }

  override _transform(data: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#size += data.length;
    this.#consume(data, 0, callback);
  }

  override _flush(callback: TransformCallback): void {
    try {
      if (this.#cipher) this.#endChunk();
      // The empty first chunk of an empty file (§16: every file has one chunk).
      if (this.#chunks === 0) {
        this.#pending = new Uint8Array(0);
        this.#chunks = 1;
      }
      this.#settle(true);
      layoutOf(this.#firstChunk * this.#chunkBytes + this.#size, this.#chunkBytes);
    } catch (error) {
      callback(toError(error));
      return;
    }
    this.#finish(callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#queue.close();
    callback(error);
  }

  #consume(data: Buffer, offset: number, callback: TransformCallback): void {
    try {
      if (this.#queue.failure) throw this.#queue.failure;
      while (offset < data.length) {
        if (this.#cipher === undefined) {
          // A new chunk follows the pending one: that one was not the last.
          if (this.#pending !== undefined) {
            if (this.#queue.full) {
              this.#queue.whenRoom(() => this.#consume(data, offset, callback));
              return;
            }
            this.#settle(false);
          }
          this.#cipher = createCipheriv('sm4-ctr', this.#key, chunkIv(this.#chunks));
          this.#slot = this.#queue.slot();
          this.#filled = 0;
        }
        const take = Math.min(this.#chunkBytes - this.#filled, data.length - offset);
        const ciphertext = this.#cipher.update(data.subarray(offset, offset + take));
        (this.#slot as Uint8Array).set(ciphertext, this.#filled);
        this.#filled += take;
        offset += take;
        this.push(ciphertext);
        if (this.#filled === this.#chunkBytes) this.#endChunk();
      }
      callback();
    } catch (error) {
      callback(toError(error));
    }
  }

  #endChunk(): void {
    // SM4-CTR is a stream mode: final() has nothing left.
    if ((this.#cipher as Cipheriv).final().length !== 0) throw new Error('ChunkEncryptor: SM4-CTR left bytes');
    this.#pending = (this.#slot as Uint8Array).subarray(0, this.#filled);
    this.#cipher = undefined;
    this.#slot = undefined;
    this.#chunks++;
  }

  #settle(final: boolean): void {
    const bytes = this.#pending;
    if (bytes === undefined) return;
    this.#pending = undefined;
    this.#queue.submit(this.#chunks - 1, final, bytes);
  }

  #finish(callback: TransformCallback): void {
    this.#queue.whenDrained(() => {
      try {
        if (this.#queue.failure) throw this.#queue.failure;
        this.#queue.close();
        const leaves = this.#queue.leaves;
        const size = this.#firstChunk * this.#chunkBytes + this.#size;
        const chunks = this.#chunks;
        for (let i = 0; i < chunks; i++)
          if (!leaves[i])
            throw new Error(`ChunkEncryptor: no leaf for chunk ${i} (a resumed stream needs the earlier leaves)`);
        this.#digest = Object.freeze({
          size,
          chunkBytes: this.#chunkBytes,
          chunks,
          leaves: Object.freeze(leaves.slice(0, chunks)),
          root: treeRoot(leaves.slice(0, chunks)),
        });
        callback();
      } catch (error) {
        callback(toError(error));
      }
    });
  }
}

/** A file's plaintext read chunk by chunk and encrypted: `stream` is the ciphertext, `encryptor.digest` its commitment once it ends. */
export function encryptFileStream(
  path: string,
  options: ChunkEncryptorOptions,
): { stream: Readable; encryptor: ChunkEncryptor } {
  const encryptor = new ChunkEncryptor(options);
  const chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
  const source = createReadStream(path, {
    highWaterMark: chunkBytes,
    start: (options.firstChunk ?? 0) * chunkBytes,
  });
  return { stream: pipeline(source, encryptor, () => undefined), encryptor };
}

/**
 * The stored leaves (`files/<root>.leaves`, 32 bytes each) checked against the ledger's root and
 * the file's layout: the list a ChunkDecryptor checks each chunk against. INTEGRITY_FAILED when
 * the count is wrong or the tree's root is not the one committed.
 */
export function checkedLeaves(
  bytes: Uint8Array,
  expected: { readonly root: Uint8Array; readonly size: number; readonly chunkBytes: number },
): Uint8Array[] {
  const layout = layoutOf(expected.size, expected.chunkBytes);
  if (bytes.length !== layout.chunks * LEAF_BYTES)
    throw fail(
      'INTEGRITY_FAILED',
      `the file has ${layout.chunks} chunks but ${bytes.length / LEAF_BYTES} leaves were given`,
    );
  const leaves: Uint8Array[] = [];
  for (let i = 0; i < layout.chunks; i++) leaves.push(bytes.slice(i * LEAF_BYTES, (i + 1) * LEAF_BYTES));
  if (!equalBytes(treeRoot(leaves), expected.root))
    throw fail('INTEGRITY_FAILED', "the leaves' root is not the file's root");
  return leaves;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}

export interface ChunkDecryptorOptions {
  readonly key: Uint8Array;
  readonly size: number;
  readonly chunkBytes: number;
  /** The leaves, already checked against the ledger's root (checkedLeaves). */
  readonly leaves: readonly Uint8Array[];
  /** The first chunk of the stream (a download resumed with a Range starting at a chunk boundary). */
  readonly firstChunk?: number;
}

interface Verification {
  readonly index: number;
  readonly bytes: Uint8Array;
  leaf?: Uint8Array;
  error?: Error;
}

/**
 * Ciphertext in, plaintext out, each chunk checked against its leaf BEFORE it is decrypted: the
 * first chunk whose leaf differs (altered, reordered, swapped), an extra byte or a short stream
 * fails the stream with INTEGRITY_FAILED and no plaintext of that chunk is pushed. The last
 * chunk's plaintext is held until the end of the stream, so that an extra byte after it is
 * refused before it is released. The leaves are computed on a worker thread (leaf-hasher): the
 * worker hashes chunk i+1 while this thread decrypts chunk i, whose leaf has been checked; a
 * stream of one chunk starts no worker, and the chunks that come before the worker has started
 * are hashed on this thread. Memory: the chunk being gathered and at most
 * MAX_IN_FLIGHT chunks being verified or decrypted (a write waits while that many are).
 */
export class ChunkDecryptor extends Transform {
  readonly #key: Uint8Array;
  readonly #layout: FileLayout;
  readonly #leaves: readonly Uint8Array[];
  readonly #hasher = new LeafHasher();
  readonly #slots: ChunkSlots;
  /** Whether the leaf worker has answered: until then (it takes 30–50 ms to start) chunks are hashed here. */
  #warm = false;
  #index: number;
  #slot: Uint8Array | undefined;
  #filled = 0;
  /** Chunks gathered and not yet decrypted, in order. */
  readonly #queue: Verification[] = [];
  /** The last chunk's plaintext, pushed at the end. */
  #held: Buffer[] = [];
  #decrypting = false;
  /** The decryption's next step, deferred while the consumer has a chunk of plaintext unread. */
  #paused: (() => void) | undefined;
  #failure: Error | undefined;
  #waiting: (() => void) | undefined;

  constructor(options: ChunkDecryptorOptions) {
    const layout = layoutOf(options.size, options.chunkBytes);
    // Up to a chunk of plaintext may wait for the consumer: SM4 goes on while a file write is in
    // the thread pool, instead of stopping at every 64 KiB (Node's default).
    super({ readableHighWaterMark: layout.chunkBytes });
    checkKey(options.key);
    this.#key = options.key;
    this.#layout = layout;
    if (options.leaves.length !== this.#layout.chunks)
      throw fail(
        'INTEGRITY_FAILED',
        `the file has ${this.#layout.chunks} chunks but ${options.leaves.length} leaves were given`,
      );
    this.#leaves = options.leaves;
    this.#index = options.firstChunk ?? 0;
    if (!Number.isSafeInteger(this.#index) || this.#index < 0 || this.#index >= this.#layout.chunks)
      throw new RangeError('firstChunk must be a chunk index of the file');
    this.#slots = new ChunkSlots(this.#layout.chunkBytes);
    // A stream of one chunk starts no worker. Otherwise the worker starts now, with an empty job,
    // rather than on the first chunk: a worker's start costs several chunks' SM4, and the chunks
    // that arrive before it answers are hashed on this thread instead of waiting for it.
    if (this.#layout.chunks - this.#index > 1)
      this.#hasher.hash(0, false, new Uint8Array(0)).then(
        () => (this.#warm = true),
        () => undefined,
      );
  }

  override _transform(data: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#consume(data, 0, callback);
  }

  override _flush(callback: TransformCallback): void {
    // An empty file's one chunk is empty: it is complete before any byte arrives.
    if (this.#index === this.#layout.chunks - 1 && this.#layout.size === 0 && this.#filled === 0) {
      this.#slot = new Uint8Array(0);
      this.#submit();
    }
    this.#finish(callback);
  }

  override _read(size: number): void {
    const paused = this.#paused;
    this.#paused = undefined;
    if (paused) setImmediate(paused);
    super._read(size);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#hasher.close();
    this.#held = [];
    this.#paused = undefined;
    callback(error);
  }

  #consume(data: Buffer, offset: number, callback: TransformCallback): void {
    try {
      if (this.#failure) throw this.#failure;
      while (offset < data.length) {
        if (this.#index >= this.#layout.chunks) {
          // The chunks before the extra byte are judged first, as they came first.
          if (this.#queue.length > 0) {
            this.#waiting = () => this.#consume(data, offset, callback);
            return;
          }
          throw fail('INTEGRITY_FAILED', `the stream is longer than the file's ${this.#layout.size} bytes`);
        }
        const want = chunkLength(this.#layout, this.#index);
        if (this.#slot === undefined) {
          if (this.#queue.length >= MAX_IN_FLIGHT) {
            this.#waiting = () => this.#consume(data, offset, callback);
            return;
          }
          this.#slot = this.#slots.take(want);
          this.#filled = 0;
        }
        const take = Math.min(want - this.#filled, data.length - offset);
        this.#slot.set(data.subarray(offset, offset + take), this.#filled);
        this.#filled += take;
        offset += take;
        if (this.#filled === want) this.#submit();
      }
      callback();
    } catch (error) {
      callback(toError(error));
    }
  }

  /** The gathered chunk goes to be hashed; it is decrypted when its leaf is back and matches. */
  #submit(): void {
    const job: Verification = { index: this.#index, bytes: this.#slot as Uint8Array };
    this.#queue.push(job);
    this.#slot = undefined;
    this.#filled = 0;
    this.#index++;
    const final = job.index === this.#layout.chunks - 1;
    // §16: the leaf names the index and the final flag, so a chunk moved, swapped or cut short fails.
    const leaf = this.#warm
      ? this.#hasher.hash(job.index, final, job.bytes)
      : Promise.resolve().then(() => leafHash(job.index, final, job.bytes));
    leaf.then(
      (value) => {
        job.leaf = value;
        this.#advance();
      },
      (error: unknown) => {
        job.error = toError(error);
        this.#advance();
      },
    );
  }

  /**
   * Decrypts, in order, the chunk at the head of the queue once its leaf is back and matches. The
   * chunk is decrypted in slices with a turn of the event loop between them, so that the source's
   * reads (and the sink's writes) progress while it is: the next chunk arrives, and is hashed on
   * the worker, during this one's SM4. The slices of a checked chunk are pushed as they come.
   */
  #advance(): void {
    if (this.destroyed || this.#decrypting || this.#paused) return;
    const job = this.#queue[0];
    if (!this.#failure && job && (job.leaf || job.error)) {
      try {
        if (job.error) throw job.error;
        if (!equalBytes(job.leaf as Uint8Array, this.#leaves[job.index] as Uint8Array))
          throw fail('INTEGRITY_FAILED', `chunk ${job.index} does not match its leaf`);
        this.#decrypting = true;
        this.#decryptSlice(job, createCipheriv('sm4-ctr', this.#key, chunkIv(job.index)), 0);
        return;
      } catch (error) {
        this.#failure = toError(error);
      }
    }
    this.#wake();
  }

  /**
   * One slice of a checked chunk, pushed (the last chunk's held). While the consumer has a chunk
   * of plaintext unread (push() says so), the next step waits for its _read().
   */
  #decryptSlice(job: Verification, cipher: Cipheriv, offset: number): void {
    if (this.destroyed) return;
    const end = Math.min(offset + DECRYPT_SLICE_BYTES, job.bytes.length);
    const plaintext = cipher.update(job.bytes.subarray(offset, end));
    let room = true;
    if (job.index === this.#layout.chunks - 1) this.#held.push(plaintext);
    else room = this.push(plaintext);
    if (end < job.bytes.length) {
      const next = (): void => this.#decryptSlice(job, cipher, end);
      if (room) setImmediate(next);
      else this.#paused = next;
      return;
    }
    // SM4-CTR is a stream mode: final() has nothing left.
    if (cipher.final().length !== 0) this.#failure ??= new Error('ChunkDecryptor: SM4-CTR left bytes');
    this.#queue.shift();
    this.#slots.give(job.bytes);
    this.#decrypting = false;
    // The queue has room again: a write waiting for it goes on now, so that its chunk is gathered
    // and hashed during the next chunk's SM4 rather than after it.
    const resume = this.#waiting;
    this.#waiting = undefined;
    resume?.();
    if (room) this.#advance();
    else this.#paused = () => this.#advance();
  }

  /** Resumes a write or the end that waits for room in the queue; else reports a failure. */
  #wake(): void {
    const resume = this.#waiting;
    this.#waiting = undefined;
    if (resume) resume();
    else if (this.#failure) this.destroy(this.#failure);
  }

  #finish(callback: TransformCallback): void {
    if (this.#failure) {
      callback(this.#failure);
      return;
    }
    if (this.#queue.length > 0) {
      this.#waiting = () => this.#finish(callback);
      return;
    }
    this.#hasher.close();
    if (this.#index < this.#layout.chunks) {
      callback(fail('INTEGRITY_FAILED', `the stream ended inside chunk ${this.#index} of ${this.#layout.chunks}`));
      return;
    }
    for (const piece of this.#held.splice(0)) this.push(piece);
    callback();
  }
}

/**
 * A download's ciphertext `source` checked and decrypted (ChunkDecryptor) into the file `outPath`:
 * written to a temporary file beside it (mode 0600), renamed once the whole file passed; on any
 * failure the temporary file is deleted and nothing is left at `outPath`. The file is written in
 * pieces of up to a chunk (Node's default 16 KiB would pause the decryption at every write).
 */
export async function decryptToFile(source: Readable, outPath: string, options: ChunkDecryptorOptions): Promise<void> {
  let decryptor: ChunkDecryptor;
  try {
    decryptor = new ChunkDecryptor(options);
  } catch (error) {
    source.destroy();
    throw error;
  }
  const temp = `${outPath}.${randomBytes(6).toString('hex')}.partial`;
  try {
    await pipelineAsync(
      source,
      decryptor,
      createWriteStream(temp, { mode: 0o600, highWaterMark: decryptor.readableHighWaterMark }),
    );
    await rename(temp, outPath);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}
