// SPDX-License-Identifier: Apache-2.0
import { toHex, utf8 } from '@medshare/crypto/bytes';
import { generateKeyPair, type Sm2KeyPair } from '@medshare/crypto/sm2';
import { commit, keywordScalar, proveMembership } from '@medshare/crypto/zk';
import {
  attestKeyword,
  createStudyKeyFile,
  MedshareIndicators,
  readStudyKeyFile,
  type MedshareClient,
  type StudyKey,
} from '@medshare/app';
import { dayOf, joinContext, keyIdOf, type IndicatorStudyDefinition } from '@medshare/protocol';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hypertensionInput, mismatchedRangeSubmission } from '../../app/src/testing/indicator-fixtures';
import { GatewayFixture } from '../../gateway/src/testing/fixture';

/**
 * Daily indicators through the gateway on the embedded runtime (docs/protocol.md §21): the SDK's
 * attestation, join, submissions, aggregates and export, signed and sealed, checked by the access
 * layer, run by the indicators contract on fabric-sim; and what a modified app might send instead.
 */
describe('daily indicators through the gateway (embedded runtime)', () => {
  let f: GatewayFixture;
  let client: MedshareClient;
  let indicators: MedshareIndicators;
  let dir: string;
  let key: StudyKey;
  let studyId: string;
  let study: IndicatorStudyDefinition;
  const institution = generateKeyPair();
  const doctor = generateKeyPair();
  const patients: Sm2KeyPair[] = Array.from({ length: 6 }, () => generateKeyPair());
  const diagnoses = ['I10', 'i11', 'I15', 'I10', 'I11', 'E11'];
  let today: number;
  let recordIds: string[];

  beforeAll(async () => {
    f = await GatewayFixture.create();
    client = f.client();
    dir = mkdtempSync(join(tmpdir(), 'medshare-indicators-it-'));
    indicators = new MedshareIndicators(client, { storeDir: join(dir, 'stores'), clock: () => f.now });
    today = dayOf(f.now);
    for (const u of [institution, doctor]) {
      await client.register(u, u === doctor ? 'doctor' : 'institution');
      await f.ledger.orgAdmin().approveUser(keyIdOf(u.publicKey));
    }
    recordIds = [];
    for (const [i, p] of patients.entries()) {
      await client.register(p, 'patient');
      const handoff = attestKeyword(doctor, { patientKeyId: keyIdOf(p.publicKey), keyword: diagnoses[i] as string });
      const record = { content: utf8(`{"diagnosis":"${handoff.keyword}"}`), kind: 'diagnosis' };
      recordIds.push((await indicators.uploadAttested(p, record, handoff)).recordId);
    }
    createStudyKeyFile(join(dir, 'study.key'), institution);
    key = readStudyKeyFile(join(dir, 'study.key'), institution);
    const input = hypertensionInput(today - 10);
    ({ studyId } = await indicators.publish(institution, input, key));
    ({ study } = await indicators.getStudy(patients[0] as Sm2KeyPair, studyId));
  }, 120_000);

  afterAll(async () => {
    client.close();
    await f.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const ledgerText = (): string =>
    f.ledger.ledger
      .entries()
      .map(([, v]) => Buffer.from(v).toString('utf8'))
      .join('\n');

  it('the study is published with the study key; the ledger holds no secret, keyword opening or blinding', async () => {
    const s = await indicators.getStudy(patients[0] as Sm2KeyPair, studyId);
    expect(s).toMatchObject({ open: true, participants: 0, study: { publicKey: key.publicKey, output: { k: 5 } } });
    const text = ledgerText();
    expect(text).not.toContain(toHex(key.secretKey));
    for (const p of patients) {
      const [opening] = indicators.store(p).openings;
      expect(text).toContain(opening?.commitment);
      expect(text).not.toContain(opening?.blinding);
    }
    // The non-matching diagnosis is nowhere in the clear: not as a JSON string, escaped or not (the
    // three letters alone can occur by chance inside a base64 ciphertext, so that is not the test).
    expect(text).not.toContain('"E11"');
    expect(text).not.toContain('\\"E11\\"');
  }, 120_000);

  it('a patient without a matching diagnosis is refused locally; a forged proof is refused by the contract', async () => {
    const e11 = patients[5] as Sm2KeyPair;
    const before = f.snapshot();
    await expect(indicators.join(e11, studyId)).rejects.toMatchObject({ code: 'KEYWORD_NOT_MATCHED' });
    expect(f.snapshot()).toBe(before);
    // A modified app proves membership for a commitment it made itself to I10, for its attested record.
    const own = commit(keywordScalar(utf8('I10')));
    const proof = proveMembership({
      commitment: own.commitment,
      keywords: study.keywords.map((k) => utf8(k)),
      keyword: utf8('I10'),
      blinding: own.blinding,
      context: joinContext(studyId, recordIds[5] as string),
    });
    await expect(
      client.joinIndicatorStudy(e11, { studyId, recordId: recordIds[5] as string, proof: toHex(proof) }),
    ).rejects.toMatchObject({ code: 'KEYWORD_NOT_MATCHED' });
    expect(f.snapshot()).toBe(before);
    expect((await indicators.getStudy(e11, studyId)).participants).toBe(0);
  }, 120_000);

  it('below k the series is refused; five join with their attested records, each under a pseudonym', async () => {
    for (const p of patients.slice(0, 4)) await indicators.join(p, studyId);
    const before = f.snapshot();
    await expect(indicators.exportSeries(institution, studyId, key, 'csv')).rejects.toMatchObject({
      code: 'INDICATOR_K_NOT_REACHED',
    });
    expect(f.snapshot()).toBe(before);
    const last = await indicators.join(patients[4] as Sm2KeyPair, studyId);
    expect(last.recordId).toBe(recordIds[4]);
    const pseudonyms = patients.slice(0, 5).map((p) => indicators.store(p).participation(studyId)?.pseudonym);
    expect(new Set(pseudonyms).size).toBe(5);
    expect((await indicators.getStudy(institution, studyId)).participants).toBe(5);
  }, 120_000);

  it('an out-of-range reading is refused locally; a range proof made for another value by the contract', async () => {
    const p = patients[0] as Sm2KeyPair;
    indicators.record(p, { systolic: 250, diastolic: 90, heartRate: 72 }, today - 1);
    const before = f.snapshot();
    await expect(indicators.submit(p, studyId, [today - 1])).rejects.toMatchObject({
      code: 'INDICATOR_OUT_OF_RANGE',
    });
    expect(f.snapshot()).toBe(before);
    const pseudonym = indicators.store(p).participation(studyId)?.pseudonym as string;
    const tampered = mismatchedRangeSubmission({
      studyId,
      study,
      pseudonym,
      day: today - 1,
      sent: [250n, 90n, 72n],
      proved: [150n, 90n, 72n],
    });
    await expect(client.submitIndicators(p, tampered)).rejects.toMatchObject({ code: 'INDICATOR_OUT_OF_RANGE' });
    expect(f.snapshot()).toBe(before);
  }, 120_000);

  it('submissions add into the aggregates; the export keeps week 1 (5 participants) and suppresses week 0 (4)', async () => {
    const systolic = [120, 130, 140, 150, 160];
    for (const [i, p] of patients.slice(0, 5).entries()) {
      const s = systolic[i] as number;
      indicators.record(p, { systolic: s, diastolic: 80, heartRate: 60 + i }, today - 1);
      indicators.record(p, { systolic: s + 2, diastolic: 84, heartRate: 62 + i }, today);
      await indicators.submit(p, studyId, [today - 1]);
      await indicators.submit(p, studyId, [today]);
      if (i < 4) {
        indicators.record(p, { systolic: s - 10, diastolic: 78, heartRate: 70 }, today - 10);
        await indicators.submit(p, studyId, [today - 10]);
      }
    }
    const before = f.snapshot();
    await expect(indicators.submit(patients[1] as Sm2KeyPair, studyId, [today])).rejects.toMatchObject({
      code: 'INDICATOR_DAY_SUBMITTED',
    });
    expect(f.snapshot()).toBe(before);

    const a = await indicators.aggregates(institution, studyId, key);
    const sys = a.indicators[0];
    // 5 × (s + s + 2) + 4 × (s − 10) over the first four
    const total = systolic.reduce((t, s) => t + 2 * s + 2, 0) + systolic.slice(0, 4).reduce((t, s) => t + s - 10, 0);
    expect(sys).toMatchObject({ name: 'systolic', participants: 5, readings: 14, sum: BigInt(total) });
    expect(sys?.mean).toBe(Math.round((total / 14) * 10) / 10);

    const csv = await indicators.exportSeries(institution, studyId, key, 'csv');
    expect(csv.report).toEqual({
      k: 5,
      participants: 5,
      rowsKept: 5,
      rowsSuppressed: 4,
      periodsKept: [1],
      periodsSuppressed: [0],
    });
    const lines = csv.content.trimEnd().split('\r\n');
    expect(lines[0]).toBe('pseudonym,period,days,systolic (mmHg),diastolic (mmHg),heartRate (bpm)');
    const first = patients[0] as Sm2KeyPair;
    const mine = indicators.store(first).participation(studyId)?.pseudonym as string;
    expect(lines).toContain(`${mine},1,2,121,82,61`);
    const ndjson = await indicators.exportSeries(institution, studyId, key, 'ndjson');
    expect(ndjson.content.trimEnd().split('\n')).toHaveLength(5);
    // no key, record id or absolute day in the output
    for (const id of [...recordIds, keyIdOf(first.publicKey), String(today)]) expect(csv.content).not.toContain(id);
  }, 120_000);

  it('only the institution reads the output; leaving removes the data and drops the study below k', async () => {
    const before = f.snapshot();
    await expect(client.indicatorAggregates(patients[0] as Sm2KeyPair, studyId)).rejects.toMatchObject({
      code: 'ACCESS_LIST_FORBIDDEN',
    });
    expect(f.snapshot()).toBe(before);
    const left = await indicators.leave(patients[4] as Sm2KeyPair, studyId);
    expect(left.removedDays).toBe(2);
    await expect(indicators.join(patients[4] as Sm2KeyPair, studyId)).rejects.toMatchObject({ code: 'ALREADY_JOINED' });
    await expect(indicators.exportSeries(institution, studyId, key, 'csv')).rejects.toMatchObject({
      code: 'INDICATOR_K_NOT_REACHED',
    });
    const a = await indicators.aggregates(institution, studyId, key);
    expect(a.participants).toBe(4);
    expect(a.indicators.every((i) => i.sum === null && i.mean === null)).toBe(true);
  }, 120_000);

  it('a study that checks the mean: a run of days in one submission, its sums range-proven, released per window', async () => {
    createStudyKeyFile(join(dir, 'mean.key'), institution);
    const meanKey = readStudyKeyFile(join(dir, 'mean.key'), institution);
    const base = hypertensionInput(today - 10);
    const { studyId: meanId } = await indicators.publish(
      institution,
      { ...base, title: 'Weekly mean blood pressure', check: 'mean', output: { granularity: 'window', k: 2 } },
      meanKey,
    );
    const [a, b] = patients as [Sm2KeyPair, Sm2KeyPair];
    for (const p of [a, b]) await indicators.join(p, meanId);
    const days = [today - 3, today - 2, today - 1];
    // one day above 180 is fine when the 3-day sum stays within [270, 540]
    for (const [j, d] of days.entries()) {
      indicators.record(a, { systolic: [185, 150, 140][j] as number, diastolic: 80, heartRate: 70 }, d);
      indicators.record(b, { systolic: 190, diastolic: 85, heartRate: 75 }, d);
    }
    await indicators.submit(a, meanId, days);
    const before = f.snapshot();
    await expect(indicators.submit(b, meanId, days)).rejects.toMatchObject({ code: 'INDICATOR_OUT_OF_RANGE' });
    expect(f.snapshot()).toBe(before);
    for (const d of days) indicators.record(b, { systolic: 130 }, d);
    await indicators.submit(b, meanId, days);
    const ndjson = await indicators.exportSeries(institution, meanId, meanKey, 'ndjson');
    const rows = ndjson.content
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { period: number; days: number; means: Record<string, number> });
    expect(rows.map((r) => [r.period, r.days, r.means.systolic]).sort()).toEqual([
      [0, 3, 130],
      [0, 3, 158.3],
    ]);
    expect(ndjson.report).toMatchObject({ k: 2, rowsKept: 2, rowsSuppressed: 0 });
  }, 120_000);
});
