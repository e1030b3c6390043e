// SPDX-License-Identifier: Apache-2.0
/**
 * SM2 (GB/T 32918-2016) over the sm2p256v1 curve of GB/T 32918.5-2017: key pairs, signatures
 * with the user identity Z_A (random or RFC 6979 deterministic k), public-key encryption in the
 * C1 ‖ C3 ‖ C2 order, PKCS#8 / SPKI PEM and DER signature conversion. Keys are hex strings,
 * messages and ciphertexts Uint8Array. Fixed-k variants and cache controls are in `../testing`.
 */
export { SM2_N } from './curve';
export { assertPublicKey, generateKeyPair, publicKeyFromPrivate, type Sm2KeyPair } from './keys';
export { privateKeyFromPem, privateKeyToPem, publicKeyFromPem, publicKeyToPem } from './pem';
export {
  DEFAULT_USER_ID,
  SIGNATURE_BYTES,
  sign,
  signDeterministic,
  signatureFromDer,
  signatureToDer,
  verify,
  zA,
  type Sm2SignOptions,
} from './sign';
export { SM2_CIPHERTEXT_OVERHEAD, decrypt, encrypt, kdf } from './encrypt';
