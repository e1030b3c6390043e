// SPDX-License-Identifier: Apache-2.0
import { createCipheriv, createDecipheriv, createSecretKey } from 'node:crypto';
import { assertBytes } from './bytes';

/** GB/T 32907-2016 SM4 on one 16-byte block (known-answer tests and nothing else). */
export function sm4EncryptBlock(key: Uint8Array, block: Uint8Array): Uint8Array {
  assertBytes(key, 'key', 16);
  assertBytes(block, 'block', 16);
  const cipher = createCipheriv('sm4-ecb', key, null).setAutoPadding(false);
  return new Uint8Array(Buffer.concat([cipher.update(block), cipher.final()]));
}

/** A reusable single-block encryptor (one OpenSSL context), for the million-round known answer. */
export function sm4BlockEncryptor(key: Uint8Array): (block: Uint8Array) => Uint8Array {
  assertBytes(key, 'key', 16);
  const cipher = createCipheriv('sm4-ecb', key, null).setAutoPadding(false);
  return (block) => {
    assertBytes(block, 'block', 16);
    return new Uint8Array(cipher.update(block));
  };
}

export function sm4DecryptBlock(key: Uint8Array, block: Uint8Array): Uint8Array {
  assertBytes(key, 'key', 16);
  assertBytes(block, 'block', 16);
  const decipher = createDecipheriv('sm4-ecb', key, null).setAutoPadding(false);
  return new Uint8Array(Buffer.concat([decipher.update(block), decipher.final()]));
}

/** SM4-CTR with a 16-byte initial counter block (GB/T 17964 CTR mode), no authentication. */
export function sm4Ctr(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  assertBytes(key, 'key', 16);
  assertBytes(iv, 'iv', 16);
  assertBytes(data, 'data');
  // As a KeyObject: Node 24 takes one ~10 µs faster than raw key bytes (sm3.ts, hmacSm3).
  const cipher = createCipheriv('sm4-ctr', createSecretKey(key), iv);
  return new Uint8Array(Buffer.concat([cipher.update(data), cipher.final()]));
}
