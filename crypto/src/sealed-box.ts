// SPDX-License-Identifier: Apache-2.0
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { assertBytes, concatBytes, equalBytes, utf8 } from './bytes';
import { CiphertextError } from './errors';
import { hmacSm3, hmacSm3Parts } from './sm3';
import { sm4Ctr } from './sm4';

/** Version byte of the sealed format below. */
export const SEALED_V1 = 0x01;
export const SEALED_KEY_BYTES = 32;
const IV_BYTES = 16;
const TAG_BYTES = 32;
export const SEALED_OVERHEAD = 1 + IV_BYTES + TAG_BYTES;

/**
 * The subkey labels of sealed format 0x01 (docs/protocol.md, "sealed box"). They belong to the
 * format, not to the protocol version: a new format gets a new version byte and new labels.
 * @medshare/protocol's labels.ts lists them with every other domain-separation label.
 */
export const SEALED_BOX_LABELS = { enc: 'medshare/v1/sm4-ctr', mac: 'medshare/v1/hmac-sm3' } as const;

const ENC_LABEL = utf8(SEALED_BOX_LABELS.enc);
const MAC_LABEL = utf8(SEALED_BOX_LABELS.mac);

interface SubKeys {
  readonly enc: Uint8Array;
  readonly mac: Uint8Array;
}

/**
 * Splits one 32-byte key into an SM4 key and an HMAC key that are independent of each other
 * (HMAC-SM3 as a PRF with distinct labels), so one secret serves encrypt-then-MAC.
 */
function subKeys(key: Uint8Array): SubKeys {
  assertBytes(key, 'key', SEALED_KEY_BYTES);
  // A session seals and opens many messages under one key object: derive its subkeys once.
  // Keyed by object identity and checked against the bytes, so a reused or mutated array
  // never gets stale subkeys.
  const cached = subKeyCache.get(key);
  if (cached && equalBytes(cached.of, key)) return cached;
  const derived = { of: key.slice(), enc: hmacSm3(key, ENC_LABEL).subarray(0, 16), mac: hmacSm3(key, MAC_LABEL) };
  subKeyCache.set(key, derived);
  return derived;
}

const subKeyCache = new WeakMap<Uint8Array, SubKeys & { readonly of: Uint8Array }>();

function lengthPrefix(n: number): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(n));
  return out;
}

function tagOf(mac: Uint8Array, header: Uint8Array, aad: Uint8Array, body: Uint8Array): Uint8Array {
  // The AAD length is bound so (aad, body) pairs cannot be re-split.
  return hmacSm3Parts(mac, [header, lengthPrefix(aad.length), aad, body]);
}

/** {@link seal} with a caller-chosen IV: for known-answer tests only (`@medshare/crypto/testing`). */
export function sealWithIv(key: Uint8Array, plaintext: Uint8Array, aad: Uint8Array, iv: Uint8Array): Uint8Array {
  assertBytes(plaintext, 'plaintext');
  assertBytes(aad, 'aad');
  const { enc, mac } = subKeys(key);
  assertBytes(iv, 'iv', IV_BYTES);
  const header = concatBytes(Uint8Array.of(SEALED_V1), iv);
  const body = sm4Ctr(enc, iv, plaintext);
  return concatBytes(header, body, tagOf(mac, header, aad, body));
}

/**
 * Authenticated encryption, encrypt-then-MAC: `0x01 ‖ IV(16) ‖ SM4-CTR(Ke, IV, m) ‖ HMAC-SM3(Km, 0x01 ‖ IV ‖ len(aad) ‖ aad ‖ c)`.
 * Node's OpenSSL has no SM4-GCM, so this is the documented construction (docs/protocol.md).
 */
export function seal(key: Uint8Array, plaintext: Uint8Array, aad: Uint8Array = new Uint8Array(0)): Uint8Array {
  return sealWithIv(key, plaintext, aad, new Uint8Array(randomBytes(IV_BYTES)));
}

/**
 * Inverse of {@link seal}. A malformed argument (key not 32 bytes, not a Uint8Array) is a
 * RangeError or TypeError; a box that does not authenticate under `key` and `aad` is a
 * {@link CiphertextError}, raised before anything is decrypted.
 */
export function open(key: Uint8Array, sealed: Uint8Array, aad: Uint8Array = new Uint8Array(0)): Uint8Array {
  assertBytes(sealed, 'sealed');
  assertBytes(aad, 'aad');
  const { enc, mac } = subKeys(key);
  if (sealed.length < SEALED_OVERHEAD) throw new CiphertextError('sealed data is shorter than its header and tag');
  if (sealed[0] !== SEALED_V1) throw new CiphertextError(`unknown sealed format version ${String(sealed[0])}`);
  const header = sealed.subarray(0, 1 + IV_BYTES);
  const body = sealed.subarray(1 + IV_BYTES, sealed.length - TAG_BYTES);
  const tag = sealed.subarray(sealed.length - TAG_BYTES);
  if (!timingSafeEqual(tagOf(mac, header, aad, body), tag)) throw new CiphertextError('MAC check failed');
  return sm4Ctr(enc, header.subarray(1), body);
}

/** A fresh sealed-box key (or any other secret of `bytes` bytes) from the OS CSPRNG. */
export function randomKey(bytes = SEALED_KEY_BYTES): Uint8Array {
  return new Uint8Array(randomBytes(bytes));
}
