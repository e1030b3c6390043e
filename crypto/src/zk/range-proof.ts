// SPDX-License-Identifier: Apache-2.0
/**
 * Aggregated Bulletproofs range proofs (Bünz et al. 2018, §4.3 with the inner-product argument of
 * inner-product.ts) over the Y halves of twisted ElGamal ciphertexts, docs/protocol.md §20.7.
 *
 * A proof covers 1 … 8 ciphertexts, each with a public range [lo, hi] and one bit length n for
 * all (8, 16, 32 or 64; hi − lo < 2^n). A ciphertext's Y = v·G + r·H yields the committed values
 *
 *   V = Y − lo·G                    (v − lo ∈ [0, 2^n))
 *   V' = Y + (2^n − 1 − hi)·G       (v + 2^n − 1 − hi ∈ [0, 2^n)), left out when hi − lo + 1 = 2^n
 *
 * both with blinding r; together they hold iff lo ≤ v ≤ hi. The m values (≤ 16) are padded with
 * zeros (V = O, blinding 0) to a power of two and proved at once, N = n·m:
 *
 *   A = α·H + Σ (a_L,i·G_i + a_R,i·H_i)   S = ρ·H + Σ (s_L,i·G_i + s_R,i·H_i)   y, z
 *   T_1 = t_1·G + τ_1·H   T_2 = t_2·G + τ_2·H   x
 *   τ_x = τ_2·x² + τ_1·x + Σ_j z^(2+j)·γ_j   μ = α + ρ·x   t̂ = ⟨l, r⟩   w, Q = w·U
 *   inner-product argument for l, r on G_i and h'_i = y^(−i)·H_i
 *
 * The verifier checks both equations in one multi-scalar multiplication: the inner-product
 * relation plus c times the t̂ relation, c a challenge drawn after the whole proof. The prover
 * makes A by selecting G_i or −H_i for each bit by masks (every bit costs one addition, zero or
 * not) and S, T_1, T_2 by constant-time multiplication.
 */
import { bigIntToBytes, concatBytes } from '../bytes';
import { encodeCompressed, invN, modN, Point, SM2_N } from '../sm2/curve';
import { baseTable } from '../sm2/verify-keys';
import { affineOf, assertArray, encodeFields, pointArg, POINT_BYTES, Reader, SCALAR_BYTES } from './encoding';
import { ipaU, pedersenH, vectorGenerators } from './generators';
import { foldScalars, proveInnerProduct, type IpaProof } from './inner-product';
import { isIdentity, msm, oddMultiples, type MsmTerm } from './msm';
import { ctMsm, mulFixedSecret, selectPoint, systemScalars, type ScalarSource } from './secret';
import { Transcript } from './transcript';
import { assertOpenings, decodeCiphertexts, PLAINTEXT_MAX, type Ciphertext, type Opening } from './twisted-elgamal';

export const RANGE_BIT_LENGTHS: readonly number[] = [8, 16, 32, 64];
export const RANGE_MAX_CIPHERTEXTS = 8;
export const RANGE_MAX_VALUES = 16;

export interface ValueRange {
  /** Inclusive bounds, 0 ≤ lo ≤ hi < 2^64, hi − lo < 2^bits. */
  readonly lo: bigint;
  readonly hi: bigint;
}

/** A proved value: ciphertext index and the public shift s with V = Y + s·G. */
interface Slot {
  readonly ciphertext: number;
  /** The integer added to v: −lo, or 2^n − 1 − hi. */
  readonly shift: bigint;
}

interface Shape {
  readonly bits: number;
  readonly slots: readonly Slot[];
  /** m: the number of values, padded to a power of two. */
  readonly padded: number;
  readonly rounds: number;
}

function assertBits(bits: number): void {
  if (!RANGE_BIT_LENGTHS.includes(bits)) throw new RangeError(`bits must be one of ${RANGE_BIT_LENGTHS.join(', ')}`);
}

