// SPDX-License-Identifier: Apache-2.0
import { generateKeyPair } from '@medshare/crypto/sm2';
import { DAY_MS, keyIdOf, type IndicatorStudyResult } from '@medshare/protocol';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MedshareClient } from '../client/medshare-client';
import { hypertensionStudy, TODAY } from '../testing/indicator-fixtures';
import { MedshareIndicators } from './indicators-client';
import { attestKeyword } from './keyword';

/**
 * The SDK's local refusals, before anything reaches the gateway: a client that records each call
 * it is asked to send stands in for MedshareClient (the path through the gateway and the contract
 * is test/integration/indicators.test.ts).
 */
describe('MedshareIndicators: what is refused locally sends nothing and changes nothing', () => {
  const { study } = hypertensionStudy();
  const studyId = '5'.repeat(64);
  const doctor = generateKeyPair();
  let dir: string;
  let sent: string[];
  let indicators: MedshareIndicators;

  const studyResult: IndicatorStudyResult = {
    studyId,
    institutionKeyId: '4'.repeat(64),
    publishedAt: 0,
    study,
    open: true,
    participants: 0,
  };
  let recordCount = 0;
  const fake = {
    directory: (keyId: string) =>
      Promise.resolve({ keyId, publicKey: doctor.publicKey, role: 'doctor', status: 'active', org: 'hospital-1' }),
    upload: () => {
      sent.push('upload');
      recordCount += 1;
      return Promise.resolve({
        recordId: String(recordCount).repeat(64),
        contentHash: '0'.repeat(64),
        replayed: false,
      });
    },
    getIndicatorStudy: () => Promise.resolve(studyResult),
    joinIndicatorStudy: (_u: unknown, body: { studyId: string }) => {
      sent.push('indicator-join');
      return Promise.resolve({ studyId: body.studyId, pseudonym: 'a'.repeat(32), joinedAt: 1 });
    },
    submitIndicators: (_u: unknown, body: { studyId: string; days: { day: number }[] }) => {
      sent.push('indicator-submit');
      return Promise.resolve({
        studyId: body.studyId,
        pseudonym: 'a'.repeat(32),
        days: body.days.map((d) => d.day),
        submittedAt: 2,
      });
    },
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'medshare-indicators-sdk-'));
    sent = [];
    indicators = new MedshareIndicators(fake as unknown as MedshareClient, {
      storeDir: dir,
      clock: () => TODAY * DAY_MS + 3_600_000,
    });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  async function uploaded(keyword: string): Promise<ReturnType<typeof generateKeyPair>> {
    const patient = generateKeyPair();
    const handoff = attestKeyword(doctor, { patientKeyId: keyIdOf(patient.publicKey), keyword });
    await indicators.uploadAttested(patient, { content: new Uint8Array([1]), kind: 'clinical-note' }, handoff);
    return patient;
  }

  it('an attestation for another patient is refused before the upload', async () => {
    const patient = generateKeyPair();
    const handoff = attestKeyword(doctor, { patientKeyId: keyIdOf(generateKeyPair().publicKey), keyword: 'I10' });
    await expect(
      indicators.uploadAttested(patient, { content: new Uint8Array([1]), kind: 'note' }, handoff),
    ).rejects.toMatchObject({ code: 'KEYWORD_ATTESTATION_INVALID' });
    expect(sent).toEqual([]);
    expect(existsSync(join(dir, `${keyIdOf(patient.publicKey)}.json`))).toBe(false);
  });

  it('a patient with no matching keyword (E11) is refused KEYWORD_NOT_MATCHED without a join', async () => {
    const patient = await uploaded('E11');
    const store = indicators.store(patient);
    const before = readFileSync(store.path, 'utf8');
    await expect(indicators.join(patient, studyId)).rejects.toMatchObject({ code: 'KEYWORD_NOT_MATCHED' });
    expect(sent).toEqual(['upload']);
    expect(readFileSync(store.path, 'utf8')).toBe(before);
  });

  it('joins with the matching record and keeps the pseudonym; an out-of-range day is refused without a submission', async () => {
    const patient = await uploaded('I11');
    const joined = await indicators.join(patient, studyId);
    expect(joined.pseudonym).toBe('a'.repeat(32));
    expect(indicators.store(patient).participation(studyId)?.pseudonym).toBe('a'.repeat(32));
    indicators.record(patient, { systolic: 250, diastolic: 90, heartRate: 70 }, TODAY - 1);
    const before = readFileSync(indicators.store(patient).path, 'utf8');
    await expect(indicators.submit(patient, studyId, [TODAY - 1])).rejects.toMatchObject({
      code: 'INDICATOR_OUT_OF_RANGE',
    });
    expect(sent).toEqual(['upload', 'indicator-join']);
    expect(readFileSync(indicators.store(patient).path, 'utf8')).toBe(before);
    indicators.record(patient, { systolic: 150 }, TODAY - 1);
    await indicators.submit(patient, studyId, [TODAY - 1]);
    expect(indicators.store(patient).participation(studyId)?.submitted).toEqual([TODAY - 1]);
    await expect(indicators.submit(patient, studyId, [TODAY - 1])).rejects.toMatchObject({
      code: 'INDICATOR_DAY_SUBMITTED',
    });
    await expect(indicators.join(patient, studyId)).rejects.toMatchObject({ code: 'ALREADY_JOINED' });
    expect(sent).toEqual(['upload', 'indicator-join', 'indicator-submit']);
  });

  it('a day with no readings, or a study not joined, is refused without a submission', async () => {
    const patient = await uploaded('I10');
    await expect(indicators.submit(patient, studyId, [TODAY])).rejects.toMatchObject({ code: 'NOT_PARTICIPANT' });
    await indicators.join(patient, studyId);
    await expect(indicators.submit(patient, studyId, [TODAY])).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    expect(sent).toEqual(['upload', 'indicator-join']);
  });

  it('refuses to publish under a public key that is not the study key', async () => {
    const other = hypertensionStudy().study.publicKey;
    await expect(indicators.publish(generateKeyPair(), study, { publicKey: other })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    });
  });
});
