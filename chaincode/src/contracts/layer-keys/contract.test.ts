// SPDX-License-Identifier: Apache-2.0
import { Harness, ORG1, ORG2, T0, newParty, rejects, type Party } from '../../testing/harness';

describe('access-layer keys (K3)', () => {
  it('only org admins register and retire them, for their own org', async () => {
    const h = await Harness.create();
    const k = newParty();
    await rejects(
      h,
      () => h.submit('layer-keys:RegisterAccessKey', [k.publicKey, String(T0), String(T0 + 1000)], h.client()),
      'NOT_ORG_ADMIN',
    );
    await rejects(
      h,
      () => h.admin(ORG1, 'layer-keys:RegisterAccessKey', k.publicKey, String(T0 + 1000), String(T0)),
      'INVALID_INPUT',
      /notAfter/,
    );
    await rejects(
      h,
      () => h.admin(ORG1, 'layer-keys:RegisterAccessKey', k.publicKey, '-1', String(T0)),
      'INVALID_INPUT',
      /notBefore/,
    );
    const first = await h.admin(ORG1, 'layer-keys:RegisterAccessKey', k.publicKey, String(T0), String(T0 + 1000));
    // idempotent for the same window
    const height = h.ledger.height;
    expect(await h.admin(ORG1, 'layer-keys:RegisterAccessKey', k.publicKey, String(T0), String(T0 + 1000))).toBe(first);
    expect(h.ledger.height).toBe(height);
    await rejects(h, () => h.admin(ORG2, 'layer-keys:RetireAccessKey', k.keyId, ''), 'KEY_NOT_FOUND');
  });

  it('rotation: old and new keys overlap, then the retired one is refused', async () => {
    const h = await Harness.create();
    const p = await h.registerPatient();
    const old = h.k3[ORG1] as Party & { org: string };
    const fresh = { ...newParty(), org: ORG1 };
    await h.admin(ORG1, 'layer-keys:RegisterAccessKey', fresh.publicKey, String(h.now), String(h.now + 86_400_000));
    const body = { pageSize: 10, bookmark: '' };
    await h.call(h.envelope(h.request('list-records', p, body), p, ORG1, old));
    await h.call(h.envelope(h.request('list-records', p, body), p, ORG1, fresh));
    await h.admin(ORG1, 'layer-keys:RetireAccessKey', old.keyId, '');
    h.now += 1;
    await rejects(
      h,
      () => h.call(h.envelope(h.request('list-records', p, body), p, ORG1, old)),
      'ACCESS_KEY_NOT_VALID',
      /retired/,
    );
    await h.call(h.envelope(h.request('list-records', p, body), p, ORG1, fresh));
  });

  it('a K3 outside its validity window is refused', async () => {
    const h = await Harness.create();
    const p = await h.registerPatient();
    h.now = T0 + 366 * 86_400_000;
    await rejects(h, () => h.act('upload', p, h.sealedRecord(p).body), 'ACCESS_KEY_NOT_VALID', /valid only/);
  });
});
