// SPDX-License-Identifier: Apache-2.0
import { fromHex, toHex } from '@medshare/crypto/bytes';
import { sm3 } from '@medshare/crypto/sm3';

/** A key id: SM3 of the uncompressed public key bytes, hex (docs/protocol.md §3, "key ids"). */
export function keyIdOf(publicKeyHex: string): string {
  return toHex(sm3(fromHex(publicKeyHex, 'public key')));
}
