// SPDX-License-Identifier: Apache-2.0
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { concatBytes } from './bytes';
import { sm3 } from './sm3';
import {
  MIN_CHUNK_BYTES,
  chunkIv,
  chunkLength,
  cryptChunk,
  fileKeys,
  fileLayout,
  keyCheck,
  leafHash,
  treeRoot,
} from './chunked-file';

/** RFC 6962 §2.1 written the recursive way, independently of the bottom-up loop under test. */
function referenceRoot(leaves: Uint8Array[]): Uint8Array {
  if (leaves.length === 1) return leaves[0]!;
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return sm3(concatBytes(Uint8Array.of(1), referenceRoot(leaves.slice(0, k)), referenceRoot(leaves.slice(k))));
}

const key = new Uint8Array(randomBytes(16));

function encryptFile(
  plaintext: Uint8Array,
  chunkBytes: number,
): { chunks: Uint8Array[]; leaves: Uint8Array[]; root: Uint8Array } {
  const layout = fileLayout(plaintext.length, chunkBytes);
  const chunks: Uint8Array[] = [];
  const leaves: Uint8Array[] = [];
  for (let i = 0; i < layout.chunks; i++) {
    const part = plaintext.subarray(i * chunkBytes, i * chunkBytes + chunkLength(layout, i));
    const ciphertext = cryptChunk(key, i, part);
    chunks.push(ciphertext);
    leaves.push(leafHash(i, i === layout.chunks - 1, ciphertext));
  }
  return { chunks, leaves, root: treeRoot(leaves) };
}

describe('chunked SM4-CTR files with an SM3 tree', () => {
  it('splits sizes into chunks, an empty file into one empty final chunk', () => {
    expect(fileLayout(0, MIN_CHUNK_BYTES)).toEqual({ size: 0, chunkBytes: 4096, chunks: 1 });
    expect(chunkLength(fileLayout(0, 4096), 0)).toBe(0);
    expect(fileLayout(8192, 4096).chunks).toBe(2);
    expect(fileLayout(8193, 4096).chunks).toBe(3);
    expect(chunkLength(fileLayout(8193, 4096), 2)).toBe(1);
    expect(() => fileLayout(-1)).toThrow(RangeError);
    expect(() => fileLayout(10, 4095)).toThrow(/multiple of 16/);
    expect(() => fileLayout(10, 32 * 1024 * 1024)).toThrow(RangeError);
    expect(() => chunkLength(fileLayout(10, 4096), 1)).toThrow(RangeError);
  });

  it('encrypts each chunk exactly as `openssl enc -sm4-ctr` does with IV = index ‖ 0^8', () => {
    const data = new Uint8Array(randomBytes(5000));
    const mine = cryptChunk(key, 7, data);
    const theirs = execFileSync(
      'openssl',
      ['enc', '-sm4-ctr', '-K', Buffer.from(key).toString('hex'), '-iv', Buffer.from(chunkIv(7)).toString('hex')],
      {
        input: data,
      },
    );
    expect(Buffer.from(mine).equals(theirs)).toBe(true);
    expect(cryptChunk(key, 7, mine)).toEqual(data);
    expect(Buffer.from(cryptChunk(key, 8, data)).equals(theirs)).toBe(false);
  });

  it('computes the RFC 6962-shaped root for every leaf count from 1 to 33', () => {
    for (let n = 1; n <= 33; n++) {
      const leaves = Array.from({ length: n }, (_, i) => sm3(Uint8Array.of(i)));
      expect(treeRoot(leaves)).toEqual(referenceRoot(leaves));
    }
    expect(() => treeRoot([])).toThrow(RangeError);
    expect(() => treeRoot([new Uint8Array(31)])).toThrow(RangeError);
  });

  it('round-trips a file, and every leaf names its index and finality', () => {
    const plaintext = new Uint8Array(randomBytes(3 * 4096 + 100));
    const { chunks, leaves, root } = encryptFile(plaintext, 4096);
    expect(chunks).toHaveLength(4);
    expect(concatBytes(...chunks.map((c, i) => cryptChunk(key, i, c)))).toEqual(plaintext);
    // Reordered, truncated, swapped or flipped chunks do not match the leaves the root commits to.
    expect(leafHash(0, false, chunks[1]!)).not.toEqual(leaves[0]);
    expect(leafHash(2, true, chunks[2]!)).not.toEqual(leaves[2]);
    expect(treeRoot(leaves.slice(0, 3))).not.toEqual(root);
    const flipped = chunks[3]!.slice();
    flipped[0] = (flipped[0] ?? 0) ^ 1;
    expect(leafHash(3, true, flipped)).not.toEqual(leaves[3]);
    const other = encryptFile(new Uint8Array(randomBytes(3 * 4096 + 100)), 4096);
    expect(leafHash(1, false, other.chunks[1]!)).not.toEqual(leaves[1]);
  });

  it('checks the key against the root', () => {
    const capsuleKey = new Uint8Array(randomBytes(32));
    const { encryption, check } = fileKeys(capsuleKey);
    expect(encryption).toEqual(capsuleKey.subarray(0, 16));
    const root = sm3(Uint8Array.of(1));
    expect(keyCheck(check, root)).toHaveLength(16);
    expect(keyCheck(check, root)).not.toEqual(keyCheck(fileKeys(new Uint8Array(randomBytes(32))).check, root));
    expect(keyCheck(check, root)).not.toEqual(keyCheck(check, sm3(Uint8Array.of(2))));
    expect(() => fileKeys(new Uint8Array(16))).toThrow(RangeError);
  });
});
