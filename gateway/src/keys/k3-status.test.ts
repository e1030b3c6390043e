// SPDX-License-Identifier: Apache-2.0
import { generateKeyPair } from '@medshare/crypto/sm2';
import { keyIdOf } from '@medshare/protocol';
import { GatewayFixture } from '../testing/fixture';
import { parseLedgerAccessKeys, reconcileK3 } from './k3-status';
import type { PrivateKeyEntry } from './key-ring';

function fileKey(notBefore: number, notAfter: number): PrivateKeyEntry {
  const pair = generateKeyPair();
  return { keyId: keyIdOf(pair.publicKey), ...pair, notBefore, notAfter };
}

describe('reconcileK3 (the keys file against the ledger)', () => {
  const now = 1_800_000_000_000;
  const a = fileKey(now - 10, now + 1000);
  it('classifies each key: active, unregistered, retired (now or earlier), window-mismatch; a later retirement stays active until then', () => {
    const b = fileKey(now - 10, now + 1000);
    const c = fileKey(now - 10, now + 1000);
    const d = fileKey(now - 10, now + 1000);
    const e = fileKey(now - 10, now + 1000);
    const statuses = reconcileK3(
      [a, b, c, d, e],
      [
        { keyId: a.keyId, notBefore: a.notBefore, notAfter: a.notAfter },
        { keyId: c.keyId, notBefore: c.notBefore, notAfter: c.notAfter, retiredAt: now },
        { keyId: d.keyId, notBefore: d.notBefore, notAfter: d.notAfter + 1 },
        { keyId: e.keyId, notBefore: e.notBefore, notAfter: e.notAfter, retiredAt: now + 500 },
      ],
      now,
    );
    expect(Object.fromEntries(statuses)).toEqual({
      [a.keyId]: { status: 'active' },
      [b.keyId]: { status: 'unregistered' },
      [c.keyId]: { status: 'retired', retiredAt: now },
      [d.keyId]: { status: 'window-mismatch', ledgerWindow: { notBefore: d.notBefore, notAfter: d.notAfter + 1 } },
      [e.keyId]: { status: 'active', retiredAt: now + 500 },
    });
  });

  it('refuses a ledger answer that is not a list of access keys, naming the field', () => {
    expect(() => parseLedgerAccessKeys('{}')).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT', message: expect.stringMatching(/must be an array/) }) as Error,
    );
    expect(() =>
      parseLedgerAccessKeys(
        JSON.stringify([{ keyId: a.keyId, publicKey: a.publicKey, org: 'Org1MSP', notBefore: 'x', notAfter: 1 }]),
      ),
    ).toThrow(expect.objectContaining({ code: 'INVALID_INPUT', message: expect.stringMatching(/notBefore/) }) as Error);
  });
});

describe('K3 retirement on a running gateway (admin API, embedded ledger)', () => {
  let f: GatewayFixture;
  beforeEach(async () => {
    f = await GatewayFixture.create();
  });
  afterEach(() => f.close());

  const admin = (url: string, payload: object = {}) =>
    f.app.inject({ method: 'POST', url, payload, headers: { authorization: `Bearer ${f.adminToken}` } });
  const keys = async (): Promise<{ k3: Array<{ keyId: string; status?: string; retiredAt?: number }> }> =>
    (await f.app.inject({ method: 'GET', url: '/v1/keys' })).json();

  it("refuses to retire the gateway's only signing K3 (KEY_IN_USE) and changes nothing", async () => {
    const only = keyIdOf((f.keys.k3[0] as { publicKey: string }).publicKey);
    await f.reconcile();
    const before = f.snapshot();
    const res = await admin(`/v1/admin/access-keys/${only}/retire`);
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({
      code: 'KEY_IN_USE',
      message: expect.stringMatching(/last usable signing key/) as string,
    });
    expect(f.snapshot()).toBe(before);
    expect((await keys()).k3).toEqual([expect.objectContaining({ keyId: only, status: 'active' })]);
    const user = f.client();
    await user.register(generateKeyPair(), 'patient');
    user.close();
  });

  it('with a second K3 registered, retiring the first switches signing at once and /v1/keys shows the retirement', async () => {
    const first = keyIdOf((f.keys.k3[0] as { publicKey: string }).publicKey);
    const second = { ...generateKeyPair(), notBefore: f.now - 1000, notAfter: f.now + 86_400_000 };
    f.keys.k3.push(second);
    f.reloadKeys();
    await f.reconcile(); // registers the new key on the embedded ledger
    const res = await admin(`/v1/admin/access-keys/${first}/retire`);
    expect(res.statusCode).toBe(200);
    f.now += 10; // the fixture's ledger stamps transactions a few ms after its clock
    await f.reconcile();
    const view = (await keys()).k3;
    expect(view.find((k) => k.keyId === first)).toMatchObject({
      status: 'retired',
      retiredAt: expect.any(Number) as number,
    });
    expect(view.find((k) => k.keyId === keyIdOf(second.publicKey))).toMatchObject({ status: 'active' });
    // a client that trusts only the new K3 is served: the gateway now signs with it
    const client = f.client({ trusted: [second.publicKey] });
    await expect(client.register(generateKeyPair(), 'patient')).resolves.toMatchObject({ status: 'active' });
    client.close();
    expect((await f.app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
  });
});
