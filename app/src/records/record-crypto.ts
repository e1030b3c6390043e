import { decrypt, encrypt, fromBase64, fromHex, open, randomKey, seal, sm3, toBase64, toHex, utf8 } from '@medshare/protocol';

const RECORD_AAD = utf8('medshare/v1/record');

/** Seals a record under a fresh per-record data key and wraps that key for the owner. */
export function sealRecord(
  content: Uint8Array,
  ownerPublicKey: string,
): { ciphertext: string; contentHash: string; ownerKeyWrap: string; dataKey: Uint8Array } {
  const dataKey = randomKey();
  const sealed = seal(dataKey, content, RECORD_AAD);
  return { ciphertext: toBase64(sealed), contentHash: toHex(sm3(sealed)), ownerKeyWrap: toHex(encrypt(ownerPublicKey, dataKey)), dataKey };
}

export function unwrapDataKey(keyWrap: string, privateKey: string): Uint8Array {
  return decrypt(privateKey, fromHex(keyWrap, 'keyWrap'));
}

export function wrapDataKey(dataKey: Uint8Array, publicKey: string): string {
  return toHex(encrypt(publicKey, dataKey));
}

/** Opens a sealed record after checking its hash. */
export function openRecord(ciphertext: string, contentHash: string, dataKey: Uint8Array): Uint8Array {
  const sealed = fromBase64(ciphertext, 'ciphertext');
  if (toHex(sm3(sealed)) !== contentHash) throw new Error('record ciphertext does not match its content hash');
  return open(dataKey, sealed, RECORD_AAD);
}
