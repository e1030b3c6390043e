// SPDX-License-Identifier: Apache-2.0
/**
 * What the provers of docs/protocol.md §20 do with secrets, without branching on them: scalar
 * multiplication on @noble/curves' constant-time `multiply` (fixed bases with noble tables) or a
 * fixed-window multi-scalar multiplication over noble's complete addition with table lookups
 * that read every entry (other points), and selections by arithmetic masks. JavaScript's BigInt
 * is not constant time (noble says as much); what is guaranteed here is the absence of
 * secret-dependent branches and memory access: every bit costs the same operations.
 */
import { Point, SM2_N } from '../sm2/curve';
import { randomScalar } from '../sm2/scalar';

/** The provers' source of uniform scalars in [1, n−1]; fixed only by vectors (crypto/src/testing). */
export type ScalarSource = () => bigint;

export const systemScalars: ScalarSource = randomScalar;

/** −1n when bit = 1n, 0n when bit = 0n. */
function mask(bit: bigint): bigint {
  return -bit;
}

/** bit ? a : b for bit ∈ {0n, 1n}, by masks. */
export function selectScalar(bit: bigint, a: bigint, b: bigint): bigint {
  return b ^ ((a ^ b) & mask(bit));
}

/** bit ? P : Q for bit ∈ {0n, 1n}, coordinate by coordinate. */
export function selectPoint(bit: bigint, p: Point, q: Point): Point {
  const m = mask(bit);
  return new Point(q.X ^ ((p.X ^ q.X) & m), q.Y ^ ((p.Y ^ q.Y) & m), q.Z ^ ((p.Z ^ q.Z) & m));
}

/** 1n if i = j else 0n, for small non-negative integers, without a comparison branch. */
export function equalBit(i: number, j: number): bigint {
  const d = (i ^ j) >>> 0;
  return BigInt(((d | -d) >>> 31) ^ 1);
}

/**
 * k·P for a base with a noble table (G, H), k ∈ [0, n): noble's multiply takes [1, n−1], so this
 * is (k + 1)·P − P. k = n − 1 (probability 2^-256 for a random secret; never a value) is −P.
 */
export function mulFixedSecret(point: Point, k: bigint): Point {
  if (k === SM2_N - 1n) return point.negate();
  return point.multiply(k + 1n).subtract(point);
}

const WINDOW = 4;
const ENTRIES = 1 << WINDOW;
const WINDOWS = 64; // 256 / WINDOW

/**
 * Σ k_i·P_i for secret k_i ∈ [0, n) and any points: 4-bit fixed windows from the top, each a
 * shared run of four doublings, then one complete addition per point of the entry its digit
 * selects, read by scanning all 16 entries (digit 0 selects the identity, which adds like any
 * other point). ~0.7 ms a point here against ~2.9 ms for noble's multiply of an untabled point.
 */
export function ctMsm(points: readonly Point[], scalars: readonly bigint[]): Point {
  if (points.length !== scalars.length) throw new RangeError('ctMsm: as many scalars as points');
  const tables = points.map((p) => {
    const row: Point[] = [Point.ZERO, p];
    for (let d = 2; d < ENTRIES; d++) row.push((row[d - 1] as Point).add(p));
    return row;
  });
  let acc = Point.ZERO;
  for (let w = WINDOWS - 1; w >= 0; w--) {
    for (let i = 0; i < WINDOW; i++) acc = acc.double();
    const shift = BigInt(w * WINDOW);
    for (let k = 0; k < points.length; k++) {
      const digit = Number(((scalars[k] as bigint) >> shift) & BigInt(ENTRIES - 1));
      acc = acc.add(lookup(tables[k] as Point[], digit));
    }
  }
  return acc;
}

function lookup(row: readonly Point[], digit: number): Point {
  let x = 0n;
  let y = 0n;
  let z = 0n;
  for (let d = 0; d < ENTRIES; d++) {
    const m = mask(equalBit(d, digit));
    const p = row[d] as Point;
    x |= p.X & m;
    y |= p.Y & m;
    z |= p.Z & m;
  }
  return new Point(x, y, z);
}
