// SPDX-License-Identifier: Apache-2.0
/**
 * The validity proof of twisted ElGamal ciphertexts (docs/protocol.md §20.6): that the prover
 * knows, for each (X_i, Y_i) under pk, the (v_i, r_i) with X_i = r_i·pk and Y_i = v_i·G + r_i·H,
 * so that Y_i's opening (which a range proof bounds) is what decryption returns. One sigma proof
 * for all ciphertexts, on their combination with 128-bit weights e_i drawn from the transcript
 * after the statement (a batched proof of knowledge: answering for random e's means knowing
 * every (v_i, r_i), as m answers to independent e's can be solved for them):
 *
 *   X* = Σ e_i·X_i   Y* = Σ e_i·Y_i   v* = Σ e_i·v_i   r* = Σ e_i·r_i
 *   A_X = b·pk   A_Y = a·G + b·H   c = H_T(…, A_X, A_Y)   z_v = a + c·v*   z_r = b + c·r*
 *
 * The verifier checks z_r·pk = A_X + c·X* and z_v·G + z_r·H = A_Y + c·Y*, the second with a
 * 128-bit weight ω drawn after the responses, in one multi-scalar multiplication. The proof is
 * 130 bytes whatever the number of ciphertexts.
 */
import { Point, SM2_N } from '../sm2/curve';
import { baseTable } from '../sm2/verify-keys';
import { affineOf, encodeFields, pointArg, POINT_BYTES, Reader, SCALAR_BYTES } from './encoding';
import { pedersenH } from './generators';
import { isIdentity, msm, oddMultiples, type MsmTerm } from './msm';
import { publicPoint } from './public-key';
import { ctMsm, systemScalars, type ScalarSource } from './secret';
import { Transcript } from './transcript';
import { assertOpenings, decodeCiphertexts, type Opening } from './twisted-elgamal';

export const VALIDITY_PROOF_BYTES = 2 * POINT_BYTES + 2 * SCALAR_BYTES;
/** Ciphertexts one validity proof covers, at most. */
export const VALIDITY_MAX_CIPHERTEXTS = 64;

export interface ValidityProof {
  readonly ax: Point;
  readonly ay: Point;
  readonly zv: bigint;
  readonly zr: bigint;
}

export function encodeValidityProof(p: ValidityProof): Uint8Array {
  return encodeFields([p.ax, p.ay, p.zv, p.zr]);
}

export function decodeValidityProof(bytes: Uint8Array): ValidityProof {
  const r = new Reader(bytes, 'validity proof', VALIDITY_PROOF_BYTES);
  return { ax: r.point('A_X'), ay: r.point('A_Y'), zv: r.scalar('z_v'), zr: r.scalar('z_r') };
}

/** The transcript through the statement, and the weights e_i. */
function statement(
  publicKey: Uint8Array,
  ciphertexts: readonly Uint8Array[],
  context: Uint8Array,
): { t: Transcript; e: bigint[] } {
  const t = new Transcript('validity', context);
  t.append('publicKey', publicKey);
  t.append('ciphertexts', ...ciphertexts);
  return { t, e: t.weights('e', ciphertexts.length) };
}

export interface ProveValidArgs {
  readonly publicKey: Uint8Array;
  readonly ciphertexts: readonly Uint8Array[];
  /** Each ciphertext's (value, randomness), in order. */
  readonly openings: readonly Opening[];
  readonly context: Uint8Array;
}

export function proveValidWith(args: ProveValidArgs, source: ScalarSource): Uint8Array {
  const { publicKey, ciphertexts, openings, context } = args;
  const pk = pointArg(publicKey, 'publicKey');
  const cts = decodeCiphertexts(ciphertexts, VALIDITY_MAX_CIPHERTEXTS);
  assertOpenings(pk, cts, openings);
  const { t, e } = statement(publicKey, ciphertexts, context);
  let v = 0n;
  let r = 0n;
  openings.forEach((o, i) => {
    v += (e[i] as bigint) * o.value;
    r += (e[i] as bigint) * o.randomness;
  });
  const [a, b] = [source(), source()];
  const ax = ctMsm([pk], [b]);
  const ay = Point.BASE.multiply(a).add(pedersenH().point.multiply(b));
  t.append('A', encodeFields([ax, ay]));
  const c = t.challengeScalar('c');
  if (c === 0n) throw new RangeError('challenge is zero');
  return encodeValidityProof({ ax, ay, zv: (a + c * v) % SM2_N, zr: (b + c * r) % SM2_N });
}

export function proveValid(args: ProveValidArgs): Uint8Array {
  return proveValidWith(args, systemScalars);
}

export interface VerifyValidArgs {
  readonly publicKey: Uint8Array;
  readonly ciphertexts: readonly Uint8Array[];
  readonly context: Uint8Array;
  readonly proof: Uint8Array;
}

/**
 * True iff `proof` shows every ciphertext is well formed under `publicKey` in `context`.
 * RangeError for a malformed key, ciphertext or proof, or 0 or more than 64 ciphertexts.
 */
export function verifyValid(args: VerifyValidArgs): boolean {
  const { publicKey, ciphertexts, context, proof } = args;
  const pk = publicPoint(publicKey, 'publicKey');
  const cts = decodeCiphertexts(ciphertexts, VALIDITY_MAX_CIPHERTEXTS);
  const p = decodeValidityProof(proof);
  const { t, e } = statement(publicKey, ciphertexts, context);
  t.append('A', encodeFields([p.ax, p.ay]));
  const c = t.challengeScalar('c');
  if (c === 0n) return false;
  t.append('responses', encodeFields([p.zv, p.zr]));
  const [omega] = t.weights('weights', 1) as [bigint];
  const points = [p.ax, p.ay, ...cts.map((ct) => ct.x), ...cts.map((ct) => ct.y)];
  const scalars = [-1n, -omega, ...e.map((ei) => -c * ei), ...e.map((ei) => -omega * c * ei)];
  const terms: MsmTerm[] = oddMultiples(points.map(affineOf)).map((table, i) => ({
    table,
    scalar: scalars[i] as bigint,
  }));
  const pkPart = pk.times(p.zr);
  const sum = msm(
    [...terms, ...pkPart.terms],
    [
      ...pkPart.fixed,
      { table: baseTable(), scalar: omega * p.zv },
      { table: pedersenH().table(), scalar: omega * p.zr },
    ],
  );
  return isIdentity(sum);
}
