// SPDX-License-Identifier: Apache-2.0
/**
 * Linkable ring signatures on SM2 with SM3 (docs/protocol.md §18): bLSAG (blsag.ts) over
 * sm2p256v1, with the scope point H = Hp(scope) by RFC 9380 hash-to-curve (SM2_XMD:SM3_SSWU_RO_)
 * and the key image I = x·H, so one key signs with one I per scope (a study) and with unlinkable
 * key images across scopes.
 *
 * - Signing uses noble's constant-time multiplication for every product (the key image, the
 *   signer's commitment and the decoys alike, so the signer's position shows in no step's
 *   timing), and draws α and the decoy responses from RFC 6979's HMAC-SM3 generator keyed by x.
 * - Verification sees public values only and runs on the variable-time Jacobian arithmetic of
 *   sm2/jacobian.ts: no randomness, identical results on every endorser. Members' keys and the
 *   scope point go through the SM2 verification key cache (sm2/verify-keys.ts), which gives hot
 *   keys a width-6 table between requests; the key image, and a scope point without a cached
 *   table, get a table for the one verification when the ring is large enough to repay it.
 */
import { assertBytes, concatBytes, equalBytes, toHex, utf8 } from '../bytes';
import {
  COMPRESSED_POINT_BYTES,
  decodeCompressed,
  decodePoint,
  decodeScalar,
  encodeCompressed,
  encodePoint,
  FIELD_BYTES,
  Point,
  scalarToBytes,
  SM2_N,
} from '../sm2/curve';
import { hashToCurveSm2 } from '../sm2/hash-to-curve';
import { hashToScalar, prefixedHashToScalar } from '../sm2/hash-to-field';
import { sm3 } from '../sm3';
import type { Affine, FixedTable, Jac } from '../sm2/jacobian';
import { privateScalar } from '../sm2/keys';
import { rfc6979Nonces } from '../sm2/sign';
import { baseTable, sm2Arithmetic, verifyKey } from '../sm2/verify-keys';
import { blsagSign, blsagVerify, type BlsagGroup, type BlsagSigningGroup, type Commitment } from './blsag';

export const RING_MIN_SIZE = 1;
/** The scheme's bound; the protocol sets its own, narrower one. */
export const RING_MAX_SIZE = 1024;
export const RING_MEMBER_BYTES = 65;
export const RING_KEY_IMAGE_BYTES = COMPRESSED_POINT_BYTES;
export const RING_SCALAR_BYTES = FIELD_BYTES;
export const RING_DST_PREFIX = 'medshare/v1/ring/';
/** RFC 9380 §3.1 DST of Hp: the prefix and the suite ID SM2_XMD:SM3_SSWU_RO_. */
export const RING_HASH_TO_CURVE_DST = `${RING_DST_PREFIX}SM2_XMD:SM3_SSWU_RO_`;
export const RING_CHALLENGE_DST = `${RING_DST_PREFIX}challenge`;
export const RING_NONCE_DST = `${RING_DST_PREFIX}nonce`;

const H2C_DST = utf8(RING_HASH_TO_CURVE_DST);
const CHALLENGE_DST = utf8(RING_CHALLENGE_DST);
const NONCE_DST = utf8(RING_NONCE_DST);

/**
 * The window of the table the key image (and a scope point without a cached table) gets for one
 * verification, by ring size: a product costs ~0.75 ms by wNAF; a table (jacobian.ts fixedTable)
 * of width 3 costs ~1.7 ms once and ~0.19 ms a product, width 4 ~2.3 ms and ~0.16 ms, width 5
 * ~3.1 ms and ~0.14 ms (this machine, shared load). 0 = no table.
 */
function transientWindow(uses: number): number {
  if (uses <= 2) return 0;
  if (uses <= 12) return 3;
  return uses <= 64 ? 4 : 5;
}

/** noble's window for H and I while signing (each multiplied once per position). */
const SIGNING_WINDOW = 4;

function assertRingSize(size: number): void {
  if (!Number.isInteger(size) || size < RING_MIN_SIZE || size > RING_MAX_SIZE)
    throw new RangeError(`ring size must be an integer in [${RING_MIN_SIZE}, ${RING_MAX_SIZE}], got ${size}`);
}

/** 33 (key image) + 32 (c_0) + 32 per member. */
export function ringSignatureLength(ringSize: number): number {
  assertRingSize(ringSize);
  return RING_KEY_IMAGE_BYTES + RING_SCALAR_BYTES * (1 + ringSize);
}

function assertScope(scope: Uint8Array): void {
  assertBytes(scope, 'scope');
  if (scope.length === 0) throw new RangeError('scope must not be empty');
}

