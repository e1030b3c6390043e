#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// The research scenario (issue #8, docs/protocol.md §19, docs/privacy.md), run with the medshare
// CLI against a running gateway (npm start), like scripts/demo.mjs: two institutions are approved
// and each publishes a study (k = 5); eight patients register and upload records full of
// identifiers; six warrant a record to the first study, one contributes anonymously in a ring
// and is refused a second contribution (LINK_TAG_REUSED); the first export releases the one group
// of at least 5 and suppresses the rest; an unwarrant removes a row from the next export; a
// withdrawal drops the group to k−1 rows, and the last export releases nothing; the second
// institution is refused the first study's list. Exits non-zero if any step does not do what it
// should; the last line is `research demo complete`.
//
// The gateway and the app config are found as the other demos find them: MEDSHARE_APP_CONFIG,
// else $MEDSHARE_DATA_DIR/app/app.json (default .data); MEDSHARE_PORT, when set, is the gateway's port.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { demoCli, expect, narrator } from './lib/demo-cli.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'app', 'bin', 'medshare.js');
const dataDir = resolve(process.env.MEDSHARE_DATA_DIR || join(root, '.data'));
const appConfig = resolve(process.env.MEDSHARE_APP_CONFIG || join(dataDir, 'app', 'app.json'));
const gatewayArgs = process.env.MEDSHARE_PORT ? ['--gateway', `https://127.0.0.1:${process.env.MEDSHARE_PORT}`] : [];
const work = mkdtempSync(join(tmpdir(), 'medshare-demo-research-'));
const env = {
  ...process.env,
  MEDSHARE_APP_CONFIG: appConfig,
  // Demo keys only: a real user types the passphrase at the prompt.
  MEDSHARE_PASSPHRASE: process.env.MEDSHARE_PASSPHRASE ?? 'demo passphrase, not for real keys',
};

const { medshare, json, refusal } = demoCli({ cli, env, cwd: work, extraArgs: gatewayArgs });
const say = narrator();

const STUDY_A = {
  title: 'Hypertension outcomes 2026',
  fields: [
    { field: 'age', rule: 'band', width: 10 },
    { field: 'sex', rule: 'keep' },
    { field: 'encounterDate', rule: 'month' },
    { field: 'postcode', rule: 'prefix', length: 2 },
    { field: 'diagnosis', rule: 'prefix', length: 3 },
    { field: 'obs.8480-6', rule: 'band', width: 10 },
  ],
  k: 5,
};
const STUDY_B = {
  title: 'Type 2 diabetes and HbA1c',
  fields: [
    { field: 'age', rule: 'band', width: 10 },
    { field: 'sex', rule: 'keep' },
    { field: 'diagnosis', rule: 'prefix', length: 3 },
    { field: 'obs.4548-4', rule: 'keep' },
  ],
  k: 5,
};

/** Synthetic patients: P1–P6 and P8 are women in their forties in Beijing's 10xxxx; P7 is a man of 63 in Shanghai. */
const PEOPLE = [
  ['Zhang Wei', 41, 'female', '100081', 'I10.0', 142],
  ['Wang Fang', 43, 'female', '100083', 'I10.9', 151],
  ['Li Na', 45, 'female', '100086', 'I10.1', 138],
  ['Liu Yang', 47, 'female', '100080', 'I10.9', 156],
  ['Chen Jing', 48, 'female', '100089', 'I10.0', 147],
  ['Yang Min', 42, 'female', '100084', 'E11.9', 128],
  ['Zhao Lei', 63, 'male', '200031', 'I10.9', 162],
  ['Huang Li', 44, 'female', '100085', 'I10.9', 149],
];
const recordOf = ([name, age, sex, postcode, diagnosis, systolic], i) => ({
  name,
  patientNumber: `BJ-2026-${1000 + i}`,
  nationalId: `1101051980010${String(10000 + i).slice(-5)}`,
  phone: `+86 138 0000 ${String(1000 + i)}`,
  age,
  sex,
  postcode,
  encounterDate: `2026-11-${String(3 + i).padStart(2, '0')}`,
  diagnosis,
  observations: { '8480-6': systolic, '4548-4': 6.1 + i / 10 },
  notes: `${name} reports morning headaches; lives alone.`,
});
const IDENTIFYING = PEOPLE.flatMap(([name, , , postcode]) => [name, postcode]).concat([
  'BJ-2026-',
  '+86 138',
  'headaches',
]);

