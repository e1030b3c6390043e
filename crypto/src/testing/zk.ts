// SPDX-License-Identifier: Apache-2.0
/**
 * Fixed randomness for the zk provers (docs/protocol.md §20), for vectors and tests only: the
 * `…With` provers take their scalars from a source, and {@link labelScalars} is the vectors'
 * source, `x_i = OS2IP(SM3(utf8("medshare test vector: " ‖ label ‖ " " ‖ decimal(i)))) mod (n − 1) + 1`.
 */
import { bytesToBigInt, utf8 } from '../bytes';
import { SM2_N } from '../sm2/curve';
import { sm3 } from '../sm3';
import type { ScalarSource } from '../zk/secret';

export { proveMembershipWith } from '../zk/membership';
export { proveOpeningWith } from '../zk/pedersen';
export { proveRangeWith } from '../zk/range-proof';
export { Transcript, type ZkProtocol } from '../zk/transcript';
export { twistedKeyGenWith } from '../zk/twisted-elgamal';
export { proveValidWith } from '../zk/validity';
export type { ScalarSource };

/** The i-th scalar of `label` (i from 0), in [1, n − 1]. */
export function labelScalar(label: string, i: number): bigint {
  return (bytesToBigInt(sm3(utf8(`medshare test vector: ${label} ${i}`))) % (SM2_N - 1n)) + 1n;
}

/** A source yielding labelScalar(label, 0), labelScalar(label, 1), … */
export function labelScalars(label: string): ScalarSource {
  let i = 0;
  return () => labelScalar(label, i++);
}
