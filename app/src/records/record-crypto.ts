// SPDX-License-Identifier: Apache-2.0
import { fromBase64, fromHex, toBase64, toHex, utf8 } from '@medshare/crypto/bytes';
import { open, randomKey, seal } from '@medshare/crypto/sealed-box';
import { decrypt, encrypt } from '@medshare/crypto/sm2';
import { sm3 } from '@medshare/crypto/sm3';
import { RECORD_LABEL, fail, openCiphertext } from '@medshare/protocol';

/** A record is sealed for its owner's pseudonym: its ciphertext cannot pass as another patient's record. */
function recordAad(patientId: string): Uint8Array {
  return utf8(`${RECORD_LABEL}${patientId}`);
}

/** Seals a record under a fresh per-record data key and wraps that key for the owner. */
export function sealRecord(
  content: Uint8Array,
  ownerPublicKey: string,
  patientId: string,
): { ciphertext: string; contentHash: string; ownerKeyWrap: string; dataKey: Uint8Array } {
  const dataKey = randomKey();
  const sealed = seal(dataKey, content, recordAad(patientId));
  return {
    ciphertext: toBase64(sealed),
    contentHash: toHex(sm3(sealed)),
    ownerKeyWrap: toHex(encrypt(ownerPublicKey, dataKey)),
    dataKey,
  };
}

export function unwrapDataKey(keyWrap: string, privateKey: string): Uint8Array {
  return decrypt(privateKey, fromHex(keyWrap, 'keyWrap'));
}

export function wrapDataKey(dataKey: Uint8Array, publicKey: string): string {
  return toHex(encrypt(publicKey, dataKey));
}

/** Opens a sealed record after checking its hash. */
export function openRecord(
  ciphertext: string,
  contentHash: string,
  dataKey: Uint8Array,
  patientId: string,
): Uint8Array {
  const sealed = openCiphertext('record ciphertext is not base64', () => fromBase64(ciphertext, 'ciphertext'));
  if (toHex(sm3(sealed)) !== contentHash)
    throw fail('CIPHERTEXT_INVALID', 'record ciphertext does not match its content hash');
  return openCiphertext('record did not open: wrong key, or sealed for another patient', () =>
    open(dataKey, sealed, recordAad(patientId)),
  );
}
