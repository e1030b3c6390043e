// SPDX-License-Identifier: Apache-2.0
import { generateKeyPair, type Sm2KeyPair } from '@medshare/crypto/sm2';
import { GatewayFixture, party } from '../testing/fixture';

describe('key rotation without restart', () => {
  it('a new K3 and a new K2 overlap the old ones; removing the old K2 retires it', async () => {
    const f = await GatewayFixture.create();
    try {
      const user = party();
      const oldK3 = f.keys.k3[0] as Sm2KeyPair;
      const newK3 = { ...generateKeyPair(), notBefore: f.now - 1000, notAfter: f.now + 86_400_000 };
      await f.ledger.orgAdmin().registerAccessKey(newK3);
      const newK2 = generateKeyPair();
      f.keys.k3.push(newK3);
      f.keys.k2.push(newK2);
      f.reloadKeys();
      // the newest valid K3 signs from now on; a client that trusts only the old K3 is refused
      await f.client({ k2: newK2, trusted: [newK3.publicKey] }).register(user, 'patient');
      await expect(f.client({ trusted: [oldK3.publicKey] }).listRecords(user)).rejects.toMatchObject({
        code: 'SESSION_SIGNATURE_INVALID',
      });
      expect((await f.client({ k2: f.keys.k2[0] }).listRecords(user)).items).toEqual([]);
      f.keys.k2 = [newK2];
      f.reloadKeys();
      await expect(f.client({ k2: generateKeyPair() }).listRecords(user)).rejects.toMatchObject({
        code: 'APP_KEY_NOT_VALID',
      });
      expect((await f.client({ k2: newK2 }).listRecords(user)).items).toEqual([]);
    } finally {
      await f.close();
    }
  });
});
