// SPDX-License-Identifier: Apache-2.0
import { AUDIT_EVENT_NAME, fileReEncryptContext, parseAuditEvent, type FileShareBody } from '@medshare/protocol';
import { fromHex, toHex } from '@medshare/crypto/bytes';
import { decrypt, generateKeyPair as sm2KeyPair, privateKeyToPem } from '@medshare/crypto/sm2';
import {
  decapsulate,
  decapsulateFragments,
  decodeCapsule,
  decodeCapsuleFragment,
  encodeCapsuleFragment,
  reEncrypt,
  type KeyFragment,
  type KeyPair,
} from '@medshare/crypto/tpre';
import { fabricIdentity } from '@medshare/fabric-sim';
import { ProxyKey, reEncryptFor } from '../../../../gateway/src/proxy/proxy';
import { Files, hex32, pointOf } from '../../testing/files-harness';
import { ORG1, ORG2, flip, newParty, rejects, type Party } from '../../testing/harness';

describe('files: upload, share 2-of-3, re-encrypt, view, revoke', () => {
  it('the whole flow: the receiver opens the same key as the owner; revoke leaves nothing', async () => {
    const f = await Files.create();
    const { h } = f;
    const patient = await h.registerPatient();
    const doctor = await h.registerDoctor(ORG2);
    const upload = await f.upload(patient);

    // the owner opens its own key: a from the key wrap, then decapsulate
    const got = await h.act('file-get', patient, { fileId: upload.fileId });
    const a = BigInt(`0x${toHex(decrypt(patient.privateKey, fromHex(got.ownerKeyWrap as string)))}`);
    const ownerKey = decapsulate(a, decodeCapsule(fromHex(got.capsule as string)));
    expect(toHex(ownerKey)).toBe(toHex(upload.key));

    const { shareId } = await f.share(patient, upload, doctor);
    const listed = await h.act('file-list-shared', doctor, { pageSize: 10, bookmark: '' }, ORG2);
    expect(listed.items).toEqual([{ fileId: upload.fileId, threshold: 2, sharedAt: expect.any(Number) }]);
    expect((await h.act('file-list', patient, { pageSize: 10, bookmark: '' })).items).toEqual([
      { fileId: upload.fileId, mediaType: 'application/dicom', size: upload.body.size, uploadedAt: expect.any(Number) },
    ]);

    // the receiver's gateway: GetShare, and the three proxies re-encrypt (proxy module)
    const cfrags = await f.capsuleFragments(upload.fileId, doctor);
    expect(cfrags).toHaveLength(3);
    // a peer gateway's view of one proxy's part
    const part = await f.forProxy(upload.fileId, doctor, f.proxies[2] as ProxyKey, ORG1);
    expect(reEncryptFor(part, f.proxies[2] as ProxyKey).proxyId).toBe(f.proxies[2]?.proxyId);

    const started = performance.now();
    const view = await h.act('file-view', doctor, { fileId: upload.fileId, capsuleFragments: cfrags.slice(1) }, ORG2);
    const ms = performance.now() - started;
    expect(view.proxies).toEqual([f.proxies[1]?.proxyId, f.proxies[2]?.proxyId]);
    expect(view.accessId).toEqual(expect.stringMatching(/^[0-9a-f]{64}$/));
    // the ledger: the access with the proxies, the audit entry and the event
    const access = h.ledger
      .entries()
      .find(([k]) => k.includes('medshare.file-access') && k.includes(view.accessId as string));
    expect(JSON.parse(Buffer.from(access?.[1] ?? []).toString())).toEqual({
      at: expect.any(Number),
      txId: view.accessId,
      proxies: view.proxies,
    });
    const event = h.ledger.committedEvents.at(-1);
    expect(event?.eventName).toBe(AUDIT_EVENT_NAME);
    expect(parseAuditEvent(JSON.parse(Buffer.from(event?.payload ?? []).toString()))).toMatchObject({
      action: 'file-view',
      recordId: upload.fileId,
      owner: patient.keyId,
      actorKeyId: doctor.keyId,
    });
    const ownerStarted = performance.now();
    await h.act('file-view', patient, { fileId: upload.fileId, capsuleFragments: [] });
    const ownerMs = performance.now() - ownerStarted;
    // The verification's share of a view (docs/decisions.md quotes it): the receiver's view less the owner's.
    process.stdout.write(
      `ViewFile in fabric-sim: owner ${ownerMs.toFixed(1)} ms, receiver with 2 fragments ${ms.toFixed(1)} ms\n`,
    );

    // the receiver opens the key from 2 verified fragments: the owner's key
    const context = fileReEncryptContext(upload.fileId, doctor.keyId, shareId);
    const receiverPair: KeyPair = { secret: BigInt(`0x${doctor.privateKey}`), publicKey: pointOf(doctor) };
    const opened = decapsulateFragments(
      receiverPair,
      upload.delegating.publicKey,
      decodeCapsule(fromHex(upload.body.capsule)),
      cfrags.slice(0, 2).map((c) => decodeCapsuleFragment(fromHex(c))),
      2,
      context,
    );
    expect(toHex(opened)).toBe(toHex(upload.key));

    // the receiver may read the descriptor, without the owner's wrap
    const asReceiver = await h.act('file-get', doctor, { fileId: upload.fileId }, ORG2);
    expect(asReceiver.ownerKeyWrap).toBeUndefined();
    expect(asReceiver).toMatchObject({ fileId: upload.fileId, shareId, threshold: 2 });

    await h.act('file-revoke', patient, { fileId: upload.fileId, receiverKeyId: doctor.keyId });
    await rejects(h, () => h.act('file-fragments', doctor, { fileId: upload.fileId }, ORG2), 'SHARE_NOT_FOUND');
    await rejects(h, () => f.forProxy(upload.fileId, doctor, f.proxies[0] as ProxyKey), 'SHARE_NOT_FOUND');
    await rejects(
      h,
      () => h.act('file-view', doctor, { fileId: upload.fileId, capsuleFragments: cfrags }, ORG2),
      'SHARE_NOT_FOUND',
    );
    await rejects(h, () => h.act('file-get', doctor, { fileId: upload.fileId }, ORG2), 'SHARE_NOT_FOUND');
    expect(
      h.ledger.entries().filter(([k]) => k.includes('medshare.receiver-file') || k.includes('medshare.file-share')),
    ).toEqual([]);
    expect((await h.act('file-list-shared', doctor, { pageSize: 10, bookmark: '' }, ORG2)).items).toEqual([]);

    // the owner views without fragments
    expect((await h.act('file-view', patient, { fileId: upload.fileId, capsuleFragments: [] })).proxies).toEqual([]);
  });

  it('a second share to the same receiver replaces the first: the old fragments no longer verify', async () => {
    const f = await Files.create();
    const { h } = f;
    const patient = await h.registerPatient();
    const doctor = await h.registerDoctor(ORG2);
    const upload = await f.upload(patient);
    await f.share(patient, upload, doctor);
    const old = await f.capsuleFragments(upload.fileId, doctor);
    await f.share(patient, upload, doctor, 3);
    await rejects(
      h,
      () => h.act('file-view', doctor, { fileId: upload.fileId, capsuleFragments: old }, ORG2),
      'FRAGMENTS_INVALID',
      /not a fragment of this share/,
    );
    const fresh = await f.capsuleFragments(upload.fileId, doctor);
    await rejects(
      h,
      () => h.act('file-view', doctor, { fileId: upload.fileId, capsuleFragments: fresh.slice(0, 2) }, ORG2),
      'FRAGMENTS_INVALID',
      /below/,
    );
    expect(
      (await h.act('file-view', doctor, { fileId: upload.fileId, capsuleFragments: fresh }, ORG2)).proxies,
    ).toHaveLength(3);
  });
});

