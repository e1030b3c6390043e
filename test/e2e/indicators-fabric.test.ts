// SPDX-License-Identifier: Apache-2.0
/**
 * Daily indicators on the real Fabric network (docs/protocol.md §21; two orgs, AND endorsement,
 * one chaincode server per org): an institution of Org2, approved by its admin, publishes an
 * indicator study; a doctor of Org1 attests patients' diagnoses; the patients upload their
 * attested records through Org1 and join through either org with a zero-knowledge keyword match
 * (both orgs' chaincode servers verify it); a patient whose diagnosis is not in the set is refused
 * by its app and, with a forged proof, by the contract; readings are submitted as twisted ElGamal
 * ciphertexts with validity and range proofs; a tampered one is refused; the institution
 * decrypts the aggregates and exports the pseudonymous series once k have joined; a patient
 * leaves and is gone from the next output. The e2e project's globalSetup brings the network up.
 */
import { toHex, utf8 } from '@medshare/crypto/bytes';
import { generateKeyPair, type Sm2KeyPair } from '@medshare/crypto/sm2';
import { commit, keywordScalar, proveMembership } from '@medshare/crypto/zk';
import { attestKeyword, createStudyKeyFile, MedshareIndicators, readStudyKeyFile, type StudyKey } from '@medshare/app';
import {
  dayOf,
  joinContext,
  keyIdOf,
  type IndicatorStudyDefinition,
  type IndicatorStudyInput,
} from '@medshare/protocol';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mismatchedRangeSubmission } from '../../app/src/testing/indicator-fixtures';
import { admin, assertNetworkReady, refusal, startHospital, stopHospital, type Hospital } from './support/hospital';

assertNetworkReady();

const today = dayOf(Date.now());
const STUDY: Omit<IndicatorStudyInput, 'publicKey'> = {
  title: 'Home blood pressure (e2e)',
  keywords: ['I10', 'I11', 'I15'],
  indicators: [
    { name: 'systolic', unit: 'mmHg', scale: 1, lo: 90, hi: 180 },
    { name: 'heartRate', unit: 'bpm', scale: 1, lo: 40, hi: 180 },
  ],
  window: { startDay: today - 3, days: 7 },
  check: 'value',
  output: { granularity: 'day', k: 3 },
};

