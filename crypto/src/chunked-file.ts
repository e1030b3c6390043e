// SPDX-License-Identifier: Apache-2.0
/**
 * The chunked file format of large records (docs/protocol.md §16): SM4-CTR per chunk under a
 * per-file key, each chunk's ciphertext hashed into an SM3 leaf that names its index and whether it
 * is the last, the leaves into an SM3 tree whose root (with the size and chunk size) goes on the
 * ledger. Integrity comes from the root: a receiver checks every chunk against its leaf before
 * it decrypts it, so truncation, reordering, swapping and any flipped byte are found before any
 * plaintext is written.
 */
import { createCipheriv, createHmac } from 'node:crypto';
import { assertBytes, concatBytes, utf8 } from './bytes';
import { sm3, sm3Parts } from './sm3';

export const FILE_LABEL = 'medshare/v1/file';
export const DEFAULT_CHUNK_BYTES = 1024 * 1024;
export const MIN_CHUNK_BYTES = 4096;
export const MAX_CHUNK_BYTES = 16 * 1024 * 1024;
/** A file may have at most 2^32 chunks (the index is a 64-bit field; CTR blocks per chunk ≤ 2^20). */
export const MAX_CHUNKS = 2 ** 32;
export const FILE_KEY_BYTES = 16;
export const LEAF_BYTES = 32;
export const KEY_CHECK_BYTES = 16;

const LEAF_PREFIX = concatBytes(Uint8Array.of(0x00), utf8(`${FILE_LABEL}/chunk`));
const NODE_PREFIX = Uint8Array.of(0x01);

/** The shape a size and chunk size give: how many chunks, and the length of each. */
export interface FileLayout {
  readonly size: number;
  readonly chunkBytes: number;
  readonly chunks: number;
}

export function fileLayout(size: number, chunkBytes = DEFAULT_CHUNK_BYTES): FileLayout {
  if (!Number.isSafeInteger(size) || size < 0) throw new RangeError('size must be a non-negative safe integer');
  if (
    !Number.isSafeInteger(chunkBytes) ||
    chunkBytes < MIN_CHUNK_BYTES ||
    chunkBytes > MAX_CHUNK_BYTES ||
    chunkBytes % 16 !== 0
  ) {
    throw new RangeError(`chunkBytes must be a multiple of 16 in ${MIN_CHUNK_BYTES}..${MAX_CHUNK_BYTES}`);
  }
  // An empty file is one empty, final chunk: every file has a root.
  const chunks = Math.max(1, Math.ceil(size / chunkBytes));
  if (chunks > MAX_CHUNKS) throw new RangeError(`a file may have at most ${MAX_CHUNKS} chunks`);
  return { size, chunkBytes, chunks };
}

/** The length of chunk `index` of a layout. */
export function chunkLength(layout: FileLayout, index: number): number {
  if (!Number.isSafeInteger(index) || index < 0 || index >= layout.chunks)
    throw new RangeError(`chunk index must be in 0..${layout.chunks - 1}`);
  return index === layout.chunks - 1 ? layout.size - index * layout.chunkBytes : layout.chunkBytes;
}

function indexBytes(index: number): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(index));
  return out;
}

/** IV of chunk i: I2OSP(i, 8) ‖ 0^8. Chunks are < 2^64 blocks long, so no counter block repeats. */
export function chunkIv(index: number): Uint8Array {
  return concatBytes(indexBytes(index), new Uint8Array(8));
}

/** SM4-CTR of one chunk (encryption and decryption are the same operation). */
export function cryptChunk(key: Uint8Array, index: number, data: Uint8Array): Uint8Array {
  assertBytes(key, 'file key', FILE_KEY_BYTES);
  assertBytes(data, 'chunk');
  const cipher = createCipheriv('sm4-ctr', key, chunkIv(index));
  return concatBytes(new Uint8Array(cipher.update(data)), new Uint8Array(cipher.final()));
}

/** leaf_i = SM3(0x00 ‖ "medshare/v1/file/chunk" ‖ I2OSP(i, 8) ‖ final ‖ ciphertext_i). */
export function leafHash(index: number, final: boolean, ciphertext: Uint8Array): Uint8Array {
  assertBytes(ciphertext, 'chunk ciphertext');
  return sm3Parts([LEAF_PREFIX, indexBytes(index), Uint8Array.of(final ? 1 : 0), ciphertext]);
}

/**
 * The SM3 tree over the leaves, shaped as RFC 6962's Merkle tree hash: one leaf is its own root;
 * otherwise SM3(0x01 ‖ root(first k) ‖ root(rest)), k the largest power of two below the count.
 */
export function treeRoot(leaves: readonly Uint8Array[]): Uint8Array {
  if (leaves.length === 0) throw new RangeError('a tree needs at least one leaf');
  for (const [i, leaf] of leaves.entries()) assertBytes(leaf, `leaf ${i}`, LEAF_BYTES);
  let level = [...leaves];
  // Bottom-up pairing with the odd last node carried up gives the same tree as the recursive split.
  while (level.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i + 1 < level.length; i += 2)
      next.push(sm3(concatBytes(NODE_PREFIX, level[i] as Uint8Array, level[i + 1] as Uint8Array)));
    if (level.length % 2 === 1) next.push(level[level.length - 1] as Uint8Array);
    level = next;
  }
  return level[0] as Uint8Array;
}

/** The file's encryption key and key-check key, from the 32 bytes the key capsule carries. */
export function fileKeys(capsuleKey: Uint8Array): { readonly encryption: Uint8Array; readonly check: Uint8Array } {
  assertBytes(capsuleKey, 'capsule key', 32);
  return { encryption: capsuleKey.slice(0, 16), check: capsuleKey.slice(16, 32) };
}

/**
 * keyCheck = HMAC-SM3(check key, "medshare/v1/file/key-check" ‖ root)[0..16]: on the ledger with
 * the root, it tells a receiver that the key it opened is this file's before it decrypts a byte.
 */
export function keyCheck(checkKey: Uint8Array, root: Uint8Array): Uint8Array {
  assertBytes(checkKey, 'check key', 16);
  assertBytes(root, 'root', LEAF_BYTES);
  const mac = createHmac('sm3', checkKey)
    .update(utf8(`${FILE_LABEL}/key-check`))
    .update(root)
    .digest();
  return new Uint8Array(mac.subarray(0, KEY_CHECK_BYTES));
}
