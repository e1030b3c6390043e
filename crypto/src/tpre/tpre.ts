// SPDX-License-Identifier: Apache-2.0
/**
 * Threshold proxy re-encryption on the SM2 curve with SM3 (docs/protocol.md §15): an Umbral-style
 * key encapsulation whose capsule a delegating key opens directly, and which t of n proxies can
 * re-encrypt to a receiver with key fragments, each re-encryption carrying a proof that it used the
 * fragment the delegating key signed. Every hash is SM3 through RFC 9380 expand_message_xmd with a
 * domain-separation tag of its own; the shared point becomes a key by the GB/T 32918.4 KDF.
 *
 * Secrets (scalars of keys, fragments and nonces) only ever meet constant-time scalar
 * multiplication and branch-free arithmetic; the verifiers use public values only and are
 * deterministic, so the chaincode can run them.
 */
import { randomBytes } from 'node:crypto';
import { assertBytes, bytesToBigInt, concatBytes, utf8 } from '../bytes';
import { decodeCompressed, decodeScalar, encodeCompressed, Point, SM2_N, scalarToBytes } from '../sm2/curve';
import { kdf } from '../sm2/encrypt';
import { hashToScalar as hashToScalarWide } from '../sm2/hash-to-field';
import { invertSecret, randomScalar } from '../sm2/scalar';
import { sm3 } from '../sm3';

export const TPRE_DST_PREFIX = 'medshare/v1/tpre/';
export const POINT_BYTES = 33;
export const SCALAR_BYTES = 32;
export const FRAGMENT_ID_BYTES = 32;
export const CAPSULE_BYTES = 2 * POINT_BYTES + SCALAR_BYTES;
export const KEY_FRAGMENT_BYTES = FRAGMENT_ID_BYTES + SCALAR_BYTES + 2 * POINT_BYTES + 2 * SCALAR_BYTES;
export const CAPSULE_FRAGMENT_BYTES =
  2 * POINT_BYTES + FRAGMENT_ID_BYTES + POINT_BYTES + 4 * POINT_BYTES + 3 * SCALAR_BYTES;
/** Bytes of key the KEM derives (GB/T 32918.4 KDF output). */
export const KEM_KEY_BYTES = 32;
export const MAX_FRAGMENTS = 255;

/**
 * H_tag(parts) = OS2IP(expand_message_xmd_SM3(framed(parts), "medshare/v1/tpre/" ‖ tag, 48)) mod n:
 * 384 bits reduced mod a 256-bit n, so the bias is below 2^-128.
 */
function hashToScalar(tag: string, parts: readonly Uint8Array[]): bigint {
  return hashToScalarWide(utf8(TPRE_DST_PREFIX + tag), parts);
}

function required<T>(value: T | undefined, name: string): T {
  if (value === undefined) throw new RangeError(`missing ${name}`);
  return value;
}

function mod(value: bigint): bigint {
  const r = value % SM2_N;
  return r < 0n ? r + SM2_N : r;
}

export const encodePoint = encodeCompressed;

/** A compressed SEC1 point (02/03 ‖ x) on the curve and not the identity. */
export const decodePoint = decodeCompressed;

/**
 * U, the second generator: the first x = OS2IP(SM3("medshare/v1/tpre/U" ‖ I2OSP(ctr, 4))), ctr = 0, 1, …,
 * that is below p and has a point, with the even y. Nobody knows log_G(U). Public, computed once.
 */
function secondGenerator(): Point {
  const { Fp } = Point;
  for (let ctr = 0; ctr < 256; ctr++) {
    const counter = new Uint8Array(4);
    new DataView(counter.buffer).setUint32(0, ctr);
    const x = bytesToBigInt(sm3(concatBytes(utf8(`${TPRE_DST_PREFIX}U`), counter)));
    if (x >= Fp.ORDER) continue;
    try {
      return Point.fromBytes(concatBytes(Uint8Array.of(0x02), scalarToBytes(x)));
    } catch {
      // x³ + ax + b is not a square: next counter.
    }
  }
  throw new RangeError('no second generator found');
}

export const U = secondGenerator();
// A fixed-base table like G's: U appears in every key fragment, re-encryption and verification.
U.precompute(8, false);

/** A key pair as scalar and point; the delegating pair is per file, never a user's identity key. */
export interface KeyPair {
  readonly secret: bigint;
  readonly publicKey: Point;
}

export function generateKeyPair(): KeyPair {
  const secret = randomScalar();
  return { secret, publicKey: Point.BASE.multiply(secret) };
}

export interface Capsule {
  readonly e: Point;
  readonly v: Point;
  readonly s: bigint;
}

