// SPDX-License-Identifier: Apache-2.0
import { fromBase64, fromHex } from './bytes';
import { CiphertextError } from './errors';
import { derivePassphraseKey } from './keyfile';
import { open, seal } from './sealed-box';
import { decrypt, encrypt, generateKeyPair } from './sm2';
import { sm4Ctr } from './sm4';

/** docs/decisions.md, "One error taxonomy": TypeError for type, RangeError for value, CiphertextError (a RangeError) for "does not decrypt". */
describe('the crypto error taxonomy', () => {
  const key = new Uint8Array(32).fill(1);
  const keys = generateKeyPair();

  it('a wrong type is a TypeError, a wrong value a RangeError', () => {
    expect(() => fromHex(1 as never)).toThrow(TypeError);
    expect(() => fromHex('ABC')).toThrow(RangeError);
    expect(() => fromBase64('abc')).toThrow(RangeError);
    expect(() => sm4Ctr('k' as never, new Uint8Array(16), new Uint8Array(1))).toThrow(TypeError);
    expect(() => sm4Ctr(new Uint8Array(15), new Uint8Array(16), new Uint8Array(1))).toThrow(RangeError);
    expect(() => encrypt(`04${'11'.repeat(64)}`, new Uint8Array(1))).toThrow(RangeError);
    expect(() => decrypt('00', new Uint8Array(200))).toThrow(RangeError);
  });

  it('a ciphertext that does not decrypt is a CiphertextError, which is a RangeError, and not for malformed arguments', () => {
    const sealed = seal(key, new Uint8Array(3));
    sealed[sealed.length - 1] = (sealed[sealed.length - 1] ?? 0) ^ 1;
    for (const attempt of [
      () => open(key, sealed),
      () => decrypt(keys.privateKey, new Uint8Array(97)),
      () => decrypt(keys.privateKey, encrypt(keys.publicKey, new Uint8Array(4)).fill(7, 0, 65)),
    ]) {
      expect(attempt).toThrow(CiphertextError);
      expect(attempt).toThrow(RangeError);
    }
    expect(() => open(new Uint8Array(16), sealed)).toThrow(RangeError);
    expect(() => open(new Uint8Array(16), sealed)).not.toThrow(CiphertextError);
    expect(new CiphertextError('x')).toMatchObject({ name: 'CiphertextError', message: 'x' });
  });

  it('key-file derivation refuses an empty passphrase and out-of-bounds scrypt parameters with a RangeError', async () => {
    await expect(derivePassphraseKey('', new Uint8Array(16), { N: 2 ** 14, r: 8, p: 1 })).rejects.toThrow(
      new RangeError('passphrase must not be empty'),
    );
    await expect(derivePassphraseKey('x', new Uint8Array(16), { N: 1024, r: 8, p: 1 })).rejects.toThrow(
      new RangeError('kdf.N must be a power of two in [2^14, 2^20]'),
    );
    await expect(derivePassphraseKey('x', new Uint8Array(16), { N: 2 ** 14, r: 4, p: 1 })).rejects.toThrow(RangeError);
    await expect(derivePassphraseKey(1 as never, new Uint8Array(16), { N: 2 ** 14, r: 8, p: 1 })).rejects.toThrow(
      TypeError,
    );
  });
});