/**
 * Scope points recently hashed, keyed by SM3(scope): Hp costs two square roots (~0.5 ms), and the
 * chaincode verifies many signatures in one study. An LRU of 256 entries (~80 KiB); each entry
 * keeps the affine point and its uncompressed hex (the verification key cache's key for H).
 *
 * A scope on its {@link SCOPE_TABLE_AFTER_USES}th verification in the memo earns a width-10 table
 * of H (as wide as G's: 13,824 points, ~1.5 MiB, ~60 ms; [s]H in 26 additions instead of a key
 * table's 43), built between requests (setImmediate), once per memo residency; at most
 * {@link SCOPE_TABLES_MAX} scopes hold one (LRU, ~6 MiB): every ring of a study shares it. A
 * scope without one multiplies H by the verification key cache's width-6 table or a transient one.
 */
const SCOPE_POINTS_MAX = 256;
const SCOPE_TABLE_WINDOW = 10;
const SCOPE_TABLE_AFTER_USES = 4;
const SCOPE_TABLES_MAX = 4;

interface ScopeEntry {
  readonly id: string;
  readonly affine: Affine;
  readonly hex: string;
  uses: number;
  table: FixedTable | undefined;
}

const scopePoints = new Map<string, ScopeEntry>();
const scopeTables = new Map<string, ScopeEntry>(); // LRU order: first = least recently used
const scopeQueue: ScopeEntry[] = [];

function scopePoint(scope: Uint8Array): ScopeEntry {
  assertScope(scope);
  const id = toHex(sm3(scope));
  let entry = scopePoints.get(id);
  if (entry) {
    scopePoints.delete(id);
  } else {
    const h = hashToCurveSm2(scope, H2C_DST);
    // Probability about 2^-256; a scope whose point is the identity cannot carry key images.
    if (h.is0()) throw new RangeError('scope hashes to the identity');
    entry = { id, affine: h.toAffine(), hex: toHex(encodePoint(h)), uses: 0, table: undefined };
    if (scopePoints.size >= SCOPE_POINTS_MAX) forgetScope(scopePoints.keys().next().value as string);
  }
  scopePoints.set(id, entry);
  return entry;
}

function forgetScope(id: string): void {
  const entry = scopePoints.get(id);
  if (entry) entry.table = undefined;
  scopePoints.delete(id);
  scopeTables.delete(id);
}

/** Counts a verification in the scope; queues its table build on the threshold use. */
function countScopeUse(entry: ScopeEntry): void {
  if (entry.table) {
    scopeTables.delete(entry.id);
    scopeTables.set(entry.id, entry);
  }
  if (++entry.uses !== SCOPE_TABLE_AFTER_USES) return;
  if (scopeQueue.push(entry) === 1) setImmediate(buildQueuedScopeTables).unref();
}

/** Builds the queued scope tables now (setImmediate does it between requests; tests, benchmarks). */
export function buildQueuedScopeTables(): number {
  let n = 0;
  for (let entry = scopeQueue.shift(); entry; entry = scopeQueue.shift()) {
    if (entry.table || scopePoints.get(entry.id) !== entry) continue;
    entry.table = sm2Arithmetic.fixedTable(entry.affine, SCOPE_TABLE_WINDOW);
    scopeTables.set(entry.id, entry);
    if (scopeTables.size > SCOPE_TABLES_MAX) {
      const [oldId, old] = scopeTables.entries().next().value as [string, ScopeEntry];
      old.table = undefined;
      scopeTables.delete(oldId);
    }
    n++;
  }
  return n;
}

/** H = Hp(scope): RFC 9380 hash_to_curve onto sm2p256v1 under RING_HASH_TO_CURVE_DST (a new Point each call). */
export function ringScopePoint(scope: Uint8Array): Point {
  return Point.fromAffine(scopePoint(scope).affine);
}

function assertRingArray(ring: readonly Uint8Array[]): void {
  if (!Array.isArray(ring)) throw new TypeError('ring must be an array of public keys');
  assertRingSize(ring.length);
}

/** The ring as the challenge binds it: P_0 ‖ … ‖ P_{n−1}, 65 bytes each, in the caller's order. */
function ringBytes(ring: readonly Uint8Array[]): Uint8Array {
  return concatBytes(...ring);
}

/** H_c(ring, scope, I, message, L_i, R_i), with everything but (L_i, R_i) hashed once. */
function challenger(
  ring: readonly Uint8Array[],
  scope: Uint8Array,
  image: Uint8Array,
  message: Uint8Array,
): (commitment: Commitment) => bigint {
  const hash = prefixedHashToScalar(CHALLENGE_DST, [ringBytes(ring), scope, image, message]);
  return (commitment) => hash(commitment);
}

