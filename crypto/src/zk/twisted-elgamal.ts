// SPDX-License-Identifier: Apache-2.0
/**
 * Twisted ElGamal (Chen, Ma, Tang and Au, "Twisted ElGamal: simple, efficient and provably secure
 * encryption for confidential transactions", 2020) on sm2p256v1, docs/protocol.md §20.5:
 *
 *   keys   sk ∈ [1, n−1], pk = sk·H
 *   Enc    (X, Y) = (r·pk, v·G + r·H)       Y is a Pedersen commitment to v (§20.3)
 *   Add    (X₁ + X₂, Y₁ + Y₂) encrypts v₁ + v₂ under r₁ + r₂
 *   Dec    Y − sk⁻¹·X = v·G, then the bounded discrete log (discrete-log.ts)
 *
 * The validity proof that a ciphertext is well formed is validity.ts.
 */
import { assertBytes, concatBytes } from '../bytes';
import { decodeScalar, encodeCompressed, Point, scalarToBytes } from '../sm2/curve';
import { invertSecret } from '../sm2/scalar';
import { boundedLog, DLOG_DEFAULT_BITS } from './discrete-log';
import { assertArray, encodeFields, pointArg, POINT_BYTES, Reader, SCALAR_BYTES } from './encoding';
import { pedersenH } from './generators';
import { assertScalar } from './pedersen';
import { ctMsm, mulFixedSecret, systemScalars, type ScalarSource } from './secret';

export const ELGAMAL_SECRET_KEY_BYTES = SCALAR_BYTES;
export const ELGAMAL_PUBLIC_KEY_BYTES = POINT_BYTES;
export const CIPHERTEXT_BYTES = 2 * POINT_BYTES;
/** Plaintexts are 64-bit unsigned integers. */
export const PLAINTEXT_MAX = 2n ** 64n - 1n;

export interface Ciphertext {
  readonly x: Point;
  readonly y: Point;
}

/** X ‖ Y, compressed; a ciphertext from Enc never has the identity in it. */
export function encodeCiphertext(ct: Ciphertext): Uint8Array {
  if (ct.x.is0() || ct.y.is0())
    throw new RangeError('a ciphertext with the identity has no encoding (use an aggregate)');
  return encodeFields([ct.x, ct.y]);
}

export function decodeCiphertext(bytes: Uint8Array, name = 'ciphertext'): Ciphertext {
  const r = new Reader(bytes, name, CIPHERTEXT_BYTES);
  return { x: r.point('X'), y: r.point('Y') };
}

const IDENTITY_BYTES = new Uint8Array(POINT_BYTES);

function encodeHalf(p: Point): Uint8Array {
  return p.is0() ? IDENTITY_BYTES : encodeCompressed(p);
}

function decodeHalf(bytes: Uint8Array, name: string): Point {
  return bytes.every((b) => b === 0) ? Point.ZERO : pointArg(bytes, name);
}

/**
 * An aggregate (a sum of ciphertexts) as X ‖ Y, where either half may be the identity, encoded
 * as 33 zero bytes (a sum can cancel, e.g. (r·pk) + ((n − r)·pk)). The empty sum is all zeros.
 */
export function encodeAggregate(ct: Ciphertext): Uint8Array {
  return concatBytes(encodeHalf(ct.x), encodeHalf(ct.y));
}

export function decodeAggregate(bytes: Uint8Array, name = 'aggregate'): Ciphertext {
  assertBytes(bytes, name, CIPHERTEXT_BYTES);
  return {
    x: decodeHalf(bytes.subarray(0, POINT_BYTES), `${name}.X`),
    y: decodeHalf(bytes.subarray(POINT_BYTES), `${name}.Y`),
  };
}

/** The aggregate of no ciphertexts: (O, O), 66 zero bytes. */
export const EMPTY_AGGREGATE: Uint8Array = new Uint8Array(CIPHERTEXT_BYTES);

function secretKeyScalar(secretKey: Uint8Array): bigint {
  return decodeScalar(secretKey, 'secretKey');
}

export interface TwistedKeyPair {
  /** sk, 32 bytes; its holder's alone. */
  readonly secretKey: Uint8Array;
  /** pk = sk·H, compressed. */
  readonly publicKey: Uint8Array;
}

export function twistedPublicKey(secretKey: Uint8Array): Uint8Array {
  return encodeCompressed(pedersenH().point.multiply(secretKeyScalar(secretKey)));
}

