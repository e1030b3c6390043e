// SPDX-License-Identifier: Apache-2.0
import { createHash } from 'node:crypto';
import type { CHash } from '@noble/curves/utils';

/** A node:crypto hash in the shape noble's expand_message_xmd and createHasher take (tests only). */
export function nobleHash(name: 'sm3' | 'sha256'): CHash {
  const digest = (message: Uint8Array | string): Uint8Array =>
    new Uint8Array(createHash(name).update(message).digest());
  return Object.assign(digest, {
    outputLen: 32,
    blockLen: 64,
    create: (): never => {
      throw new TypeError('incremental hashing is not used');
    },
  });
}