function reportLine(r) {
  return `k ${r.k}: rows in ${r.rowsIn}, released ${r.rowsReleased}, suppressed ${r.rowsSuppressed}, rejected ${r.rowsRejected}, groups ${r.groups}, k reached ${r.kReached ?? '— (nothing released)'}`;
}

async function exportStudy(institution, studyId, format, name) {
  const out = join(work, name);
  const r = await json([
    'dataset',
    'export',
    '--key',
    institution,
    '--study',
    studyId,
    '--format',
    format,
    '--out',
    out,
  ]);
  return { ...r, content: readFileSync(out, 'utf8') };
}

try {
  const keys = {};
  for (const name of ['inst1', 'inst2', ...PEOPLE.map((_, i) => `p${i + 1}`)])
    keys[name] = (await json(['keygen', '--out', `${name}.key`])).keyId;
  say(
    'keys made for two research institutions and eight patients',
    `institution 1 ${keys.inst1}\ninstitution 2 ${keys.inst2}`,
  );

  for (const inst of ['inst1', 'inst2']) {
    const reg = await json(['register', '--key', `${inst}.key`, '--role', 'institution']);
    expect(reg.status === 'pending', 'a new institution must be pending');
    await medshare(['admin', 'approve', keys[inst]]);
  }
  say('both institutions register and an org admin approves them');

  for (const [i] of PEOPLE.entries()) await json(['register', '--key', `p${i + 1}.key`, '--role', 'patient']);
  await json([
    'profile',
    'set',
    '--key',
    'p1.key',
    '--data',
    JSON.stringify({ name: 'Zhang Wei', sex: 'female', birthDate: '1985-03-12' }),
  ]);
  say(
    'eight patients register; P1 keeps a profile sealed for herself alone',
    await medshare(['profile', 'show', '--key', 'p1.key']),
  );

  const records = [];
  for (const [i, person] of PEOPLE.entries()) {
    const content = JSON.stringify(recordOf(person, i));
    writeFileSync(join(work, `p${i + 1}.json`), content);
    records.push((await json(['upload', '--key', `p${i + 1}.key`, '--data', content])).recordId);
  }
  say(
    'each uploads a record (name, hospital number, national id, phone, notes, exact age and postcode…)',
    JSON.stringify(recordOf(PEOPLE[0], 0)),
  );

  writeFileSync(join(work, 'study-a.json'), JSON.stringify(STUDY_A));
  const studyA = (await json(['study', 'publish', '--key', 'inst1.key', '--file', 'study-a.json'])).studyId;
  const studyB = (await json(['study', 'publish', '--key', 'inst2.key', '--data', JSON.stringify(STUDY_B)])).studyId;
  const leaky = await refusal([
    'study',
    'publish',
    '--key',
    'inst1.key',
    '--data',
    JSON.stringify({ ...STUDY_A, fields: [...STUDY_A.fields, { field: 'name', rule: 'keep' }] }),
  ]);
  expect(leaky.code === 'STUDY_RELEASES_IDENTIFIER', `unexpected refusal ${JSON.stringify(leaky)}`);
  say(
    'institution 1 publishes study A, institution 2 study B; a study that names a direct identifier is refused',
    `${await medshare(['study', 'show', studyA, '--key', 'p1.key'])}\n${await medshare(['study', 'show', studyB, '--key', 'p1.key'])}${leaky.code}: ${leaky.message}`,
  );

  const warrants = [0, 1, 2, 3, 4, 6];
  let first = '';
  for (const i of warrants) {
    const out = await medshare(['warrant', '--key', `p${i + 1}.key`, '--record', records[i], '--study', studyA]);
    first ||= out;
  }
  expect(!IDENTIFYING.some((s) => first.includes(s)), 'a warrant released an identifier');
  say(
    `P${warrants.map((i) => i + 1).join(', P')} warrant their records to study A; each app sends only the generalized extract`,
    first,
  );

  const ring = await medshare(['contribute', '--key', 'p8.key', '--study', studyA, '--file', 'p8.json']);
  // A ring of 16 (RING_DEFAULT), or of every active patient when there are fewer (8 on a fresh ledger).
  const [, size, eligible] = (ring.match(/in a ring of (\d+) \(of (\d+) active patients\)/) ?? []).map(Number);
  expect(eligible >= 8 && size === Math.min(16, eligible), `unexpected ring: ${ring}`);
  say(
    'P8 contributes anonymously from her own copy of the record: sig1 is a ring signature among the active patients',
    ring,
  );

  const again = await refusal(['contribute', '--key', 'p8.key', '--study', studyA, '--file', 'p8.json']);
  expect(again.code === 'LINK_TAG_REUSED', `unexpected refusal ${JSON.stringify(again)}`);
  const inB = await json(['contribute', '--key', 'p8.key', '--study', studyB, '--file', 'p8.json']);
  const inA = ring.match(/key image\) ([0-9a-f]{66})/)?.[1];
  expect(inA && inB.keyImage !== inA, 'contributions to two studies must not share a link tag');
  say(
    "P8's second contribution to study A is refused (same link tag); to study B she contributes under another, unlinkable tag",
    `${again.code}: ${again.message}\nstudy A link tag ${inA}\nstudy B link tag ${inB.keyImage}`,
  );

  const first1 = await exportStudy('inst1.key', studyA, 'csv', 'study-a-1.csv');
  expect(
    first1.report.rowsIn === 7 && first1.report.rowsReleased === 6 && first1.report.kReached === 6,
    reportLine(first1.report),
  );
  expect(!IDENTIFYING.some((s) => first1.content.includes(s)), 'the export holds an identifier');
  say(
    "institution 1 exports study A (CSV): the group of six women in their forties is released, P7's lone row is suppressed",
    `${reportLine(first1.report)}\n${first1.content.replace(/\r\n/g, '\n')}`,
  );

  say(
    'P2 unwarrants her record',
    await medshare(['unwarrant', '--key', 'p2.key', '--record', records[1], '--study', studyA]),
  );
  const second = await exportStudy('inst1.key', studyA, 'ndjson', 'study-a-2.ndjson');
  expect(
    second.report.rowsIn === 6 && second.report.rowsReleased === 5 && second.report.kReached === 5,
    reportLine(second.report),
  );
  say(
    'the next export (NDJSON) has one row fewer: the group is exactly k = 5',
    `${reportLine(second.report)}\n${second.content}`,
  );

  say(
    'P8 withdraws her contribution (signed in the same ring the app draws again)',
    await medshare(['withdraw', '--key', 'p8.key', '--study', studyA]),
  );
  const third = await exportStudy('inst1.key', studyA, 'csv', 'study-a-3.csv');
  expect(
    third.report.rowsIn === 5 && third.report.rowsReleased === 0 && third.report.kReached === null,
    reportLine(third.report),
  );
  say('the group is down to k−1 = 4 rows: the export releases nothing', reportLine(third.report));

  const forbidden = await refusal([
    'dataset',
    'export',
    '--key',
    'inst2.key',
    '--study',
    studyA,
    '--format',
    'csv',
    '--out',
    'x.csv',
  ]);
  expect(forbidden.code === 'ACCESS_LIST_FORBIDDEN', `unexpected refusal ${JSON.stringify(forbidden)}`);
  say("institution 2 asks for study A's access list and is refused", `${forbidden.code}: ${forbidden.message}`);

  const trail = await medshare(['audit', '--key', 'p1.key', '--record', records[0]]);
  const reads = trail.split('\n').filter((line) => / extract-read by /.test(line)).length;
  expect(reads === 3, `P1's record shows ${reads} extract reads`);
  say("P1's audit trail shows each time institution 1 read her extract", trail);

  process.stdout.write('\nresearch demo complete\n');
} catch (error) {
  process.stderr.write(`\nresearch demo failed: ${error.message}\n${error.stderr ?? ''}`);
  process.exitCode = 1;
} finally {
  rmSync(work, { recursive: true, force: true });
}