export function encodeCapsule(capsule: Capsule): Uint8Array {
  return concatBytes(encodePoint(capsule.e), encodePoint(capsule.v), scalarToBytes(capsule.s));
}

/** Parses and checks a capsule (points on the curve, s·G = V + H(E, V)·E). */
export function decodeCapsule(bytes: Uint8Array): Capsule {
  assertBytes(bytes, 'capsule', CAPSULE_BYTES);
  const capsule = {
    e: decodePoint(bytes.subarray(0, 33), 'capsule.E'),
    v: decodePoint(bytes.subarray(33, 66), 'capsule.V'),
    s: decodeScalar(bytes.subarray(66, 98), 'capsule.s', true),
  };
  if (!capsuleIsValid(capsule))
    throw new RangeError('capsule check failed: s·G ≠ V + H(E, V)·E or E + V is the identity');
  return capsule;
}

function capsuleHash(e: Point, v: Point): bigint {
  return hashToScalar('capsule', [encodePoint(e), encodePoint(v)]);
}

/** s·G = V + H(E, V)·E, and E + V is not the identity (it would carry no key). */
export function capsuleIsValid(capsule: Capsule): boolean {
  if (capsule.e.add(capsule.v).is0()) return false;
  const h = capsuleHash(capsule.e, capsule.v);
  return Point.BASE.multiplyUnsafe(capsule.s).equals(capsule.v.add(capsule.e.multiplyUnsafe(h)));
}

/** K = KDF(x ‖ y of the shared point, 32) (GB/T 32918.4 §5.4.3). */
function kemKey(shared: Point): Uint8Array {
  if (shared.is0()) throw new RangeError('the shared point is the identity');
  const { x, y } = shared.toAffine();
  return kdf(concatBytes(scalarToBytes(x), scalarToBytes(y)), KEM_KEY_BYTES);
}

/** The random values of one encapsulation (fixed only by vectors: see tpre-testing.ts). */
export interface EncapsulateNonces {
  readonly r: bigint;
  readonly u: bigint;
}

/** A fresh capsule for the delegating public key and the 32-byte key it carries. */
export function encapsulate(delegating: Point): { capsule: Capsule; key: Uint8Array } {
  return encapsulateWith(delegating, { r: randomScalar(), u: randomScalar() });
}

export function encapsulateWith(delegating: Point, { r, u }: EncapsulateNonces): { capsule: Capsule; key: Uint8Array } {
  const e = Point.BASE.multiply(r);
  const v = Point.BASE.multiply(u);
  const s = mod(u + r * capsuleHash(e, v));
  return { capsule: { e, v, s }, key: kemKey(delegating.multiply(mod(r + u))) };
}

/** The delegating key opens its own capsule: K = KDF(a·(E + V)). */
export function decapsulate(delegatingSecret: bigint, capsule: Capsule): Uint8Array {
  if (!capsuleIsValid(capsule))
    throw new RangeError('capsule check failed: s·G ≠ V + H(E, V)·E or E + V is the identity');
  return kemKey(capsule.e.add(capsule.v).multiply(delegatingSecret));
}

export interface KeyFragment {
  readonly id: Uint8Array;
  readonly rk: bigint;
  /** The precursor X_A = x_A·G shared by all fragments of one delegation. */
  readonly precursor: Point;
  /** U1 = rk·U: a commitment to rk. */
  readonly commitment: Point;
  /** Schnorr signature (z1, z2) by the delegating key over (id, A, B, U1, X_A). */
  readonly z1: bigint;
  readonly z2: bigint;
}

export function encodeKeyFragment(f: KeyFragment): Uint8Array {
  return concatBytes(
    f.id,
    scalarToBytes(f.rk),
    encodePoint(f.precursor),
    encodePoint(f.commitment),
    scalarToBytes(f.z1),
    scalarToBytes(f.z2),
  );
}

export function decodeKeyFragment(bytes: Uint8Array): KeyFragment {
  assertBytes(bytes, 'keyFragment', KEY_FRAGMENT_BYTES);
  return {
    id: bytes.slice(0, 32),
    rk: decodeScalar(bytes.subarray(32, 64), 'keyFragment.rk'),
    precursor: decodePoint(bytes.subarray(64, 97), 'keyFragment.precursor'),
    commitment: decodePoint(bytes.subarray(97, 130), 'keyFragment.commitment'),
    z1: decodeScalar(bytes.subarray(130, 162), 'keyFragment.z1', true),
    z2: decodeScalar(bytes.subarray(162, 194), 'keyFragment.z2', true),
  };
}

