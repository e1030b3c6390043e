// SPDX-License-Identifier: Apache-2.0
import { generateKeyPair } from '@medshare/crypto/sm2';
import { decryptKeyFile, encryptKeyFile, parseKeyFile } from './keyfile';

const FAST = { N: 2 ** 14, r: 8, p: 1 };

describe('passphrase-protected key files', () => {
  const keys = generateKeyPair();

  it('round-trips and holds no secret in the clear', async () => {
    const file = await encryptKeyFile(keys.privateKey, 'correct horse battery staple', FAST);
    expect(JSON.stringify(file)).not.toContain(keys.privateKey);
    const opened = await decryptKeyFile(JSON.parse(JSON.stringify(file)), 'correct horse battery staple');
    expect(opened).toEqual({ privateKey: keys.privateKey, publicKey: keys.publicKey, keyId: file.keyId });
  });

  it('a wrong passphrase and a swapped public key both fail as CIPHERTEXT_INVALID or INVALID_INPUT', async () => {
    const file = await encryptKeyFile(keys.privateKey, 'pass-1', FAST);
    await expect(decryptKeyFile(file, 'pass-2')).rejects.toMatchObject({
      name: 'MedshareError',
      code: 'CIPHERTEXT_INVALID',
    });
    const other = generateKeyPair();
    await expect(decryptKeyFile({ ...file, publicKey: other.publicKey }, 'pass-1')).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    });
    await expect(decryptKeyFile({ ...file, kdf: { ...file.kdf, N: 2 ** 15 } }, 'pass-1')).rejects.toMatchObject({
      code: 'CIPHERTEXT_INVALID',
    });
  });

  it('refuses weak or hostile KDF parameters and unknown fields before deriving', async () => {
    const file = await encryptKeyFile(keys.privateKey, 'pass', FAST);
    expect(() => parseKeyFile({ ...file, kdf: { ...file.kdf, N: 1024 } })).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT' }),
    );
    expect(() => parseKeyFile({ ...file, kdf: { ...file.kdf, N: 2 ** 30 } })).toThrow(/kdf.N/);
    expect(() => parseKeyFile({ ...file, extra: 1 })).toThrow(/keyfile.extra is not an allowed field/);
    expect(() => parseKeyFile({ ...file, version: 2 })).toThrow(
      expect.objectContaining({ code: 'UNSUPPORTED_VERSION' }),
    );
    await expect(encryptKeyFile(keys.privateKey, '', FAST)).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });
});
