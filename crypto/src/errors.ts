// SPDX-License-Identifier: Apache-2.0
/**
 * The one error class of its own in @medshare/crypto. Everything else raises the built-ins, as
 * noble does: `TypeError` for a wrong type or shape (not a Uint8Array, not a string), `RangeError`
 * for a wrong value (wrong length, out of range, not hex, not on the curve).
 *
 * A `CiphertextError` is the RangeError for ciphertexts that do not decrypt: a sealed box whose
 * MAC fails or that is truncated or of an unknown version, an SM2 ciphertext whose C1 is not on
 * the curve or whose C3 check fails (GB/T 32918.4-2016 §7.1 B1, B6). It is a RangeError, so a
 * caller that only distinguishes type from value errors still gets one of the two; a caller that
 * must tell "did not authenticate" from "malformed argument" checks `instanceof CiphertextError`
 * (or `name === 'CiphertextError'` across realms). docs/decisions.md, "One error taxonomy".
 */
export class CiphertextError extends RangeError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'CiphertextError';
  }
}