describe('files: audit trails', () => {
  it("the owner and the upload org's admins read a file's audit trail; nobody else does", async () => {
    const f = await Files.create();
    const { h } = f;
    const patient = await h.registerPatient();
    const doctor = await h.registerDoctor(ORG2);
    const upload = await f.upload(patient);
    await f.share(patient, upload, doctor);
    const trail = await h.act('audit', patient, { recordId: upload.fileId, pageSize: 10, bookmark: '' });
    expect((trail.items as Array<{ action: string }>).map((e) => e.action)).toEqual(['file-upload', 'file-share']);
    const admin = JSON.parse(
      (await h.evaluate('audit:AdminAuditTrail', [upload.fileId, '10', ''], fabricIdentity(ORG1, { admin: true })))
        .result,
    ) as { items: Array<{ action: string; subjectKeyId?: string }> };
    expect(admin.items).toEqual([
      expect.objectContaining({ action: 'file-upload' }),
      expect.objectContaining({ action: 'file-share', subjectKeyId: doctor.keyId }),
    ]);
    const body = { recordId: upload.fileId, pageSize: 10, bookmark: '' };
    await rejects(h, () => h.act('audit', doctor, body, ORG2), 'NOT_OWNER', /owner of the file/);
    await rejects(
      h,
      () => h.act('audit', patient, { ...body, recordId: hex32() }),
      'RECORD_NOT_FOUND',
      /no record or file/,
    );
    await rejects(
      h,
      () => h.evaluate('audit:AdminAuditTrail', [upload.fileId, '10', ''], fabricIdentity(ORG2, { admin: true })),
      'NOT_ORG_ADMIN',
    );
  });
});

