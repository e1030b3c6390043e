// SPDX-License-Identifier: Apache-2.0
import { randomBytes } from 'node:crypto';
import { bytesToBigInt, fromHex, toHex } from '../bytes';
import { decodePoint, encodePoint, Point, scalarToBytes, SM2_N } from './curve';

export interface Sm2KeyPair {
  /** 32-byte private scalar d, big-endian hex. Only its holder ever sees it. */
  readonly privateKey: string;
  /** Uncompressed public key `04 ‖ x ‖ y`, hex (130 characters). */
  readonly publicKey: string;
}

/** GB/T 32918.1 §6.1: d uniformly in [1, n−2], P = [d]G. Rejection sampling, no modulo bias. */
export function generateKeyPair(): Sm2KeyPair {
  for (;;) {
    const d = bytesToBigInt(new Uint8Array(randomBytes(32)));
    if (d >= 1n && d <= SM2_N - 2n) {
      return { privateKey: toHex(scalarToBytes(d)), publicKey: toHex(encodePoint(Point.BASE.multiply(d))) };
    }
  }
}

/** Parses a private key and checks it is in [1, n−2]. */
export function privateScalar(privateKeyHex: string): bigint {
  const bytes = fromHex(privateKeyHex, 'private key');
  if (bytes.length !== 32) throw new RangeError('private key must be 32 bytes');
  const d = bytesToBigInt(bytes);
  if (d < 1n || d > SM2_N - 2n) throw new RangeError('private key must be in [1, n-2]');
  return d;
}

export function publicKeyFromPrivate(privateKeyHex: string): string {
  return toHex(encodePoint(Point.BASE.multiply(privateScalar(privateKeyHex))));
}

/** Validates a public key's encoding and curve membership; returns it unchanged. */
export function assertPublicKey(publicKeyHex: string, name = 'public key'): string {
  decodePoint(fromHex(publicKeyHex, name), name);
  return publicKeyHex;
}
