// SPDX-License-Identifier: Apache-2.0
import { randomBytes } from 'node:crypto';
import { fromBase64, fromHex, toBase64, toHex } from '@medshare/crypto/bytes';
import { DEFAULT_SCRYPT, assertScryptParams, derivePassphraseKey, type ScryptParams } from '@medshare/crypto/keyfile';
import { open, seal } from '@medshare/crypto/sealed-box';
import { publicKeyFromPrivate } from '@medshare/crypto/sm2';
import { canonicalBytes } from '../encoding/canonical';
import { cryptoError, cryptoInput, openCiphertext } from '../errors/crypto-boundary';
import { fail } from '../errors/medshare-error';
import { keyIdOf } from '../keys/key-id';
import { expectInteger, expectObject, expectString, HEX64, HEX_PUBLIC_KEY } from '../validation/assert';

export { DEFAULT_SCRYPT, type ScryptParams };

export const KEYFILE_FORMAT = 'medshare-sm2-key';
export const KEYFILE_VERSION = 1;

export interface KeyFile {
  readonly format: typeof KEYFILE_FORMAT;
  readonly version: typeof KEYFILE_VERSION;
  readonly keyId: string;
  readonly publicKey: string;
  readonly kdf: {
    readonly name: 'scrypt';
    readonly N: number;
    readonly r: number;
    readonly p: number;
    readonly salt: string;
  };
  readonly cipher: 'sm4-ctr-hmac-sm3';
  readonly sealed: string;
}

/** scrypt of the passphrase (@medshare/crypto/keyfile); an empty passphrase is INVALID_INPUT. */
async function deriveKey(passphrase: string, salt: Uint8Array, params: ScryptParams): Promise<Uint8Array> {
  try {
    return await derivePassphraseKey(passphrase, salt, params);
  } catch (cause) {
    throw cryptoError(cause, 'INVALID_INPUT');
  }
}

function header(file: Omit<KeyFile, 'sealed'>): Uint8Array {
  // Everything but the ciphertext is authenticated, so no field can be swapped.
  return canonicalBytes({
    cipher: file.cipher,
    format: file.format,
    kdf: file.kdf,
    keyId: file.keyId,
    publicKey: file.publicKey,
    version: file.version,
  });
}

/** Encrypts a private key under a passphrase. The result holds no secret in the clear. */
export async function encryptKeyFile(
  privateKeyHex: string,
  passphrase: string,
  params: ScryptParams = DEFAULT_SCRYPT,
): Promise<KeyFile> {
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

/** The scrypt bounds of @medshare/crypto/keyfile, refused as INVALID_INPUT. */
function checkParams(params: ScryptParams): void {
  cryptoInput('INVALID_INPUT', undefined, () => assertScryptParams(params));
}

/** Validates the file's shape (unknown fields refused) before any key derivation. */
export function parseKeyFile(value: unknown): KeyFile {
  const o = expectObject(value, 'keyfile', ['format', 'version', 'keyId', 'publicKey', 'kdf', 'cipher', 'sealed']);
  if (o.format !== KEYFILE_FORMAT) throw fail('INVALID_INPUT', `keyfile.format must be ${KEYFILE_FORMAT}`);
  if (o.version !== KEYFILE_VERSION)
    throw fail('UNSUPPORTED_VERSION', `keyfile.version ${String(o.version)} is not supported`);
  if (o.cipher !== 'sm4-ctr-hmac-sm3') throw fail('INVALID_INPUT', 'keyfile.cipher must be sm4-ctr-hmac-sm3');
  const kdf = expectObject(o.kdf, 'keyfile.kdf', ['name', 'N', 'r', 'p', 'salt']);
  if (kdf.name !== 'scrypt') throw fail('INVALID_INPUT', 'keyfile.kdf.name must be scrypt');
  const params = {
    N: expectInteger(kdf.N, 'keyfile.kdf.N'),
    r: expectInteger(kdf.r, 'keyfile.kdf.r'),
    p: expectInteger(kdf.p, 'keyfile.kdf.p'),
  };
  checkParams(params);
  const salt = expectString(kdf.salt, 'keyfile.kdf.salt', { pattern: /^[0-9a-f]{32}$/ });
  const publicKey = expectString(o.publicKey, 'keyfile.publicKey', { pattern: HEX_PUBLIC_KEY });
  const keyId = expectString(o.keyId, 'keyfile.keyId', { pattern: HEX64 });
  if (keyIdOf(publicKey) !== keyId) throw fail('INVALID_INPUT', 'keyfile.keyId does not match keyfile.publicKey');
  const sealed = expectString(o.sealed, 'keyfile.sealed', { maxLength: 256 });
  return {
    format: KEYFILE_FORMAT,
    version: KEYFILE_VERSION,
    keyId,
    publicKey,
    kdf: { name: 'scrypt', ...params, salt },
    cipher: 'sm4-ctr-hmac-sm3',
    sealed,
  };
}

/** Decrypts a key file; a wrong passphrase and a tampered file both fail with CIPHERTEXT_INVALID. */
export async function decryptKeyFile(
  value: unknown,
  passphrase: string,
): Promise<{ privateKey: string; publicKey: string; keyId: string }> {
  const file = parseKeyFile(value);
  const key = await deriveKey(passphrase, fromHex(file.kdf.salt), file.kdf);
  const secret = openCiphertext('key file did not decrypt: wrong passphrase or the file was altered', () =>
    open(key, fromBase64(file.sealed, 'keyfile.sealed'), header(file)),
  );
  const privateKey = toHex(secret);
  if (publicKeyFromPrivate(privateKey) !== file.publicKey)
    throw fail('CIPHERTEXT_INVALID', 'key file secret does not match its public key');
  return { privateKey, publicKey: file.publicKey, keyId: file.keyId };
}
