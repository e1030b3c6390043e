// SPDX-License-Identifier: Apache-2.0
import { fromHex, toHex } from '@medshare/crypto/bytes';
import { ringKeyImage, ringSign } from '@medshare/crypto/ring';
import { decodePoint } from '@medshare/crypto/tpre';
import {
  contributionEntryId,
  ringScope,
  signedBytes,
  warrantEntryId,
  type RingRequest,
  type StudyDefinition,
} from '@medshare/protocol';
import { Harness, ORG1, ORG2, newParty, rejects, type Party } from '../../testing/harness';

const STUDY: StudyDefinition = {
  title: 'Asthma and blood pressure',
  fields: [
    { field: 'age', rule: 'band', width: 5 },
    { field: 'diagnosis', rule: 'keep' },
  ],
  k: 5,
};
const page = { pageSize: 50, bookmark: '' };

/** A 33-byte compressed encoding whose x has no point on the curve (about half of all x). */
function notAPoint(): string {
  for (let x = 1; ; x++) {
    const candidate = '02' + x.toString(16).padStart(64, '0');
    try {
      decodePoint(fromHex(candidate), 'candidate');
    } catch {
      return candidate;
    }
  }
}

interface World {
  readonly h: Harness;
  readonly institution: Party;
  readonly patients: Party[];
  readonly studyId: string;
}

async function world(patientCount = 6): Promise<World> {
  const h = await Harness.create();
  const institution = await h.registerDoctor(ORG2, 'institution');
  const patients: Party[] = [];
  for (let i = 0; i < patientCount; i++) patients.push(await h.registerPatient());
  const { studyId } = await h.act('study-publish', institution, { study: STUDY }, ORG2);
  return { h, institution, patients, studyId: studyId as string };
}

function read(w: World, who = w.institution, body: Partial<typeof page> = {}): Promise<Record<string, unknown>> {
  return w.h.act('access-list-read', who, { studyId: w.studyId, ...page, ...body }, ORG2);
}

async function entries(w: World): Promise<Array<{ entryId: string; kind: string }>> {
  return (await read(w)).entries as Array<{ entryId: string; kind: string }>;
}

function contribution(w: World): { studyId: string; extract: string; extractKeyWrap: string } {
  return { studyId: w.studyId, ...w.h.sealedExtract(w.institution, w.studyId) };
}

describe('access-lists: studies', () => {
  it('an approved institution publishes; any active user reads and lists it, open until closesAt', async () => {
    const w = await world(1);
    const [patient] = w.patients as [Party];
    const got = await w.h.act('study-get', patient, { studyId: w.studyId });
    expect(got).toEqual({
      studyId: w.studyId,
      institutionKeyId: w.institution.keyId,
      study: STUDY,
      publishedAt: expect.any(Number),
      open: true,
    });
    const closing = await w.h.act('study-publish', w.institution, { study: { ...STUDY, closesAt: w.h.now + 5 } }, ORG2);
    w.h.now += 10;
    const listed = (await w.h.act('study-list', patient, page)).studies as Array<{ studyId: string; open: boolean }>;
    expect(listed.map((s) => [s.studyId, s.open]).sort()).toEqual(
      [
        [w.studyId, true],
        [closing.studyId, false],
      ].sort(),
    );
  });

  it('refuses a study that would release a direct identifier or free text, and authors that are no approved institution', async () => {
    const w = await world(1);
    const [patient] = w.patients as [Party];
    const withName = { ...STUDY, fields: [...STUDY.fields, { field: 'name', rule: 'keep' }] };
    await rejects(
      w.h,
      () => w.h.act('study-publish', w.institution, { study: withName as never }, ORG2),
      'STUDY_RELEASES_IDENTIFIER',
      /name/,
    );
    const withNotes = { ...STUDY, fields: [{ field: 'notes', rule: 'keep' }] };
    await rejects(
      w.h,
      () => w.h.act('study-publish', w.institution, { study: withNotes as never }, ORG2),
      'STUDY_RELEASES_IDENTIFIER',
    );
    await rejects(w.h, () => w.h.act('study-publish', patient, { study: STUDY }), 'NOT_INSTITUTION');
    const pending = await w.h.registerDoctor(ORG2, 'institution', false);
    await rejects(w.h, () => w.h.act('study-publish', pending, { study: STUDY }, ORG2), 'NOT_APPROVED');
    await rejects(w.h, () => w.h.act('study-publish', newParty(), { study: STUDY }), 'NOT_REGISTERED');
    await rejects(w.h, () => w.h.act('study-get', patient, { studyId: 'ab'.repeat(32) }), 'STUDY_NOT_FOUND');
  });
});

