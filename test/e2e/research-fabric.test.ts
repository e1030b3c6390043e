// SPDX-License-Identifier: Apache-2.0
/**
 * Research on the real Fabric network (docs/protocol.md §19; two orgs, AND endorsement, CCaaS): an
 * institution registered through Org2 and approved by Org2's admin (scripts/admin/approve-user.sh)
 * publishes a study; a patient of Org1 warrants a record to it; the institution reads its access
 * list through its own gateway (GetData: submitted, endorsed by both orgs, audited) and opens the
 * extract; another patient contributes anonymously (a ring of four patients' keys, the ring check
 * run by both orgs' chaincode servers); the same patient's second contribution from another ring
 * is refused by its link tag; the unwarrant removes the record from the next read. The e2e
 * project's globalSetup brings the network up before this runs.
 */
import { utf8 } from '@medshare/crypto/bytes';
import { generateKeyPair } from '@medshare/crypto/sm2';
import { openExtract, type UserKey } from '@medshare/app';
import { canonicalize, keyIdOf, type StudyDefinition } from '@medshare/protocol';
import { admin, assertNetworkReady, refusal, startHospital, stopHospital, type Hospital } from './support/hospital';

assertNetworkReady();

const STUDY: StudyDefinition = {
  title: 'Asthma in adults (e2e)',
  fields: [
    { field: 'age', rule: 'band', width: 5 },
    { field: 'diagnosis', rule: 'prefix', length: 3 },
  ],
  k: 2,
};

describe('research on the Fabric network: publish, warrant, GetData, anonymous contribution, unwarrant', () => {
  let h1: Hospital | undefined;
  let h2: Hospital | undefined;
  const institution: UserKey = generateKeyPair();
  const institutionKeyId = keyIdOf(institution.publicKey);
  const patients: UserKey[] = Array.from({ length: 5 }, () => generateKeyPair());
  let studyId = '';
  let recordId = '';
  const extract = (age: string): string => canonicalize({ v: 1, studyId, values: { age, diagnosis: 'J45' } });

  beforeAll(async () => {
    [h1, h2] = await Promise.all([startHospital('org1'), startHospital('org2')]);
  }, 120_000);

  afterAll(async () => {
    await Promise.all([stopHospital(h1), stopHospital(h2)]);
  }, 60_000);

  async function opened(): Promise<string[]> {
    const page = await (h2 as Hospital).client.readAccessList(institution, studyId, { pageSize: 100 });
    return page.entries.map((e) => Buffer.from(openExtract(e, studyId, institution)).toString('utf8')).sort();
  }

  it('an institution of Org2, approved by its admin, publishes a study', async () => {
    const c2 = (h2 as Hospital).client;
    expect(await c2.register(institution, 'institution')).toMatchObject({ status: 'pending', org: 'Org2MSP' });
    expect(await refusal(c2.publishStudy(institution, STUDY))).toBe('NOT_APPROVED');
    expect((await admin('approve-user.sh', 'org2', institutionKeyId)).code).toBe(0);
    ({ studyId } = await c2.publishStudy(institution, STUDY));
    const c1 = (h1 as Hospital).client;
    for (const p of patients) await c1.register(p, 'patient');
    expect(await c1.getStudy(patients[0] as UserKey, studyId)).toMatchObject({ institutionKeyId, open: true });
  }, 120_000);

  it('a warrant through Org1 is read and opened by the institution through Org2', async () => {
    const c1 = (h1 as Hospital).client;
    const owner = patients[0] as UserKey;
    ({ recordId } = await c1.upload(owner, {
      content: utf8('{"age":37,"diagnosis":"J45.909"}'),
      kind: 'clinical-note',
    }));
    await c1.warrant(owner, { recordId, studyId, institutionKeyId, extract: utf8(extract('35-39')) });
    expect(await opened()).toEqual([extract('35-39')]);
    // nobody but the institution reads the list: a patient through either gateway
    expect(await refusal((h1 as Hospital).client.readAccessList(owner, studyId))).toBe('ACCESS_LIST_FORBIDDEN');
  }, 120_000);

  it('an anonymous contribution is accepted once; the same patient from another ring is refused by its link tag', async () => {
    const [p0, p1, p2, p3, p4] = patients as [UserKey, UserKey, UserKey, UserKey, UserKey];
    const study = { studyId, institutionKeyId };
    const ring = [p1, p2, p3, p4].map((p) => p.publicKey);
    const done = await (h1 as Hospital).client.contribute(p1, { study, ring, extract: utf8(extract('40-44')) });
    expect(done.keyImage).toMatch(/^0[23][0-9a-f]{64}$/);
    expect(await opened()).toEqual([extract('35-39'), extract('40-44')].sort());
    const again = [p0, p1, p2, p4].map((p) => p.publicKey);
    expect(
      await refusal((h2 as Hospital).client.contribute(p1, { study, ring: again, extract: utf8(extract('40-44')) })),
    ).toBe('LINK_TAG_REUSED');
    expect(await opened()).toHaveLength(2);
  }, 180_000);

  it('the unwarrant removes the record from the next read; the record trail shows the institution read it', async () => {
    const c2 = (h2 as Hospital).client;
    const owner = patients[0] as UserKey;
    await c2.unwarrant(owner, { recordId, studyId, institutionKeyId });
    expect(await opened()).toEqual([extract('40-44')]);
    const trail = await (h1 as Hospital).client.audit(owner, recordId);
    expect(trail.items.map((e) => [e.action, e.org])).toEqual([
      ['upload', 'Org1MSP'],
      ['warrant', 'Org1MSP'],
      ['extract-read', 'Org2MSP'],
      ['extract-read', 'Org2MSP'],
      ['extract-read', 'Org2MSP'],
      ['unwarrant', 'Org2MSP'],
    ]);
    expect(trail.items.filter((e) => e.action === 'extract-read').every((e) => e.actorKeyId === institutionKeyId)).toBe(
      true,
    );
  }, 120_000);
});
