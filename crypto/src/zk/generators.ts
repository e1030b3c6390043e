// SPDX-License-Identifier: Apache-2.0
/**
 * The generators of docs/protocol.md §20.1, all by RFC 9380 hash_to_curve onto sm2p256v1
 * (SM2_XMD:SM3_SSWU_RO_, §18) under one DST, so nobody knows a discrete logarithm between any
 * two of them:
 *
 *   H   = hash_to_curve("H")                 the blinding base of commitments and ciphertexts
 *   U   = hash_to_curve("U")                 the inner-product argument's base
 *   G_i = hash_to_curve("G" ‖ I2OSP(i, 4))   H_i = hash_to_curve("H" ‖ I2OSP(i, 4)),  0 ≤ i < 1024
 *
 * G is the SM2 base point. Each is computed once, when first needed: provers get noble points
 * (with noble's constant-time tables for H), verifiers affine points with variable-time tables.
 */
import { concatBytes, utf8 } from '../bytes';
import { Point } from '../sm2/curve';
import { hashToCurveSm2 } from '../sm2/hash-to-curve';
import type { Affine, FixedTable } from '../sm2/jacobian';
import { sm2Arithmetic } from '../sm2/verify-keys';
import { oddMultiples, type OddMultiples } from './msm';

export const ZK_DST_PREFIX = 'medshare/v1/zk/';
export const ZK_GENERATORS_DST = `${ZK_DST_PREFIX}SM2_XMD:SM3_SSWU_RO_`;
/** Bulletproofs vector length bound: 16 values of 64 bits. */
export const ZK_MAX_VECTOR = 1024;

const DST = utf8(ZK_GENERATORS_DST);
/**
 * Widths of the cached wNAF tables of G_i, H_i: 10 for i < 256 (256 odd multiples, ~28 KiB a
 * generator: a day's proof of 16 8-bit values uses 128 of each, 7 MiB, ~23 additions a term),
 * 8 beyond (64 multiples, ~7 KiB, ~28 additions). All 2 × 1024: ~25 MiB, built as first used.
 */
const WIDE_WINDOW = 10;
const WIDE_COUNT = 256;
const VECTOR_WINDOW = 8;
/** Width of the fixed-window tables of H and U (~470 KiB each), as for G (sm2/verify-keys.ts). */
const FIXED_WINDOW = 8;

function generator(message: Uint8Array): Point {
  const point = hashToCurveSm2(message, DST);
  // Probability about 2^-256; no generator may be the identity.
  if (point.is0()) throw new RangeError('a generator hashed to the identity');
  return point;
}

function indexed(prefix: string, i: number): Uint8Array {
  const index = new Uint8Array(4);
  new DataView(index.buffer).setUint32(0, i);
  return concatBytes(utf8(prefix), index);
}

/** A fixed base: the noble point (constant-time table) for provers, a fixed table for verifiers. */
export interface FixedBase {
  readonly point: Point;
  readonly affine: Affine;
  table(): FixedTable;
}

function fixedBase(message: string, nobleWindow: number): () => FixedBase {
  let base: FixedBase | undefined;
  return () => {
    if (!base) {
      const point = generator(utf8(message)).precompute(nobleWindow, false);
      const { x, y } = point.toAffine();
      let table: FixedTable | undefined;
      base = {
        point,
        affine: { x, y },
        table: () => (table ??= sm2Arithmetic.fixedTable({ x, y }, FIXED_WINDOW)),
      };
    }
    return base;
  };
}

/** H: multiplied by a secret in every commitment and encryption (noble table of width 8). */
export const pedersenH = fixedBase('H', 8);
/** U: multiplied by public scalars only. */
export const ipaU = fixedBase('U', 1);

/** One generator of the vectors: its point and, for verifiers, a cached wNAF table. */
export interface VectorGenerator {
  readonly point: Point;
  readonly affine: Affine;
  readonly odd: OddMultiples;
}

const gs: VectorGenerator[] = [];
const hs: VectorGenerator[] = [];

function extend(list: VectorGenerator[], prefix: string, count: number): void {
  const start = list.length;
  if (count <= start) return;
  const points = Array.from({ length: count - start }, (_, k) => generator(indexed(prefix, start + k)));
  const affine = points.map((p) => {
    const { x, y } = p.toAffine();
    return { x, y };
  });
  const wide = Math.max(0, Math.min(count, WIDE_COUNT) - start);
  const tables = [
    ...oddMultiples(affine.slice(0, wide), WIDE_WINDOW),
    ...oddMultiples(affine.slice(wide), VECTOR_WINDOW),
  ];
  points.forEach((point, k) => list.push({ point, affine: affine[k] as Affine, odd: tables[k] as OddMultiples }));
}

/** G_0 … G_{count−1} and H_0 … H_{count−1}, count ≤ 1024 (computed on first use, then cached). */
export function vectorGenerators(count: number): { g: readonly VectorGenerator[]; h: readonly VectorGenerator[] } {
  if (!Number.isInteger(count) || count < 1 || count > ZK_MAX_VECTOR)
    throw new RangeError(`generator count must be in [1, ${ZK_MAX_VECTOR}]`);
  extend(gs, 'G', count);
  extend(hs, 'H', count);
  return { g: gs.slice(0, count), h: hs.slice(0, count) };
}
