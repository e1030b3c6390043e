// SPDX-License-Identifier: Apache-2.0
import { randomBytes } from 'node:crypto';
import { assertBytes, bytesToBigInt, concatBytes, fromHex, utf8 } from '../bytes';
import { hmacSm3, sm3Parts } from '../sm3';
import { FIELD_BYTES, invN, modN, Point, scalarToBytes, SM2_A, SM2_B, SM2_GX, SM2_GY, SM2_N, SM2_P } from './curve';
import { privateScalar } from './keys';
import { WasmBaseMultiplier } from './sign-wasm';
import { baseTable, sm2Arithmetic, verifyKey, type VerifyKey } from './verify-keys';

/** GB/T 35276-2017 §10: the default user identity when none is agreed. */
export const DEFAULT_USER_ID = utf8('1234567812345678');

export interface Sm2SignOptions {
  /** The signer's distinguishing identifier ID_A; defaults to `1234567812345678`. */
  readonly userId?: Uint8Array;
}

const CURVE_PARAMS = concatBytes(
  scalarToBytes(SM2_A),
  scalarToBytes(SM2_B),
  scalarToBytes(SM2_GX),
  scalarToBytes(SM2_GY),
);

const zCache = new Map<string, Uint8Array>();
const Z_CACHE_MAX = 4096;

/**
 * GB/T 32918.2-2016 §5.5: Z_A = SM3(ENTL_A ‖ ID_A ‖ a ‖ b ‖ x_G ‖ y_G ‖ x_A ‖ y_A),
 * ENTL_A the bit length of ID_A as two bytes. Cached per (key, default ID).
 */
export function zA(publicKeyHex: string, userId: Uint8Array = DEFAULT_USER_ID): Uint8Array {
  assertBytes(userId, 'userId');
  if (userId.length >= 8192) throw new RangeError('userId must be shorter than 8192 bytes');
  const isDefault = userId === DEFAULT_USER_ID;
  const cached = isDefault ? zCache.get(publicKeyHex) : undefined;
  if (cached) return cached;
  const publicKey = fromHex(publicKeyHex, 'public key');
  if (publicKey.length !== 65 || publicKey[0] !== 0x04) throw new RangeError('public key must be 65 bytes, 04 ‖ x ‖ y');
  const entl = Uint8Array.of((userId.length * 8) >> 8, (userId.length * 8) & 0xff);
  const z = sm3Parts([entl, userId, CURVE_PARAMS, publicKey.subarray(1)]);
  if (isDefault) {
    if (zCache.size >= Z_CACHE_MAX) zCache.delete(zCache.keys().next().value as string);
    zCache.set(publicKeyHex, z);
  }
  return z;
}

/** GB/T 32918.2-2016 §6.1 A1–A2: e = SM3(Z_A ‖ M) as an integer. */
function digestOf(publicKeyHex: string, message: Uint8Array, userId?: Uint8Array): bigint {
  return bytesToBigInt(sm3Parts([zA(publicKeyHex, userId), message]));
}

/** A signature is the 64-byte `r ‖ s`; {@link signatureToDer} converts for OpenSSL. */
export const SIGNATURE_BYTES = 64;

/** Yields nonce candidates in [1, n−1], one per call. */
export type NonceSource = () => bigint;

let wasmBase: WasmBaseMultiplier | undefined;

/**
 * x₁ of [k]G (A4), k secret: the WebAssembly module's constant-time fixed-base multiplication
 * (sign-wasm.ts) with the WebAssembly field, noble's under `MEDSHARE_SM2_FIELD=bigint` (or
 * without WebAssembly), as verification chooses. Both give the same x₁ for every k.
 */
export function baseMultiplyX(k: bigint): bigint {
  if (sm2Arithmetic.kind !== 'wasm') return Point.BASE.multiply(k).toAffine().x;
  wasmBase ??= new WasmBaseMultiplier();
  return wasmBase.baseX(k);
}

