// SPDX-License-Identifier: Apache-2.0
import { fail, MedshareError } from './medshare-error';
import type { ErrorCode } from './codes';

/**
 * The one place where @medshare/crypto's errors become coded errors (docs/decisions.md, "One
 * error taxonomy"). Crypto raises only TypeError and RangeError, and CiphertextError (a
 * RangeError) for a ciphertext that does not decrypt. Every caller that decrypts, decodes or
 * derives from untrusted input runs it through {@link cryptoInput}:
 *
 * - a RangeError, CiphertextError included, becomes `code` with `message` (or, without one,
 *   the crypto message, which names the argument); the crypto error is kept as `cause`;
 * - a MedshareError passes unchanged;
 * - anything else (a TypeError is a caller's bug: protocol validates types before crypto sees
 *   them; an OpenSSL failure) is rethrown as it is, so it reaches the error boundary as INTERNAL.
 */
export function cryptoError(cause: unknown, code: ErrorCode, message?: string): unknown {
  if (cause instanceof MedshareError || !(cause instanceof RangeError)) return cause;
  return fail(code, message ?? cause.message, cause);
}

/** Runs `work`, mapping its crypto errors by {@link cryptoError}. */
export function cryptoInput<T>(code: ErrorCode, message: string | undefined, work: () => T): T {
  try {
    return work();
  } catch (cause) {
    throw cryptoError(cause, code, message);
  }
}

/** `cryptoInput('CIPHERTEXT_INVALID', message, work)`: opening a sealed box or SM2 ciphertext, decoding its base64. */
export function openCiphertext<T>(message: string, work: () => T): T {
  return cryptoInput('CIPHERTEXT_INVALID', message, work);
}
