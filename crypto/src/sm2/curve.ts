// SPDX-License-Identifier: Apache-2.0
import { weierstrassN } from '@noble/curves/abstract/weierstrass';
import { assertBytes, bigIntToBytes, bytesToBigInt, concatBytes } from '../bytes';

/** GB/T 32918.5-2017 §2: the recommended 256-bit curve (sm2p256v1). */
export const SM2_P = 0xfffffffeffffffffffffffffffffffffffffffff00000000ffffffffffffffffn;
export const SM2_A = 0xfffffffeffffffffffffffffffffffffffffffff00000000fffffffffffffffcn;
export const SM2_B = 0x28e9fa9e9d9f5e344d5a9e4bcf6509a7f39789f515ab8f92ddbcbd414d940e93n;
export const SM2_N = 0xfffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54123n;
export const SM2_GX = 0x32c4ae2c1f1981195f9904466a39c9948fe30bbff2660be1715a4589334c74c7n;
export const SM2_GY = 0xbc3736a2f4f6779c59bdcee36b692153d0a9877cc62a474002df32e52139f0a0n;

export const Point = weierstrassN<bigint>({ p: SM2_P, n: SM2_N, h: 1n, a: SM2_A, b: SM2_B, Gx: SM2_GX, Gy: SM2_GY });
export type Point = InstanceType<typeof Point>;

// A width-8 table for G makes [k]G (signing, key generation) and the [s]G half of verification fast.
Point.BASE.precompute(8, false);

export function modN(value: bigint): bigint {
  const r = value % SM2_N;
  return r < 0n ? r + SM2_N : r;
}

/** Modular inverse mod n by the extended Euclidean algorithm (n is prime, a ≠ 0). */
export function invN(value: bigint): bigint {
  let [t, newT, r, newR] = [0n, 1n, SM2_N, modN(value)];
  while (newR !== 0n) {
    const q = r / newR;
    [t, newT] = [newT, t - q * newT];
    [r, newR] = [newR, r - q * newR];
  }
  if (r !== 1n) throw new RangeError('value has no inverse mod n');
  return modN(t);
}

export const FIELD_BYTES = 32;

export function scalarToBytes(value: bigint): Uint8Array {
  return bigIntToBytes(value, FIELD_BYTES);
}

/** Uncompressed SEC1 encoding `04 ‖ x ‖ y` (GB/T 32918.1 §4.2.9). */
export function encodePoint(point: Point): Uint8Array {
  const { x, y } = point.toAffine();
  return concatBytes(Uint8Array.of(0x04), scalarToBytes(x), scalarToBytes(y));
}

/**
 * Decodes `04 ‖ x ‖ y` and checks the point is on the curve and not the identity
 * (GB/T 32918.1 §6.2 public-key validation; h = 1 so the order check is implied).
 */
export function decodePoint(bytes: Uint8Array, name = 'point'): Point {
  if (!(bytes instanceof Uint8Array)) throw new TypeError(`${name} must be a Uint8Array`);
  if (bytes.length !== 65 || bytes[0] !== 0x04) throw new RangeError(`${name} must be 65 bytes, 04 ‖ x ‖ y`);
  const x = bytesToBigInt(bytes.subarray(1, 33));
  const y = bytesToBigInt(bytes.subarray(33, 65));
  if (x >= SM2_P || y >= SM2_P) throw new RangeError(`${name} coordinates must be field elements`);
  const point = Point.fromAffine({ x, y });
  try {
    point.assertValidity();
  } catch (cause) {
    throw new RangeError(`${name} is not on the SM2 curve`, { cause });
  }
  return point;
}

export const COMPRESSED_POINT_BYTES = 33;

/** Compressed SEC1 encoding `02/03 ‖ x` (the parity of y), 33 bytes; the identity has none. */
export function encodeCompressed(point: Point): Uint8Array {
  return point.toBytes(true);
}

/**
 * Decodes a compressed SEC1 point (02/03 ‖ x): refuses any other length or first byte, x ≥ p,
 * and an x with no point. The identity has no encoding, so it never comes out of here.
 */
export function decodeCompressed(bytes: Uint8Array, name: string): Point {
  assertBytes(bytes, name, COMPRESSED_POINT_BYTES);
  if (bytes[0] !== 0x02 && bytes[0] !== 0x03) throw new RangeError(`${name} must be a compressed point (02 or 03 ‖ x)`);
  if (bytesToBigInt(bytes.subarray(1)) >= SM2_P) throw new RangeError(`${name} must have x < p`);
  let point: Point;
  try {
    point = Point.fromBytes(bytes);
    point.assertValidity();
  } catch (cause) {
    throw new RangeError(`${name} is not a point on the SM2 curve`, { cause });
  }
  return point;
}

/** A 32-byte big-endian scalar below n (one encoding per value), and not zero unless allowed. */
export function decodeScalar(bytes: Uint8Array, name: string, allowZero = false): bigint {
  assertBytes(bytes, name, FIELD_BYTES);
  const value = bytesToBigInt(bytes);
  if (value >= SM2_N || (!allowZero && value === 0n))
    throw new RangeError(`${name} must be a scalar in [${allowZero ? 0 : 1}, n-1]`);
  return value;
}
