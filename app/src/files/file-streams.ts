// SPDX-License-Identifier: Apache-2.0
/**
 * The SDK's side of the chunked file format (docs/protocol.md §16), as streams that hold one
 * chunk at a time: encrypting a file for upload, and verifying then decrypting it on download.
 */
import { createReadStream } from 'node:fs';
import { Transform, pipeline, type Readable, type TransformCallback } from 'node:stream';
import {
  DEFAULT_CHUNK_BYTES,
  FILE_KEY_BYTES,
  LEAF_BYTES,
  chunkLength,
  cryptChunk,
  fileLayout,
  leafHash,
  treeRoot,
  type FileLayout,
} from '@medshare/crypto/chunked-file';
import { fail } from '@medshare/protocol';

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

/**
 * Plaintext in, ciphertext out: each chunk SM4-CTR encrypted under the file key (§16 chunk i),
 * pushed as soon as the chunk is complete. A leaf needs its chunk's `final` flag, known only
 * when more bytes or the end arrive, so the last ciphertext's leaf waits for that; `digest` is
 * set when the stream ends. Memory: the plaintext chunk being gathered and the previous
 * ciphertext, whose leaf is pending.
 */
export class ChunkEncryptor extends Transform {
  readonly #key: Uint8Array;
  readonly #chunkBytes: number;
  #pieces: Buffer[] = [];
  #filled = 0;
  #size = 0;
  #pending: Uint8Array | undefined;
  readonly #leaves: Uint8Array[] = [];
  #digest: FileDigest | undefined;

  constructor(options: { readonly key: Uint8Array; readonly chunkBytes?: number }) {
    super();
    checkKey(options.key);
    this.#key = options.key;
    this.#chunkBytes = layoutOf(0, options.chunkBytes ?? DEFAULT_CHUNK_BYTES).chunkBytes;
  }