/** GB/T 32918.2-2016 §6.1 A3–A7, drawing k from `nextK` until r and s are acceptable. */
function signWith(d: bigint, e: bigint, nextK: NonceSource): Uint8Array {
  const dInv = invN(1n + d);
  for (;;) {
    const k = nextK();
    const x1 = baseMultiplyX(k);
    const r = modN(e + x1);
    if (r === 0n || r + k === SM2_N) continue;
    const s = modN(dInv * (k - r * d));
    if (s === 0n) continue;
    return concatBytes(scalarToBytes(r), scalarToBytes(s));
  }
}

function randomK(): bigint {
  for (;;) {
    const k = bytesToBigInt(new Uint8Array(randomBytes(32)));
    if (k >= 1n && k < SM2_N) return k;
  }
}

/** Sign `message` with a fresh random k. */
export function sign(
  privateKeyHex: string,
  publicKeyHex: string,
  message: Uint8Array,
  options: Sm2SignOptions = {},
): Uint8Array {
  assertBytes(message, 'message');
  const d = privateScalar(privateKeyHex);
  return signWith(d, digestOf(publicKeyHex, message, options.userId), randomK);
}

/**
 * {@link sign} with a fixed nonce, for the standard's known-answer tests only (reusing k
 * reveals the private key); exported through `@medshare/crypto/testing`, never `/sm2`.
 */
export function signWithK(
  privateKeyHex: string,
  publicKeyHex: string,
  message: Uint8Array,
  k: bigint,
  options: Sm2SignOptions = {},
): Uint8Array {
  assertBytes(message, 'message');
  const d = privateScalar(privateKeyHex);
  if (k < 1n || k >= SM2_N) throw new RangeError('k must be in [1, n-1]');
  return signWith(d, digestOf(publicKeyHex, message, options.userId), () => k);
}

/**
 * Deterministic signature: k from RFC 6979 §3.2 instantiated with HMAC-SM3 (qlen = hlen = 256),
 * seeded with the private key and the SM2 digest e, so every endorser returns identical bytes.
 */
export function signDeterministic(
  privateKeyHex: string,
  publicKeyHex: string,
  message: Uint8Array,
  options: Sm2SignOptions = {},
): Uint8Array {
  assertBytes(message, 'message');
  const d = privateScalar(privateKeyHex);
  const e = digestOf(publicKeyHex, message, options.userId);
  return signWith(d, e, rfc6979Nonces(d, e));
}

/**
 * RFC 6979 §3.2 steps b–h with HMAC-SM3, seeded with int2octets(d) ‖ int2octets(e mod n); each
 * call of the returned function yields the next k in [1, n−1] (the ring signer draws several:
 * docs/protocol.md §18).
 */
export function rfc6979Nonces(d: bigint, e: bigint): NonceSource {
  const x = scalarToBytes(d);
  // bits2octets(h1): qlen = hlen, so bits2int is the identity, then reduce mod q.
  const h1 = scalarToBytes(modN(e));
  let v: Uint8Array = new Uint8Array(32).fill(0x01);
  let k: Uint8Array = new Uint8Array(32);
  k = hmacSm3(k, concatBytes(v, Uint8Array.of(0x00), x, h1));
  v = hmacSm3(k, v);
  k = hmacSm3(k, concatBytes(v, Uint8Array.of(0x01), x, h1));
  v = hmacSm3(k, v);
  let first = true;
  return () => {
    for (;;) {
      if (!first) {
        k = hmacSm3(k, concatBytes(v, Uint8Array.of(0x00)));
        v = hmacSm3(k, v);
      }
      first = false;
      v = hmacSm3(k, v);
      const candidate = bytesToBigInt(v);
      if (candidate >= 1n && candidate < SM2_N) return candidate;
    }
  };
}

