// SPDX-License-Identifier: Apache-2.0
import { Transform, pipeline, type Readable, type TransformCallback } from 'node:stream';
import { DEFAULT_CHUNK_BYTES, fileLayout, leafHash, treeRoot } from '@medshare/crypto/chunked-file';
import type { BlobStore } from './blob-store';
import { ChunkSlots, LeafHasher, MAX_IN_FLIGHT, fail, toError } from '@medshare/protocol';

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

/**
 * Passes an uploaded ciphertext through unchanged while computing its §16 leaves and root. The
 * leaf of a chunk hashes its `final` flag before its bytes, and whether a chunk is the last is
 * known only when more bytes or the end arrive: so a complete chunk's leaf waits for the next byte
 * (final = 0) or the end (final = 1). The hashing runs on a worker thread (leaf-hasher), off the
 * event loop, so the body's socket and the store's disk keep moving while a chunk is hashed; a
 * body of one chunk starts no worker. Memory: the chunk being gathered (copied into a shared
 * slot) and at most MAX_IN_FLIGHT chunks being hashed — a write waits while that many are, and
 * otherwise the bytes are forwarded as they come, so the consumer's backpressure reaches the
 * source unchanged — and 32 bytes per leaf.
 */
export class ChunkLeaves extends Transform {
  readonly #chunkBytes: number;
  readonly #maxBytes: number;
  readonly #hasher = new LeafHasher();
  readonly #slots: ChunkSlots;
  #slot: Uint8Array | undefined;
  #filled = 0;
  #size = 0;
  #chunks = 0;
  readonly #leaves: Uint8Array[] = [];
  #hashing = 0;
  #failure: Error | undefined;
  #waiting: (() => void) | undefined;
  #digest: ChunkedDigest | undefined;

  constructor(options: ChunkLeavesOptions = {}) {
    super();
    this.#chunkBytes = checkChunkBytes(options.chunkBytes ?? DEFAULT_CHUNK_BYTES);
    this.#maxBytes = options.maxBytes ?? Number.MAX_SAFE_INTEGER;
    this.#slots = new ChunkSlots(this.#chunkBytes);
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
    this.#finish(callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#hasher.close();
    callback(error);
  }

  #consume(data: Buffer, offset: number, callback: TransformCallback): void {
    if (this.#failure) {
      callback(this.#failure);
      return;
    }
    while (offset < data.length) {
      // A full chunk with more bytes behind it is not the last one.
      if (this.#filled === this.#chunkBytes) {
        if (this.#hashing >= MAX_IN_FLIGHT) {
          this.#waiting = () => this.#consume(data, offset, callback);
          return;
        }
        this.#closeChunk(false);
      }
      this.#slot ??= this.#slots.take(this.#chunkBytes);
      const take = Math.min(this.#chunkBytes - this.#filled, data.length - offset);
      this.#slot.set(data.subarray(offset, offset + take), this.#filled);
      this.#filled += take;
      offset += take;
    }
    callback(null, data);
  }

  #closeChunk(final: boolean): void {
    const ciphertext = this.#slot ? this.#slot.subarray(0, this.#filled) : new Uint8Array(0);
    const index = this.#chunks++;
    this.#slot = undefined;
    this.#filled = 0;
    // §16: leaf_i = SM3(0x00 ‖ "medshare/v1/file/chunk" ‖ I2OSP(i, 8) ‖ final ‖ ciphertext_i)
    if (final && !this.#hasher.started) {
      this.#leaves[index] = leafHash(index, final, ciphertext);
      return;
    }
    this.#hashing++;
    this.#hasher.hash(index, final, ciphertext).then(
      (leaf) => {
        this.#leaves[index] = leaf;
        this.#slots.give(ciphertext);
        this.#hashed();
      },
      (error: unknown) => {
        this.#failure ??= toError(error);
        this.#hashed();
      },
    );
  }

  #hashed(): void {
    this.#hashing--;
    if (this.destroyed) return;
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
    if (this.#hashing > 0) {
      this.#waiting = () => this.#finish(callback);
      return;
    }
    this.#hasher.close();
    try {
      const layout = fileLayout(this.#size, this.#chunkBytes);
      this.#digest = Object.freeze({ ...layout, leaves: Object.freeze(this.#leaves), root: treeRoot(this.#leaves) });
      callback();
    } catch (error) {
      callback(
        fail('PAYLOAD_TOO_LARGE', error instanceof Error ? error.message : 'the upload has too many chunks', error),
      );
    }
  }
}

/** The leaves as stored beside the object (`files/<root>.leaves`): 32 bytes each, in order. */
export function leavesBytes(leaves: readonly Uint8Array[]): Buffer {
  return Buffer.concat(leaves);
}

/**
 * Streams an upload body into `store` under `key` (a `staging/<uploadId>`), computing its §16
 * digest on the way. The body's errors, a PAYLOAD_TOO_LARGE and the store's refusals all reject
 * and leave no object behind (the store's put guarantees it).
 */
export async function stageUpload(
  store: BlobStore,
  key: string,
  body: Readable,
  options: ChunkLeavesOptions = {},
): Promise<ChunkedDigest> {
  let hasher: ChunkLeaves;
  try {
    hasher = new ChunkLeaves(options);
  } catch (error) {
    body.destroy();
    throw error;
  }
  // pipeline() carries an error of either side to the other: a body that errors fails the put,
  // a put that refuses destroys the body.
  const hashed = pipeline(body, hasher, () => undefined);
  const { size } = await store.put(key, hashed);
  const digest = hasher.digest;
  if (size !== digest.size) throw fail('INTERNAL', `the store wrote ${size} bytes of a ${digest.size}-byte upload`);
  return digest;
}