/** d = H_dh(X_A, B, shared): the non-interactive Diffie–Hellman factor between precursor and receiver. */
function dhFactor(precursor: Point, receiver: Point, shared: Point): bigint {
  return hashToScalar('dh', [encodePoint(precursor), encodePoint(receiver), encodePoint(shared)]);
}

/** D = H_base(A, B, a·B = b·A): only the delegator and the receiver can place the fragments. */
function evaluationBase(delegating: Point, receiver: Point, shared: Point): Uint8Array {
  return scalarToBytes(hashToScalar('id-base', [encodePoint(delegating), encodePoint(receiver), encodePoint(shared)]));
}

function evaluationPoint(id: Uint8Array, base: Uint8Array): bigint {
  return hashToScalar('x', [id, base]);
}

function fragmentChallenge(
  y: Point,
  id: Uint8Array,
  delegating: Point,
  receiver: Point,
  commitment: Point,
  precursor: Point,
): bigint {
  return hashToScalar('kfrag', [
    encodePoint(y),
    id,
    encodePoint(delegating),
    encodePoint(receiver),
    encodePoint(commitment),
    encodePoint(precursor),
  ]);
}

/** The random values of one delegation (fixed only by vectors). */
export interface KeyFragmentNonces {
  readonly precursor: bigint;
  readonly coefficients: readonly bigint[];
  readonly ids: readonly Uint8Array[];
  readonly signing: readonly bigint[];
}

/**
 * t-of-n key fragments re-encrypting the delegating key's capsules to `receiver`:
 * f(x) = a·d⁻¹ + c1·x + … + c(t−1)·x^(t−1), rk_i = f(H_x(id_i, D)).
 */
export function generateKeyFragments(
  delegating: KeyPair,
  receiver: Point,
  threshold: number,
  shares: number,
): KeyFragment[] {
  return generateKeyFragmentsWith(delegating, receiver, threshold, shares, {
    precursor: randomScalar(),
    coefficients: Array.from({ length: Math.max(0, threshold - 1) }, randomScalar),
    ids: Array.from(
      { length: Math.max(0, Math.min(shares, MAX_FRAGMENTS)) },
      () => new Uint8Array(randomBytes(FRAGMENT_ID_BYTES)),
    ),
    signing: Array.from({ length: Math.max(0, Math.min(shares, MAX_FRAGMENTS)) }, randomScalar),
  });
}

export function generateKeyFragmentsWith(
  delegating: KeyPair,
  receiver: Point,
  threshold: number,
  shares: number,
  nonces: KeyFragmentNonces,
): KeyFragment[] {
  if (
    !Number.isInteger(threshold) ||
    !Number.isInteger(shares) ||
    threshold < 1 ||
    shares < threshold ||
    shares > MAX_FRAGMENTS
  ) {
    throw new RangeError(`threshold and shares must satisfy 1 ≤ t ≤ n ≤ ${MAX_FRAGMENTS}`);
  }
  const a = delegating.secret;
  const xA = nonces.precursor;
  const precursor = Point.BASE.multiply(xA);
  const d = dhFactor(precursor, receiver, receiver.multiply(xA));
  const coefficients = [mod(a * invertSecret(d))];
  for (let i = 1; i < threshold; i++) coefficients.push(required(nonces.coefficients[i - 1], 'coefficient'));
  const base = evaluationBase(delegating.publicKey, receiver, receiver.multiply(a));
  const fragments: KeyFragment[] = [];
  for (let i = 0; i < shares; i++) {
    const id = required(nonces.ids[i], 'fragment id');
    assertBytes(id, 'fragment id', FRAGMENT_ID_BYTES);
    const x = evaluationPoint(id, base);
    // Horner's rule: the same operations whatever the coefficients are.
    let rk = 0n;
    for (let j = coefficients.length - 1; j >= 0; j--) rk = mod(rk * x + (coefficients[j] ?? 0n));
    const commitment = U.multiply(rk);
    const y = required(nonces.signing[i], 'signing nonce');
    const z1 = fragmentChallenge(Point.BASE.multiply(y), id, delegating.publicKey, receiver, commitment, precursor);
    const z2 = mod(y - a * z1);
    fragments.push({ id, rk, precursor, commitment, z1, z2 });
  }
  return fragments;
}

/** The delegating key's signature over a fragment's public part (what proxies and receivers check). */
function signatureHolds(
  id: Uint8Array,
  commitment: Point,
  precursor: Point,
  z1: bigint,
  z2: bigint,
  delegating: Point,
  receiver: Point,
): boolean {
  const y = Point.BASE.multiplyUnsafe(z2).add(delegating.multiplyUnsafe(z1));
  if (y.is0()) return false;
  return fragmentChallenge(y, id, delegating, receiver, commitment, precursor) === z1;
}

