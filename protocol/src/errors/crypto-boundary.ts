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
export function cryptoError(cause: unknown, code: ErrorCode, message?: CryptoErrorMessage): unknown {
  if (cause instanceof MedshareError || !(cause instanceof RangeError)) return cause;
  return fail(code, typeof message === 'function' ? message(cause) : (message ?? cause.message), cause);
}

/** The coded error's message: fixed, or built from the RangeError (e.g. to append the crypto message). */
export type CryptoErrorMessage = string | ((cause: RangeError) => string);

/** Runs `work`, mapping its crypto errors by {@link cryptoError}. */
export function cryptoInput<T>(code: ErrorCode, message: CryptoErrorMessage | undefined, work: () => T): T {
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

/**
 * `cryptoInput('INVALID_INPUT', message, work)`: decoding or checking a key, point or encoding that
 * came in a request (a point on the curve, canonical base64). Crypto's RangeError is the sender's
 * bad input; a TypeError is a bug of ours and is not reported as bad input.
 */
export function decodeInput<T>(message: CryptoErrorMessage | undefined, work: () => T): T {
  return cryptoInput('INVALID_INPUT', message, work);
}
