// SPDX-License-Identifier: Apache-2.0
/**
 * The institution's study key (docs/protocol.md §20.5, §21.1): a twisted ElGamal key pair whose
 * public half goes into the published study and whose secret decrypts the study's sums. The secret
 * is written once to a local file sealed for the institution's K1 (sealed-file.ts), 0600, and is
 * never sent anywhere.
 */
import { fromHex, toHex } from '@medshare/crypto/bytes';
import { twistedKeyGen, twistedPublicKey } from '@medshare/crypto/zk';
import { expectObject, expectString, fail, COMPRESSED_POINT } from '@medshare/protocol';
import type { UserKey } from '../client/medshare-client';
import { readSealedFile, writeSealedFile } from './sealed-file';

/** A study key pair as the SDK holds it: the secret in bytes, the public half as the study names it (66 hex). */
export interface StudyKey {
  readonly secretKey: Uint8Array;
  readonly publicKey: string;
}

/** Makes a study key and writes its file at `path` (refused if a file is there). Returns the public half. */
export function createStudyKeyFile(path: string, institution: UserKey): { publicKey: string } {
  const pair = twistedKeyGen();
  const publicKey = toHex(pair.publicKey);
  writeSealedFile(
    path,
    'study-key',
    institution,
    { secretKey: toHex(pair.secretKey) },
    {
      meta: { publicKey },
      exclusive: true,
    },
  );
  return { publicKey };
}

/** Opens a study key file with the institution's key; the secret must give the file's public key. */
export function readStudyKeyFile(path: string, institution: UserKey): StudyKey {
  const { payload, meta } = readSealedFile(path, 'study-key', institution);
  const o = expectObject(payload, `${path} (opened)`, ['secretKey']);
  const secretKey = fromHex(expectString(o.secretKey, 'secretKey', { pattern: /^[0-9a-f]{64}$/ }));
  const publicKey = expectString(meta.publicKey, `${path}.meta.publicKey`, { pattern: COMPRESSED_POINT });
  let derived: string;
  try {
    derived = toHex(twistedPublicKey(secretKey));
  } catch (cause) {
    throw fail('INVALID_INPUT', `${path} holds no valid study secret`, cause);
  }
  if (derived !== publicKey) throw fail('INVALID_INPUT', `${path}: the secret does not give its public key`);
  return { secretKey, publicKey };
}