describe('access-lists: warrants and GetData', () => {
  it('warrant, GetData (audited in the record trail and the study trail), unwarrant removes the entry in the same transaction', async () => {
    const w = await world(1);
    const { h, institution, studyId } = w;
    const [patient] = w.patients as [Party];
    const { recordId } = await h.upload(patient);
    const extract = h.sealedExtract(institution, studyId);
    const warranted = await h.act('warrant', patient, {
      recordId,
      studyId,
      institutionKeyId: institution.keyId,
      ...extract,
    });
    const entryId = warrantEntryId(recordId, studyId);
    expect(warranted).toEqual({
      recordId,
      studyId,
      institutionKeyId: institution.keyId,
      entryId,
      warrantedAt: expect.any(Number),
    });
    const got = await read(w);
    expect(got).toEqual({
      entries: [{ entryId, kind: 'warrant', ...extract, addedAt: warranted.warrantedAt }],
      bookmark: '',
    });
    // the institution learns no record id from its list
    expect(JSON.stringify(got)).not.toContain(recordId);
    expect(await h.act('record-authorizations', patient, { recordId })).toEqual({
      doctors: [],
      institutions: [{ institutionKeyId: institution.keyId, studyId, warrantedAt: warranted.warrantedAt }],
    });

    const height = h.ledger.height;
    await h.act('unwarrant', patient, { recordId, studyId, institutionKeyId: institution.keyId });
    expect(h.ledger.height).toBe(height + 1);
    const keys = h.ledger.entries().map(([k]) => k);
    expect(keys.filter((k) => k.includes('medshare.warrant') || k.includes('medshare.access-entry'))).toEqual([]);
    expect(await entries(w)).toEqual([]);
    expect(await h.act('record-authorizations', patient, { recordId })).toEqual({ doctors: [], institutions: [] });

    const audit = (await h.act('audit', patient, { recordId, ...page })).items as Array<Record<string, string>>;
    expect(audit.map((e) => [e.action, e.actorKeyId, e.subjectKeyId, e.studyId])).toEqual([
      ['upload', patient.keyId, undefined, undefined],
      ['warrant', patient.keyId, institution.keyId, studyId],
      ['extract-read', institution.keyId, undefined, studyId],
      ['unwarrant', patient.keyId, institution.keyId, studyId],
    ]);
    const trail = JSON.parse(await h.admin(ORG2, 'access-lists:AdminStudyTrail', studyId, '100', '')) as {
      items: Array<{ action: string; actorKeyId: string; entries?: number }>;
    };
    expect(trail.items.map((e) => [e.action, e.actorKeyId, e.entries])).toEqual([
      ['study-publish', institution.keyId, undefined],
      ['study-read', institution.keyId, 1],
      ['study-read', institution.keyId, 0],
    ]);
    await rejects(h, () => h.admin(ORG1, 'access-lists:AdminStudyTrail', studyId, '100', ''), 'NOT_ORG_ADMIN');
  });

  it('refuses warrants by a non-owner, to an unknown, unapproved or non-institution key, for a wrong or closed study, twice, and too large', async () => {
    const w = await world(2);
    const { h, institution, studyId } = w;
    const [patient, other] = w.patients as [Party, Party];
    const { recordId } = await h.upload(patient);
    const body = { recordId, studyId, institutionKeyId: institution.keyId, ...h.sealedExtract(institution, studyId) };
    await rejects(h, () => h.act('warrant', other, body), 'NOT_OWNER');
    await rejects(h, () => h.act('warrant', patient, { ...body, recordId: 'cd'.repeat(32) }), 'RECORD_NOT_FOUND');
    await rejects(
      h,
      () => h.act('warrant', patient, { ...body, institutionKeyId: newParty().keyId }),
      'NOT_REGISTERED',
    );
    const pending = await h.registerDoctor(ORG2, 'institution', false);
    await rejects(h, () => h.act('warrant', patient, { ...body, institutionKeyId: pending.keyId }), 'NOT_APPROVED');
    const doctor = await h.registerDoctor(ORG1);
    await rejects(h, () => h.act('warrant', patient, { ...body, institutionKeyId: doctor.keyId }), 'NOT_INSTITUTION');
    await rejects(h, () => h.act('warrant', patient, { ...body, studyId: 'ab'.repeat(32) }), 'STUDY_NOT_FOUND');
    const second = await h.registerDoctor(ORG1, 'institution');
    await rejects(
      h,
      () => h.act('warrant', patient, { ...body, institutionKeyId: second.keyId }),
      'INVALID_INPUT',
      /institution of request.body.studyId/,
    );
    const closing = await h.act('study-publish', institution, { study: { ...STUDY, closesAt: h.now + 3 } }, ORG2);
    h.now += 10;
    await rejects(h, () => h.act('warrant', patient, { ...body, studyId: closing.studyId as string }), 'STUDY_CLOSED');
    const tooLarge = Buffer.alloc(8193).toString('base64');
    await rejects(h, () => h.act('warrant', patient, { ...body, extract: tooLarge }), 'EXTRACT_TOO_LARGE');
    // A warrant is a share: the environment check (§7.6) applies the org's app-version policy.
    await h.admin(ORG1, 'app-policy:SetAppPolicy', '9.0.0', '');
    await rejects(h, () => h.act('warrant', patient, body), 'APP_VERSION_REFUSED', /check app-version/);
    await h.admin(ORG1, 'app-policy:SetAppPolicy', '', '');
    await h.act('warrant', patient, body);
    await rejects(h, () => h.act('warrant', patient, body), 'ALREADY_WARRANTED');
    await rejects(
      h,
      () => h.act('unwarrant', other, { recordId, studyId, institutionKeyId: institution.keyId }),
      'NOT_OWNER',
    );
    await rejects(
      h,
      () => h.act('unwarrant', patient, { recordId, studyId, institutionKeyId: second.keyId }),
      'NOT_WARRANTED',
    );
    await rejects(h, () => h.act('record-authorizations', other, { recordId }), 'NOT_OWNER');
  });

  it('GetData is for the study institution only: not another institution, the patient or a doctor', async () => {
    const w = await world(1);
    const { h } = w;
    const [patient] = w.patients as [Party];
    const { recordId } = await h.upload(patient);
    await h.act('warrant', patient, {
      recordId,
      studyId: w.studyId,
      institutionKeyId: w.institution.keyId,
      ...h.sealedExtract(w.institution, w.studyId),
    });
    const otherInstitution = await h.registerDoctor(ORG2, 'institution');
    const doctor = await h.registerDoctor(ORG1);
    for (const who of [otherInstitution, patient, doctor])
      await rejects(h, () => read(w, who), 'ACCESS_LIST_FORBIDDEN');
    await rejects(h, () => read({ ...w, studyId: 'ef'.repeat(32) }), 'STUDY_NOT_FOUND');
  });

  it('pages through a long access list with bookmarks, in a transaction that writes', async () => {
    const w = await world(5);
    const { h, institution, studyId } = w;
    const expected: string[] = [];
    for (const patient of w.patients) {
      const { recordId } = await h.upload(patient);
      await h.act('warrant', patient, {
        recordId,
        studyId,
        institutionKeyId: institution.keyId,
        ...h.sealedExtract(institution, studyId),
      });
      expected.push(warrantEntryId(recordId, studyId));
    }
    const seen: string[] = [];
    let bookmark = '';
    let pages = 0;
    do {
      const got = await read(w, institution, { pageSize: 2, bookmark });
      seen.push(...(got.entries as Array<{ entryId: string }>).map((e) => e.entryId));
      bookmark = got.bookmark as string;
      pages += 1;
    } while (bookmark !== '');
    expect(pages).toBe(3);
    expect(seen).toEqual([...expected].sort());
  });
});

