// SPDX-License-Identifier: Apache-2.0
/**
 * Variable-time multi-scalar multiplication for the verifiers of docs/protocol.md §20 (and the
 * inner-product argument's prover, whose vectors are as public as the proof): Straus's
 * interleaving over width-w NAFs on the Jacobian arithmetic of sm2/jacobian.ts, so N points
 * share one run of 256 doublings and cost about 256/(w+1) mixed additions each; fixed bases
 * (G, H, U) add from their fixed-window tables without doubling. Public data only: no
 * randomness, the same result on every endorser.
 */
import { SM2_N } from '../sm2/curve';
import { wnafDigits, type Affine, type FixedTable, type Jac, type NafTerm } from '../sm2/jacobian';
import { sm2Arithmetic as arith } from '../sm2/verify-keys';

/** P, 3P, 5P, …, (2^(w−1) − 1)P as affine coordinates: the table of a width-w NAF. */
export interface OddMultiples {
  readonly width: number;
  readonly xs: readonly bigint[];
  readonly ys: readonly bigint[];
}

/** Width of the tables made for points met once (decoded from a proof). */
export const FRESH_WINDOW = 5;

/** The odd-multiple tables of many points, with one field inversion for all of them. */
export function oddMultiples(points: readonly Affine[], width: number = FRESH_WINDOW): OddMultiples[] {
  const count = 2 ** (width - 2);
  const jac: Jac[] = [];
  for (const { x, y } of points) {
    const p: Jac = [x, y, 1n];
    const twice = arith.double(p);
    let last = p;
    jac.push(p);
    for (let i = 1; i < count; i++) {
      last = arith.addJacobian(last, twice);
      jac.push(last);
    }
  }
  const affine = arith.normalize(jac);
  return points.map((_, k) => {
    const row = affine.slice(k * count, (k + 1) * count);
    return { width, xs: row.map((p) => p.x), ys: row.map((p) => p.y) };
  });
}

export interface MsmTerm {
  readonly table: OddMultiples;
  /** Any integer; taken mod n. */
  readonly scalar: bigint;
}

export interface FixedTerm {
  readonly table: FixedTable;
  readonly scalar: bigint;
}

export const INFINITY: Jac = [1n, 1n, 0n];

function modN(k: bigint): bigint {
  const r = k % SM2_N;
  return r < 0n ? r + SM2_N : r;
}

function prepare({ table, scalar }: MsmTerm): NafTerm {
  const k = modN(scalar);
  const negated = k > SM2_N >> 1n;
  return { xs: table.xs, ys: table.ys, digits: wnafDigits(negated ? SM2_N - k : k, table.width), negated };
}

/** Σ k_i·P_i + Σ k_j·F_j (F_j from fixed tables), as a Jacobian point (Z = 0: the identity). */
export function msm(terms: readonly MsmTerm[], fixed: readonly FixedTerm[] = []): Jac {
  let acc = arith.straus(terms.map(prepare));
  for (const { table, scalar } of fixed) acc = arith.multiplyFixed(table, modN(scalar), acc);
  return acc;
}

export function isIdentity(point: Jac): boolean {
  return point[2] === 0n;
}
