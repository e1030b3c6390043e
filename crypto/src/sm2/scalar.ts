// SPDX-License-Identifier: Apache-2.0
/**
 * Secret scalars mod n for our own schemes (tpre §15, zk §20): uniform random scalars and the
 * branch-free inverse. Both are for secrets: no rejection loop, no branch on the value.
 */
import { randomBytes } from 'node:crypto';
import { bytesToBigInt } from '../bytes';
import { modN, SM2_N } from './curve';

/** A uniformly random scalar in [1, n−1]: 48 random bytes reduced mod n−1, plus one (bias below 2^-128). */
export function randomScalar(): bigint {
  return (bytesToBigInt(new Uint8Array(randomBytes(48))) % (SM2_N - 1n)) + 1n;
}

/** x^(n−2) mod n by square-and-multiply over the public exponent's bits: no branch on x (x ≠ 0). */
export function invertSecret(x: bigint): bigint {
  let result = 1n;
  let base = modN(x);
  let e = SM2_N - 2n;
  while (e > 0n) {
    // The exponent is public; both products are computed whatever its bit is.
    const product = (result * base) % SM2_N;
    result = (e & 1n) === 1n ? product : result;
    base = (base * base) % SM2_N;
    e >>= 1n;
  }
  return result;
}
