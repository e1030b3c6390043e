// SPDX-License-Identifier: Apache-2.0
import { Harness, ORG1, ORG2, newParty, rejects } from '../../testing/harness';

describe('registry', () => {
  it('registers a patient by proof of possession, active at once', async () => {
    const h = await Harness.create();
    const p = newParty();
    const result = await h.act('register', p, { role: 'patient', publicKey: p.publicKey, pseudonym: p.pseudonym });
    expect(result).toEqual({ keyId: p.keyId, role: 'patient', status: 'active', org: ORG1 });
  });

  it('a doctor is pending until an admin of its own org approves it', async () => {
    const h = await Harness.create();
    const d = await h.registerDoctor(ORG1, 'doctor', false);
    const user = JSON.parse((await h.evaluate('registry:GetUser', [d.keyId], h.client())).result) as { status: string };
    expect(user.status).toBe('pending');
    await rejects(h, () => h.admin(ORG2, 'registry:ApproveUser', d.keyId), 'NOT_ORG_ADMIN', /not of Org1MSP/);
    await rejects(h, () => h.submit('registry:ApproveUser', [d.keyId], h.client(ORG1)), 'NOT_ORG_ADMIN');
    await h.admin(ORG1, 'registry:ApproveUser', d.keyId);
    const after = JSON.parse((await h.evaluate('registry:GetUser', [d.keyId], h.client())).result) as {
      status: string;
    };
    expect(after.status).toBe('active');
  });

  it('refuses registration signed by a key other than the one registered, twice, or with a reused pseudonym', async () => {
    const h = await Harness.create();
    const p = newParty();
    const other = newParty();
    const body = { role: 'patient' as const, publicKey: p.publicKey, pseudonym: p.pseudonym };
    await rejects(h, () => h.call(h.envelope(h.request('register', p, body), other)), 'SIG1_INVALID');
    await rejects(
      h,
      () => h.call(h.envelope(h.request('register', other, body), other)),
      'INVALID_INPUT',
      /key id of request.body.publicKey/,
    );
    await h.act('register', p, body);
    await rejects(h, () => h.act('register', p, body), 'ALREADY_REGISTERED');
    await rejects(
      h,
      () => h.act('register', other, { ...body, publicKey: other.publicKey }),
      'ALREADY_REGISTERED',
      /pseudonym/,
    );
  });

  it('refuses a public key that is not on the curve', async () => {
    const h = await Harness.create();
    const p = newParty();
    const bad = `04${'11'.repeat(64)}`;
    await rejects(
      h,
      () => h.act('register', p, { role: 'patient', publicKey: bad, pseudonym: p.pseudonym }),
      'INVALID_INPUT',
      /not a point/,
    );
  });
});
