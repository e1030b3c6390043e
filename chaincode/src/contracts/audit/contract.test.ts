// SPDX-License-Identifier: Apache-2.0
import { fabricIdentity } from '@medshare/fabric-sim';
import { APP_ID, Harness, ORG1, ORG2 } from '../../testing/harness';

describe('admin audit trail', () => {
  it('an admin of the upload org reads it; another org cannot', async () => {
    const h = await Harness.create();
    const patient = await h.registerPatient();
    const { recordId } = await h.upload(patient);
    const trail = JSON.parse(
      await h
        .evaluate('audit:AdminAuditTrail', [recordId, '10', ''], fabricIdentity(ORG1, { admin: true }))
        .then((r) => r.result),
    ) as {
      items: Array<{ action: string; appId: string }>;
    };
    expect(trail.items).toEqual([expect.objectContaining({ action: 'upload', appId: APP_ID })]);
    await expect(
      h.evaluate('audit:AdminAuditTrail', [recordId, '10', ''], fabricIdentity(ORG2, { admin: true })),
    ).rejects.toMatchObject({
      code: 'NOT_ORG_ADMIN',
    });
  });
});
