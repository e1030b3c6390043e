// SPDX-License-Identifier: Apache-2.0
import { randomBytes } from 'node:crypto';
import { assertBytes, bytesToBigInt, concatBytes, equalBytes } from '../bytes';
import { CiphertextError } from '../errors';
import { sm3Parts } from '../sm3';
import { decodePoint, encodePoint, Point, scalarToBytes, SM2_N } from './curve';
import { privateScalar } from './keys';
import { cachedPublicPoint } from './point-cache';

/** GB/T 32918.4-2016 §5.4.3: KDF(Z, klen) = SM3(Z ‖ ct)‖… with a 32-bit big-endian counter from 1. */
export function kdf(z: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(length);
  const counter = new Uint8Array(4);
  const view = new DataView(counter.buffer);
  for (let offset = 0, ct = 1; offset < length; offset += 32, ct++) {
    view.setUint32(0, ct);
    out.set(sm3Parts([z, counter]).subarray(0, Math.min(32, length - offset)), offset);
  }
  return out;
}

export const SM2_CIPHERTEXT_OVERHEAD = 65 + 32;

/**
 * GB/T 32918.4-2016 §6.1, output C = C1 ‖ C3 ‖ C2 (the 2016 order): C1 = [k]G uncompressed,
 * C3 = SM3(x2 ‖ M ‖ y2), C2 = M ⊕ KDF(x2 ‖ y2, |M|), k drawn from the OS CSPRNG.
 */
export function encrypt(publicKeyHex: string, plaintext: Uint8Array): Uint8Array {
  return encryptWith(publicKeyHex, plaintext, undefined);
}

/** {@link encrypt} with the standard's fixed k, for known-answer tests only (`@medshare/crypto/testing`). */
export function encryptWithK(publicKeyHex: string, plaintext: Uint8Array, k: bigint): Uint8Array {
  return encryptWith(publicKeyHex, plaintext, k);
}

function encryptWith(publicKeyHex: string, plaintext: Uint8Array, k: bigint | undefined): Uint8Array {
  assertBytes(plaintext, 'plaintext');
  if (plaintext.length === 0) throw new RangeError('plaintext must not be empty');
  const publicPoint = cachedPublicPoint(publicKeyHex);
  for (;;) {
    const scalar = k ?? bytesToBigInt(new Uint8Array(randomBytes(32)));
    if (scalar < 1n || scalar >= SM2_N) {
      if (k !== undefined) throw new RangeError('k must be in [1, n-1]');
      continue;
    }
    const c1 = encodePoint(Point.BASE.multiply(scalar));
    const shared = publicPoint.multiply(scalar).toAffine();
    const x2 = scalarToBytes(shared.x);
    const y2 = scalarToBytes(shared.y);
    const t = kdf(concatBytes(x2, y2), plaintext.length);
    // A5: a KDF output of all zeros means a new k.
    if (t.every((b) => b === 0)) {
      if (k !== undefined) throw new RangeError('k gives an all-zero KDF output');
      continue;
    }
    const c2 = plaintext.map((b, i) => b ^ (t[i] ?? 0));
    const c3 = sm3Parts([x2, plaintext, y2]);
    return concatBytes(c1, c3, c2);
  }
}

/**
 * GB/T 32918.4-2016 §7.1 for C1 ‖ C3 ‖ C2. A malformed private key is a RangeError; a
 * ciphertext that fails any of the standard's checks is a {@link CiphertextError}.
 */
export function decrypt(privateKeyHex: string, ciphertext: Uint8Array): Uint8Array {
  assertBytes(ciphertext, 'ciphertext');
  if (ciphertext.length <= SM2_CIPHERTEXT_OVERHEAD) throw new CiphertextError('ciphertext is too short');
  const d = privateScalar(privateKeyHex);
  let c1: Point;
  try {
    // B1: C1 must be a point on the curve.
    c1 = decodePoint(ciphertext.subarray(0, 65), 'C1');
  } catch (cause) {
    throw new CiphertextError('C1 is not a point on the curve', { cause });
  }
  const c3 = ciphertext.subarray(65, 97);
  const c2 = ciphertext.subarray(97);
  const shared = c1.multiply(d).toAffine();
  const x2 = scalarToBytes(shared.x);
  const y2 = scalarToBytes(shared.y);
  const t = kdf(concatBytes(x2, y2), c2.length);
  if (t.every((b) => b === 0)) throw new CiphertextError('KDF output is all zeros');
  const plaintext = c2.map((b, i) => b ^ (t[i] ?? 0));
  // B6: u = SM3(x2 ‖ M' ‖ y2) must equal C3.
  if (!equalBytes(sm3Parts([x2, plaintext, y2]), c3)) throw new CiphertextError('C3 hash check failed');
  return plaintext;
}
