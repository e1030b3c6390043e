// SPDX-License-Identifier: Apache-2.0
/**
 * Set membership by a one-of-m OR proof (Cramer, Damgård and Schoenmakers, CRYPTO 1994) over
 * Schnorr proofs (docs/protocol.md §20.4): the commitment C = k·G + r·H opens to one of the
 * public keyword scalars k_1 … k_m, without saying which. With P_i = C − k_i·G, the prover knows
 * r = log_H P_j for its own j and simulates the others:
 *
 *   i ≠ j: c_i, z_i random, A_i = z_i·H − c_i·P_i        j: A_j = a·H
 *   c = H_T(…, C, k_1 … k_m, A_1 … A_m)   c_j = c − Σ_{i≠j} c_i   z_j = a + c_j·r
 *
 * The proof is A_1 … A_m, c_1 … c_{m−1} (c_m = c − Σ c_i) and z_1 … z_m. The verifier checks
 * z_i·H = A_i + c_i·P_i for all i at once with 128-bit weights w_i drawn from the transcript after
 * the whole proof (no RNG):
 *
 *   (Σ w_i z_i)·H − Σ w_i·A_i − (Σ w_i c_i)·C + (Σ w_i c_i k_i)·G = O
 *
 * The prover does the same work at every position (each simulates; the real commitment a·H is
 * chosen by arithmetic masks) so its timing does not depend on j.
 */
import { assertBytes, equalBytes, toHex } from '../bytes';
import { encodeCompressed, modN, Point, scalarToBytes, SM2_N } from '../sm2/curve';
import type { Jac } from '../sm2/jacobian';
import { baseTable, sm2Arithmetic } from '../sm2/verify-keys';
import { affineOf, assertArray, encodeFields, pointArg, POINT_BYTES, Reader, SCALAR_BYTES } from './encoding';
import { pedersenH } from './generators';
import { isIdentity, msm, oddMultiples, type OddMultiples } from './msm';
import { checkOpening, keywordScalar } from './pedersen';
import { selectPoint, selectScalar, systemScalars, type ScalarSource } from './secret';
import { Transcript } from './transcript';

export const MEMBERSHIP_MAX_SET = 64;

function assertSetSize(m: number): void {
  if (!Number.isInteger(m) || m < 1 || m > MEMBERSHIP_MAX_SET)
    throw new RangeError(`the keyword set must have 1 … ${MEMBERSHIP_MAX_SET} members, got ${m}`);
}

/** m·33 (A_i) + (m − 1)·32 (c_i) + m·32 (z_i) bytes. */
export function membershipProofLength(m: number): number {
  assertSetSize(m);
  return m * POINT_BYTES + (2 * m - 1) * SCALAR_BYTES;
}

export interface MembershipProof {
  readonly a: readonly Point[];
  /** c_1 … c_{m−1}; c_m is derived. */
  readonly c: readonly bigint[];
  readonly z: readonly bigint[];
}

export function encodeMembershipProof(proof: MembershipProof): Uint8Array {
  return encodeFields([...proof.a, ...proof.c, ...proof.z]);
}

export function decodeMembershipProof(bytes: Uint8Array, m: number): MembershipProof {
  const r = new Reader(bytes, 'membership proof', membershipProofLength(m));
  return { a: r.points('A', m), c: r.scalars('c', m - 1), z: r.scalars('z', m) };
}

/** The keywords' scalars, refusing a set of the wrong size or with a repeated keyword. */
function keywordScalars(keywords: readonly Uint8Array[]): bigint[] {
  assertArray(keywords, 'keywords');
  assertSetSize(keywords.length);
  const seen = new Set<string>();
  return keywords.map((k, i) => {
    assertBytes(k, `keywords[${i}]`);
    const hex = toHex(k);
    if (seen.has(hex)) throw new RangeError(`keywords[${i}] repeats an earlier keyword`);
    seen.add(hex);
    return keywordScalar(k);
  });
}

function membershipTranscript(commitment: Uint8Array, scalars: readonly bigint[], context: Uint8Array): Transcript {
  const t = new Transcript('membership', context);
  t.append('commitment', commitment);
  t.append('keywords', ...scalars.map(scalarToBytes));
  return t;
}

export interface ProveMembershipArgs {
  readonly commitment: Uint8Array;
  /** The public set (1 … 64 distinct keywords), in the order the verifier will be given it. */
  readonly keywords: readonly Uint8Array[];
  /** The committed keyword and the commitment's blinding (from the hospital). */
  readonly keyword: Uint8Array;
  readonly blinding: bigint;
  readonly context: Uint8Array;
}