describe('files: every refusal is coded and writes nothing', () => {
  it('upload: not a patient, bad capsule, bad delegating key, bad key wrap, signature of another', async () => {
    const f = await Files.create();
    const { h } = f;
    const patient = await h.registerPatient();
    const doctor = await h.registerDoctor();
    const { body } = f.descriptor(patient);
    await rejects(h, () => h.act('file-upload', doctor, body), 'NOT_REGISTERED_PATIENT');
    await rejects(h, () => h.act('file-upload', newParty(), body), 'NOT_REGISTERED');
    await rejects(h, () => h.call(h.envelope(h.request('file-upload', patient, body), doctor)), 'SIG1_INVALID');
    // s + 1: the capsule's check s·G = V + H(E, V)·E fails
    const capsule =
      body.capsule.slice(0, -2) + ((parseInt(body.capsule.slice(-2), 16) + 1) % 256).toString(16).padStart(2, '0');
    await rejects(h, () => h.act('file-upload', patient, { ...body, capsule }), 'INVALID_INPUT', /capsule/);
    await rejects(
      h,
      () => h.act('file-upload', patient, { ...body, delegatingKey: `02${'ff'.repeat(32)}` }),
      'INVALID_INPUT',
      /delegatingKey/,
    );
    await rejects(
      h,
      () =>
        h.act('file-upload', patient, { ...body, ownerKeyWrap: `04${'11'.repeat(64)}${body.ownerKeyWrap.slice(130)}` }),
      'INVALID_INPUT',
      /ownerKeyWrap/,
    );
  });

  it('share: not owner, receiver a patient / unapproved / the owner / unknown, unknown or retired proxy, duplicates, threshold', async () => {
    const f = await Files.create();
    const { h } = f;
    const patient = await h.registerPatient();
    const doctor = await h.registerDoctor(ORG2);
    const pending = await h.registerDoctor(ORG2, 'doctor', false);
    const other = await h.registerPatient();
    const upload = await f.upload(patient);
    const { body } = f.shareBody(upload, doctor);
    await rejects(h, () => h.act('file-share', doctor, body), 'NOT_OWNER');
    await rejects(h, () => h.act('file-share', patient, { ...body, fileId: 'e'.repeat(64) }), 'FILE_NOT_FOUND');
    await rejects(h, () => h.act('file-share', patient, f.shareBody(upload, other).body), 'NOT_REGISTERED_DOCTOR');
    await rejects(h, () => h.act('file-share', patient, f.shareBody(upload, pending).body), 'NOT_REGISTERED_DOCTOR');
    await rejects(h, () => h.act('file-share', patient, f.shareBody(upload, patient).body), 'NOT_REGISTERED_DOCTOR');
    await rejects(
      h,
      () => h.act('file-share', patient, { ...body, receiverKeyId: newParty().keyId }),
      'NOT_REGISTERED_DOCTOR',
    );
    const stranger = ProxyKey.fromPem(privateKeyToPem(sm2KeyPair().privateKey));
    await rejects(
      h,
      () => h.act('file-share', patient, f.shareBody(upload, doctor, 2, [...f.proxies.slice(0, 2), stranger]).body),
      'PROXY_NOT_FOUND',
      /fragments\[2\]/,
    );
    const [first, second] = body.fragments as [FileShareBody['fragments'][number], FileShareBody['fragments'][number]];
    await rejects(
      h,
      () => h.act('file-share', patient, { ...body, fragments: [first, { ...second, proxyId: first.proxyId }] }),
      'INVALID_INPUT',
      /distinct proxies/,
    );
    await rejects(
      h,
      () => h.act('file-share', patient, { ...body, fragments: [first, { ...second, fragmentId: first.fragmentId }] }),
      'INVALID_INPUT',
      /distinct fragment ids/,
    );
    await rejects(h, () => h.act('file-share', patient, { ...body, threshold: 4 }), 'INVALID_INPUT', /threshold/);
    await rejects(h, () => h.act('file-share', patient, { ...body, threshold: 0 }), 'INVALID_INPUT', /threshold/);
    await rejects(h, () => h.act('file-share', patient, { ...body, fragments: [] }), 'INVALID_INPUT', /fragments/);
    const offCurve = `04${'11'.repeat(64)}${first.sealedFragment.slice(130)}`;
    await rejects(
      h,
      () => h.act('file-share', patient, { ...body, fragments: [{ ...first, sealedFragment: offCurve }, second] }),
      'INVALID_INPUT',
      /C1/,
    );
    // retired: by an admin of its org only
    const retiring = f.proxies[2] as ProxyKey;
    await rejects(
      h,
      () => h.submit('files:RetireProxy', [retiring.proxyId], fabricIdentity(ORG1, { admin: true })),
      'NOT_ORG_ADMIN',
    );
    await rejects(h, () => h.submit('files:RetireProxy', [retiring.proxyId], h.client(ORG2)), 'NOT_ORG_ADMIN');
    await rejects(
      h,
      () => h.submit('files:RetireProxy', ['a'.repeat(64)], fabricIdentity(ORG2, { admin: true })),
      'PROXY_NOT_FOUND',
    );
    await h.admin(ORG2, 'files:RetireProxy', retiring.proxyId);
    await rejects(
      h,
      () => h.act('file-share', patient, f.shareBody(upload, doctor).body),
      'PROXY_NOT_FOUND',
      /retired/,
    );
    const listed = JSON.parse((await h.evaluate('files:ListProxies', [])).result) as Array<{
      proxyId: string;
      retiredAt?: number;
    }>;
    expect(listed.filter((p) => p.retiredAt !== undefined).map((p) => p.proxyId)).toEqual([retiring.proxyId]);
  });

  it('proxy registration: admins only, a curve point, idempotent', async () => {
    const f = await Files.create();
    const { h } = f;
    const key = ProxyKey.fromPem(privateKeyToPem(sm2KeyPair().privateKey));
    await rejects(h, () => h.submit('files:RegisterProxy', [key.publicKey], h.client(ORG1)), 'NOT_ORG_ADMIN');
    await rejects(
      h,
      () => h.submit('files:RegisterProxy', [`04${'11'.repeat(64)}`], fabricIdentity(ORG1, { admin: true })),
      'INVALID_INPUT',
    );
    await rejects(
      h,
      () =>
        h.submit('files:RegisterProxy', [(f.proxies[0] as ProxyKey).publicKey], fabricIdentity(ORG2, { admin: true })),
      'ALREADY_REGISTERED',
    );
    const again = JSON.parse(await h.admin(ORG1, 'files:RegisterProxy', (f.proxies[0] as ProxyKey).publicKey)) as {
      proxyId: string;
    };
    expect(again.proxyId).toBe(f.proxies[0]?.proxyId);
  });

  it('revoke: not owner, no share; fragments / get by a stranger', async () => {
    const f = await Files.create();
    const { h } = f;
    const patient = await h.registerPatient();
    const doctor = await h.registerDoctor(ORG2);
    const stranger = await h.registerDoctor(ORG2);
    const upload = await f.upload(patient);
    await rejects(
      h,
      () => h.act('file-revoke', patient, { fileId: upload.fileId, receiverKeyId: doctor.keyId }),
      'SHARE_NOT_FOUND',
    );
    await f.share(patient, upload, doctor);
    await rejects(
      h,
      () => h.act('file-revoke', doctor, { fileId: upload.fileId, receiverKeyId: doctor.keyId }, ORG2),
      'NOT_OWNER',
    );
    await rejects(h, () => h.act('file-fragments', stranger, { fileId: upload.fileId }, ORG2), 'SHARE_NOT_FOUND');
    await rejects(h, () => h.act('file-get', stranger, { fileId: upload.fileId }, ORG2), 'SHARE_NOT_FOUND');
    await rejects(h, () => h.act('file-fragments', doctor, { fileId: 'e'.repeat(64) }, ORG2), 'FILE_NOT_FOUND');
    await rejects(
      h,
      () => f.forProxy(upload.fileId, doctor, ProxyKey.fromPem(privateKeyToPem(sm2KeyPair().privateKey))),
      'PROXY_NOT_FOUND',
    );
    await rejects(
      h,
      () => h.call(h.envelope(h.request('file-fragments', doctor, { fileId: upload.fileId }), stranger, ORG2), ORG2),
      'SIG1_INVALID',
    );
  });

  it('view: a stranger, below threshold, tampered, another receiver, repeated, retired proxy, the owner with fragments', async () => {
    const f = await Files.create();
    const { h } = f;
    const patient = await h.registerPatient();
    const doctor = await h.registerDoctor(ORG2);
    const colleague = await h.registerDoctor(ORG2);
    const upload = await f.upload(patient);
    await f.share(patient, upload, doctor);
    const { fragments: colleagueFragments, shareId: colleagueShare } = await f.share(patient, upload, colleague);
    const cfrags = await f.capsuleFragments(upload.fileId, doctor);
    const [c0, c1, c2] = cfrags as [string, string, string];
    const view = (author: Party, capsuleFragments: string[]): Promise<unknown> =>
      h.act('file-view', author, { fileId: upload.fileId, capsuleFragments }, ORG2);

    const stranger = await h.registerDoctor(ORG2);
    await rejects(h, () => view(stranger, [c0, c1]), 'SHARE_NOT_FOUND');
    await rejects(h, () => view(doctor, [c0]), 'FRAGMENTS_INVALID', /below the share's threshold 2/);
    // a tampered field: z3 (the last byte), E1 (a byte of x), and an undecodable point
    const z3 = c1.slice(0, -2) + (parseInt(c1.slice(-2), 16) ^ 1).toString(16).padStart(2, '0');
    await rejects(h, () => view(doctor, [c0, z3]), 'FRAGMENTS_INVALID', /capsuleFragments\[1\].*does not verify/);
    await rejects(h, () => view(doctor, [flip(c0), c1]), 'FRAGMENTS_INVALID', /capsuleFragments\[0\]/);
    await rejects(h, () => view(doctor, [c0, c0]), 'FRAGMENTS_INVALID', /repeats/);
    // a fragment for another receiver: the colleague's, re-encrypted under the colleague's context
    const colleagueContext = fileReEncryptContext(upload.fileId, colleague.keyId, colleagueShare);
    const forColleague = toHex(
      encodeCapsuleFragment(
        reEncrypt(colleagueFragments[0] as KeyFragment, decodeCapsule(fromHex(upload.body.capsule)), colleagueContext),
      ),
    );
    await rejects(h, () => view(doctor, [forColleague, c1]), 'FRAGMENTS_INVALID', /not a fragment of this share/);
    // the colleague's own fragment presented by the doctor under the doctor's context: fails the signature check (B)
    const mine = (await f.forProxy(upload.fileId, doctor, f.proxies[0] as ProxyKey)).shareId;
    const wrongReceiver = toHex(
      encodeCapsuleFragment(
        reEncrypt(
          colleagueFragments[0] as KeyFragment,
          decodeCapsule(fromHex(upload.body.capsule)),
          fileReEncryptContext(upload.fileId, doctor.keyId, mine),
        ),
      ),
    );
    await rejects(h, () => view(colleague, [wrongReceiver, c1]), 'FRAGMENTS_INVALID');
    // the owner views without fragments only
    await rejects(
      h,
      () => h.act('file-view', patient, { fileId: upload.fileId, capsuleFragments: [c0] }),
      'INVALID_INPUT',
      /owner/,
    );
    // a retired proxy's fragment no longer counts
    await h.admin(ORG1, 'files:RetireProxy', (f.proxies[0] as ProxyKey).proxyId);
    await rejects(h, () => view(doctor, [c0, c1]), 'PROXY_NOT_FOUND', /retired/);
    await rejects(h, () => f.forProxy(upload.fileId, doctor, f.proxies[0] as ProxyKey), 'PROXY_NOT_FOUND', /retired/);
    expect(((await view(doctor, [c1, c2])) as { proxies: string[] }).proxies).toEqual([
      f.proxies[1]?.proxyId,
      f.proxies[2]?.proxyId,
    ]);
  });

  it('a fragment of a revoked share is refused even after a new share to the same receiver', async () => {
    const f = await Files.create();
    const { h } = f;
    const patient = await h.registerPatient();
    const doctor = await h.registerDoctor(ORG2);
    const upload = await f.upload(patient);
    await f.share(patient, upload, doctor);
    const before = await f.capsuleFragments(upload.fileId, doctor);
    await h.act('file-revoke', patient, { fileId: upload.fileId, receiverKeyId: doctor.keyId });
    await rejects(
      h,
      () => h.act('file-view', doctor, { fileId: upload.fileId, capsuleFragments: before }, ORG2),
      'SHARE_NOT_FOUND',
    );
    await f.share(patient, upload, doctor);
    await rejects(
      h,
      () => h.act('file-view', doctor, { fileId: upload.fileId, capsuleFragments: before }, ORG2),
      'FRAGMENTS_INVALID',
      /not a fragment of this share/,
    );
  });
});
