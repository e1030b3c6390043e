#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// The large-file scenario (issue #13, docs/protocol.md §17), run with the medshare CLI against a
// running gateway (npm start), like scripts/demo.mjs: a patient uploads a random file
// (DEMO_FILE_MB, default 200), an org admin approves a doctor, the patient shares the file 2-of-3
// with the doctor, the doctor downloads it (re-encrypted by two of the three proxies, every chunk
// checked) and its SM3 matches the original; a byte flipped in the stored object is refused
// (INTEGRITY_FAILED) and restored; the patient revokes and the doctor's download is refused
// (SHARE_NOT_FOUND). Exits non-zero if any step does not do what it should.
//
// The gateway and the app config are found as the demo finds them: MEDSHARE_APP_CONFIG, else
// $MEDSHARE_DATA_DIR/app/app.json (default .data); MEDSHARE_PORT, when set, is the gateway's port.
// The tamper step edits the embedded store's object under the gateway's data dir
// (the gateway config beside the app config, or MEDSHARE_CONFIG): it needs `storage.kind` embedded.
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'app', 'bin', 'medshare.js');
const MiB = 1024 * 1024;
const fileMb = Number(process.env.DEMO_FILE_MB ?? 200);
if (!Number.isFinite(fileMb) || fileMb <= 0) throw new Error('DEMO_FILE_MB must be a positive number');
const size = Math.round(fileMb * MiB);

const dataDir = resolve(process.env.MEDSHARE_DATA_DIR || join(root, '.data'));
const appConfig = resolve(process.env.MEDSHARE_APP_CONFIG || join(dataDir, 'app', 'app.json'));
const gatewayConfig = resolve(process.env.MEDSHARE_CONFIG || join(dirname(appConfig), '..', 'gateway', 'config.json'));
const gatewayArgs = process.env.MEDSHARE_PORT ? ['--gateway', `https://127.0.0.1:${process.env.MEDSHARE_PORT}`] : [];
const work = mkdtempSync(join(tmpdir(), 'medshare-demo-files-'));
const env = {
  ...process.env,
  MEDSHARE_APP_CONFIG: appConfig,
  // Demo keys only: a real user types the passphrase at the prompt.
  MEDSHARE_PASSPHRASE: process.env.MEDSHARE_PASSPHRASE ?? 'demo passphrase, not for real keys',
};

/** One CLI call (asynchronous, so a 200 MB transfer does not block the demo's own clock). */
function medshare(args, { expectFailure = false } = {}) {
  return new Promise((done, failed) => {
    execFile(
      process.execPath,
      [cli, ...args, ...gatewayArgs],
      { env, cwd: work, encoding: 'utf8', maxBuffer: 64 * MiB },
      (error, stdout, stderr) => {
        if (!error) {
          if (expectFailure) failed(new Error(`medshare ${args.slice(0, 2).join(' ')} should have been refused`));
          else done(stdout);
          return;
        }
        if (expectFailure && error.code === 1) return done(stderr);
        failed(Object.assign(new Error(`medshare ${args.slice(0, 2).join(' ')} exited ${error.code}`), { stderr }));
      },
    );
  });
}

const json = async (args) => JSON.parse(await medshare([...args, '--json']));
/** The refusal's `{code, message}`: the last line on stderr (the lines before it are --json progress events). */
const refusal = async (args) => {
  const lines = (await medshare([...args, '--json'], { expectFailure: true })).trim().split('\n');
  return JSON.parse(lines[lines.length - 1]);
};

let step = 0;
function say(text, detail = '') {
  step += 1;
  process.stdout.write(`\n${step}. ${text}\n${detail ? `${detail.trimEnd().replace(/^/gm, '   ')}\n` : ''}`);
}

async function timed(work) {
  const started = performance.now();
  const result = await work();
  return { result, seconds: (performance.now() - started) / 1000 };
}
const rate = (seconds) => `${seconds.toFixed(1)} s, ${(size / MiB / seconds).toFixed(1)} MiB/s`;

async function sm3Of(path) {
  const hash = createHash('sm3');
  await pipeline(createReadStream(path, { highWaterMark: 4 * MiB }), hash);
  return hash.digest('hex');
}

async function randomFile(path) {
  async function* chunks() {
    for (let left = size; left > 0; left -= 4 * MiB) yield randomBytes(Math.min(4 * MiB, left));
  }
  await pipeline(chunks(), createWriteStream(path));
}

/** The embedded store's folder of the gateway this app config belongs to (gateway config `storage`). */
function blobsDir() {
  if (!existsSync(gatewayConfig))
    throw new Error(`the tamper step needs the gateway's config (${gatewayConfig}); set MEDSHARE_CONFIG`);
  const storage = JSON.parse(readFileSync(gatewayConfig, 'utf8')).storage ?? { kind: 'embedded' };
  if (storage.kind !== 'embedded')
    throw new Error(`the tamper step edits the embedded store; this gateway's storage is ${storage.kind}`);
  const dir = storage.dir ?? 'blobs';
  return isAbsolute(dir) ? dir : resolve(dirname(gatewayConfig), dir);
}