function assertRange(range: ValueRange, i: number, bits: number): void {
  const { lo, hi } = range as Partial<ValueRange>;
  if (typeof lo !== 'bigint' || typeof hi !== 'bigint') throw new TypeError(`ranges[${i}].lo and .hi must be bigints`);
  if (lo < 0n || hi < lo || hi > PLAINTEXT_MAX) throw new RangeError(`ranges[${i}] must have 0 ≤ lo ≤ hi < 2^64`);
  if (hi - lo >= 1n << BigInt(bits))
    throw new RangeError(`ranges[${i}] is wider than 2^${bits}: hi − lo must be < 2^${bits}`);
}

/** The values a statement proves, in order: per ciphertext V, then V' unless hi − lo + 1 = 2^n. */
function shapeOf(ranges: readonly ValueRange[], count: number, bits: number): Shape {
  assertBits(bits);
  assertArray(ranges, 'ranges');
  if (ranges.length !== count) throw new RangeError(`ranges must give one range per ciphertext (${count})`);
  const full = 1n << BigInt(bits);
  const slots: Slot[] = [];
  ranges.forEach((range, i) => {
    assertRange(range, i, bits);
    slots.push({ ciphertext: i, shift: -range.lo });
    if (range.hi - range.lo + 1n !== full) slots.push({ ciphertext: i, shift: full - 1n - range.hi });
  });
  let padded = 1;
  while (padded < slots.length) padded *= 2;
  return { bits, slots, padded, rounds: Math.log2(bits * padded) };
}

/** 4 points, 3 scalars, k = log2(n·m) pairs (L, R) and 2 scalars. */
export function rangeProofLength(bits: number, ranges: readonly ValueRange[]): number {
  return proofLength(shapeOf(ranges, ranges.length, bits).rounds);
}

function proofLength(rounds: number): number {
  return (4 + 2 * rounds) * POINT_BYTES + 5 * SCALAR_BYTES;
}

export interface RangeProof {
  readonly a: Point;
  readonly s: Point;
  readonly t1: Point;
  readonly t2: Point;
  readonly taux: bigint;
  readonly mu: bigint;
  readonly tHat: bigint;
  readonly ipa: IpaProof;
}

export function encodeRangeProof(p: RangeProof): Uint8Array {
  const pairs = p.ipa.l.flatMap((l, j) => [l, p.ipa.r[j] as Point]);
  return encodeFields([p.a, p.s, p.t1, p.t2, p.taux, p.mu, p.tHat, ...pairs, p.ipa.a, p.ipa.b]);
}

export function decodeRangeProof(bytes: Uint8Array, rounds: number): RangeProof {
  const r = new Reader(bytes, 'range proof', proofLength(rounds));
  const [a, s, t1, t2] = [r.point('A'), r.point('S'), r.point('T1'), r.point('T2')];
  const [taux, mu, tHat] = [r.scalar('tau_x'), r.scalar('mu'), r.scalar('t')];
  const l: Point[] = [];
  const rr: Point[] = [];
  for (let j = 0; j < rounds; j++) {
    l.push(r.point(`L[${j}]`));
    rr.push(r.point(`R[${j}]`));
  }
  return { a, s, t1, t2, taux, mu, tHat, ipa: { l, r: rr, a: r.scalar('a'), b: r.scalar('b') } };
}

function rangeTranscript(
  publicKey: Uint8Array,
  ciphertexts: readonly Uint8Array[],
  ranges: readonly ValueRange[],
  bits: number,
  context: Uint8Array,
): Transcript {
  const t = new Transcript('range', context);
  t.append('publicKey', publicKey);
  t.append('ciphertexts', ...ciphertexts);
  t.append('bits', Uint8Array.of(bits));
  t.append('ranges', ...ranges.map(({ lo, hi }) => concatBytes(bigIntToBytes(lo, 8), bigIntToBytes(hi, 8))));
  return t;
}