/** GB/T 32918.2-2016 §7.1 B1–B7. Returns false for any malformed or wrong signature. */
export function verify(
  publicKeyHex: string,
  message: Uint8Array,
  signature: Uint8Array,
  options: Sm2SignOptions = {},
): boolean {
  assertBytes(message, 'message');
  assertBytes(signature, 'signature');
  if (signature.length !== SIGNATURE_BYTES) return false;
  const r = bytesToBigInt(signature.subarray(0, 32));
  const s = bytesToBigInt(signature.subarray(32));
  // B1, B2: r, s ∈ [1, n−1]
  if (r < 1n || r >= SM2_N || s < 1n || s >= SM2_N) return false;
  let key: VerifyKey;
  try {
    key = verifyKey(publicKeyHex);
  } catch {
    return false;
  }
  const e = digestOf(publicKeyHex, message, options.userId);
  // B5: t = (r + s) mod n, t ≠ 0
  const t = modN(r + s);
  if (t === 0n) return false;
  // B6: (x1', y1') = [s]G + [t]P_A; [s]G from G's shared table, [t]P_A from the key's table
  // when it has earned one (verify-keys.ts), else by wNAF. Public scalars: variable time.
  const sG = sm2Arithmetic.multiplyFixed(baseTable(), s);
  const sum = key.table ? sm2Arithmetic.multiplyFixed(key.table, t, sG) : sm2Arithmetic.multiplyWnaf(key.point, t, sG);
  // B7: R = (e + x1') mod n, accept iff R = r. Without the inversion that makes x1' affine:
  // R = r iff x1' ≡ r − e (mod n), and since 0 ≤ x1' < p < 2n, iff x1' is c = (r − e) mod n or
  // c + n (the latter only where c + n < p); x1' = c is X = c·Z² (mod p) on the Jacobian sum.
  const c = modN(r - e);
  return sm2Arithmetic.hasAffineX(sum, c) || (c + SM2_N < SM2_P && sm2Arithmetic.hasAffineX(sum, c + SM2_N));
}

/** `r ‖ s` → DER `SEQUENCE { INTEGER r, INTEGER s }` (GB/T 35276 §7.2, what OpenSSL emits). */
export function signatureToDer(signature: Uint8Array): Uint8Array {
  assertBytes(signature, 'signature', SIGNATURE_BYTES);
  const integer = (bytes: Uint8Array): Uint8Array => {
    let start = 0;
    while (start < bytes.length - 1 && bytes[start] === 0) start++;
    let body = bytes.subarray(start);
    if ((body[0] ?? 0) & 0x80) body = concatBytes(Uint8Array.of(0), body);
    return concatBytes(Uint8Array.of(0x02, body.length), body);
  };
  const content = concatBytes(integer(signature.subarray(0, 32)), integer(signature.subarray(32)));
  return concatBytes(Uint8Array.of(0x30, content.length), content);
}

/** DER → `r ‖ s`; strict DER (minimal lengths and integers), throws RangeError otherwise. */
export function signatureFromDer(der: Uint8Array): Uint8Array {
  assertBytes(der, 'der');
  if (der.length < 8 || der[0] !== 0x30 || der[1] !== der.length - 2)
    throw new RangeError('signature is not a DER SEQUENCE');
  let offset = 2;
  const readInteger = (): Uint8Array => {
    if (der[offset] !== 0x02) throw new RangeError('expected a DER INTEGER');
    const length = der[offset + 1] ?? 0;
    const body = der.subarray(offset + 2, offset + 2 + length);
    if (length === 0 || length > 33 || body.length !== length) throw new RangeError('bad DER INTEGER length');
    if ((body[0] ?? 0) & 0x80) throw new RangeError('negative DER INTEGER');
    if (length > 1 && body[0] === 0 && !((body[1] ?? 0) & 0x80)) throw new RangeError('non-minimal DER INTEGER');
    offset += 2 + length;
    const value = body[0] === 0 ? body.subarray(1) : body;
    if (value.length > FIELD_BYTES) throw new RangeError('DER INTEGER too large');
    const out = new Uint8Array(FIELD_BYTES);
    out.set(value, FIELD_BYTES - value.length);
    return out;
  };
  const r = readInteger();
  const s = readInteger();
  if (offset !== der.length) throw new RangeError('trailing bytes after DER signature');
  return concatBytes(r, s);
}