export function twistedKeyGenWith(source: ScalarSource): TwistedKeyPair {
  const secretKey = scalarToBytes(source());
  return { secretKey, publicKey: twistedPublicKey(secretKey) };
}

export function twistedKeyGen(): TwistedKeyPair {
  return twistedKeyGenWith(systemScalars);
}

function assertPlaintext(value: unknown, name: string): asserts value is bigint {
  if (typeof value !== 'bigint') throw new TypeError(`${name} must be a bigint`);
  if (value < 0n || value > PLAINTEXT_MAX) throw new RangeError(`${name} must be in [0, 2^64 − 1]`);
}

/** The secret side of a ciphertext: its plaintext and the r it was made with. */
export interface Opening {
  readonly value: bigint;
  readonly randomness: bigint;
}

export function encryptPoint(pk: Point, { value, randomness }: Opening): Ciphertext {
  return {
    x: ctMsm([pk], [randomness]),
    y: mulFixedSecret(Point.BASE, value).add(pedersenH().point.multiply(randomness)),
  };
}

export interface Encryption {
  readonly ciphertext: Uint8Array;
  readonly randomness: bigint;
}

/** Enc(pk, v; r) for v ∈ [0, 2^64), r ∈ [1, n−1] (fresh unless given). */
export function twistedEncrypt(publicKey: Uint8Array, value: bigint, randomness?: bigint): Encryption {
  const pk = pointArg(publicKey, 'publicKey');
  assertPlaintext(value, 'value');
  const r = randomness ?? systemScalars();
  assertScalar(r, 'randomness', 1n);
  const ct = encryptPoint(pk, { value, randomness: r });
  // Y = O needs v·G = −r·H (log_G H): probability about 2^-256.
  if (ct.y.is0()) throw new RangeError('the ciphertext is the identity');
  return { ciphertext: encodeCiphertext(ct), randomness: r };
}

/** The sum of ciphertexts or aggregates (each 66 bytes), as an aggregate. */
export function twistedAdd(...parts: readonly Uint8Array[]): Uint8Array {
  let x = Point.ZERO;
  let y = Point.ZERO;
  parts.forEach((bytes, i) => {
    const ct = decodeAggregate(bytes, `ciphertext[${i}]`);
    x = x.add(ct.x);
    y = y.add(ct.y);
  });
  return encodeAggregate({ x, y });
}

/**
 * v from a ciphertext or aggregate: D = Y − sk⁻¹·X (sk⁻¹ by Fermat, the product constant time),
 * then v ∈ [0, 2^bits) with v·G = D (bits ≤ 36, default 32); RangeError if v is outside.
 */
export function twistedDecrypt(secretKey: Uint8Array, ciphertext: Uint8Array, bits = DLOG_DEFAULT_BITS): bigint {
  const sk = secretKeyScalar(secretKey);
  const ct = decodeAggregate(ciphertext, 'ciphertext');
  const d = ct.x.is0() ? ct.y : ct.y.subtract(ctMsm([ct.x], [invertSecret(sk)]));
  return boundedLog(d, bits);
}

/** The ciphertexts argument: an array of 1 … max 66-byte ciphertexts, decoded. */
export function decodeCiphertexts(ciphertexts: readonly Uint8Array[], max: number): Ciphertext[] {
  assertArray(ciphertexts, 'ciphertexts');
  if (ciphertexts.length < 1 || ciphertexts.length > max)
    throw new RangeError(`ciphertexts must hold 1 … ${max} ciphertexts, got ${ciphertexts.length}`);
  return ciphertexts.map((c, i) => decodeCiphertext(c, `ciphertexts[${i}]`));
}

/** Refuses unless every ciphertext is Enc(pk, value; randomness) of its opening. */
export function assertOpenings(pk: Point, cts: readonly Ciphertext[], openings: readonly Opening[]): void {
  assertArray(openings, 'openings');
  if (openings.length !== cts.length) throw new RangeError('openings must give one (value, randomness) per ciphertext');
  openings.forEach((o, i) => {
    assertPlaintext(o.value, `openings[${i}].value`);
    assertScalar(o.randomness, `openings[${i}].randomness`, 1n);
    const expected = encryptPoint(pk, o);
    const ct = cts[i] as Ciphertext;
    if (!expected.x.equals(ct.x) || !expected.y.equals(ct.y))
      throw new RangeError(`ciphertexts[${i}] is not the encryption of openings[${i}]`);
  });
}
