// SPDX-License-Identifier: Apache-2.0
/**
 * The inner-product argument of Bulletproofs (Bünz, Bootle, Boneh, Poelstra, Wuille and Maxwell,
 * IEEE S&P 2018, Protocol 2), in the folding order of docs/protocol.md §20.7: for vectors a, b of
 * length N = 2^k, bases g, h and Q = w·U, it shows P = ⟨a, g⟩ + ⟨b, h⟩ + ⟨a, b⟩·Q with k pairs
 * (L_j, R_j) and two scalars. Round j, with n' halving and u_j the transcript's challenge:
 *
 *   L = ⟨a_lo, g_hi⟩ + ⟨b_hi, h_lo⟩ + ⟨a_lo, b_hi⟩·Q     R = ⟨a_hi, g_lo⟩ + ⟨b_lo, h_hi⟩ + ⟨a_hi, b_lo⟩·Q
 *   a ← u·a_lo + u⁻¹·a_hi   b ← u⁻¹·b_lo + u·b_hi   g ← u⁻¹·g_lo + u·g_hi   h ← u·h_lo + u⁻¹·h_hi
 *
 * so that after k rounds g = Σ s_i·g_i and h = Σ s_i⁻¹·h_i with s_i = Π_j u_j^(±1), + where bit
 * (k−1−j) of i is set ({@link foldScalars}), and the verifier checks
 * P + Σ (u_j²·L_j + u_j⁻²·R_j) = a·Σ s_i·g_i + b·Σ s_i⁻¹·h_i + a·b·Q in its one multi-scalar
 * multiplication. The vectors a, b here are Bulletproofs' l, r, which Protocol 1 could send in
 * the clear: the argument is not zero knowledge and need not be, so the prover runs on the
 * variable-time arithmetic.
 */
import { encodeCompressed, invN, Point, SM2_N } from '../sm2/curve';
import type { Affine, FixedTable, Jac } from '../sm2/jacobian';
import { sm2Arithmetic } from '../sm2/verify-keys';
import { msm, oddMultiples, type MsmTerm, type OddMultiples } from './msm';
import type { Transcript } from './transcript';

export interface IpaProof {
  readonly l: readonly Point[];
  readonly r: readonly Point[];
  readonly a: bigint;
  readonly b: bigint;
}

/** A base of the argument: its affine point and a wNAF table (cached for the generators). */
export interface IpaBase {
  readonly affine: Affine;
  readonly odd: OddMultiples;
}

export interface IpaProverInput {
  readonly g: readonly IpaBase[];
  readonly h: readonly IpaBase[];
  /** h_i is taken as hFactors[i]·h_i (Bulletproofs' h'_i = y^(−i)·h_i), folded in round one. */
  readonly hFactors: readonly bigint[];
  /** Q = w·U: U's table and w. */
  readonly q: { readonly table: FixedTable; readonly w: bigint };
  readonly a: readonly bigint[];
  readonly b: readonly bigint[];
}

function inner(a: readonly bigint[], b: readonly bigint[]): bigint {
  let s = 0n;
  for (let i = 0; i < a.length; i++) s += (a[i] as bigint) * (b[i] as bigint);
  return s % SM2_N;
}

function toPoint(jac: Jac): Point {
  if (jac[2] === 0n) throw new RangeError('an inner-product commitment is the identity');
  const [p] = sm2Arithmetic.normalize([jac]) as [Affine];
  return Point.fromAffine(p);
}

/** Σ k_i·B_i (+ kq·Q) for bases of the current round. */
function combination(bases: readonly IpaBase[], scalars: readonly bigint[], q: IpaProverInput['q'], kq: bigint): Jac {
  const terms: MsmTerm[] = bases.map((base, i) => ({ table: base.odd, scalar: scalars[i] as bigint }));
  return msm(terms, [{ table: q.table, scalar: kq * q.w }]);
}

