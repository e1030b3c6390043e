// SPDX-License-Identifier: Apache-2.0
import { scrypt } from 'node:crypto';
import { assertBytes } from './bytes';

/**
 * The passphrase key of a key file: scrypt (RFC 7914), memory-hard, N·r·128 bytes of memory.
 * The file format around it (fields, key id, which bytes are authenticated) is medshare's and
 * lives in @medshare/protocol (keyfile.ts); this is the pure derivation and its bounds.
 */
export interface ScryptParams {
  readonly N: number;
  readonly r: number;
  readonly p: number;
}

/** 2^16 · 8 · 128 = 64 MiB. */
export const DEFAULT_SCRYPT: ScryptParams = { N: 2 ** 16, r: 8, p: 1 };
/** Weaker parameters are refused; stronger ones are capped so a hostile file cannot exhaust memory. */
const MIN_N = 2 ** 14;
const MAX_N = 2 ** 20;
export const KEYFILE_KEY_BYTES = 32;

/** Checks scrypt parameters against the bounds above; RangeError names the parameter. */
export function assertScryptParams(params: ScryptParams): void {
  const { N, r, p } = params;
  if (!Number.isSafeInteger(N) || N < MIN_N || N > MAX_N || (N & (N - 1)) !== 0)
    throw new RangeError(`kdf.N must be a power of two in [2^14, 2^20]`);
  if (r !== 8) throw new RangeError('kdf.r must be 8');
  if (!Number.isSafeInteger(p) || p < 1 || p > 4) throw new RangeError('kdf.p must be in [1, 4]');
}

/**
 * scrypt(NFC(passphrase), salt) → 32 bytes, off the main thread (libuv pool). Rejects with a
 * TypeError or RangeError for a wrong argument (an empty passphrase, parameters out of bounds).
 */
export async function derivePassphraseKey(
  passphrase: string,
  salt: Uint8Array,
  params: ScryptParams,
): Promise<Uint8Array> {
  if (typeof passphrase !== 'string') throw new TypeError('passphrase must be a string');
  if (passphrase.length === 0) throw new RangeError('passphrase must not be empty');
  assertBytes(salt, 'salt');
  assertScryptParams(params);
  return await new Promise((resolve, reject) => {
    scrypt(
      passphrase.normalize('NFC'),
      salt,
      KEYFILE_KEY_BYTES,
      { N: params.N, r: params.r, p: params.p, maxmem: 256 * params.N * params.r },
      (error, key) => {
        if (error) reject(error);
        else resolve(new Uint8Array(key));
      },
    );
  });
}