/** Flips one byte of a stored object; returns the function that puts it back. */
async function flipByte(path, offset) {
  const handle = await open(path, 'r+');
  const byte = Buffer.alloc(1);
  try {
    await handle.read(byte, 0, 1, offset);
    await handle.write(Buffer.of(byte[0] ^ 0x01), 0, 1, offset);
  } finally {
    await handle.close();
  }
  let restored = false;
  return async () => {
    if (restored) return;
    restored = true;
    const h = await open(path, 'r+');
    try {
      await h.write(byte, 0, 1, offset);
    } finally {
      await h.close();
    }
  };
}

let restore;
const started = performance.now();
try {
  const original = join(work, 'scan.bin');
  await randomFile(original);
  const originalSm3 = await sm3Of(original);
  say(`a ${fileMb} MB random file stands in for a scan`, `${size} bytes, SM3 ${originalSm3}`);

  const patient = await json(['keygen', '--out', 'patient.key']);
  const doctor = await json(['keygen', '--out', 'doctor.key']);
  say('keys made for a patient and a doctor', `patient ${patient.keyId}\ndoctor  ${doctor.keyId}`);

  await json(['register', '--key', 'patient.key', '--role', 'patient']);
  const reg = await json(['register', '--key', 'doctor.key', '--role', 'doctor']);
  if (reg.status !== 'pending') throw new Error('a new doctor must be pending');
  say('the patient registers; the doctor registers and waits for approval', `doctor ${reg.status}`);

  const up = await timed(() => json(['file', 'upload', '--key', 'patient.key', '--file', original]));
  const file = up.result;
  if (file.size !== size) throw new Error(`uploaded ${file.size} bytes, not ${size}`);
  say(
    'the patient uploads it (SM4-CTR chunks encrypted in the app, streamed to the gateway, root on the ledger)',
    `file ${file.fileId}\n${file.size} bytes in ${file.chunks} chunks, root ${file.root}\n${rate(up.seconds)}`,
  );

  say('an org admin approves the doctor', await medshare(['admin', 'approve', doctor.keyId]));

  const share = await json([
    'file',
    'share',
    file.fileId,
    '--key',
    'patient.key',
    '--to',
    doctor.keyId,
    '--threshold',
    '2',
  ]);
  say(
    'the patient shares it 2-of-3 with the doctor (key fragments sealed to the three re-encryption proxies)',
    `share ${share.shareId}, any ${share.threshold} of the 3 proxies`,
  );

  const received = join(work, 'doctor.bin');
  const down = await timed(() => json(['file', 'download', file.fileId, '--key', 'doctor.key', '--out', received]));
  const receivedSm3 = await sm3Of(received);
  if (receivedSm3 !== originalSm3) throw new Error(`the doctor's copy has SM3 ${receivedSm3}, not ${originalSm3}`);
  say(
    'the doctor downloads it through two proxies; its SM3 is the original one',
    `SM3 ${receivedSm3} (matches)\nre-encrypted by ${(down.result.proxies ?? []).length} proxies\n${rate(down.seconds)}`,
  );
  rmSync(received, { force: true });

  const object = join(blobsDir(), 'files', `${file.root}~`);
  if (!existsSync(object)) throw new Error(`no stored object at ${object}`);
  const storedSm3 = await sm3Of(object);
  const offset = Math.floor(size / 2) + 7;
  restore = await flipByte(object, offset);
  const tamperedOut = join(work, 'tampered.bin');
  const tampered = await refusal(['file', 'download', file.fileId, '--key', 'doctor.key', '--out', tamperedOut]);
  if (tampered.code !== 'INTEGRITY_FAILED') throw new Error(`unexpected refusal: ${JSON.stringify(tampered)}`);
  if (existsSync(tamperedOut)) throw new Error('a refused download left a file behind');
  await restore();
  if ((await sm3Of(object)) !== storedSm3) throw new Error('the stored object was not restored');
  say(
    'a byte of the stored object is flipped: the download is refused before that chunk is decrypted, nothing written',
    `flipped byte ${offset} of ${object}\n${tampered.code}: ${tampered.message}\nrestored (the object's SM3 is as before)`,
  );

  say(
    'the patient revokes the share',
    await medshare(['file', 'revoke', file.fileId, '--key', 'patient.key', '--to', doctor.keyId]),
  );
  const revokedOut = join(work, 'revoked.bin');
  const revoked = await refusal(['file', 'download', file.fileId, '--key', 'doctor.key', '--out', revokedOut]);
  if (revoked.code !== 'SHARE_NOT_FOUND') throw new Error(`unexpected refusal: ${JSON.stringify(revoked)}`);
  if (existsSync(revokedOut)) throw new Error('a refused download left a file behind');
  say("the doctor's next download is refused", `${revoked.code}: ${revoked.message}`);

  process.stdout.write(`\n(${((performance.now() - started) / 1000).toFixed(1)} s in all)\nfiles demo complete\n`);
} catch (error) {
  process.stderr.write(`\nfiles demo failed: ${error.message}\n${error.stderr ?? ''}`);
  process.exitCode = 1;
} finally {
  if (restore) await restore();
  rmSync(work, { recursive: true, force: true });
}