/** The simulated A_i = z_i·H − c_i·C + (c_i·k_i)·G for every position (public-equivalent values). */
function simulate(c: Point, scalars: readonly bigint[], cs: readonly bigint[], zs: readonly bigint[]): Point[] {
  const [table] = oddMultiples([affineOf(c)]) as [OddMultiples];
  const jac: Jac[] = scalars.map((k, i) =>
    msm(
      [{ table, scalar: -(cs[i] as bigint) }],
      [
        { table: pedersenH().table(), scalar: zs[i] as bigint },
        { table: baseTable(), scalar: (cs[i] as bigint) * k },
      ],
    ),
  );
  // A simulated A_i at infinity has probability about 2^-256 (its scalars are random).
  if (jac.some(isIdentity)) throw new RangeError('a simulated commitment is the identity');
  return sm2Arithmetic.normalize(jac).map((p) => Point.fromAffine(p));
}

export function proveMembershipWith(args: ProveMembershipArgs, source: ScalarSource): Uint8Array {
  const { commitment, keywords, keyword, blinding, context } = args;
  const scalars = keywordScalars(keywords);
  const own = keywordScalar(keyword);
  if (!checkOpening(commitment, own, blinding)) throw new RangeError('commitment does not open to keyword');
  const ownBytes = scalarToBytes(own);
  // Every position is compared; the index is accumulated, not searched for.
  const hits = scalars.map((k) => BigInt(equalBytes(scalarToBytes(k), ownBytes)));
  if (!hits.includes(1n)) throw new RangeError('keyword is not in the set');
  const m = scalars.length;
  const cs = Array.from({ length: m }, () => source());
  const zs = Array.from({ length: m }, () => source());
  const nonce = source();
  const real = pedersenH().point.multiply(nonce);
  const simulated = simulate(pointArg(commitment, 'commitment'), scalars, cs, zs);
  const a = simulated.map((p, i) => selectPoint(hits[i] as bigint, real, p));
  const t = membershipTranscript(commitment, scalars, context);
  t.append('A', ...a.map(encodeCompressed));
  const challenge = t.challengeScalar('c');
  if (challenge === 0n) throw new RangeError('challenge is zero');
  const others = cs.reduce((sum, ci, i) => sum + selectScalar(hits[i] as bigint, 0n, ci), 0n);
  const cj = modN(challenge - others);
  const zj = (nonce + cj * blinding) % SM2_N;
  const c = cs.map((ci, i) => selectScalar(hits[i] as bigint, cj, ci));
  const z = zs.map((zi, i) => selectScalar(hits[i] as bigint, zj, zi));
  return encodeMembershipProof({ a, c: c.slice(0, m - 1), z });
}

export function proveMembership(args: ProveMembershipArgs): Uint8Array {
  return proveMembershipWith(args, systemScalars);
}

export interface VerifyMembershipArgs {
  readonly commitment: Uint8Array;
  readonly keywords: readonly Uint8Array[];
  readonly context: Uint8Array;
  readonly proof: Uint8Array;
}

/**
 * True iff `proof` shows `commitment` opens to one of `keywords` in `context`. RangeError for a
 * malformed commitment or proof, a set of 0 or more than 64 keywords, or a repeated keyword.
 */
export function verifyMembership(args: VerifyMembershipArgs): boolean {
  const { commitment, keywords, context, proof } = args;
  const point = pointArg(commitment, 'commitment');
  const scalars = keywordScalars(keywords);
  const m = scalars.length;
  const decoded = decodeMembershipProof(proof, m);
  const t = membershipTranscript(commitment, scalars, context);
  t.append('A', ...decoded.a.map(encodeCompressed));
  const challenge = t.challengeScalar('c');
  if (challenge === 0n) return false;
  const c = [...decoded.c, modN(challenge - decoded.c.reduce((s, x) => s + x, 0n))];
  t.append('responses', proof.subarray(m * POINT_BYTES));
  const w = t.weights('weights', m);
  let hScalar = 0n;
  let cScalar = 0n;
  let gScalar = 0n;
  for (let i = 0; i < m; i++) {
    const wi = w[i] as bigint;
    const wc = (wi * (c[i] as bigint)) % SM2_N;
    hScalar += wi * (decoded.z[i] as bigint);
    cScalar += wc;
    gScalar += wc * (scalars[i] as bigint);
  }
  const tables = oddMultiples([...decoded.a, point].map(affineOf));
  const terms = tables.map((table, i) => ({ table, scalar: i < m ? -(w[i] as bigint) : -cScalar }));
  const sum = msm(terms, [
    { table: pedersenH().table(), scalar: hScalar },
    { table: baseTable(), scalar: gScalar },
  ]);
  return isIdentity(sum);
}