/** A proxy checks the fragment it holds: signed by the delegating key for this receiver, and U1 = rk·U. */
export function verifyKeyFragment(fragment: KeyFragment, delegating: Point, receiver: Point): boolean {
  if (!U.multiply(fragment.rk).equals(fragment.commitment)) return false;
  return signatureHolds(
    fragment.id,
    fragment.commitment,
    fragment.precursor,
    fragment.z1,
    fragment.z2,
    delegating,
    receiver,
  );
}

export interface CapsuleFragment {
  readonly e1: Point;
  readonly v1: Point;
  readonly id: Uint8Array;
  readonly precursor: Point;
  readonly proof: ReEncryptionProof;
}

/** Chaum–Pedersen proof that E1, V1 and U1 use one exponent, plus the fragment's signature. */
export interface ReEncryptionProof {
  readonly e2: Point;
  readonly v2: Point;
  readonly u2: Point;
  readonly commitment: Point;
  readonly z1: bigint;
  readonly z2: bigint;
  readonly z3: bigint;
}

export function encodeCapsuleFragment(c: CapsuleFragment): Uint8Array {
  const p = c.proof;
  return concatBytes(
    encodePoint(c.e1),
    encodePoint(c.v1),
    c.id,
    encodePoint(c.precursor),
    encodePoint(p.e2),
    encodePoint(p.v2),
    encodePoint(p.u2),
    encodePoint(p.commitment),
    scalarToBytes(p.z1),
    scalarToBytes(p.z2),
    scalarToBytes(p.z3),
  );
}

export function decodeCapsuleFragment(bytes: Uint8Array): CapsuleFragment {
  assertBytes(bytes, 'capsuleFragment', CAPSULE_FRAGMENT_BYTES);
  const point = (offset: number, name: string): Point =>
    decodePoint(bytes.subarray(offset, offset + POINT_BYTES), `capsuleFragment.${name}`);
  const scalar = (offset: number, name: string): bigint =>
    decodeScalar(bytes.subarray(offset, offset + SCALAR_BYTES), `capsuleFragment.${name}`, true);
  return {
    e1: point(0, 'E1'),
    v1: point(33, 'V1'),
    id: bytes.slice(66, 98),
    precursor: point(98, 'precursor'),
    proof: {
      e2: point(131, 'E2'),
      v2: point(164, 'V2'),
      u2: point(197, 'U2'),
      commitment: point(230, 'U1'),
      z1: scalar(263, 'z1'),
      z2: scalar(295, 'z2'),
      z3: scalar(327, 'z3'),
    },
  };
}

function proofChallenge(
  capsule: Capsule,
  e1: Point,
  v1: Point,
  p: Omit<ReEncryptionProof, 'z1' | 'z2' | 'z3'>,
  context: Uint8Array,
): bigint {
  return hashToScalar('cfrag', [
    encodePoint(capsule.e),
    encodePoint(e1),
    encodePoint(p.e2),
    encodePoint(capsule.v),
    encodePoint(v1),
    encodePoint(p.v2),
    encodePoint(U),
    encodePoint(p.commitment),
    encodePoint(p.u2),
    context,
  ]);
}

/**
 * A proxy re-encrypts a capsule with its fragment: E1 = rk·E, V1 = rk·V, and proves it.
 * `context` binds the proof to the request (medshare: the grant it serves); verifiers pass the same.
 */
export function reEncrypt(fragment: KeyFragment, capsule: Capsule, context: Uint8Array): CapsuleFragment {
  return reEncryptWith(fragment, capsule, context, randomScalar());
}

export function reEncryptWith(
  fragment: KeyFragment,
  capsule: Capsule,
  context: Uint8Array,
  t: bigint,
): CapsuleFragment {
  assertBytes(context, 'context');
  if (!capsuleIsValid(capsule))
    throw new RangeError('capsule check failed: s·G ≠ V + H(E, V)·E or E + V is the identity');
  const { rk } = fragment;
  const e1 = capsule.e.multiply(rk);
  const v1 = capsule.v.multiply(rk);
  const commitments = {
    e2: capsule.e.multiply(t),
    v2: capsule.v.multiply(t),
    u2: U.multiply(t),
    commitment: fragment.commitment,
  };
  const h = proofChallenge(capsule, e1, v1, commitments, context);
  const z3 = mod(t + h * rk);
  return {
    e1,
    v1,
    id: fragment.id,
    precursor: fragment.precursor,
    proof: { ...commitments, z1: fragment.z1, z2: fragment.z2, z3 },
  };
}

