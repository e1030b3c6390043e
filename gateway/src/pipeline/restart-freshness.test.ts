// SPDX-License-Identifier: Apache-2.0
import { generateKeyPair } from '@medshare/crypto/sm2';
import { MedshareClient } from '@medshare/app';
import { APP, GatewayFixture } from '../testing/fixture';

/**
 * Evaluated operations have no ledger nonce: a restart empties the replay cache that guards
 * them, so requests issued before the process started are refused (issue: a `list-records`
 * envelope re-sealed after a restart was answered).
 */
describe('evaluated requests issued before the gateway started', () => {
  let f: GatewayFixture;
  beforeEach(async () => {
    f = await GatewayFixture.create();
  });
  afterEach(() => f.close());

  const clientAt = (clock: () => number): MedshareClient => {
    const k2 = f.keys.k2[0] as (typeof f.keys.k2)[number];
    return new MedshareClient(
      {
        gatewayUrl: 'https://127.0.0.1',
        appId: APP,
        appKey: k2,
        trustedAccessKeys: f.keys.k3.map((k) => k.publicKey),
        trustedContractKeys: [f.keys.k4.publicKey],
        clock,
      },
      f.injectTransport(),
    );
  };

  it('are refused with REQUEST_EXPIRED (nothing reaches the ledger); submitted ones, guarded by their ledger nonce, and fresh ones pass', async () => {
    const user = generateKeyPair();
    const early = clientAt(() => f.now - 5_000); // signed 5 s before this process started
    await early.register(user, 'patient'); // a submit: its nonce is on the ledger
    const before = f.snapshot();
    await expect(early.listRecords(user)).rejects.toMatchObject({
      code: 'REQUEST_EXPIRED',
      message: expect.stringMatching(/before this gateway started/) as string,
    });
    expect(f.snapshot()).toBe(before);
    expect((await f.client().listRecords(user)).items).toEqual([]);
    early.close();
  });
});