describe('access-lists: anonymous contributions (ring sig1)', () => {
  it('contributes once per link tag; withdraw and replace by the same tag from other rings; another patient is not linked', async () => {
    const w = await world(6);
    const { h, studyId } = w;
    const [a, b, c, d, e, f] = w.patients as [Party, Party, Party, Party, Party, Party];
    const done = await h.actRing('contribute', [a, b, c, d], a, contribution(w));
    const keyImage = toHex(ringKeyImage(a.privateKey, ringScope(studyId)));
    expect(done).toEqual({
      studyId,
      keyImage,
      entryId: contributionEntryId(keyImage, studyId),
      contributedAt: expect.any(Number),
    });
    expect((await entries(w)).map((x) => x.kind)).toEqual(['contribution']);

    // the same patient in another ring: linked, refused
    await rejects(h, () => h.actRing('contribute', [a, d, e, f], a, contribution(w)), 'LINK_TAG_REUSED');
    // another patient in the same ring: a different tag, accepted
    const other = await h.actRing('contribute', [a, b, c, d], b, contribution(w));
    expect(other.keyImage).not.toBe(keyImage);
    expect(await entries(w)).toHaveLength(2);

    // replace and withdraw with the same tag, from rings the first contribution did not use
    const replacement = contribution(w);
    await h.actRing('contribution-replace', [a, c, e, f], a, replacement);
    const mine = ((await read(w)).entries as Array<Record<string, string>>).find(
      (x) => x.entryId === contributionEntryId(keyImage, studyId),
    );
    expect(mine?.extract).toBe(replacement.extract);
    await h.actRing('contribution-withdraw', [a, b, e, f], a, { studyId });
    expect((await entries(w)).map((x) => x.entryId)).toEqual([contributionEntryId(other.keyImage as string, studyId)]);
    await rejects(h, () => h.actRing('contribution-withdraw', [a, b, c, d], a, { studyId }), 'CONTRIBUTION_NOT_FOUND');
    await rejects(
      h,
      () => h.actRing('contribution-replace', [a, b, c, d], a, contribution(w)),
      'CONTRIBUTION_NOT_FOUND',
    );
    // after a withdrawal the tag may contribute again
    await h.actRing('contribute', [a, b, c, d], a, contribution(w));

    const trail = JSON.parse(await h.admin(ORG2, 'access-lists:AdminStudyTrail', studyId, '100', '')) as {
      items: Array<{ action: string; actorKeyId?: string; actorKeyImage?: string }>;
    };
    const anonymous = trail.items.filter((x) => x.actorKeyImage !== undefined);
    expect(anonymous.map((x) => [x.action, x.actorKeyImage === keyImage])).toEqual([
      ['contribute', true],
      ['contribute', false],
      ['contribution-replace', true],
      ['contribution-withdraw', true],
      ['contribute', true],
    ]);
    // no ledger value names the signer's key id next to its link tag
    for (const [, value] of h.ledger.entries()) {
      const text = Buffer.from(value).toString();
      if (text.includes(keyImage)) expect(text).not.toContain(a.keyId);
    }
  });

  it('link tags are per study: the same patient contributes to two studies with unlinkable tags', async () => {
    const w = await world(4);
    const { studyId: second } = await w.h.act('study-publish', w.institution, { study: STUDY }, ORG2);
    const [a] = w.patients as [Party];
    const one = await w.h.actRing('contribute', w.patients, a, contribution(w));
    const two = await w.h.actRing('contribute', w.patients, a, contribution({ ...w, studyId: second as string }));
    expect(one.keyImage).not.toBe(two.keyImage);
  });

  it('refuses rings with an unregistered, pending, doctor or duplicate member, too few or too many, out of order', async () => {
    const w = await world(5);
    const { h } = w;
    const [a, b, c, d] = w.patients as [Party, Party, Party, Party];
    await rejects(
      h,
      () => h.actRing('contribute', [a, b, c, newParty()], a, contribution(w)),
      'RING_MEMBER_NOT_ELIGIBLE',
      /members\[\d\]/,
    );
    const pending = await h.registerDoctor(ORG1, 'institution', false);
    await rejects(h, () => h.actRing('contribute', [a, b, c, pending], a, contribution(w)), 'RING_MEMBER_NOT_ELIGIBLE');
    const doctor = await h.registerDoctor(ORG1);
    await rejects(h, () => h.actRing('contribute', [a, b, c, doctor], a, contribution(w)), 'RING_MEMBER_NOT_ELIGIBLE');

    const { request, sig1 } = h.ringRequest('contribute', [a, b, c, d], a, contribution(w));
    const withMembers = (members: string[]): RingRequest => ({ ...request, ring: { ...request.ring, members } });
    const send = (r: unknown, s = sig1): Promise<unknown> => h.call(h.ringEnvelope(r, s));
    const [m0, m1, m2, m3] = request.ring.members as [string, string, string, string];
    await rejects(h, () => send(withMembers([m0, m0, m2, m3])), 'RING_MEMBER_DUPLICATE');
    await rejects(h, () => send(withMembers([m0, m1, m2])), 'RING_SIZE_INVALID');
    const many = Array.from({ length: 65 }, (_, i) => i.toString(16).padStart(64, '0'));
    await rejects(h, () => send(withMembers(many)), 'RING_SIZE_INVALID');
    await rejects(h, () => send(withMembers([m1, m0, m2, m3])), 'INVALID_INPUT', /ascending/);
    await rejects(h, () => send(withMembers([m0, m1, m2, 'XY'.repeat(32)])), 'INVALID_INPUT', /members\[3\]/);
    // keyId XOR ring
    await rejects(h, () => send({ ...request, keyId: a.keyId }), 'INVALID_INPUT', /keyId is not allowed/);
    // a sig1 of the wrong length for the ring
    await rejects(h, () => send(request, sig1.slice(0, -64)), 'INVALID_INPUT', /sig1/);
  });

  it('refuses a malformed key image, a signature over another scope or another message, a replayed nonce', async () => {
    const w = await world(4);
    const { h, studyId } = w;
    const [a, b, c, d] = w.patients as [Party, Party, Party, Party];
    const members = [a, b, c, d];
    const { request, sig1 } = h.ringRequest('contribute', members, a, contribution(w));
    const send = (r: unknown, s = sig1): Promise<unknown> => h.call(h.ringEnvelope(r, s));

    await rejects(
      h,
      () => send({ ...request, ring: { ...request.ring, keyImage: '04' + 'ab'.repeat(32) } }),
      'INVALID_INPUT',
      /keyImage/,
    );
    // the request's key image is not the signature's
    const otherImage = toHex(ringKeyImage(b.privateKey, ringScope(studyId)));
    await rejects(
      h,
      () => send({ ...request, ring: { ...request.ring, keyImage: otherImage } }),
      'RING_SIGNATURE_INVALID',
      /key image/,
    );
    // a key image that is no point on the curve, in both the request and the signature
    const bad = notAPoint();
    const notPoint = { ...request, ring: { ...request.ring, keyImage: bad } };
    await rejects(h, () => send(notPoint, bad + sig1.slice(66)), 'RING_SIGNATURE_INVALID');

    // signed in another study's scope (the key image of that scope, so only the scope differs)
    const sorted = [...members].sort((x, y) => (x.keyId < y.keyId ? -1 : 1));
    const otherScope = ringScope('12'.repeat(32));
    const foreign = { ...request, ring: { ...request.ring, keyImage: toHex(ringKeyImage(a.privateKey, otherScope)) } };
    const foreignSig = ringSign({
      message: signedBytes('sig1', foreign),
      scope: otherScope,
      ring: sorted.map((m) => fromHex(m.publicKey)),
      signer: sorted.indexOf(a),
      privateKey: a.privateKey,
    });
    await rejects(h, () => send(foreign, toHex(foreignSig)), 'RING_SIGNATURE_INVALID');
    // a valid signature of another request
    const second = h.ringRequest('contribute', members, a, contribution(w));
    await rejects(h, () => send(second.request), 'RING_SIGNATURE_INVALID');

    // the genuine envelope goes through once; its nonce does not go through again
    const envelope = h.ringEnvelope(request, sig1);
    await h.call(envelope);
    await rejects(h, () => h.call(envelope), 'NONCE_REPLAYED');
  });

  it('refuses contributions to unknown or closed studies; a ring is refused on key operations', async () => {
    const w = await world(4);
    const { h, patients } = w;
    const [a] = patients as [Party];
    await rejects(
      h,
      () => h.actRing('contribute', patients, a, contribution({ ...w, studyId: '34'.repeat(32) })),
      'STUDY_NOT_FOUND',
    );
    const { studyId } = await h.act('study-publish', w.institution, { study: { ...STUDY, closesAt: h.now + 3 } }, ORG2);
    h.now += 10;
    await rejects(
      h,
      () => h.actRing('contribute', patients, a, contribution({ ...w, studyId: studyId as string })),
      'STUDY_CLOSED',
    );
    const keyed = h.request('study-get', a, { studyId: w.studyId });
    const { request } = h.ringRequest('contribute', patients, a, contribution(w));
    await rejects(h, () => h.call(h.envelope({ ...keyed, ring: request.ring } as never, a)), 'INVALID_INPUT', /ring/);
  });
});

