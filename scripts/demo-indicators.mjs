#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// The daily-indicators scenario (issue #9, docs/protocol.md §20–§21), run with the medshare CLI
// against a running gateway (npm start), like scripts/demo-research.mjs: an institution makes a
// study key and publishes a hypertension study (I10, I11, I15; systolic, diastolic, heart rate;
// each value range-checked; per week; k = 5); a doctor attests each of six patients' diagnosis
// keyword at upload; five join by a zero-knowledge keyword match, the sixth (E11) is refused by
// its own app, and a forged proof from a modified app is refused by the contract; the patients
// submit encrypted, range-proven readings; a systolic 250 is refused by the app, and a submission
// whose range proof was made for another value by the contract; the institution decrypts the
// aggregate means and exports the k-suppressed series as CSV; a participant leaves and the series
// falls below k. Exits non-zero if any step does not do what it should; the last line is
// `indicators demo complete`.
//
// The gateway and the app config are found as the other demos find them: MEDSHARE_APP_CONFIG,
// else $MEDSHARE_DATA_DIR/app/app.json (default .data); MEDSHARE_PORT, when set, is the gateway's port.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { demoCli, expect, narrator } from './lib/demo-cli.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const sdk = require(join(root, 'app', 'dist', 'index.js'));
const protocol = require(join(root, 'protocol', 'dist', 'index.js'));
const zk = require(join(root, 'crypto', 'dist', 'zk', 'index.js'));
const { fromHex, toHex, utf8 } = require(join(root, 'crypto', 'dist', 'bytes.js'));

const cli = join(root, 'app', 'bin', 'medshare.js');
const dataDir = resolve(process.env.MEDSHARE_DATA_DIR || join(root, '.data'));
const appConfig = resolve(process.env.MEDSHARE_APP_CONFIG || join(dataDir, 'app', 'app.json'));
const gatewayUrl = process.env.MEDSHARE_PORT ? `https://127.0.0.1:${process.env.MEDSHARE_PORT}` : undefined;
const gatewayArgs = gatewayUrl ? ['--gateway', gatewayUrl] : [];
const work = mkdtempSync(join(tmpdir(), 'medshare-demo-indicators-'));
const stores = join(work, 'stores');
const passphrase = process.env.MEDSHARE_PASSPHRASE ?? 'demo passphrase, not for real keys';
const env = {
  ...process.env,
  MEDSHARE_APP_CONFIG: appConfig,
  // Demo keys only: a real user types the passphrase at the prompt.
  MEDSHARE_PASSPHRASE: passphrase,
};

const { medshare, json, refusal } = demoCli({ cli, env, cwd: work, extraArgs: gatewayArgs });
const say = narrator();

const today = protocol.dayOf(Date.now());
const date = (day) => new Date(day * protocol.DAY_MS).toISOString().slice(0, 10);
// Two weeks ending three days from now: week 0 is ten to four days ago, week 1 holds today.
const STUDY = {
  title: 'Home blood pressure in hypertension',
  keywords: ['I10', 'I11', 'I15'],
  indicators: [
    { name: 'systolic', unit: 'mmHg', scale: 1, lo: 90, hi: 180 },
    { name: 'diastolic', unit: 'mmHg', scale: 1, lo: 50, hi: 120 },
    { name: 'heartRate', unit: 'bpm', scale: 1, lo: 40, hi: 180 },
  ],
  window: { startDay: today - 10, days: 14 },
  check: 'value',
  output: { granularity: 'week', k: 5 },
};
/** Six patients' diagnoses (the doctor's codes) and home readings: systolic, diastolic, heart rate. */
const PATIENTS = [
  ['I10', [138, 88, 72]],
  ['I11', [146, 92, 80]],
  ['I10', [129, 84, 66]],
  ['I15', [152, 95, 75]],
  ['I10', [141, 90, 70]],
  ['E11', [125, 80, 68]],
];

/** The SDK as a modified app would use it: a client from the app config and a patient's key file. */
async function modifiedApp(keyFile) {
  const config = sdk.loadAppConfig(appConfig, gatewayUrl ? { gatewayUrl } : {});
  const client = new sdk.MedshareClient(config.client);
  const { privateKey, publicKey } = await protocol.decryptKeyFile(
    JSON.parse(readFileSync(join(work, keyFile), 'utf8')),
    passphrase,
  );
  return { client, user: { privateKey, publicKey } };
}

/** A membership proof for a commitment the app made itself (to I10), sent for the attested E11 record. */
async function forgedJoin(keyFile, studyId, recordId) {
  const { client, user } = await modifiedApp(keyFile);
  try {
    const own = zk.commit(zk.keywordScalar(utf8('I10')));
    const proof = zk.proveMembership({
      commitment: own.commitment,
      keywords: STUDY.keywords.map((k) => utf8(k)),
      keyword: utf8('I10'),
      blinding: own.blinding,
      context: protocol.joinContext(studyId, recordId),
    });
    await client.joinIndicatorStudy(user, { studyId, recordId, proof: toHex(proof) });
    return undefined;
  } catch (error) {
    return error;
  } finally {
    client.close();
  }
}