/** 33-byte compressed key image x·Hp(scope). Constant time in x. */
export function ringKeyImage(privateKey: string, scope: Uint8Array): Uint8Array {
  const x = privateScalar(privateKey);
  return encodeCompressed(ringScopePoint(scope).multiply(x));
}

export interface RingSignArgs {
  readonly message: Uint8Array;
  readonly scope: Uint8Array;
  /** Members' SM2 public keys, 65 bytes `04 ‖ x ‖ y` each, in the caller's order. */
  readonly ring: readonly Uint8Array[];
  /** The signer's position in `ring`. */
  readonly signer: number;
  /** The signer's SM2 private key, 32-byte hex as the sm2 module takes it. */
  readonly privateKey: string;
}

export interface RingVerifyArgs {
  readonly message: Uint8Array;
  readonly scope: Uint8Array;
  readonly ring: readonly Uint8Array[];
  readonly signature: Uint8Array;
}

/** Constant-time k·P that also takes k = 0 (a challenge of 0 has probability 2^-256; it is public). */
function multiplyCT(point: Point, k: bigint): Point {
  return k === 0n ? Point.ZERO : point.multiply(k);
}

function encodePair(l: Point, r: Point): Commitment | undefined {
  if (l.is0() || r.is0()) return undefined;
  return [encodeCompressed(l), encodeCompressed(r)];
}

/** One signature's ring, scope point H and key image I, as points (signer) or multipliers (verifier). */
abstract class RingGroup<T> {
  readonly order = SM2_N;

  constructor(
    protected readonly members: readonly T[],
    protected readonly h: T,
    protected readonly image: T,
    readonly challenge: (commitment: Commitment) => bigint,
  ) {}
}

class SigningGroup extends RingGroup<Point> implements BlsagSigningGroup {
  commitNonce(alpha: bigint): Commitment {
    const commitment = encodePair(Point.BASE.multiply(alpha), this.h.multiply(alpha));
    if (!commitment) throw new RangeError('the nonce commitment is the identity');
    return commitment;
  }

  commit(index: number, s: bigint, c: bigint): Commitment | undefined {
    const member = this.members[index] as Point;
    const l = Point.BASE.multiply(s).add(multiplyCT(member, c));
    const r = this.h.multiply(s).add(multiplyCT(this.image, c));
    return encodePair(l, r);
  }
}

function decodeSigningRing(ring: readonly Uint8Array[]): Point[] {
  assertRingArray(ring);
  return ring.map((member, i) => decodePoint(member, `ring[${i}]`));
}

function assertSigner(signer: number, size: number): void {
  if (typeof signer !== 'number') throw new TypeError('signer must be a number');
  if (!Number.isInteger(signer) || signer < 0 || signer >= size)
    throw new RangeError(`signer must be an index into the ring, 0 … ${size - 1}`);
}

/**
 * Encoded signature `I (33) ‖ c_0 (32) ‖ s_0 … s_{n−1} (32 each)`. Deterministic: the nonces come
 * from RFC 6979's HMAC-SM3 generator seeded with x and H_nonce(ring, scope, message).
 */
export function ringSign(args: RingSignArgs): Uint8Array {
  const { message, scope, ring, signer, privateKey } = args;
  assertBytes(message, 'message');
  const members = decodeSigningRing(ring);
  assertSigner(signer, ring.length);
  const x = privateScalar(privateKey);
  if (!equalBytes(encodePoint(Point.BASE.multiply(x)), ring[signer] as Uint8Array))
    throw new RangeError('ring[signer] is not the public key of privateKey');
  // Tables for H and I: each is multiplied once per position (noble's windows stay constant time).
  const h = ringScopePoint(scope).precompute(SIGNING_WINDOW, false);
  const image = h.multiply(x).precompute(SIGNING_WINDOW, false);
  const imageBytes = encodeCompressed(image);
  const group = new SigningGroup(members, h, image, challenger(ring, scope, imageBytes, message));
  const seed = hashToScalar(NONCE_DST, [ringBytes(ring), scope, message]);
  const { c0, s } = blsagSign(group, ring.length, signer, x, rfc6979Nonces(x, seed));
  return concatBytes(imageBytes, scalarToBytes(c0), ...s.map(scalarToBytes));
}

/** k·Q for one verification: from a cached or transient table, else by wNAF. */
type Multiplier = (k: bigint, acc: Jac) => Jac;

function tableMultiplier(table: FixedTable): Multiplier {
  return (k, acc) => sm2Arithmetic.multiplyFixed(table, k, acc);
}

function pointMultiplier(point: Affine, cached: FixedTable | undefined, uses: number): Multiplier {
  if (cached) return tableMultiplier(cached);
  const window = transientWindow(uses);
  if (window > 0) return tableMultiplier(sm2Arithmetic.fixedTable(point, window));
  return (k, acc) => sm2Arithmetic.multiplyWnaf(point, k, acc);
}