/** y, z; x; w: the challenges before the inner-product argument (undefined if one is zero). */
interface Challenges {
  readonly y: bigint;
  readonly z: bigint;
  readonly x: bigint;
  readonly w: bigint;
}

function draw(t: Transcript, label: string): bigint | undefined {
  const c = t.challengeScalar(label);
  return c === 0n ? undefined : c;
}

function powers(base: bigint, count: number): bigint[] {
  const out = [1n];
  for (let i = 1; i < count; i++) out.push(((out[i - 1] as bigint) * base) % SM2_N);
  return out;
}

export interface ProveRangeArgs {
  readonly publicKey: Uint8Array;
  readonly ciphertexts: readonly Uint8Array[];
  readonly openings: readonly Opening[];
  readonly ranges: readonly ValueRange[];
  readonly bits: number;
  readonly context: Uint8Array;
}

/** The secret vectors of one proof: bits a_L, values, blindings; padding is 0. */
function secrets(shape: Shape, openings: readonly Opening[]): { aL: bigint[]; gammas: bigint[] } {
  const { bits, slots, padded } = shape;
  const aL: bigint[] = [];
  const gammas: bigint[] = [];
  for (let j = 0; j < padded; j++) {
    const slot = slots[j];
    const opening = slot ? (openings[slot.ciphertext] as Opening) : undefined;
    // Every bit is extracted and used the same way; the padding's value is 0.
    const value = opening && slot ? opening.value + slot.shift : 0n;
    for (let t = 0; t < bits; t++) aL.push((value >> BigInt(t)) & 1n);
    gammas.push(opening ? opening.randomness : 0n);
  }
  return { aL, gammas };
}

function assertInRange(openings: readonly Opening[], ranges: readonly ValueRange[]): void {
  openings.forEach((o, i) => {
    const range = ranges[i] as ValueRange;
    if (o.value < range.lo || o.value > range.hi) throw new RangeError(`openings[${i}].value is not in ranges[${i}]`);
  });
}

