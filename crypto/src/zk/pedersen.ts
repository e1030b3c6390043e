// SPDX-License-Identifier: Apache-2.0
/**
 * Pedersen commitments C = v·G + r·H (docs/protocol.md §20.3) and the Schnorr proof that C opens
 * to a public value v: knowledge of r with C − v·G = r·H, made non-interactive by the §20.2
 * transcript.
 *
 *   prover:   A = a·H   c = H_T(…, C, v, A)   z = a + c·r
 *   verifier: z·H − A − c·C + (c·v)·G = O   (one multi-scalar multiplication)
 */
import { assertBytes, equalBytes, utf8 } from '../bytes';
import { encodeCompressed, Point, scalarToBytes, SM2_N } from '../sm2/curve';
import { hashToScalar } from '../sm2/hash-to-field';
import { baseTable } from '../sm2/verify-keys';
import { affineOf, encodeFields, pointArg, POINT_BYTES, Reader, SCALAR_BYTES } from './encoding';
import { pedersenH, ZK_DST_PREFIX } from './generators';
import { isIdentity, msm, oddMultiples, type OddMultiples } from './msm';
import { mulFixedSecret, systemScalars, type ScalarSource } from './secret';
import { Transcript } from './transcript';

export const COMMITMENT_BYTES = POINT_BYTES;
export const OPENING_PROOF_BYTES = POINT_BYTES + SCALAR_BYTES;
export const ZK_KEYWORD_DST = `${ZK_DST_PREFIX}keyword`;
export const KEYWORD_MAX_BYTES = 256;

/** A scalar argument: a bigint in [min, n−1]. */
export function assertScalar(value: unknown, name: string, min = 0n): asserts value is bigint {
  if (typeof value !== 'bigint') throw new TypeError(`${name} must be a bigint`);
  if (value < min || value >= SM2_N) throw new RangeError(`${name} must be in [${min}, n−1]`);
}

/**
 * A keyword's scalar: OS2IP(expand_message_xmd_SM3(framed(keyword), "medshare/v1/zk/keyword", 48)) mod n.
 * The keyword is the bytes the protocol gives (a diagnosis code, normalized there), 1 … 256 bytes.
 */
export function keywordScalar(keyword: Uint8Array): bigint {
  assertBytes(keyword, 'keyword');
  if (keyword.length < 1 || keyword.length > KEYWORD_MAX_BYTES)
    throw new RangeError(`keyword must be 1 … ${KEYWORD_MAX_BYTES} bytes`);
  return hashToScalar(utf8(ZK_KEYWORD_DST), [keyword]);
}

/** v·G + r·H with noble's constant-time multiplication (v and r are secrets). */
export function commitPoint(value: bigint, blinding: bigint): Point {
  return mulFixedSecret(Point.BASE, value).add(mulFixedSecret(pedersenH().point, blinding));
}

export interface Commitment {
  /** C, compressed (33 bytes). */
  readonly commitment: Uint8Array;
  /** r, the opening's secret; whoever holds it can prove things about C. */
  readonly blinding: bigint;
}

/** C = v·G + r·H for a value in [0, n−1], with a fresh r unless one is given (r ∈ [1, n−1]). */
export function commit(value: bigint, blinding?: bigint): Commitment {
  assertScalar(value, 'value');
  const r = blinding ?? systemScalars();
  assertScalar(r, 'blinding', 1n);
  const point = commitPoint(value, r);
  // v·G = −r·H would need log_G H: probability about 2^-256, but C must be encodable.
  if (point.is0()) throw new RangeError('the commitment is the identity');
  return { commitment: encodeCompressed(point), blinding: r };
}

/** True iff `commitment` = v·G + r·H (the opening revealed in full). */
export function checkOpening(commitment: Uint8Array, value: bigint, blinding: bigint): boolean {
  const c = pointArg(commitment, 'commitment');
  assertScalar(value, 'value');
  assertScalar(blinding, 'blinding');
  const expected = commitPoint(value, blinding);
  return !expected.is0() && equalBytes(encodeCompressed(expected), encodeCompressed(c));
}

export interface OpeningProof {
  readonly a: Point;
  readonly z: bigint;
}

export function encodeOpeningProof(proof: OpeningProof): Uint8Array {
  return encodeFields([proof.a, proof.z]);
}

export function decodeOpeningProof(bytes: Uint8Array): OpeningProof {
  const r = new Reader(bytes, 'opening proof', OPENING_PROOF_BYTES);
  return { a: r.point('A'), z: r.scalar('z') };
}

function openingTranscript(commitment: Uint8Array, value: bigint, context: Uint8Array, a: Point): Transcript {
  const t = new Transcript('opening', context);
  t.append('commitment', commitment);
  t.append('value', scalarToBytes(value));
  t.append('A', encodeCompressed(a));
  return t;
}

export interface ProveOpeningArgs {
  readonly commitment: Uint8Array;
  readonly value: bigint;
  readonly blinding: bigint;
  readonly context: Uint8Array;
}

/** The proof that `commitment` opens to `value` (refused unless it does). */
export function proveOpeningWith(args: ProveOpeningArgs, scalars: ScalarSource): Uint8Array {
  const { commitment, value, blinding, context } = args;
  if (!checkOpening(commitment, value, blinding)) throw new RangeError('commitment does not open to value');
  const nonce = scalars();
  const a = pedersenH().point.multiply(nonce);
  const c = openingTranscript(commitment, value, context, a).challengeScalar('c');
  if (c === 0n) throw new RangeError('challenge is zero');
  return encodeOpeningProof({ a, z: (nonce + c * blinding) % SM2_N });
}

export function proveOpening(args: ProveOpeningArgs): Uint8Array {
  return proveOpeningWith(args, systemScalars);
}

export interface VerifyOpeningArgs {
  readonly commitment: Uint8Array;
  readonly value: bigint;
  readonly context: Uint8Array;
  readonly proof: Uint8Array;
}

/** True iff `proof` shows `commitment` opens to `value` in `context`. RangeError if malformed. */
export function verifyOpening(args: VerifyOpeningArgs): boolean {
  const { commitment, value, context, proof } = args;
  const c = pointArg(commitment, 'commitment');
  assertScalar(value, 'value');
  const { a, z } = decodeOpeningProof(proof);
  const challenge = openingTranscript(commitment, value, context, a).challengeScalar('c');
  if (challenge === 0n) return false;
  const [ta, tc] = oddMultiples([affineOf(a), affineOf(c)]) as [OddMultiples, OddMultiples];
  const sum = msm(
    [
      { table: ta, scalar: -1n },
      { table: tc, scalar: -challenge },
    ],
    [
      { table: pedersenH().table(), scalar: z },
      { table: baseTable(), scalar: challenge * value },
    ],
  );
  return isIdentity(sum);
}
