// SPDX-License-Identifier: Apache-2.0
import { generateKeyPair, privateKeyToPem } from '@medshare/crypto/sm2';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { keyIdOf } from '@medshare/protocol';
import { loadContractKey } from './contract-key';

describe('K4 comes from the chaincode process configuration, never the ledger', () => {
  const dir = mkdtempSync(join(tmpdir(), 'medshare-k4-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const keys = generateKeyPair();

  it('reads MEDSHARE_K4_KEY_FILE (PKCS#8 PEM) or MEDSHARE_K4_PRIVATE_KEY_PEM', () => {
    const file = join(dir, 'k4.pem');
    writeFileSync(file, privateKeyToPem(keys.privateKey), { mode: 0o600 });
    expect(loadContractKey({ MEDSHARE_K4_KEY_FILE: file })).toEqual({ ...keys, keyId: keyIdOf(keys.publicKey) });
    expect(loadContractKey({ MEDSHARE_K4_PRIVATE_KEY_PEM: privateKeyToPem(keys.privateKey) })?.keyId).toBe(
      keyIdOf(keys.publicKey),
    );
  });

  it('is absent when not configured, and a bad key is a clear INTERNAL error naming the setting', () => {
    expect(loadContractKey({})).toBeUndefined();
    const bad = join(dir, 'bad.pem');
    writeFileSync(bad, 'not a key');
    expect(() => loadContractKey({ MEDSHARE_K4_KEY_FILE: bad })).toThrow(
      expect.objectContaining({ code: 'INTERNAL', message: expect.stringContaining('MEDSHARE_K4_KEY_FILE') }),
    );
    expect(() => loadContractKey({ MEDSHARE_K4_KEY_FILE: join(dir, 'missing.pem') })).toThrow(
      expect.objectContaining({ code: 'INTERNAL' }),
    );
  });
});
