// SPDX-License-Identifier: Apache-2.0
import { fromHex, toHex } from '@medshare/crypto/bytes';
import { generateKeyPair } from '@medshare/crypto/sm2';
import { sm3 } from '@medshare/crypto/sm3';
import { keyIdOf } from './key-id';

describe('key ids', () => {
  it('are SM3 of the public key', () => {
    const keys = generateKeyPair();
    expect(keyIdOf(keys.publicKey)).toBe(toHex(sm3(fromHex(keys.publicKey))));
  });
});
