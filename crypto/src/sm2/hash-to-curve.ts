// SPDX-License-Identifier: Apache-2.0
/**
 * RFC 9380 hash_to_curve with the simplified SWU map (§6.6.2) for a short Weierstrass curve of
 * cofactor 1, written over the curve's parameters, and its SM2 instance (docs/protocol.md §18):
 * the suite SM2_XMD:SM3_SSWU_RO_ (sm2p256v1, expand_message_xmd with SM3, L = 48, Z = −9).
 *
 * Z = −9 is what RFC 9380 §H.2's find_z_sswu yields for sm2p256v1 (the same procedure yields the
 * published −10 for P-256: hash-to-curve.test.ts runs it for both). The map is noble's
 * straight-line `mapToCurveSimpleSWU` (§F.2); hash_to_field is ours, over {@link XmdPrefix}, so
 * the one expand_message_xmd of this package serves both the scalars and the points.
 */
import {
  mapToCurveSimpleSWU,
  type WeierstrassPoint,
  type WeierstrassPointCons,
} from '@noble/curves/abstract/weierstrass';
import { bytesToBigInt, utf8 } from '../bytes';
import { Point, SM2_A, SM2_B } from './curve';
import { expandMessageXmd, XMD_SM3, type XmdHash } from './hash-to-field';

/** A hash-to-curve suite of RFC 9380 §8 shape: curve, Z, expand_message_xmd hash and L. */
export interface SswuSuite {
  readonly Point: WeierstrassPointCons<bigint>;
  readonly a: bigint;
  readonly b: bigint;
  /** Z as an integer (negative allowed), reduced mod p here. */
  readonly z: bigint;
  readonly hash: XmdHash;
  /** L = ceil((ceil(log2(p)) + k) / 8), k the security level (§5.1). */
  readonly fieldBytes: number;
}

export interface SswuHasher {
  /** §5.2 hash_to_field(msg, count) with m = 1. */
  hashToField(msg: Uint8Array, dst: Uint8Array, count: number): bigint[];
  /** §6.6.2 map_to_curve_simple_swu(u). */
  mapToCurve(u: bigint): WeierstrassPoint<bigint>;
  /** §3 hash_to_curve: map(u0) + map(u1); h_eff = 1, so clear_cofactor is the identity map. */
  hashToCurve(msg: Uint8Array, dst: Uint8Array): WeierstrassPoint<bigint>;
}

export function sswuHasher(suite: SswuSuite): SswuHasher {
  const { Fp } = suite.Point;
  if (suite.Point.CURVE().h !== 1n) throw new RangeError('this hash-to-curve is for cofactor-1 curves only');
  const map = mapToCurveSimpleSWU(Fp, { A: Fp.create(suite.a), B: Fp.create(suite.b), Z: Fp.create(suite.z) });
  const hashToField = (msg: Uint8Array, dst: Uint8Array, count: number): bigint[] => {
    const L = suite.fieldBytes;
    const uniform = expandMessageXmd(suite.hash, msg, dst, count * L);
    return Array.from({ length: count }, (_, i) => Fp.create(bytesToBigInt(uniform.subarray(i * L, (i + 1) * L))));
  };
  const mapToCurve = (u: bigint): WeierstrassPoint<bigint> => {
    const point = suite.Point.fromAffine(map(u));
    point.assertValidity();
    return point;
  };
  return {
    hashToField,
    mapToCurve,
    hashToCurve(msg, dst) {
      const [u0, u1] = hashToField(msg, dst, 2) as [bigint, bigint];
      return mapToCurve(u0).add(mapToCurve(u1));
    },
  };
}

/** RFC 9380 §8.10 suite ID of the SM2 instance. */
export const SM2_SSWU_SUITE_ID = 'SM2_XMD:SM3_SSWU_RO_';
/** Z for sm2p256v1 by RFC 9380 §H.2. */
export const SM2_SSWU_Z = -9n;

export const sm2Sswu = sswuHasher({
  Point,
  a: SM2_A,
  b: SM2_B,
  z: SM2_SSWU_Z,
  hash: XMD_SM3,
  fieldBytes: 48,
});

/** hash_to_curve onto sm2p256v1 under `dst` (a string is taken as its UTF-8 bytes). */
export function hashToCurveSm2(msg: Uint8Array, dst: Uint8Array | string): Point {
  const tag = typeof dst === 'string' ? utf8(dst) : dst;
  return sm2Sswu.hashToCurve(msg, tag);
}
