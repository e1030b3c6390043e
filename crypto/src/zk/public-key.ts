// SPDX-License-Identifier: Apache-2.0
/**
 * A study's public key in a verifier's multi-scalar multiplication. Every submission to a study
 * is checked against the same pk, so pk goes through the SM2 verification key cache
 * (sm2/verify-keys.ts): a hot key earns a width-6 fixed table, built between requests, and then
 * costs no doublings; a cold one gets a wNAF table for the one verification.
 */
import { toHex } from '../bytes';
import { encodePoint, type Point } from '../sm2/curve';
import { verifyKey } from '../sm2/verify-keys';
import { pointArg } from './encoding';
import { oddMultiples, type FixedTerm, type MsmTerm } from './msm';

export interface MsmPart {
  readonly terms: MsmTerm[];
  readonly fixed: FixedTerm[];
}

export interface PublicPoint {
  readonly point: Point;
  /** scalar·pk as terms of an msm. */
  times(scalar: bigint): MsmPart;
}

export function publicPoint(bytes: Uint8Array, name: string): PublicPoint {
  const point = pointArg(bytes, name);
  const key = verifyKey(toHex(encodePoint(point)));
  return {
    point,
    times(scalar) {
      const table = key.table;
      if (table) return { terms: [], fixed: [{ table, scalar }] };
      const [odd] = oddMultiples([key.point]);
      return { terms: odd ? [{ table: odd, scalar }] : [], fixed: [] };
    },
  };
}
