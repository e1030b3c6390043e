#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// The scripted scenario of the README, run with the medshare CLI against a running gateway
// (npm start): an admin approves a doctor, a patient registers, uploads a record, grants the
// doctor, the doctor views it, the patient revokes, the doctor's next view is refused, and the
// patient reads the audit trail. Exits non-zero if any step does not do what it should.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'app', 'bin', 'medshare.js');
const work = mkdtempSync(join(tmpdir(), 'medshare-demo-'));
const env = {
  ...process.env,
  MEDSHARE_APP_CONFIG:
    process.env.MEDSHARE_APP_CONFIG ?? join(process.env.MEDSHARE_DATA_DIR ?? join(root, '.data'), 'app', 'app.json'),
  // Demo keys only: a real user types the passphrase at the prompt.
  MEDSHARE_PASSPHRASE: process.env.MEDSHARE_PASSPHRASE ?? 'demo passphrase, not for real keys',
};

function medshare(args, { expectFailure = false } = {}) {
  try {
    const out = execFileSync(process.execPath, [cli, ...args], {
      env,
      cwd: work,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (expectFailure) throw new Error(`medshare ${args[0]} should have been refused`);
    return out;
  } catch (error) {
    if (!expectFailure || error.status === undefined) throw error;
    if (error.status !== 1) throw new Error(`medshare ${args[0]} exited ${error.status}: ${error.stderr}`);
    return error.stderr;
  }
}

const json = (args) => JSON.parse(medshare([...args, '--json']));
let step = 0;
function say(text, detail = '') {
  step += 1;
  process.stdout.write(`\n${step}. ${text}\n${detail ? `${detail.trimEnd().replace(/^/gm, '   ')}\n` : ''}`);
}

try {
  const patient = json(['keygen', '--out', 'patient.key']);
  const doctor = json(['keygen', '--out', 'doctor.key']);
  say(
    'keys made for a patient and a doctor (passphrase-protected files)',
    `patient ${patient.keyId}\ndoctor  ${doctor.keyId}`,
  );

  const reg = json(['register', '--key', 'doctor.key', '--role', 'doctor']);
  if (reg.status !== 'pending') throw new Error('a new doctor must be pending');
  say('the doctor registers and waits for approval', `status ${reg.status}`);
  say('an org admin approves the doctor', medshare(['admin', 'approve', doctor.keyId]));

  say('the patient registers', medshare(['register', '--key', 'patient.key', '--role', 'patient']));
  const upload = json([
    'upload',
    '--key',
    'patient.key',
    '--kind',
    'clinical-note',
    '--data',
    '{"diagnosis":"J45.909 mild persistent asthma","plan":"inhaled corticosteroid"}',
  ]);
  say('the patient uploads a record (sealed with SM4 before it leaves the app)', `record ${upload.recordId}`);

  say(
    'the patient grants the doctor access',
    medshare(['grant', '--key', 'patient.key', '--record', upload.recordId, '--to', doctor.keyId]),
  );
  const seen = json(['view', '--key', 'doctor.key', '--record', upload.recordId]);
  if (!seen.content.includes('asthma')) throw new Error('the doctor did not see the record');
  say('the doctor views the record', seen.content);

  say(
    'the patient revokes the grant',
    medshare(['revoke', '--key', 'patient.key', '--record', upload.recordId, '--from', doctor.keyId]),
  );
  const refused = medshare(['view', '--key', 'doctor.key', '--record', upload.recordId], { expectFailure: true });
  if (!refused.includes('NOT_AUTHORIZED')) throw new Error(`unexpected refusal: ${refused}`);
  say("the doctor's next view is refused", refused);

  const audit = json(['audit', '--key', 'patient.key', '--record', upload.recordId]);
  const actions = audit.items.map((e) => e.action).join(',');
  if (actions !== 'upload,view,grant,view,revoke') throw new Error(`unexpected audit trail ${actions}`);
  say('the patient reads the audit trail', medshare(['audit', '--key', 'patient.key', '--record', upload.recordId]));
  process.stdout.write('\ndemo complete\n');
} catch (error) {
  process.stderr.write(`\ndemo failed: ${error.message}\n${error.stderr ?? ''}`);
  process.exitCode = 1;
} finally {
  rmSync(work, { recursive: true, force: true });
}
