// SPDX-License-Identifier: Apache-2.0
import { fromBase64, fromHex, toHex } from '@medshare/crypto/bytes';
import { open } from '@medshare/crypto/sealed-box';
import { decrypt, encrypt } from '@medshare/crypto/sm2';
import { AUDIT_EVENT_NAME, canonicalize, parseAuditEvent } from '@medshare/protocol';
import { ACCESS_TICKET_TTL_MS } from '../../contracts/records/rules';
import { Harness, ORG1, ORG2, newParty, rejects, wrapFor } from '../../testing/harness';

describe('records: upload, grant, view, read, revoke (claims 2–5)', () => {
  it('the full path: the owner and a grantee read, the revoked grantee cannot', async () => {
    const h = await Harness.create();
    const patient = await h.registerPatient();
    const doctor = await h.registerDoctor(ORG2);
    const { recordId, dataKey } = await h.upload(patient);

    // owner views then reads by evaluation; the data opens with the owner's key wrap
    const view = await h.act('view', patient, { recordId });
    const read = await h.act('read', patient, { recordId, accessId: view.accessId as string });
    const ownerKey = decrypt(patient.privateKey, fromHex(read.keyWrap as string));
    expect(toHex(ownerKey)).toBe(toHex(dataKey));
    expect(Buffer.from(open(ownerKey, fromBase64(read.ciphertext as string))).toString()).toContain('asthma');

    // grant: wrap the data key for the doctor
    const keyWrap = toHex(encrypt(doctor.publicKey, dataKey));
    await h.act('grant', patient, { recordId, granteeKeyId: doctor.keyId, keyWrap });
    const doctorView = await h.act('view', doctor, { recordId }, ORG2);
    const doctorRead = await h.act('read', doctor, { recordId, accessId: doctorView.accessId as string }, ORG2);
    expect(toHex(decrypt(doctor.privateKey, fromHex(doctorRead.keyWrap as string)))).toBe(toHex(dataKey));

    const grants = await h.act('list-grants', doctor, { pageSize: 10, bookmark: '' }, ORG2);
    expect(grants.items).toEqual([{ recordId, grantedAt: expect.any(Number) }]);

    await h.act('revoke', patient, { recordId, granteeKeyId: doctor.keyId });
    await rejects(h, () => h.act('view', doctor, { recordId }, ORG2), 'NOT_AUTHORIZED');
    // a ticket from before the revoke no longer reads
    await rejects(
      h,
      () => h.act('read', doctor, { recordId, accessId: doctorView.accessId as string }, ORG2),
      'NOT_AUTHORIZED',
    );

    const audit = await h.act('audit', patient, { recordId, pageSize: 100, bookmark: '' });
    expect((audit.items as Array<{ action: string; actorKeyId: string }>).map((e) => [e.action, e.actorKeyId])).toEqual(
      [
        ['upload', patient.keyId],
        ['view', patient.keyId],
        ['grant', patient.keyId],
        ['view', doctor.keyId],
        ['revoke', patient.keyId],
      ],
    );
  });

  it('nothing on the ledger is plaintext medical data', async () => {
    const h = await Harness.create();
    const patient = await h.registerPatient();
    await h.upload(patient);
    const all = h.ledger
      .entries()
      .map(([, v]) => Buffer.from(v).toString())
      .join('\n');
    expect(all).not.toContain('asthma');
    expect(all).not.toContain('"J45'); // quoted: the three characters alone can occur inside base64
  });

  it('upload for an unregistered patient, by a non-owner, with a wrong hash', async () => {
    const h = await Harness.create();
    const patient = await h.registerPatient();
    const stranger = newParty();
    await rejects(h, () => h.act('upload', stranger, h.sealedRecord(stranger).body), 'NOT_REGISTERED_PATIENT');
    const other = await h.registerPatient();
    await rejects(h, () => h.act('upload', other, h.sealedRecord(patient).body), 'NOT_OWNER');
    const { body } = h.sealedRecord(patient);
    await rejects(
      h,
      () => h.act('upload', patient, { ...body, contentHash: 'f'.repeat(64) }),
      'INVALID_INPUT',
      /contentHash/,
    );
    await rejects(
      h,
      () => h.act('upload', patient, { ...body, ciphertext: 'AAAA' }),
      'INVALID_INPUT',
      /ciphertext must be/,
    );
    await rejects(
      h,
      () => h.act('upload', patient, { ...body, ciphertext: 'AB==' }),
      'INVALID_INPUT',
      /canonical base64/,
    );
  });

  it('grant: by a non-owner, to a patient, to an unknown key, to a pending doctor, on a missing record', async () => {
    const h = await Harness.create();
    const patient = await h.registerPatient();
    const doctor = await h.registerDoctor();
    const pending = await h.registerDoctor(ORG1, 'doctor', false);
    const other = await h.registerPatient();
    const { recordId } = await h.upload(patient);
    const keyWrap = wrapFor(doctor);
    await rejects(h, () => h.act('grant', doctor, { recordId, granteeKeyId: doctor.keyId, keyWrap }), 'NOT_OWNER');
    // the request names the owner but the signature is the doctor's
    await rejects(
      h,
      () => h.call(h.envelope(h.request('grant', patient, { recordId, granteeKeyId: doctor.keyId, keyWrap }), doctor)),
      'SIG1_INVALID',
    );
    await rejects(
      h,
      () => h.act('grant', patient, { recordId, granteeKeyId: other.keyId, keyWrap }),
      'NOT_REGISTERED_DOCTOR',
    );
    await rejects(
      h,
      () => h.act('grant', patient, { recordId, granteeKeyId: newParty().keyId, keyWrap }),
      'NOT_REGISTERED_DOCTOR',
    );
    await rejects(
      h,
      () => h.act('grant', patient, { recordId, granteeKeyId: pending.keyId, keyWrap }),
      'NOT_REGISTERED_DOCTOR',
    );
    await rejects(
      h,
      () => h.act('grant', patient, { recordId: 'e'.repeat(64), granteeKeyId: doctor.keyId, keyWrap }),
      'RECORD_NOT_FOUND',
    );
    await rejects(
      h,
      () => h.act('grant', patient, { recordId, granteeKeyId: patient.keyId, keyWrap }),
      'INVALID_INPUT',
      /owner/,
    );
  });

  it('refuses a key wrap whose C1 is not a curve point, for grants and uploads, and writes nothing', async () => {
    const h = await Harness.create();
    const patient = await h.registerPatient();
    const doctor = await h.registerDoctor();
    const { recordId } = await h.upload(patient);
    const offCurve = `04${'11'.repeat(64)}${wrapFor(doctor).slice(130)}`;
    await rejects(
      h,
      () => h.act('grant', patient, { recordId, granteeKeyId: doctor.keyId, keyWrap: offCurve }),
      'INVALID_INPUT',
      /keyWrap: C1 is not a point/,
    );
    const { body } = h.sealedRecord(patient);
    await rejects(
      h,
      () => h.act('upload', patient, { ...body, ownerKeyWrap: offCurve }),
      'INVALID_INPUT',
      /ownerKeyWrap: C1 is not a point/,
    );
  });

  it('institutions can be grantees too', async () => {
    const h = await Harness.create();
    const patient = await h.registerPatient();
    const institution = await h.registerDoctor(ORG2, 'institution');
    const { recordId } = await h.upload(patient);
    await h.act('grant', patient, { recordId, granteeKeyId: institution.keyId, keyWrap: wrapFor(institution) });
    expect((await h.act('view', institution, { recordId }, ORG2)).recordId).toBe(recordId);
  });

  it('view by a stranger, revoke of a missing grant, audit by a grantee', async () => {
    const h = await Harness.create();
    const patient = await h.registerPatient();
    const doctor = await h.registerDoctor();
    const { recordId } = await h.upload(patient);
    await rejects(h, () => h.act('view', doctor, { recordId }), 'NOT_AUTHORIZED');
    await rejects(h, () => h.act('revoke', patient, { recordId, granteeKeyId: doctor.keyId }), 'GRANT_NOT_FOUND');
    await h.act('grant', patient, { recordId, granteeKeyId: doctor.keyId, keyWrap: wrapFor(doctor) });
    await rejects(h, () => h.act('audit', doctor, { recordId, pageSize: 10, bookmark: '' }), 'NOT_OWNER');
    await rejects(h, () => h.act('list-records', newParty(), { pageSize: 10, bookmark: '' }), 'NOT_REGISTERED');
  });

  it('read needs a committed view by the same key, within its lifetime', async () => {
    const h = await Harness.create();
    const patient = await h.registerPatient();
    const { recordId } = await h.upload(patient);
    await rejects(h, () => h.act('read', patient, { recordId, accessId: 'a'.repeat(64) }), 'ACCESS_NOT_RECORDED');
    const { accessId } = await h.act('view', patient, { recordId });
    h.now += ACCESS_TICKET_TTL_MS + 1;
    await rejects(
      h,
      () => h.act('read', patient, { recordId, accessId: accessId as string }),
      'ACCESS_NOT_RECORDED',
      /expired/,
    );
  });

  it('an empty listing is an empty page, not an error (Fabric gives no metadata for an empty range)', async () => {
    const h = await Harness.create();
    const patient = await h.registerPatient();
    const doctor = await h.registerDoctor();
    expect(await h.act('list-records', patient, { pageSize: 10, bookmark: '' })).toEqual({ items: [], bookmark: '' });
    expect(await h.act('list-grants', doctor, { pageSize: 10, bookmark: '' })).toEqual({ items: [], bookmark: '' });
  });

  it('listing is paginated with bookmarks', async () => {
    const h = await Harness.create();
    const patient = await h.registerPatient();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await h.upload(patient)).recordId);
    const first = await h.act('list-records', patient, { pageSize: 2, bookmark: '' });
    expect((first.items as unknown[]).length).toBe(2);
    const second = await h.act('list-records', patient, { pageSize: 2, bookmark: first.bookmark as string });
    const third = await h.act('list-records', patient, { pageSize: 2, bookmark: second.bookmark as string });
    expect(third.bookmark).toBe('');
    const seen = [first, second, third].flatMap((p) => (p.items as Array<{ recordId: string }>).map((i) => i.recordId));
    expect(seen.sort()).toEqual([...ids].sort());
  });

  it('emits one medshare.audit event per audited transaction, with ids only, and none for a refused one', async () => {
    const h = await Harness.create();
    const events: Array<{ eventName: string; txId: string; payload: string }> = [];
    h.ledger.onEvent((e) =>
      events.push({ eventName: e.eventName, txId: e.txId, payload: Buffer.from(e.payload).toString() }),
    );
    const patient = await h.registerPatient();
    const doctor = await h.registerDoctor(ORG2);
    const { recordId } = await h.upload(patient);
    const keyWrap = wrapFor(doctor);
    await h.act('grant', patient, { recordId, granteeKeyId: doctor.keyId, keyWrap });
    await h.act('view', doctor, { recordId }, ORG2);
    await h.act('revoke', patient, { recordId, granteeKeyId: doctor.keyId });
    const before = events.length;
    // refused: nothing is committed, so no event (Fabric delivers events of committed transactions only)
    await rejects(h, () => h.act('view', doctor, { recordId }, ORG2), 'NOT_AUTHORIZED');
    await rejects(h, () => h.act('grant', doctor, { recordId, granteeKeyId: doctor.keyId, keyWrap }), 'NOT_OWNER');
    expect(events.length).toBe(before);

    expect(events.map((e) => e.eventName)).toEqual([
      'UserRegistered',
      'UserRegistered',
      'UserApproved',
      ...Array<string>(4).fill(AUDIT_EVENT_NAME),
    ]);
    const audited = events.filter((e) => e.eventName === AUDIT_EVENT_NAME);
    const parsed = audited.map((e) => parseAuditEvent(JSON.parse(e.payload)));
    // canonical bytes, as every endorser must produce them
    expect(audited.map((e) => e.payload)).toEqual(parsed.map((p) => canonicalize(p as never)));
    expect(parsed.map((p) => [p.action, p.owner, p.actorKeyId, p.subjectKeyId, p.org])).toEqual([
      ['upload', patient.keyId, patient.keyId, undefined, ORG1],
      ['grant', patient.keyId, patient.keyId, doctor.keyId, ORG1],
      ['view', patient.keyId, doctor.keyId, undefined, ORG2],
      ['revoke', patient.keyId, patient.keyId, doctor.keyId, ORG1],
    ]);
    for (const [i, p] of parsed.entries())
      expect(p).toMatchObject({ recordId, txId: audited[i]?.txId, at: expect.any(Number) });
    // the event is the committed audit entry, minus appId and requestHash
    const trail = await h.act('audit', patient, { recordId, pageSize: 100, bookmark: '' });
    const entries = trail.items as Array<Record<string, unknown>>;
    expect(parsed.map((p) => [p.txId, p.at])).toEqual(entries.map((e) => [e.txId, e.at]));
    expect(audited.map((e) => e.payload).join('\n')).not.toMatch(/asthma|J45|ciphertext|keyWrap|pseudonym/);
  });
});