const INFINITY: Jac = [1n, 1n, 0n];

function compress({ x, y }: Affine): Uint8Array {
  return concatBytes(Uint8Array.of(y & 1n ? 0x03 : 0x02), scalarToBytes(x));
}

/** Public data only: variable-time arithmetic, no randomness. */
class VerifyingGroup extends RingGroup<Multiplier> implements BlsagGroup {
  commit(index: number, s: bigint, c: bigint): Commitment | undefined {
    const member = this.members[index] as Multiplier;
    const l = member(c, sm2Arithmetic.multiplyFixed(baseTable(), s));
    const r = this.image(c, this.h(s, INFINITY));
    if (l[2] === 0n || r[2] === 0n) return undefined;
    const [la, ra] = sm2Arithmetic.normalize([l, r]) as [Affine, Affine];
    return [compress(la), compress(ra)];
  }
}

/** Members through the verification key cache (a use each), refusing a malformed one by position. */
function verifyingMembers(ring: readonly Uint8Array[]): Multiplier[] {
  assertRingArray(ring);
  return ring.map((member, i) => {
    const name = `ring[${i}]`;
    assertBytes(member, name, RING_MEMBER_BYTES);
    try {
      const key = verifyKey(toHex(member));
      return pointMultiplier(key.point, key.table, 0);
    } catch (cause) {
      throw new RangeError(`${name} is not a valid SM2 public key (04 ‖ x ‖ y on the curve)`, { cause });
    }
  });
}

/** [k]H: the scope's own table, else through the verification key cache (a use). */
function scopeMultiplier(scope: Uint8Array, uses: number): Multiplier {
  const entry = scopePoint(scope);
  countScopeUse(entry);
  if (entry.table) return tableMultiplier(entry.table);
  const key = verifyKey(entry.hex);
  return pointMultiplier(key.point, key.table, uses);
}

interface ParsedSignature {
  readonly image: Point;
  readonly imageBytes: Uint8Array;
  readonly c0: bigint;
  readonly s: bigint[];
}

function parseSignature(signature: Uint8Array, size: number): ParsedSignature {
  const imageBytes = ringSignatureKeyImage(signature, size);
  const image = decodeCompressed(imageBytes, 'signature key image');
  const scalar = (i: number): Uint8Array =>
    signature.subarray(
      RING_KEY_IMAGE_BYTES + i * RING_SCALAR_BYTES,
      RING_KEY_IMAGE_BYTES + (i + 1) * RING_SCALAR_BYTES,
    );
  // c_0 = 0 would drop P_0 and I from the first commitment: refused, as any hash output 0 is unlikely.
  const c0 = decodeScalar(scalar(0), 'signature c0', false);
  const s = Array.from({ length: size }, (_, i) => decodeScalar(scalar(i + 1), `signature s[${i}]`, true));
  return { image, imageBytes, c0, s };
}

/**
 * True iff `signature` is a valid ring signature of `message` in `scope` by a member of `ring`.
 * Throws TypeError for a wrong type and RangeError for malformed input: ring size outside
 * [1, 1024], a member that is not a valid public key, a signature of the wrong length, a key
 * image that is not a compressed point on the curve, c_0 ∉ [1, n−1] or an s_i ≥ n.
 */
export function ringVerify(args: RingVerifyArgs): boolean {
  const { message, scope, ring, signature } = args;
  assertBytes(message, 'message');
  assertScope(scope);
  const members = verifyingMembers(ring);
  const parsed = parseSignature(signature, ring.length);
  const size = ring.length;
  const group = new VerifyingGroup(
    members,
    scopeMultiplier(scope, size),
    pointMultiplier(parsed.image.toAffine(), undefined, size),
    challenger(ring, scope, parsed.imageBytes, message),
  );
  return blsagVerify(group, { c0: parsed.c0, s: parsed.s });
}

/** The key image of an encoded signature (33 bytes, a copy), after a length check only. */
export function ringSignatureKeyImage(signature: Uint8Array, ringSize: number): Uint8Array {
  assertBytes(signature, 'signature');
  const expected = ringSignatureLength(ringSize);
  if (signature.length !== expected)
    throw new RangeError(`signature must be ${expected} bytes for a ring of ${ringSize}, got ${signature.length}`);
  return signature.slice(0, RING_KEY_IMAGE_BYTES);
}

/** Empties the scope-point memo (tests and benchmarks that need a first verification's cost). */
export function clearScopePoints(): void {
  scopePoints.clear();
  scopeTables.clear();
  scopeQueue.length = 0;
}