/** The new bases x_lo·lo_i + x_hi·hi_i, normalized together. */
function fold(
  lo: readonly IpaBase[],
  hi: readonly IpaBase[],
  xLo: readonly bigint[],
  xHi: readonly bigint[],
): IpaBase[] {
  const jac = lo.map((base, i) =>
    msm([
      { table: base.odd, scalar: xLo[i] as bigint },
      { table: (hi[i] as IpaBase).odd, scalar: xHi[i] as bigint },
    ]),
  );
  if (jac.some((p) => p[2] === 0n)) throw new RangeError('a folded base is the identity');
  const affine = sm2Arithmetic.normalize(jac);
  const tables = oddMultiples(affine);
  return affine.map((p, i) => ({ affine: p, odd: tables[i] as OddMultiples }));
}

function challenge(t: Transcript): bigint {
  const u = t.challengeScalar('u');
  if (u === 0n) throw new RangeError('challenge is zero');
  return u;
}

export function proveInnerProduct(input: IpaProverInput, t: Transcript): IpaProof {
  let { g, h } = input;
  let a = [...input.a];
  let b = [...input.b];
  let gFactors: bigint[] = g.map(() => 1n);
  let hFactors = [...input.hFactors];
  const ls: Point[] = [];
  const rs: Point[] = [];
  for (let n = a.length / 2; n >= 1; n /= 2) {
    const [aLo, aHi, bLo, bHi] = [a.slice(0, n), a.slice(n), b.slice(0, n), b.slice(n)];
    const [gLo, gHi, hLo, hHi] = [g.slice(0, n), g.slice(n), h.slice(0, n), h.slice(n)];
    const [gfLo, gfHi, hfLo, hfHi] = [gFactors.slice(0, n), gFactors.slice(n), hFactors.slice(0, n), hFactors.slice(n)];
    const l = toPoint(
      combination(
        [...gHi, ...hLo],
        [...aLo.map((x, i) => x * (gfHi[i] as bigint)), ...bHi.map((x, i) => x * (hfLo[i] as bigint))],
        input.q,
        inner(aLo, bHi),
      ),
    );
    const r = toPoint(
      combination(
        [...gLo, ...hHi],
        [...aHi.map((x, i) => x * (gfLo[i] as bigint)), ...bLo.map((x, i) => x * (hfHi[i] as bigint))],
        input.q,
        inner(aHi, bLo),
      ),
    );
    ls.push(l);
    rs.push(r);
    t.append('L', encodeCompressed(l));
    t.append('R', encodeCompressed(r));
    const u = challenge(t);
    const uInv = invN(u);
    a = aLo.map((x, i) => (x * u + (aHi[i] as bigint) * uInv) % SM2_N);
    b = bLo.map((x, i) => (x * uInv + (bHi[i] as bigint) * u) % SM2_N);
    if (n > 1) {
      g = fold(
        gLo,
        gHi,
        gfLo.map((f) => f * uInv),
        gfHi.map((f) => f * u),
      );
      h = fold(
        hLo,
        hHi,
        hfLo.map((f) => f * u),
        hfHi.map((f) => f * uInv),
      );
      gFactors = g.map(() => 1n);
      hFactors = h.map(() => 1n);
    }
  }
  return { l: ls, r: rs, a: a[0] as bigint, b: b[0] as bigint };
}

/** The verifier's challenges and s_0 … s_{N−1}; undefined if a challenge is zero. */
export interface FoldScalars {
  readonly u: readonly bigint[];
  readonly s: readonly bigint[];
}

/** Appends L_j, R_j and draws u_j as the prover did; then s_i = Π_j u_j^(+1 if bit k−1−j of i, else −1). */
export function foldScalars(proof: IpaProof, t: Transcript): FoldScalars | undefined {
  const u: bigint[] = [];
  for (let j = 0; j < proof.l.length; j++) {
    t.append('L', encodeCompressed(proof.l[j] as Point));
    t.append('R', encodeCompressed(proof.r[j] as Point));
    const uj = t.challengeScalar('u');
    if (uj === 0n) return undefined;
    u.push(uj);
  }
  const k = u.length;
  const size = 2 ** k;
  const uSquared = u.map((x) => (x * x) % SM2_N);
  const s: bigint[] = [invN(u.reduce((p, x) => (p * x) % SM2_N, 1n))];
  for (let i = 1; i < size; i++) {
    const lg = 31 - Math.clz32(i);
    s.push(((s[i - (1 << lg)] as bigint) * (uSquared[k - 1 - lg] as bigint)) % SM2_N);
  }
  return { u, s };
}