/** Deterministic check of a capsule fragment: the re-encryption proof and the delegating key's signature. */
export function verifyCapsuleFragment(
  fragment: CapsuleFragment,
  capsule: Capsule,
  delegating: Point,
  receiver: Point,
  context: Uint8Array,
): boolean {
  const p = fragment.proof;
  const h = proofChallenge(capsule, fragment.e1, fragment.v1, p, context);
  const z3 = p.z3;
  const holds = (base: Point, committed: Point, image: Point): boolean =>
    base.multiplyUnsafe(z3).equals(committed.add(image.multiplyUnsafe(h)));
  return (
    holds(capsule.e, p.e2, fragment.e1) &&
    holds(capsule.v, p.v2, fragment.v1) &&
    holds(U, p.u2, p.commitment) &&
    signatureHolds(fragment.id, p.commitment, fragment.precursor, p.z1, p.z2, delegating, receiver)
  );
}

/** In order, per fragment: same precursor as the first, an id not seen before, then its proof and signature. */
function expectFragmentsOfOneDelegation(
  fragments: readonly CapsuleFragment[],
  precursor: Point,
  capsule: Capsule,
  delegating: Point,
  receiver: Point,
  context: Uint8Array,
): void {
  const ids = new Set<string>();
  for (const [i, fragment] of fragments.entries()) {
    if (!fragment.precursor.equals(precursor))
      throw new RangeError(`capsule fragment ${i} belongs to another delegation`);
    const idHex = Buffer.from(fragment.id).toString('hex');
    if (ids.has(idHex)) throw new RangeError(`capsule fragment ${i} repeats another fragment`);
    ids.add(idHex);
    if (!verifyCapsuleFragment(fragment, capsule, delegating, receiver, context)) {
      throw new RangeError(`capsule fragment ${i} failed verification`);
    }
  }
}

/**
 * Σ λ_i·(E1_i + V1_i) with λ_i = Π_{j≠i} x_j / (x_j − x_i), the Lagrange coefficient at 0;
 * Σ λ_i·E1_i + Σ λ_i·V1_i = Σ λ_i·(E1_i + V1_i) costs one multiplication per fragment.
 */
function combineFragments(used: readonly CapsuleFragment[], xs: readonly bigint[]): Point {
  let sum = Point.ZERO;
  for (const [i, fragment] of used.entries()) {
    let numerator = 1n;
    let denominator = 1n;
    for (const [j, xj] of xs.entries()) {
      if (j === i) continue;
      numerator = mod(numerator * xj);
      denominator = mod(denominator * (xj - (xs[i] ?? 0n)));
    }
    sum = sum.add(fragment.e1.add(fragment.v1).multiply(mod(numerator * invertSecret(denominator))));
  }
  return sum;
}

/**
 * The receiver opens a capsule from `threshold` or more verified fragments of one delegation:
 * K = KDF(d·Σ λ_i·(E1_i + V1_i)), λ_i the Lagrange coefficients at 0 of the fragments' points.
 * Throws RangeError naming the failed check; never returns a key from an unverified fragment.
 */
export function decapsulateFragments(
  receiver: KeyPair,
  delegating: Point,
  capsule: Capsule,
  fragments: readonly CapsuleFragment[],
  threshold: number,
  context: Uint8Array,
): Uint8Array {
  if (!Number.isInteger(threshold) || threshold < 1 || threshold > MAX_FRAGMENTS)
    throw new RangeError(`threshold must be in 1..${MAX_FRAGMENTS}`);
  if (!capsuleIsValid(capsule))
    throw new RangeError('capsule check failed: s·G ≠ V + H(E, V)·E or E + V is the identity');
  if (fragments.length < threshold)
    throw new RangeError(`${fragments.length} capsule fragments are below the threshold ${threshold}`);
  const precursor = fragments[0]?.precursor;
  if (!precursor) throw new RangeError('no capsule fragments');
  expectFragmentsOfOneDelegation(fragments, precursor, capsule, delegating, receiver.publicKey, context);
  const used = fragments.slice(0, threshold);
  const base = evaluationBase(delegating, receiver.publicKey, delegating.multiply(receiver.secret));
  const sum = combineFragments(
    used,
    used.map((f) => evaluationPoint(f.id, base)),
  );
  const d = dhFactor(precursor, receiver.publicKey, precursor.multiply(receiver.secret));
  const shared = sum.multiply(d);
  return kemKey(shared);
}