describe('registry: profiles, the append-only record list, the patients', () => {
  it('a patient stores and reads back a sealed profile; nobody else reaches it', async () => {
    const h = await Harness.create();
    const patient = await h.registerPatient();
    const other = await h.registerPatient();
    const doctor = await h.registerDoctor();
    const { extract: sealedProfile, extractKeyWrap: profileKeyWrap } = h.sealedExtract(patient, 'profile');
    await rejects(h, () => h.act('profile-get', patient, {}), 'PROFILE_NOT_FOUND');
    const stored = await h.act('profile-update', patient, { sealedProfile, profileKeyWrap });
    expect(stored).toEqual({ keyId: patient.keyId, updatedAt: expect.any(Number) });
    expect(await h.act('profile-get', patient, {})).toEqual({
      sealedProfile,
      profileKeyWrap,
      updatedAt: stored.updatedAt,
    });
    // another patient asks for "the profile" and gets only their own: none
    await rejects(h, () => h.act('profile-get', other, {}), 'PROFILE_NOT_FOUND');
    await rejects(h, () => h.act('profile-get', doctor, {}), 'NOT_REGISTERED_PATIENT');
    await rejects(
      h,
      () => h.act('profile-update', doctor, { sealedProfile, profileKeyWrap }),
      'NOT_REGISTERED_PATIENT',
    );
    const tooLarge = Buffer.alloc(8193).toString('base64');
    await rejects(
      h,
      () => h.act('profile-update', patient, { sealedProfile: tooLarge, profileKeyWrap }),
      'PAYLOAD_TOO_LARGE',
    );
    // a patient who is not active (a suspension: no transaction makes one today) reaches nothing
    const restore = await h.setUserStatus(patient, 'pending');
    await rejects(h, () => h.act('profile-get', patient, {}), 'NOT_APPROVED', /not active/);
    await rejects(h, () => h.act('profile-update', patient, { sealedProfile, profileKeyWrap }), 'NOT_APPROVED');
    await restore();
  });

  it('each upload appends to the patient list, oldest first, in pages', async () => {
    const h = await Harness.create();
    const patient = await h.registerPatient();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await h.upload(patient)).recordId);
    const first = await h.act('patient-records', patient, { pageSize: 2, bookmark: '' });
    const rest = await h.act('patient-records', patient, { pageSize: 2, bookmark: first.bookmark as string });
    const rows = [...(first.records as Array<{ recordId: string }>), ...(rest.records as Array<{ recordId: string }>)];
    expect(rows.map((r) => r.recordId)).toEqual(ids);
    expect(rows[0]).toEqual({ recordId: ids[0], kind: 'clinical-note', uploadedAt: expect.any(Number) });
    expect(rest.bookmark).toBe('');
    const other = await h.registerPatient();
    expect(await h.act('patient-records', other, page)).toEqual({ records: [], bookmark: '' });
  });

  it('lists active patients (not doctors or institutions) to active users only', async () => {
    const h = await Harness.create();
    const patients = [await h.registerPatient(), await h.registerPatient(ORG2)];
    const doctor = await h.registerDoctor();
    const listed = await h.act('list-patients', doctor, page);
    expect((listed.patients as Array<{ keyId: string }>).map((p) => p.keyId).sort()).toEqual(
      patients.map((p) => p.keyId).sort(),
    );
    expect(listed.patients).toContainEqual({ keyId: patients[0]?.keyId, publicKey: patients[0]?.publicKey });
    const pending = await h.registerDoctor(ORG1, 'institution', false);
    await rejects(h, () => h.act('list-patients', pending, page), 'NOT_APPROVED');
    await rejects(h, () => h.act('list-patients', newParty(), page), 'NOT_REGISTERED');
  });
});
