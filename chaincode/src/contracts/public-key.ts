// SPDX-License-Identifier: Apache-2.0
import { assertPublicKey } from '@medshare/crypto/sm2';
import { decodeInput, expectString, HEX_PUBLIC_KEY } from '@medshare/protocol';

/** An SM2 public key argument (K1, K3, a proxy's key): `04 ‖ x ‖ y` hex of a point on the curve. */
export function expectPublicKey(value: unknown, name: string): string {
  const publicKey = expectString(value, name, { pattern: HEX_PUBLIC_KEY });
  return decodeInput(`${name} is not a point on the SM2 curve`, () => assertPublicKey(publicKey, name));
}