describe('daily indicators on the Fabric network: publish, attest, join in zero knowledge, submit, aggregate, leave', () => {
  let h1: Hospital | undefined;
  let h2: Hospital | undefined;
  let dir = '';
  let i1: MedshareIndicators;
  let i2: MedshareIndicators;
  let key: StudyKey;
  let studyId = '';
  let study: IndicatorStudyDefinition;
  const institution = generateKeyPair();
  const doctor = generateKeyPair();
  const patients: Sm2KeyPair[] = Array.from({ length: 4 }, () => generateKeyPair());
  const diagnoses = ['I10', 'I11', 'I15', 'E11'];
  const recordIds: string[] = [];

  beforeAll(async () => {
    [h1, h2] = await Promise.all([startHospital('org1'), startHospital('org2')]);
    dir = mkdtempSync(join(tmpdir(), 'medshare-indicators-e2e-'));
    // One store folder: a patient's sealed store is theirs whichever org's gateway they use.
    i1 = new MedshareIndicators(h1.client, { storeDir: join(dir, 'stores') });
    i2 = new MedshareIndicators(h2.client, { storeDir: join(dir, 'stores') });
  }, 120_000);

  afterAll(async () => {
    await Promise.all([stopHospital(h1), stopHospital(h2)]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  const c1 = (): Hospital['client'] => (h1 as Hospital).client;
  const c2 = (): Hospital['client'] => (h2 as Hospital).client;

  it('an institution of Org2 publishes the study; a doctor of Org1 attests four diagnoses, uploaded through Org1', async () => {
    await c2().register(institution, 'institution');
    await c1().register(doctor, 'doctor');
    expect((await admin('approve-user.sh', 'org2', keyIdOf(institution.publicKey))).code).toBe(0);
    expect((await admin('approve-user.sh', 'org1', keyIdOf(doctor.publicKey))).code).toBe(0);
    createStudyKeyFile(join(dir, 'study.key'), institution);
    key = readStudyKeyFile(join(dir, 'study.key'), institution);
    ({ studyId } = await i2.publish(institution, STUDY, key));
    for (const [i, p] of patients.entries()) {
      await c1().register(p, 'patient');
      const handoff = attestKeyword(doctor, { patientKeyId: keyIdOf(p.publicKey), keyword: diagnoses[i] as string });
      const record = { content: utf8(`{"diagnosis":"${handoff.keyword}"}`), kind: 'diagnosis' };
      recordIds.push((await i1.uploadAttested(p, record, handoff)).recordId);
    }
    ({ study } = await i1.getStudy(patients[0] as Sm2KeyPair, studyId));
    expect(study).toMatchObject({ publicKey: key.publicKey, output: { k: 3 }, maxParticipants: 1000 });
  }, 180_000);

  it('two patients join through Org1 and one through Org2; below k the series is refused', async () => {
    const [p0, p1, p2] = patients as [Sm2KeyPair, Sm2KeyPair, Sm2KeyPair];
    const j0 = await i1.join(p0, studyId);
    const j1 = await i1.join(p1, studyId);
    expect(await refusal(i2.exportSeries(institution, studyId, key, 'csv'))).toBe('INDICATOR_K_NOT_REACHED');
    const j2 = await i2.join(p2, studyId);
    expect(new Set([j0.pseudonym, j1.pseudonym, j2.pseudonym]).size).toBe(3);
    expect(await refusal(i1.join(p0, studyId))).toBe('ALREADY_JOINED');
    expect((await i2.getStudy(institution, studyId)).participants).toBe(3);
  }, 180_000);

  it('a diagnosis outside the set is refused by the app, and a forged proof by both orgs’ contract', async () => {
    const e11 = patients[3] as Sm2KeyPair;
    expect(await refusal(i1.join(e11, studyId))).toBe('KEYWORD_NOT_MATCHED');
    const own = commit(keywordScalar(utf8('I10')));
    const proof = proveMembership({
      commitment: own.commitment,
      keywords: study.keywords.map((k) => utf8(k)),
      keyword: utf8('I10'),
      blinding: own.blinding,
      context: joinContext(studyId, recordIds[3] as string),
    });
    expect(
      await refusal(c1().joinIndicatorStudy(e11, { studyId, recordId: recordIds[3] as string, proof: toHex(proof) })),
    ).toBe('KEYWORD_NOT_MATCHED');
    expect((await i1.getStudy(e11, studyId)).participants).toBe(3);
  }, 120_000);

  it('readings are submitted encrypted; a range proof made for another value is refused', async () => {
    const values = [
      [120, 70],
      [135, 64],
      [150, 80],
    ];
    for (const [i, p] of patients.slice(0, 3).entries()) {
      const [s, h] = values[i] as [number, number];
      const via = i === 2 ? i2 : i1;
      via.record(p, { systolic: s, heartRate: h }, today - 1);
      via.record(p, { systolic: s + 4, heartRate: h + 2 }, today);
      await via.submit(p, studyId, [today - 1]);
      await via.submit(p, studyId, [today]);
    }
    // a modified app: ciphertexts of 250 mmHg, a valid validity proof over them, a range proof for 150
    const p0 = patients[0] as Sm2KeyPair;
    const pseudonym = i1.store(p0).participation(studyId)?.pseudonym as string;
    const tampered = mismatchedRangeSubmission({
      studyId,
      study,
      pseudonym,
      day: today - 2,
      sent: [250n, 70n],
      proved: [150n, 70n],
    });
    const before = await i2.aggregates(institution, studyId, key);
    expect(await refusal(c1().submitIndicators(p0, tampered))).toBe('INDICATOR_OUT_OF_RANGE');
    expect(await i2.aggregates(institution, studyId, key)).toMatchObject({ indicators: before.indicators });
  }, 300_000);

  it('the institution decrypts the aggregates and exports the series under pseudonyms', async () => {
    const a = await i2.aggregates(institution, studyId, key);
    expect(a.participants).toBe(3);
    expect(a.indicators.map((x) => [x.name, x.participants, x.readings, x.sum])).toEqual([
      ['systolic', 3, 6, BigInt(120 + 124 + 135 + 139 + 150 + 154)],
      ['heartRate', 3, 6, BigInt(70 + 72 + 64 + 66 + 80 + 82)],
    ]);
    const out = await i2.exportSeries(institution, studyId, key, 'csv');
    expect(out.report).toMatchObject({ k: 3, participants: 3, rowsKept: 6, rowsSuppressed: 0 });
    const lines = out.content.trim().split('\r\n');
    expect(lines[0]).toBe('pseudonym,period,days,systolic (mmHg),heartRate (bpm)');
    expect(lines).toHaveLength(7);
    for (const p of patients) expect(out.content).not.toContain(keyIdOf(p.publicKey));
  }, 180_000);

  it('a patient leaves through Org2: gone from the aggregates, and the series is below k again', async () => {
    const p0 = patients[0] as Sm2KeyPair;
    const left = await i2.leave(p0, studyId);
    expect(left.removedDays).toBe(2);
    const a = await i2.aggregates(institution, studyId, key);
    expect(a.participants).toBe(2);
    expect(a.indicators.map((x) => x.sum)).toEqual([null, null]);
    expect(await refusal(i2.exportSeries(institution, studyId, key, 'csv'))).toBe('INDICATOR_K_NOT_REACHED');
    expect(
      await refusal(c1().joinIndicatorStudy(p0, { studyId, recordId: recordIds[0] as string, proof: '00'.repeat(65) })),
    ).toBe('ALREADY_JOINED');
    const trail = await c1().audit(p0, recordIds[0] as string);
    expect(trail.items.map((e) => e.action)).toEqual(['upload', 'indicator-join', 'indicator-leave']);
  }, 180_000);
});
