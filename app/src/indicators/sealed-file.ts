// SPDX-License-Identifier: Apache-2.0
/**
 * A local file sealed for its holder (docs/decisions.md, "Indicators: the app side"): the
 * institution's study key and the patient's indicator store live on the app's disk, sealed
 * (SM4-CTR + HMAC-SM3, the sealed box of §8) under a key derived from the holder's K1 private
 * key, `HMAC-SM3(sk, "medshare/v1/app/local-file\n" ‖ kind)`, with the file's header as
 * associated data. Whoever can open the holder's key file can open these; nobody else can read or
 * swap them. Written 0600 (its folder 0700) by write-then-rename, so a crash leaves the old file.
 */
import { fromBase64, fromHex, toBase64, utf8 } from '@medshare/crypto/bytes';
import { open, seal } from '@medshare/crypto/sealed-box';
import { hmacSm3 } from '@medshare/crypto/sm3';
import {
  canonicalBytes,
  canonicalizeData,
  expectObject,
  expectString,
  fail,
  keyIdOf,
  openCiphertext,
} from '@medshare/protocol';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { UserKey } from '../client/medshare-client';

export const LOCAL_FILE_LABEL = 'medshare/v1/app/local-file\n';

/** The kinds of sealed local files: each has its own key and its own format name. */
export type LocalFileKind = 'study-key' | 'indicator-store';

interface Header {
  readonly format: string;
  readonly version: 1;
  /** The holder's K1 key id: the file opens only with that key. */
  readonly keyId: string;
  /** Public, authenticated members (a study key file's public key). */
  readonly meta: Readonly<Record<string, string>>;
}

const formatOf = (kind: LocalFileKind): string => `medshare-${kind}`;

function fileKey(holder: UserKey, kind: LocalFileKind): Uint8Array {
  return hmacSm3(fromHex(holder.privateKey), utf8(`${LOCAL_FILE_LABEL}${kind}`));
}

const aadOf = (header: Header): Uint8Array => canonicalBytes(header);

/** Seals `payload` (JSON) for `holder` and writes it at `path` (0600), replacing any file there unless `exclusive`. */
export function writeSealedFile(
  path: string,
  kind: LocalFileKind,
  holder: UserKey,
  payload: unknown,
  options: { meta?: Readonly<Record<string, string>>; exclusive?: boolean } = {},
): void {
  if (options.exclusive && existsSync(path)) throw fail('INVALID_INPUT', `${path} exists; refusing to overwrite it`);
  const header: Header = {
    format: formatOf(kind),
    version: 1,
    keyId: keyIdOf(holder.publicKey),
    meta: options.meta ?? {},
  };
  // The payload is sealed data, never signed: every finite number (a reading of 6.2 mmol/L) is allowed.
  const sealed = seal(fileKey(holder, kind), utf8(canonicalizeData(payload)), aadOf(header));
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  writeFileSync(temporary, `${JSON.stringify({ ...header, sealed: toBase64(sealed) }, null, 2)}\n`, {
    mode: 0o600,
    flag: 'wx',
  });
  chmodSync(temporary, 0o600);
  renameSync(temporary, path);
}

/** The header of a sealed file, read without opening it (its meta is authenticated only by readSealedFile). */
function readHeader(path: string, kind: LocalFileKind): Header & { sealed: string } {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, 'utf8'));
  } catch (cause) {
    throw fail('INVALID_INPUT', `cannot read ${path}`, cause);
  }
  const o = expectObject(value, path, ['format', 'version', 'keyId', 'meta', 'sealed']);
  if (o.format !== formatOf(kind)) throw fail('INVALID_INPUT', `${path} is not a ${formatOf(kind)} file`);
  if (o.version !== 1) throw fail('UNSUPPORTED_VERSION', `${path}: version ${String(o.version)} is not supported`);
  const m = expectObject(o.meta, `${path}.meta`, ['publicKey']);
  const meta = Object.fromEntries(Object.entries(m).map(([k, v]) => [k, expectString(v, `${path}.meta.${k}`)]));
  return {
    format: formatOf(kind),
    version: 1,
    keyId: expectString(o.keyId, `${path}.keyId`, { pattern: /^[0-9a-f]{64}$/ }),
    meta,
    sealed: expectString(o.sealed, `${path}.sealed`),
  };
}

/** Opens the sealed file at `path` with `holder`'s key: its payload (JSON) and its authenticated meta. */
export function readSealedFile(
  path: string,
  kind: LocalFileKind,
  holder: UserKey,
): { payload: unknown; meta: Readonly<Record<string, string>> } {
  const { sealed, ...header } = readHeader(path, kind);
  if (header.keyId !== keyIdOf(holder.publicKey))
    throw fail('INVALID_INPUT', `${path} is sealed for key ${header.keyId}, not for this key`);
  const plaintext = openCiphertext(`${path} failed authentication`, () =>
    open(fileKey(holder, kind), fromBase64(sealed, `${path}.sealed`), aadOf(header)),
  );
  return { payload: JSON.parse(Buffer.from(plaintext).toString('utf8')) as unknown, meta: header.meta };
}