/** Encrypts `sent` (systolic 250) with a valid validity proof, but a range proof made for `proved` (150). */
async function tamperedSubmit(keyFile, study, studyId, day, sent, proved) {
  const { client, user } = await modifiedApp(keyFile);
  try {
    const pseudonym = sdk.PatientStore.open(stores, user).participation(studyId).pseudonym;
    const context = protocol.submitContext(studyId, pseudonym, [day]);
    const publicKey = fromHex(study.publicKey);
    const encrypt = (values) => values.map((v) => ({ value: BigInt(v), ...zk.twistedEncrypt(publicKey, BigInt(v)) }));
    const opening = (e) => ({ value: e.value, randomness: e.randomness });
    const [s, p] = [encrypt(sent), encrypt(proved)];
    const ranges = protocol.submissionRanges(study, 1);
    const body = {
      studyId,
      days: [{ day, readings: s.map((e) => toHex(e.ciphertext)) }],
      validity: toHex(
        zk.proveValid({ publicKey, ciphertexts: s.map((e) => e.ciphertext), openings: s.map(opening), context }),
      ),
      range: toHex(
        zk.proveRange({
          publicKey,
          ciphertexts: p.map((e) => e.ciphertext),
          openings: p.map(opening),
          ranges,
          bits: protocol.rangeBits(ranges),
          context,
        }),
      ),
    };
    await client.submitIndicators(user, body);
    return undefined;
  } catch (error) {
    return error;
  } finally {
    client.close();
  }
}

/** A patient's indicator command (the store in the demo's folder), and the institution's with its study key. */
const patient = (p, verb, ...rest) => ['indicators', verb, ...rest, '--key', `${p}.key`, '--store', stores];
const institution = (verb, studyId, ...rest) => [
  'indicators',
  verb,
  studyId,
  '--key',
  'inst.key',
  '--study-key',
  'study.key',
  ...rest,
];

const values = ([systolic, diastolic, heartRate], delta = 0) =>
  JSON.stringify({ systolic: systolic + delta, diastolic, heartRate });