describe('idempotent upload (an idempotency key per logical upload, scoped to its owner)', () => {
  const KEY = 'a1'.repeat(32);

  it('a second upload with the same key and content returns the first record and writes nothing', async () => {
    const h = await Harness.create();
    const patient = await h.registerPatient();
    const { body } = h.sealedRecord(patient);
    const first = await h.act('upload', patient, { ...body, idempotencyKey: KEY });
    expect(first).toEqual({
      recordId: expect.stringMatching(/^[0-9a-f]{64}$/),
      contentHash: body.contentHash,
      uploadedAt: expect.any(Number),
    });
    const events: string[] = [];
    h.ledger.onEvent((e) => events.push(e.eventName));
    const before = h.snapshot();
    // The retry is a new request (new nonce, later time) carrying the same body.
    const again = await h.call(h.envelope(h.request('upload', patient, { ...body, idempotencyKey: KEY }), patient));
    expect(again.response.result).toEqual({ ...first, replayed: true });
    expect(h.snapshot()).toBe(before);
    expect(events).toEqual([]);
    const records = await h.act('list-records', patient, { pageSize: 10, bookmark: '' });
    expect((records.items as Array<{ recordId: string }>).map((r) => r.recordId)).toEqual([first.recordId]);
    const audit = await h.act('audit', patient, { recordId: first.recordId as string, pageSize: 10, bookmark: '' });
    expect((audit.items as unknown[]).length).toBe(1);
  });

  it('the same key with other content is refused with IDEMPOTENCY_KEY_REUSED and changes nothing', async () => {
    const h = await Harness.create();
    const patient = await h.registerPatient();
    const { body } = h.sealedRecord(patient);
    await h.act('upload', patient, { ...body, idempotencyKey: KEY });
    const other = h.sealedRecord(patient, '{"diagnosis":"E11.9"}').body;
    await rejects(
      h,
      () => h.act('upload', patient, { ...other, idempotencyKey: KEY }),
      'IDEMPOTENCY_KEY_REUSED',
      /request.body.idempotencyKey was already used/,
    );
    await rejects(
      h,
      () =>
        h.act('upload', patient, { ...body, metadata: { ...body.metadata, kind: 'lab-result' }, idempotencyKey: KEY }),
      'IDEMPOTENCY_KEY_REUSED',
    );
  });

  it("is scoped to the owner: another patient's upload with the same key is its own record", async () => {
    const h = await Harness.create();
    const alice = await h.registerPatient();
    const bob = await h.registerPatient();
    const a = await h.act('upload', alice, { ...h.sealedRecord(alice).body, idempotencyKey: KEY });
    const b = await h.act('upload', bob, { ...h.sealedRecord(bob).body, idempotencyKey: KEY });
    expect(b.recordId).not.toBe(a.recordId);
    expect(b).not.toHaveProperty('replayed');
  });

  it('a replay is still a fully checked request: sig1, nonce and content hash come first', async () => {
    const h = await Harness.create();
    const patient = await h.registerPatient();
    const stranger = newParty();
    const { body } = h.sealedRecord(patient);
    await h.act('upload', patient, { ...body, idempotencyKey: KEY });
    await rejects(
      h,
      () => h.call(h.envelope(h.request('upload', patient, { ...body, idempotencyKey: KEY }), stranger)),
      'SIG1_INVALID',
    );
    await rejects(
      h,
      () => h.act('upload', patient, { ...body, contentHash: 'f'.repeat(64), idempotencyKey: KEY }),
      'INVALID_INPUT',
      /contentHash/,
    );
  });

  it('uploads without a key are not deduplicated', async () => {
    const h = await Harness.create();
    const patient = await h.registerPatient();
    const { body } = h.sealedRecord(patient);
    const one = await h.act('upload', patient, body);
    const two = await h.act('upload', patient, body);
    expect(two.recordId).not.toBe(one.recordId);
  });

  it('two concurrent uploads with one key: MVCC lets one commit, and the loser resolves to the same record on retry', async () => {
    const h = await Harness.create();
    const patient = await h.registerPatient();
    const { body } = h.sealedRecord(patient);
    const keyed = { ...body, idempotencyKey: KEY };
    const results = await Promise.allSettled([h.act('upload', patient, keyed), h.act('upload', patient, keyed)]);
    const won = results.filter((r) => r.status === 'fulfilled');
    expect(won).toHaveLength(1);
    expect(results.find((r) => r.status === 'rejected')).toMatchObject({ reason: { code: 'CONFLICT' } });
    const retried = await h.act('upload', patient, keyed);
    expect(retried).toMatchObject({
      recordId: (won[0] as PromiseFulfilledResult<Record<string, unknown>>).value.recordId,
      replayed: true,
    });
  });
});
