import { randomBytes, scrypt } from 'node:crypto';
import { canonicalBytes } from '../encoding/canonical';
import { fromBase64, fromHex, toBase64, toHex } from '../encoding/bytes';
import { CiphertextError, open, seal } from '../sm4/sm4';
import { keyIdOf, privateScalar, publicKeyFromPrivate } from '../sm2/keys';
import { fail } from '../errors/medshare-error';
import { expectInteger, expectObject, expectString, HEX64, HEX_PUBLIC_KEY } from '../validation/assert';

export const KEYFILE_FORMAT = 'medshare-sm2-key';
export const KEYFILE_VERSION = 1;

/** scrypt (RFC 7914), memory-hard: N·r·128 bytes. Default 2^16 · 8 · 128 = 64 MiB. */
export interface ScryptParams {
  readonly N: number;
  readonly r: number;
  readonly p: number;
}
export const DEFAULT_SCRYPT: ScryptParams = { N: 2 ** 16, r: 8, p: 1 };
/** Files with weaker parameters are refused; stronger ones are capped so a file cannot exhaust memory. */
const MIN_N = 2 ** 14;
const MAX_N = 2 ** 20;

export interface KeyFile {
  readonly format: typeof KEYFILE_FORMAT;
  readonly version: typeof KEYFILE_VERSION;
  readonly keyId: string;
  readonly publicKey: string;
  readonly kdf: { readonly name: 'scrypt'; readonly N: number; readonly r: number; readonly p: number; readonly salt: string };
  readonly cipher: 'sm4-ctr-hmac-sm3';
  readonly sealed: string;
}

function deriveKey(passphrase: string, salt: Uint8Array, params: ScryptParams): Promise<Uint8Array> {
  if (passphrase.length === 0) return Promise.reject(fail('INVALID_INPUT', 'passphrase must not be empty'));
  return new Promise((resolve, reject) => {
    scrypt(passphrase.normalize('NFC'), salt, 32, { ...params, maxmem: 256 * params.N * params.r }, (error, key) => {
      if (error) reject(error);
      else resolve(new Uint8Array(key));
    });
  });
}

function header(file: Omit<KeyFile, 'sealed'>): Uint8Array {
  // Everything but the ciphertext is authenticated, so no field can be swapped.
  return canonicalBytes({ cipher: file.cipher, format: file.format, kdf: file.kdf, keyId: file.keyId, publicKey: file.publicKey, version: file.version });
}

/** Encrypts a private key under a passphrase. The result holds no secret in the clear. */
export async function encryptKeyFile(privateKeyHex: string, passphrase: string, params: ScryptParams = DEFAULT_SCRYPT): Promise<KeyFile> {
  checkParams(params);
  const publicKey = publicKeyFromPrivate(privateKeyHex);
  const salt = new Uint8Array(randomBytes(16));
  const base = {
    format: KEYFILE_FORMAT,
    version: KEYFILE_VERSION,
    keyId: keyIdOf(publicKey),
    publicKey,
    kdf: { name: 'scrypt', N: params.N, r: params.r, p: params.p, salt: toHex(salt) },
    cipher: 'sm4-ctr-hmac-sm3',
  } as const;
  const key = await deriveKey(passphrase, salt, params);
  return { ...base, sealed: toBase64(seal(key, fromHex(privateKeyHex), header(base))) };
}

function checkParams(params: ScryptParams): void {
  const { N, r, p } = params;
  if (!Number.isSafeInteger(N) || N < MIN_N || N > MAX_N || (N & (N - 1)) !== 0) throw fail('INVALID_INPUT', `kdf.N must be a power of two in [2^14, 2^20]`);
  if (r !== 8) throw fail('INVALID_INPUT', 'kdf.r must be 8');
  if (!Number.isSafeInteger(p) || p < 1 || p > 4) throw fail('INVALID_INPUT', 'kdf.p must be in [1, 4]');
}

/** Validates the file's shape (unknown fields refused) before any key derivation. */
export function parseKeyFile(value: unknown): KeyFile {
  const o = expectObject(value, 'keyfile', ['format', 'version', 'keyId', 'publicKey', 'kdf', 'cipher', 'sealed']);
  if (o.format !== KEYFILE_FORMAT) throw fail('INVALID_INPUT', `keyfile.format must be ${KEYFILE_FORMAT}`);
  if (o.version !== KEYFILE_VERSION) throw fail('UNSUPPORTED_VERSION', `keyfile.version ${String(o.version)} is not supported`);
  if (o.cipher !== 'sm4-ctr-hmac-sm3') throw fail('INVALID_INPUT', 'keyfile.cipher must be sm4-ctr-hmac-sm3');
  const kdf = expectObject(o.kdf, 'keyfile.kdf', ['name', 'N', 'r', 'p', 'salt']);
  if (kdf.name !== 'scrypt') throw fail('INVALID_INPUT', 'keyfile.kdf.name must be scrypt');
  const params = { N: expectInteger(kdf.N, 'keyfile.kdf.N'), r: expectInteger(kdf.r, 'keyfile.kdf.r'), p: expectInteger(kdf.p, 'keyfile.kdf.p') };
  checkParams(params);
  const salt = expectString(kdf.salt, 'keyfile.kdf.salt', { pattern: /^[0-9a-f]{32}$/ });
  const publicKey = expectString(o.publicKey, 'keyfile.publicKey', { pattern: HEX_PUBLIC_KEY });
  const keyId = expectString(o.keyId, 'keyfile.keyId', { pattern: HEX64 });
  if (keyIdOf(publicKey) !== keyId) throw fail('INVALID_INPUT', 'keyfile.keyId does not match keyfile.publicKey');
  const sealed = expectString(o.sealed, 'keyfile.sealed', { maxLength: 256 });
  return { format: KEYFILE_FORMAT, version: KEYFILE_VERSION, keyId, publicKey, kdf: { name: 'scrypt', ...params, salt }, cipher: 'sm4-ctr-hmac-sm3', sealed };
}

/** Decrypts a key file; a wrong passphrase and a tampered file both fail with CIPHERTEXT_INVALID. */
export async function decryptKeyFile(value: unknown, passphrase: string): Promise<{ privateKey: string; publicKey: string; keyId: string }> {
  const file = parseKeyFile(value);
  const key = await deriveKey(passphrase, fromHex(file.kdf.salt), file.kdf);
  let secret: Uint8Array;
  try {
    secret = open(key, fromBase64(file.sealed, 'keyfile.sealed'), header(file));
  } catch (cause) {
    if (cause instanceof CiphertextError || cause instanceof RangeError) {
      throw fail('CIPHERTEXT_INVALID', 'key file did not decrypt: wrong passphrase or the file was altered', cause);
    }
    throw cause;
  }
  const privateKey = toHex(secret);
  privateScalar(privateKey);
  if (publicKeyFromPrivate(privateKey) !== file.publicKey) throw fail('CIPHERTEXT_INVALID', 'key file secret does not match its public key');
  return { privateKey, publicKey: file.publicKey, keyId: file.keyId };
}