try {
  const keys = {};
  for (const name of ['inst', 'doctor', ...PATIENTS.map((_, i) => `p${i + 1}`)])
    keys[name] = (await json(['keygen', '--out', `${name}.key`])).keyId;
  for (const [name, role] of [
    ['inst', 'institution'],
    ['doctor', 'doctor'],
  ]) {
    await json(['register', '--key', `${name}.key`, '--role', role]);
    await medshare(['admin', 'approve', keys[name]]);
  }
  for (const [i] of PATIENTS.entries()) await json(['register', '--key', `p${i + 1}.key`, '--role', 'patient']);
  say(
    'a research institution and a doctor register and an org admin approves them; six patients register',
    `institution ${keys.inst}\ndoctor      ${keys.doctor}`,
  );

  const records = [];
  let attestation = '';
  for (const [i, [diagnosis]] of PATIENTS.entries()) {
    const p = `p${i + 1}`;
    const a = await medshare([
      'indicators',
      'attest',
      '--key',
      'doctor.key',
      '--patient',
      keys[p],
      '--keyword',
      diagnosis,
      '--out',
      `${p}-attestation.json`,
    ]);
    attestation ||= a;
    const record = JSON.stringify({ diagnosis, note: 'home blood-pressure monitoring advised' });
    const up = await json([
      'upload',
      '--key',
      `${p}.key`,
      '--data',
      record,
      '--attestation',
      `${p}-attestation.json`,
      '--store',
      stores,
    ]);
    expect(up.attested === true, 'the upload did not carry the attestation');
    records.push(up.recordId);
  }
  say(
    "the doctor attests each patient's diagnosis code (I10, I11, I10, I15, I10 and E11): a Pedersen commitment signed for the patient; each patient uploads the record with the attestation and keeps the opening in their sealed store",
    attestation,
  );

  await json(['indicators', 'keygen', '--key', 'inst.key', '--out', 'study.key']);
  writeFileSync(join(work, 'study.json'), JSON.stringify(STUDY));
  const studyId = (await json(['indicators', 'publish', 'study.json', '--key', 'inst.key', '--study-key', 'study.key']))
    .studyId;
  const study = (await json(['indicators', 'show', studyId, '--key', 'p1.key'])).study;
  say(
    'the institution makes a study key (twisted ElGamal; the secret sealed in its own file) and publishes the study',
    await medshare(['indicators', 'show', studyId, '--key', 'p1.key']),
  );

  let joined = '';
  for (const i of [0, 1, 2, 3, 4]) joined += await medshare(patient(`p${i + 1}`, 'join', studyId));
  say("P1–P5 join: each app proves in zero knowledge that the record's committed code is one of I10, I11, I15", joined);

  const local = await refusal(patient('p6', 'join', studyId));
  expect(local.code === 'KEYWORD_NOT_MATCHED', `unexpected refusal ${JSON.stringify(local)}`);
  const forged = await forgedJoin('p6.key', studyId, records[5]);
  expect(forged?.code === 'KEYWORD_NOT_MATCHED', `the forged join was not refused: ${forged?.message ?? 'accepted'}`);
  const after = await json(['indicators', 'show', studyId, '--key', 'p1.key']);
  expect(after.participants === 5, `the study has ${after.participants} participants`);
  say(
    "P6's diagnosis (E11) is not in the set: her app refuses to join and sends nothing; a modified app that proves membership for a commitment it made itself is refused by the contract, and nothing is stored",
    `app:      ${local.code}: ${local.message}\ncontract: ${forged.code}: ${forged.detail ?? forged.message}\nparticipants still ${after.participants}`,
  );

  // Week 0: P1–P4 on day −9; week 1: P1–P5 yesterday and today.
  const days = [today - 9, today - 1, today];
  for (const [i, [, reading]] of PATIENTS.slice(0, 5).entries()) {
    const p = `p${i + 1}`;
    for (const [j, day] of days.entries()) {
      if (j === 0 && i === 4) continue;
      await medshare(patient(p, 'record', '--day', date(day), '--data', values(reading, 2 * j - 2)));
      await medshare(patient(p, 'submit', studyId, '--day', date(day)));
    }
  }
  say(
    'P1–P5 record their readings at home and submit them: each reading encrypted under the study key, one validity proof and one range proof per day; the contract adds the ciphertexts',
    `${date(today - 9)} (week 0): P1–P4\n${date(today - 1)} and ${date(today)} (week 1): P1–P5`,
  );

  const day = today - 2;
  await medshare(patient('p5', 'record', '--day', date(day), '--data', values([250, 96, 88])));
  const high = await refusal(patient('p5', 'submit', studyId, '--day', date(day)));
  expect(high.code === 'INDICATOR_OUT_OF_RANGE', `unexpected refusal ${JSON.stringify(high)}`);
  const tampered = await tamperedSubmit('p5.key', study, studyId, day, [250, 96, 88], [150, 96, 88]);
  expect(
    tampered?.code === 'INDICATOR_OUT_OF_RANGE',
    `the tampered submission was not refused: ${tampered?.message ?? 'accepted'}`,
  );
  say(
    "P5 records a systolic of 250 mmHg: her app refuses to submit it; a modified app's submission whose range proof was made for 150 is refused by the contract",
    `app:      ${high.code}: ${high.message}\ncontract: ${tampered.code}: ${tampered.detail ?? tampered.message}`,
  );

  const aggregates = await json(institution('aggregates', studyId));
  const systolic = aggregates.indicators[0];
  expect(systolic.participants === 5 && systolic.readings === 14, `unexpected aggregate ${JSON.stringify(systolic)}`);
  const expected = PATIENTS.slice(0, 5).reduce((t, [, [s]], i) => t + (i < 4 ? s - 2 : 0) + s + s + 2, 0);
  expect(systolic.sum === expected, `the systolic sum is ${systolic.sum}, not ${expected}`);
  say(
    'the institution reads the aggregates (homomorphic sums) and decrypts them with the study key',
    await medshare(institution('aggregates', studyId)),
  );

  const exported = await json(institution('export', studyId, '--format', 'csv', '--out', 'series.csv'));
  const r = exported.report;
  expect(r.rowsKept === 5 && r.rowsSuppressed === 4, `unexpected report ${JSON.stringify(r)}`);
  const csv = readFileSync(join(work, 'series.csv'), 'utf8');
  expect(
    !records.some((id) => csv.includes(id)) && !Object.values(keys).some((k) => csv.includes(k)),
    'the export names a record or a key',
  );
  say(
    'the converted output (CSV, k = 5): per pseudonym and week the mean of each indicator; week 0 had four participants and is suppressed',
    `k ${r.k}: participants ${r.participants}, rows kept ${r.rowsKept}, rows suppressed ${r.rowsSuppressed}, weeks kept [${r.periodsKept.join(', ')}], suppressed [${r.periodsSuppressed.join(', ')}]\n${csv.replace(/\r\n/g, '\n')}`,
  );

  const left = await medshare(patient('p5', 'leave', studyId));
  const below = await refusal(institution('export', studyId, '--format', 'csv'));
  expect(below.code === 'INDICATOR_K_NOT_REACHED', `unexpected refusal ${JSON.stringify(below)}`);
  say(
    'P5 leaves: her readings are deleted, four participants remain and the series is refused below k',
    `${left}${below.code}: ${below.message}`,
  );

  process.stdout.write('\nindicators demo complete\n');
} catch (error) {
  process.stderr.write(`\nindicators demo failed: ${error.message}\n${error.stderr ?? ''}`);
  process.exitCode = 1;
} finally {
  rmSync(work, { recursive: true, force: true });
}
