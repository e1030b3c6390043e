// SPDX-License-Identifier: Apache-2.0
import { utf8 } from '@medshare/crypto/bytes';
import { GatewayFixture, party } from '@medshare/gateway/src/testing/fixture';
// The package's own classes, as the fixture's client is (one MedshareClient class on both sides).
import { MedshareResearch, type MedshareClient } from '@medshare/app';
import { FHIR_BUNDLE, JSON_RECORD, STUDY_DEFINITION } from '../testing/research-fixtures';

type Party = ReturnType<typeof party>;

/** Patient i's JSON record: two groups by age band (35-39, 45-49), so k can be reached and missed. */
const recordOf = (i: number): Uint8Array =>
  utf8(JSON.stringify({ ...JSON_RECORD, age: i % 2 === 0 ? 37 : 46, observations: { '8480-6': 120 + i } }));

describe('research through an in-process gateway: warrant, contribute, withdraw, export', () => {
  let f: GatewayFixture;
  let client: MedshareClient;
  let research: MedshareResearch;
  let institution: Party;
  let patients: Party[];
  let studyId: string;
  let records: string[];
  let fresh = 0;

  beforeAll(async () => {
    f = await GatewayFixture.create();
    client = f.client();
    research = new MedshareResearch(client, {
      anonymousClient: () => {
        fresh += 1;
        return f.client();
      },
    });
    institution = party();
    await client.register(institution, 'institution');
    await f.ledger.orgAdmin().approveUser(institution.keyId);
    patients = Array.from({ length: 8 }, () => party());
    for (const p of patients) await client.register(p, 'patient');
    records = [];
    for (const [i, p] of patients.entries())
      records.push((await client.upload(p, { content: recordOf(i), kind: 'clinical-note' })).recordId);
    studyId = (await client.publishStudy(institution, { ...STUDY_DEFINITION, k: 3 })).studyId;
    // Nine registrations and eight uploads: over jest's 5 s under the full suite's load on 2 cores.
  }, 30_000);
  afterAll(() => f.close());

  it('a warrant releases the generalized extract only, and the export keeps groups of k', async () => {
    // Patients 0, 2, 4 (age 37) and 1, 3 (age 46) warrant.
    for (const i of [0, 1, 2, 3, 4]) {
      const w = await research.warrant(patients[i] as Party, records[i] as string, studyId);
      expect(w.released).toMatchObject({ age: i % 2 === 0 ? '35-39' : '45-49', postcode: '100', diagnosis: 'I10' });
    }
    const csv = await research.exportDataset(institution, studyId, 'csv');
    expect(csv.report).toMatchObject({ k: 3, rowsIn: 5, rowsSuppressed: 2, rowsReleased: 3, groups: 1, kReached: 3 });
    expect(csv.content.split('\r\n').slice(1, -1)).toHaveLength(3);
    for (const banned of ['Li Lei', '100081', 'P-0042', '2026-11-30', ...records])
      expect(csv.content).not.toContain(banned);
  });

  it('an unwarrant removes the row from the next export', async () => {
    await research.unwarrant(patients[4] as Party, records[4] as string, studyId);
    const after = await research.exportDataset(institution, studyId, 'ndjson');
    expect(after.report).toMatchObject({ rowsIn: 4, rowsSuppressed: 4, rowsReleased: 0, kReached: null });
    expect((await client.recordAuthorizations(patients[4] as Party, records[4] as string)).institutions).toEqual([]);
  });

  it('an anonymous contribution is signed in a ring, in a fresh session; a second one by the same patient is LINK_TAG_REUSED', async () => {
    const author = patients[6] as Party;
    const before = fresh;
    const c = await research.contributeAnonymously(author, { content: recordOf(6) }, studyId, { size: 6 });
    expect(c.ring).toEqual({ size: 6, eligible: 8, complete: true });
    expect(fresh).toBe(before + 1);
    const ledger = f.snapshot();
    await expect(
      research.contributeAnonymously(author, { content: recordOf(6) }, studyId, { size: 6 }),
    ).rejects.toMatchObject({ code: 'LINK_TAG_REUSED' });
    expect(f.snapshot()).toBe(ledger);
    const list = await research.exportDataset(institution, studyId, 'csv');
    expect(list.report).toMatchObject({ rowsIn: 5, rowsReleased: 3, kReached: 3 }); // 0, 2 and the contribution
    // Any ring holding the author links by the key image: a withdrawal in another ring finds the contribution.
    const other = [author, ...patients.filter((p) => p !== author).slice(0, 3)].map((p) => p.publicKey);
    const w = await client.withdrawContribution(author, { studyId, ring: other });
    expect(w.keyImage).toBe(c.keyImage);
    expect((await research.exportDataset(institution, studyId, 'csv')).report).toMatchObject({ rowsIn: 4 });
    await expect(research.withdraw(author, studyId, { size: 6 })).rejects.toMatchObject({
      code: 'CONTRIBUTION_NOT_FOUND',
    });
    // Contributed again, withdrawn by the SDK in the ring it draws again (the same one).
    const again = await research.contributeAnonymously(author, { content: recordOf(6) }, studyId, { size: 6 });
    expect(again.keyImage).toBe(c.keyImage);
    expect((await research.withdraw(author, studyId, { size: 6 })).keyImage).toBe(c.keyImage);
  });

  it('FHIR output takes only rows from FHIR records', async () => {
    const fhirStudy = (await client.publishStudy(institution, { ...STUDY_DEFINITION, k: 2 })).studyId;
    for (const p of patients.slice(0, 2))
      await research.contributeAnonymously(p, { content: utf8(JSON.stringify(FHIR_BUNDLE)) }, fhirStudy, { size: 4 });
    await research.contributeAnonymously(patients[2] as Party, { content: recordOf(2) }, fhirStudy, { size: 4 });
    const fhir = await research.exportDataset(institution, fhirStudy, 'fhir');
    expect(fhir.report).toMatchObject({ rowsIn: 3, rowsExcluded: 1, rowsReleased: 2, kReached: 2 });
    const bundle = JSON.parse(fhir.content) as { type: string; entry: { resource: { resourceType: string } }[] };
    expect(bundle.type).toBe('collection');
    expect(bundle.entry.filter((e) => e.resource.resourceType === 'Patient')).toHaveLength(2);
  });

  it('refuses before reading the record: another institution’s export, a closed study', async () => {
    const other = party();
    await client.register(other, 'institution');
    await f.ledger.orgAdmin().approveUser(other.keyId);
    await expect(research.exportDataset(other, studyId, 'csv')).rejects.toMatchObject({
      code: 'ACCESS_LIST_FORBIDDEN',
    });
    const closed = (await client.publishStudy(institution, { ...STUDY_DEFINITION, closesAt: f.now - 1 })).studyId;
    const audit = await client.audit(patients[5] as Party, records[5] as string);
    await expect(research.warrant(patients[5] as Party, records[5] as string, closed)).rejects.toMatchObject({
      code: 'STUDY_CLOSED',
    });
    expect((await client.audit(patients[5] as Party, records[5] as string)).items).toEqual(audit.items);
  });

  it('refuses a second warrant or a non-owner’s before the record is opened (no audited view is written)', async () => {
    const [owner, other] = [patients[0] as Party, patients[1] as Party];
    const before = await client.audit(owner, records[0] as string);
    await expect(research.warrant(owner, records[0] as string, studyId)).rejects.toMatchObject({
      code: 'ALREADY_WARRANTED',
    });
    await expect(research.warrant(other, records[0] as string, studyId)).rejects.toMatchObject({ code: 'NOT_OWNER' });
    expect((await client.audit(owner, records[0] as string)).items).toEqual(before.items);
  });

  it('publishes a study without k (absent: 5, docs/protocol.md §19.1): the body is signed and checked as sent', async () => {
    const { k: _k, ...withoutK } = STUDY_DEFINITION;
    const published = await client.publishStudy(institution, { ...withoutK, title: 'no k given' });
    const study = await client.getStudy(institution, published.studyId);
    expect(study.study).toMatchObject({ title: 'no k given', k: 5 });
  });

  it('keeps the patient’s profile sealed for the patient', async () => {
    const p = patients[7] as Party;
    await research.setProfile(p, { v: 1, name: 'Li Lei', sex: 'female' });
    expect((await research.profile(p)).profile).toEqual({ v: 1, name: 'Li Lei', sex: 'female' });
    expect(
      JSON.stringify(f.ledger.ledger.entries().map(([k, v]) => [k, Buffer.from(v).toString('utf8')])),
    ).not.toContain('Li Lei');
  });
});