  get digest(): FileDigest {
    if (!this.#digest) throw new Error('ChunkEncryptor: the stream has not ended');
    return this.#digest;
  }

  override _transform(data: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#size += data.length;
    let offset = 0;
    while (offset < data.length) {
      const take = Math.min(this.#chunkBytes - this.#filled, data.length - offset);
      this.#pieces.push(data.subarray(offset, offset + take));
      this.#filled += take;
      offset += take;
      if (this.#filled === this.#chunkBytes) this.#encryptChunk();
    }
    callback();
  }

  override _flush(callback: TransformCallback): void {
    try {
      // A partial chunk, or the empty first chunk of an empty file (§16: every file has one chunk).
      if (this.#filled > 0 || (this.#leaves.length === 0 && this.#pending === undefined)) this.#encryptChunk();
      this.#settle(true);
      layoutOf(this.#size, this.#chunkBytes);
      this.#digest = Object.freeze({
        size: this.#size,
        chunkBytes: this.#chunkBytes,
        chunks: this.#leaves.length,
        leaves: Object.freeze(this.#leaves),
        root: treeRoot(this.#leaves),
      });
      callback();
    } catch (error) {
      callback(error instanceof Error ? error : new Error(String(error)));
    }
  }

  #encryptChunk(): void {
    const plaintext =
      this.#pieces.length === 1 ? (this.#pieces[0] as Buffer) : Buffer.concat(this.#pieces, this.#filled);
    this.#pieces = [];
    this.#filled = 0;
    // A new chunk follows the pending one: that one was not the last.
    this.#settle(false);
    this.#pending = cryptChunk(this.#key, this.#leaves.length, plaintext);
    this.push(this.#pending);
  }

  #settle(final: boolean): void {
    if (this.#pending === undefined) return;
    this.#leaves.push(leafHash(this.#leaves.length, final, this.#pending));
    this.#pending = undefined;
  }
}

/** A file's plaintext read chunk by chunk and encrypted: `stream` is the ciphertext, `encryptor.digest` its commitment once it ends. */
export function encryptFileStream(
  path: string,
  options: { readonly key: Uint8Array; readonly chunkBytes?: number },
): { stream: Readable; encryptor: ChunkEncryptor } {
  const encryptor = new ChunkEncryptor(options);
  const source = createReadStream(path, { highWaterMark: options.chunkBytes ?? DEFAULT_CHUNK_BYTES });
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

/**
 * Ciphertext in, plaintext out, each chunk checked against its leaf BEFORE it is decrypted: the
 * first chunk whose leaf differs (altered, reordered, swapped), an extra byte or a short stream
 * fails the stream with INTEGRITY_FAILED and no plaintext of that chunk is pushed. The last
 * chunk's plaintext is held until the end of the stream, so that an extra byte after it is
 * refused before it is released. Memory: one ciphertext chunk.
 */
export class ChunkDecryptor extends Transform {
  readonly #key: Uint8Array;
  readonly #layout: FileLayout;
  readonly #leaves: readonly Uint8Array[];
  #index: number;
  #pieces: Buffer[] = [];
  #filled = 0;
  #held: Uint8Array | undefined;

  constructor(options: ChunkDecryptorOptions) {
    super();
    checkKey(options.key);
    this.#key = options.key;
    this.#layout = layoutOf(options.size, options.chunkBytes);
    if (options.leaves.length !== this.#layout.chunks)
      throw fail(
        'INTEGRITY_FAILED',
        `the file has ${this.#layout.chunks} chunks but ${options.leaves.length} leaves were given`,
      );
    this.#leaves = options.leaves;
    this.#index = options.firstChunk ?? 0;
    if (!Number.isSafeInteger(this.#index) || this.#index < 0 || this.#index >= this.#layout.chunks)
      throw new RangeError('firstChunk must be a chunk index of the file');
  }

  override _transform(data: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      let offset = 0;
      while (offset < data.length) {
        if (this.#index >= this.#layout.chunks)
          throw fail('INTEGRITY_FAILED', `the stream is longer than the file's ${this.#layout.size} bytes`);
        const want = chunkLength(this.#layout, this.#index);
        const take = Math.min(want - this.#filled, data.length - offset);
        this.#pieces.push(data.subarray(offset, offset + take));
        this.#filled += take;
        offset += take;
        if (this.#filled === want) this.#openChunk();
      }
      callback();
    } catch (error) {
      callback(error instanceof Error ? error : new Error(String(error)));
    }
  }

  override _flush(callback: TransformCallback): void {
    // An empty file's one chunk is empty: it is complete before any byte arrives.
    if (this.#index === this.#layout.chunks - 1 && this.#layout.size === 0 && this.#filled === 0) {
      try {
        this.#openChunk();
      } catch (error) {
        callback(error instanceof Error ? error : new Error(String(error)));
        return;
      }
    }
    if (this.#index < this.#layout.chunks) {
      callback(fail('INTEGRITY_FAILED', `the stream ended inside chunk ${this.#index} of ${this.#layout.chunks}`));
      return;
    }
    if (this.#held) this.push(this.#held);
    this.#held = undefined;
    callback();
  }

  #openChunk(): void {
    const index = this.#index;
    const ciphertext =
      this.#pieces.length === 1 ? (this.#pieces[0] as Buffer) : Buffer.concat(this.#pieces, this.#filled);
    this.#pieces = [];
    this.#filled = 0;
    const final = index === this.#layout.chunks - 1;
    // §16: the leaf names the index and the final flag, so a chunk moved, swapped or cut short fails here.
    if (!equalBytes(leafHash(index, final, ciphertext), this.#leaves[index] as Uint8Array))
      throw fail('INTEGRITY_FAILED', `chunk ${index} does not match its leaf`);
    const plaintext = cryptChunk(this.#key, index, ciphertext);
    this.#index++;
    if (final) this.#held = plaintext;
    else this.push(plaintext);
  }
}
