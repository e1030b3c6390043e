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

/**
 * Seals `content` (§8) under a fresh 32-byte data key with `aad`, and wraps the key (§4) for
 * `recipientPublicKey`: a record for its owner, an extract for an institution, a profile for its patient.
 */
export function sealToKey(
  content: Uint8Array,
  aad: Uint8Array,
  recipientPublicKey: string,
): { sealed: Uint8Array; keyWrap: string; dataKey: Uint8Array } {
  const dataKey = randomKey();
  return { sealed: seal(dataKey, content, aad), keyWrap: wrapDataKey(dataKey, recipientPublicKey), dataKey };
}

/** Opens what {@link sealToKey} sealed: CIPHERTEXT_INVALID with `message` when the key wrap or the box does not open. */
export function openFromKeyWrap(
  sealed: Uint8Array,
  keyWrap: string,
  privateKey: string,
  aad: Uint8Array,
  message: string,
): Uint8Array {
  return openCiphertext(message, () => {
    const dataKey = unwrapDataKey(keyWrap, privateKey);
    try {
      return open(dataKey, sealed, aad);
    } finally {
      dataKey.fill(0);
    }
  });
}

/** Seals a record under a fresh per-record data key and wraps that key for the owner. */
export function sealRecord(
  content: Uint8Array,
  ownerPublicKey: string,
  patientId: string,
): { ciphertext: string; contentHash: string; ownerKeyWrap: string; dataKey: Uint8Array } {
  const { sealed, keyWrap, dataKey } = sealToKey(content, recordAad(patientId), ownerPublicKey);
  return { ciphertext: toBase64(sealed), contentHash: toHex(sm3(sealed)), ownerKeyWrap: keyWrap, dataKey };
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