export function proveRangeWith(args: ProveRangeArgs, source: ScalarSource): Uint8Array {
  const { publicKey, ciphertexts, openings, ranges, bits, context } = args;
  const pk = pointArg(publicKey, 'publicKey');
  const cts = decodeCiphertexts(ciphertexts, RANGE_MAX_CIPHERTEXTS);
  const shape = shapeOf(ranges, cts.length, bits);
  assertOpenings(pk, cts, openings);
  assertInRange(openings, ranges);
  const size = bits * shape.padded;
  const { g, h } = vectorGenerators(size);
  const hBase = pedersenH();
  const { aL, gammas } = secrets(shape, openings);
  const t = rangeTranscript(publicKey, ciphertexts, ranges, bits, context);

  // A: for each bit, G_i if it is 1 (a_L = 1, a_R = 0), −H_i if it is 0 (a_L = 0, a_R = −1).
  const alpha = source();
  let a = hBase.point.multiply(alpha);
  aL.forEach((bit, i) => {
    a = a.add(selectPoint(bit, (g[i] as { point: Point }).point, (h[i] as { point: Point }).point.negate()));
  });
  const rho = source();
  const sL = aL.map(() => source());
  const sR = aL.map(() => source());
  const s = ctMsm([hBase.point, ...g.map((x) => x.point), ...h.map((x) => x.point)], [rho, ...sL, ...sR]);
  t.append('A', encodeCompressed(a));
  t.append('S', encodeCompressed(s));
  const y = draw(t, 'y');
  const z = draw(t, 'z');
  if (!y || !z) throw new RangeError('challenge is zero');

  const yPow = powers(y, size);
  const zPow = powers(z, shape.padded + 3);
  const l0 = aL.map((bit) => modN(bit - z));
  const r0 = aL.map((bit, i) => {
    const j = Math.floor(i / bits);
    const two = 1n << BigInt(i % bits);
    return modN((yPow[i] as bigint) * (bit - 1n + z) + (zPow[2 + j] as bigint) * two);
  });
  const r1 = sR.map((x, i) => (x * (yPow[i] as bigint)) % SM2_N);
  let t1 = 0n;
  let t2 = 0n;
  for (let i = 0; i < size; i++) {
    t1 += (l0[i] as bigint) * (r1[i] as bigint) + (sL[i] as bigint) * (r0[i] as bigint);
    t2 += (sL[i] as bigint) * (r1[i] as bigint);
  }
  const [tau1, tau2] = [source(), source()];
  const commitT = (v: bigint, tau: bigint): Point => mulFixedSecret(Point.BASE, modN(v)).add(hBase.point.multiply(tau));
  const T1 = commitT(t1, tau1);
  const T2 = commitT(t2, tau2);
  t.append('T1', encodeCompressed(T1));
  t.append('T2', encodeCompressed(T2));
  const x = draw(t, 'x');
  if (!x) throw new RangeError('challenge is zero');

  const l = l0.map((v, i) => (v + x * (sL[i] as bigint)) % SM2_N);
  const r = r0.map((v, i) => (v + x * (r1[i] as bigint)) % SM2_N);
  let tHat = 0n;
  for (let i = 0; i < size; i++) tHat += (l[i] as bigint) * (r[i] as bigint);
  tHat %= SM2_N;
  const blinded = gammas.reduce((sum, gamma, j) => sum + (zPow[2 + j] as bigint) * gamma, 0n);
  const taux = modN(tau2 * x * x + tau1 * x + blinded);
  const mu = modN(alpha + rho * x);
  t.append('tau_x', encodeFields([taux]));
  t.append('mu', encodeFields([mu]));
  t.append('t', encodeFields([tHat]));
  const w = draw(t, 'w');
  if (!w) throw new RangeError('challenge is zero');
  const yInv = powers(invN(y), size);
  const ipa = proveInnerProduct(
    {
      g: g.map((v) => ({ affine: v.affine, odd: v.odd })),
      h: h.map((v) => ({ affine: v.affine, odd: v.odd })),
      hFactors: yInv,
      q: { table: ipaU().table(), w },
      a: l,
      b: r,
    },
    t,
  );
  return encodeRangeProof({ a, s, t1: T1, t2: T2, taux, mu, tHat, ipa });
}

export function proveRange(args: ProveRangeArgs): Uint8Array {
  return proveRangeWith(args, systemScalars);
}

export interface VerifyRangeArgs {
  readonly publicKey: Uint8Array;
  readonly ciphertexts: readonly Uint8Array[];
  readonly ranges: readonly ValueRange[];
  readonly bits: number;
  readonly context: Uint8Array;
  readonly proof: Uint8Array;
}

function challenges(t: Transcript, p: RangeProof): Challenges | undefined {
  t.append('A', encodeCompressed(p.a));
  t.append('S', encodeCompressed(p.s));
  const y = draw(t, 'y');
  const z = draw(t, 'z');
  t.append('T1', encodeCompressed(p.t1));
  t.append('T2', encodeCompressed(p.t2));
  const x = draw(t, 'x');
  t.append('tau_x', encodeFields([p.taux]));
  t.append('mu', encodeFields([p.mu]));
  t.append('t', encodeFields([p.tHat]));
  const w = draw(t, 'w');
  return y && z && x && w ? { y, z, x, w } : undefined;
}

/**
 * True iff `proof` shows every ciphertext's plaintext lies in its range, for `publicKey` and
 * `context`. RangeError for a malformed key, ciphertext or proof, an unknown bit length, 0 or more
 * than 8 ciphertexts, or a range that is inverted, beyond 2^64 or wider than 2^bits.
 */
