// SPDX-License-Identifier: Apache-2.0
import { CiphertextError } from '@medshare/crypto/errors';
import { fromBase64 } from '@medshare/crypto/bytes';
import { open, seal } from '@medshare/crypto/sealed-box';
import { cryptoError, decodeInput, openCiphertext } from './crypto-boundary';
import { fail } from './medshare-error';

describe('the crypto error boundary', () => {
  const key = new Uint8Array(32).fill(2);

  it('maps a CiphertextError or a RangeError to the code with the caller’s message, keeping the cause', () => {
    const sealed = seal(key, new Uint8Array(3));
    sealed[0] = 9;
    const thrown = (work: () => unknown): unknown => {
      try {
        openCiphertext('request ciphertext failed authentication', work);
      } catch (error) {
        return error;
      }
      return undefined;
    };
    expect(thrown(() => open(key, sealed))).toMatchObject({
      name: 'MedshareError',
      code: 'CIPHERTEXT_INVALID',
      message: 'CIPHERTEXT_INVALID: request ciphertext failed authentication',
      cause: expect.any(CiphertextError),
    });
    expect(thrown(() => fromBase64('%%'))).toMatchObject({ code: 'CIPHERTEXT_INVALID', cause: expect.any(RangeError) });
  });

  it('passes coded errors and non-crypto errors through unchanged', () => {
    const coded = fail('SESSION_UNKNOWN', 'x');
    expect(cryptoError(coded, 'CIPHERTEXT_INVALID')).toBe(coded);
    const bug = new TypeError('key must be a Uint8Array');
    expect(cryptoError(bug, 'CIPHERTEXT_INVALID')).toBe(bug);
    expect(cryptoError(new RangeError('kdf.r must be 8'), 'INVALID_INPUT')).toMatchObject({
      code: 'INVALID_INPUT',
      message: 'INVALID_INPUT: kdf.r must be 8',
    });
  });

  it('decodeInput: a RangeError is INVALID_INPUT with the caller’s message; a TypeError is a bug and passes', () => {
    expect(() => decodeInput('ciphertext is not canonical base64', () => fromBase64('%%'))).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT', cause: expect.any(RangeError) }),
    );
    expect(() =>
      decodeInput(
        (cause) => `capsule: ${cause.message}`,
        () => {
          throw new RangeError('too short');
        },
      ),
    ).toThrow(expect.objectContaining({ code: 'INVALID_INPUT', message: 'INVALID_INPUT: capsule: too short' }));
    const bug = new TypeError('text must be a string');
    expect(() =>
      decodeInput('not base64', () => {
        throw bug;
      }),
    ).toThrow(bug);
  });
});
