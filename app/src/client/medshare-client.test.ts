// SPDX-License-Identifier: Apache-2.0
import { fromBase64, toBase64, utf8 } from '@medshare/crypto/bytes';
import { open, seal } from '@medshare/crypto/sealed-box';
import { generateKeyPair } from '@medshare/crypto/sm2';
import { canonicalize, sessionAad } from '@medshare/protocol';
import { GatewayFixture, party } from '@medshare/gateway/src/testing/fixture';

const RECORD = utf8('{"diagnosis":"J45.909","note":"mild persistent asthma"}');

describe('SDK: the whole path through an in-process gateway', () => {
  let f: GatewayFixture;
  beforeAll(async () => {
    f = await GatewayFixture.create();
  });
  afterAll(() => f.close());

  it('register, upload, grant, view, revoke, refused view, audit', async () => {
    const client = f.client();
    const patient = party();
    const doctor = party();
    await client.register(patient, 'patient');
    const reg = await client.register(doctor, 'doctor');
    expect(reg.status).toBe('pending');
    const approve = await f.app.inject({
      method: 'POST',
      url: `/v1/admin/users/${doctor.keyId}/approve`,
      headers: { authorization: `Bearer ${f.adminToken}` },
    });
    expect(approve.json()).toMatchObject({ status: 'active' });

    const { recordId } = await client.upload(patient, { content: RECORD, kind: 'clinical-note' });
    await client.grant(patient, recordId, doctor.keyId);
    const seen = await client.view(doctor, recordId);
    expect(Buffer.from(seen.content).toString()).toContain('asthma');
    await client.revoke(patient, recordId, doctor.keyId);
    await expect(client.view(doctor, recordId)).rejects.toMatchObject({ code: 'NOT_AUTHORIZED' });
    const audit = await client.audit(patient, recordId);
    expect(audit.items.map((e) => e.action)).toEqual(['upload', 'view', 'grant', 'view', 'revoke']);
    expect((await client.listGrants(doctor)).items).toEqual([]);
    expect((await client.listRecords(patient)).items.map((r) => r.recordId)).toEqual([recordId]);
  });
});

describe('SDK: response signatures', () => {
  it('the SDK refuses a tampered sig5, and an answer signed by an untrusted K3', async () => {
    const f = await GatewayFixture.create();
    try {
      const user = party();
      await f.client().register(user, 'patient');
      // A man in the middle who knows the session key (read from the gateway in this test) flips sig5.
      const tamper = (path: string, body: unknown): unknown => {
        if (path !== '/v1/requests') return body;
        const sealed = body as { sessionId: string; ciphertext: string };
        const key = f.accessLayer.sessions.get(sealed.sessionId, f.now).key;
        const plain = JSON.parse(
          Buffer.from(open(key, fromBase64(sealed.ciphertext), sessionAad('response', sealed.sessionId))).toString(),
        ) as {
          sig5: string;
        };
        const forged = { ...plain, sig5: plain.sig5.replace(/^./, (c) => (c === '0' ? '1' : '0')) };
        return {
          ...sealed,
          ciphertext: toBase64(seal(key, utf8(canonicalize(forged)), sessionAad('response', sealed.sessionId))),
        };
      };
      const before = f.snapshot();
      await expect(
        f.client({ transport: f.injectTransport('127.0.0.1', tamper) }).listRecords(user),
      ).rejects.toMatchObject({ code: 'SIG5_INVALID' });
      await expect(
        f.client({ trusted: [generateKeyPair().publicKey] }).register(party(), 'patient'),
      ).rejects.toMatchObject({
        code: 'SESSION_SIGNATURE_INVALID',
      });
      expect(f.snapshot()).toBe(before);
    } finally {
      await f.close();
    }
  });
});

describe('the SDK renews sessions', () => {
  it('opens a new session when the old one expires, transparently', async () => {
    const f = await GatewayFixture.create();
    try {
      const client = f.client();
      const user = party();
      await client.register(user, 'patient');
      const sessionsBefore = f.accessLayer.sessions.size;
      f.now += 601_000; // past the fixture's 10-minute session lifetime
      expect((await client.listRecords(user)).items).toEqual([]);
      f.accessLayer.sessions.sweep(f.now);
      expect(f.accessLayer.sessions.size).toBe(sessionsBefore);
    } finally {
      await f.close();
    }
  });
});