export function verifyRange(args: VerifyRangeArgs): boolean {
  const { publicKey, ciphertexts, ranges, bits, context, proof } = args;
  pointArg(publicKey, 'publicKey');
  const cts = decodeCiphertexts(ciphertexts, RANGE_MAX_CIPHERTEXTS);
  const shape = shapeOf(ranges, cts.length, bits);
  const p = decodeRangeProof(proof, shape.rounds);
  const t = rangeTranscript(publicKey, ciphertexts, ranges, bits, context);
  const ch = challenges(t, p);
  if (!ch) return false;
  const folded = foldScalars(p.ipa, t);
  if (!folded) return false;
  t.append('a', encodeFields([p.ipa.a]));
  t.append('b', encodeFields([p.ipa.b]));
  const c = draw(t, 'c');
  if (!c) return false;
  return isIdentity(verificationSum(p, cts, shape, ch, folded.u, folded.s, c));
}

function verificationSum(
  p: RangeProof,
  cts: readonly Ciphertext[],
  shape: Shape,
  { y, z, x, w }: Challenges,
  u: readonly bigint[],
  s: readonly bigint[],
  c: bigint,
): ReturnType<typeof msm> {
  const { bits, slots, padded } = shape;
  const size = bits * padded;
  const { g, h } = vectorGenerators(size);
  const zPow = powers(z, padded + 3);
  const yInv = powers(invN(y), size);
  const { a, b } = p.ipa;
  const terms: MsmTerm[] = [];
  for (let i = 0; i < size; i++) {
    const j = Math.floor(i / bits);
    const two = 1n << BigInt(i % bits);
    terms.push({ table: (g[i] as { odd: MsmTerm['table'] }).odd, scalar: -z - a * (s[i] as bigint) });
    const hScalar = z + (yInv[i] as bigint) * ((zPow[2 + j] as bigint) * two - b * (s[size - 1 - i] as bigint));
    terms.push({ table: (h[i] as { odd: MsmTerm['table'] }).odd, scalar: hScalar });
  }
  // Y of each ciphertext carries c·z^(2+j) for each of its values j; the shifts go onto G.
  const yScalars = cts.map(() => 0n);
  let gScalar = 0n;
  slots.forEach(({ ciphertext, shift }, j) => {
    const k = (c * (zPow[2 + j] as bigint)) % SM2_N;
    yScalars[ciphertext] = (yScalars[ciphertext] as bigint) + k;
    gScalar += k * shift;
  });
  const ySum = sumPowers(y, size);
  const delta = modN((z - (zPow[2] as bigint)) * ySum - ((1n << BigInt(bits)) - 1n) * sumRange(zPow, 3, padded));
  gScalar += c * (delta - p.tHat);
  const uInv = u.map(invN);
  const points = [p.a, p.s, p.t1, p.t2, ...p.ipa.l, ...p.ipa.r, ...cts.map((ct) => ct.y)];
  const scalars = [1n, x, c * x, c * x * x, ...u.map((v) => v * v), ...uInv.map((v) => v * v), ...yScalars];
  oddMultiples(points.map(affineOf)).forEach((table, i) => terms.push({ table, scalar: scalars[i] as bigint }));
  return msm(terms, [
    { table: baseTable(), scalar: gScalar },
    { table: pedersenH().table(), scalar: -p.mu - c * p.taux },
    { table: ipaU().table(), scalar: w * (p.tHat - a * b) },
  ]);
}

function sumPowers(base: bigint, count: number): bigint {
  let sum = 0n;
  let power = 1n;
  for (let i = 0; i < count; i++) {
    sum += power;
    power = (power * base) % SM2_N;
  }
  return sum % SM2_N;
}

/** Σ zPow[from + j] for j < count. */
function sumRange(zPow: readonly bigint[], from: number, count: number): bigint {
  let sum = 0n;
  for (let j = 0; j < count; j++) sum += zPow[from + j] as bigint;
  return sum;
}
