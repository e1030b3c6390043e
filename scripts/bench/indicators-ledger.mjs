#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// The daily indicators' cost on the ledger (issue 9, docs/protocol.md §21): `indicators:Submit`
// (one day, check `value`, q = 1, 3 and 8 indicators whose ranges are 8 or 16 bits wide) and
// `indicators:Join` (keyword sets of 4, 16 and 64) against a plain `records:Upload` of a small
// record in the same run, all submitted through the embedded runtime (the chaincode on the
// durable fabric-sim ledger) with envelopes and proofs made ahead, so only the transaction is
// timed: parse, sig3, nonce, the contract's reads and checks — for a join the attestation and the
// membership proof, for a submission the validity and range proofs — the writes, the commit, sig4.
// Also GetAggregates over 50 participants (it sums every running total), and for the day of 8
// values the verifiers alone on the same bodies, against the goal (≤ 50 ms). CPU and wall ms,
// medians; each study's key is hot after three untimed transactions (its table built between
// requests, as in a running chaincode). Figures are printed, never asserted; the second part of
// `npm run bench:indicators`.
//
//   node scripts/bench/indicators-ledger.mjs   BENCH_SAMPLES=40 (uploads, joins)
//     BENCH_SUBMIT_SAMPLES=20 BENCH_AGG_PARTICIPANTS=50 BENCH_AGG_SAMPLES=20
import { createRequire } from 'node:module';
import os from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpuMs, fmt, nowMs, openEmbedded, party, timeEach, warmKeys } from './embedded-ledger.mjs';
import { median } from './ring.mjs';
import { uploadBody } from './sealed-requests.mjs';

const require = createRequire(import.meta.url);
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const { fromHex, toHex, utf8 } = require(resolve(root, 'crypto/dist/bytes.js'));
const zk = require(resolve(root, 'crypto/dist/zk/index.js'));
const testing = require(resolve(root, 'crypto/dist/testing/index.js'));
const protocol = require(resolve(root, 'protocol/dist/index.js'));

const SAMPLES = Math.min(40, Number(process.env.BENCH_SAMPLES ?? 40));
const SUBMIT_SAMPLES = Math.min(40, Number(process.env.BENCH_SUBMIT_SAMPLES ?? 20));
const AGG_PARTICIPANTS = Number(process.env.BENCH_AGG_PARTICIPANTS ?? 50);
const AGG_SAMPLES = Math.min(40, Number(process.env.BENCH_AGG_SAMPLES ?? 20));
const KEYWORD_SETS = [4, 16, 64];
const INDICATOR_COUNTS = [1, 3, 8];
const WIDTHS = [8, 16];
const WARM = 3;
const GOAL_DAY_MS = 50;
const CODE = 'I10';
const RECORD = new Uint8Array(512).fill(7);
const POOL = Math.max(SAMPLES, SUBMIT_SAMPLES, AGG_PARTICIPANTS) + WARM;

/** Range [lo, hi] of width 2^bits: 8 bits e.g. a pulse or blood pressure in [30, 285], 16 bits e.g. steps in [0, 65535]. */
const rangeOf = (bits) => (bits === 8 ? { lo: 30, hi: 285 } : { lo: 0, hi: 65535 });

function definition(publicKey, { keywords = [CODE], indicators = 1, bits = 8 } = {}) {
  const today = protocol.dayOf(Date.now());
  return {
    title: `bench ${keywords.length} keywords, ${indicators} × ${bits}-bit`,
    keywords,
    indicators: Array.from({ length: indicators }, (_, i) => ({
      name: `value${i + 1}`,
      unit: 'u',
      scale: 1,
      ...rangeOf(bits),
    })),
    window: { startDay: today - 1, days: 3 },
    check: 'value',
    output: { granularity: 'day', k: 5 },
    publicKey: toHex(publicKey),
  };
}

/** The doctor's keyword attestation for `patient` (§21.2): the commitment, its blinding, the signature. */
function attest(patient, doctor) {
  const { commitment, blinding } = zk.commit(zk.keywordScalar(utf8(CODE)));
  const hex = toHex(commitment);
  const signature = protocol.signFor(
    'keyword-attestation',
    doctor,
    protocol.keywordAttestationStatement(patient.keyId, hex),
  );
  return { blinding, attestation: { commitment: hex, doctorKeyId: doctor.keyId, signature } };
}

/** A join envelope: the membership proof of the patient's attested commitment against the study's keywords. */
function joinEnvelope(env, study, patient) {
  const proof = zk.proveMembership({
    commitment: fromHex(patient.attestation.commitment),
    keywords: study.input.keywords.map((k) => utf8(k)),
    keyword: utf8(CODE),
    blinding: patient.blinding,
    context: protocol.joinContext(study.studyId, patient.recordId),
  });
  return env.keyed('indicator-join', patient, {
    studyId: study.studyId,
    recordId: patient.recordId,
    proof: toHex(proof),
  });
}

/** One day's submission (§21.4, check `value`): q ciphertexts, their validity proof and one range proof. */
function submission(study, pseudonym, day) {
  const { publicKey } = study.keys;
  const ranges = protocol.submissionRanges(study.input, 1);
  const values = ranges.map((r) => r.lo + BigInt(Math.floor(Math.random() * Number(r.hi - r.lo + 1n))));
  const encrypted = values.map((v) => zk.twistedEncrypt(publicKey, v));
  const ciphertexts = encrypted.map((e) => e.ciphertext);
  const openings = encrypted.map((e, i) => ({ value: values[i], randomness: e.randomness }));
  const context = protocol.submitContext(study.studyId, pseudonym, [day]);
  const bits = protocol.rangeBits(ranges);
  const t = nowMs();
  const validity = zk.proveValid({ publicKey, ciphertexts, openings, context });
  const range = zk.proveRange({ publicKey, ciphertexts, openings, ranges, bits, context });
  const proveMs = nowMs() - t;
  const body = {
    studyId: study.studyId,
    days: [{ day, readings: ciphertexts.map((c) => toHex(c)) }],
    validity: toHex(validity),
    range: toHex(range),
  };
  const verify = () =>
    zk.verifyValid({ publicKey, ciphertexts, context, proof: validity }) &&
    zk.verifyRange({ publicKey, ciphertexts, ranges, bits, context, proof: range });
  return { body, values, proveMs, verify };
}

async function setup(env, log) {
  const register = (p, role) =>
    env.run(env.keyed('register', p, { role, publicKey: p.publicKey, pseudonym: p.pseudonym }));
  const institution = party();
  const doctor = party();
  for (const [p, role] of [
    [institution, 'institution'],
    [doctor, 'doctor'],
  ]) {
    await register(p, role);
    await env.backend.orgAdmin().approveUser(p.keyId);
  }
  const patients = [];
  for (let i = 0; i < POOL; i++) {
    const p = party();
    await register(p, 'patient');
    patients.push(p);
  }
  warmKeys([institution, doctor, ...patients]);
  log(
    `setup: ${POOL} registered patients, an approved doctor and institution; ${SAMPLES} uploads and joins, ${SUBMIT_SAMPLES} submissions a case (after ${WARM} untimed); records ${RECORD.length} bytes (sealed)`,
  );
  return { institution, doctor, patients };
}

async function publish(env, institution, options) {
  const keys = zk.twistedKeyGen();
  const input = definition(keys.publicKey, options);
  const { studyId } = await env.run(env.keyed('indicator-study-publish', institution, { study: input }));
  return { studyId, input, keys, pseudonyms: new Map(), submitted: [] };
}

/** Uploads: plain (the baseline) and with a keyword attestation, which every pool patient then holds. */
async function uploads(env, world, log) {
  const { patients, doctor } = world;
  const plain = (n) =>
    Array.from({ length: n }, (_, i) =>
      env.keyed('upload', patients[i % POOL], uploadBody(patients[i % POOL], RECORD)),
    );
  await timeEach(env, plain(5));
  const upload = await timeEach(env, plain(SAMPLES));
  log(
    `plain upload (records:Upload, SM2 sig1): ${fmt(upload.cpu)} ms CPU, ${fmt(upload.wall)} ms wall per transaction`,
  );
  const attested = patients.map((p) => {
    Object.assign(p, attest(p, doctor));
    return env.keyed('upload', p, { ...uploadBody(p, RECORD), keywordAttestation: p.attestation });
  });
  // The first few untimed (the zk module's first use, the doctor's key table), the rest after the timed ones.
  const parts = [attested.slice(0, WARM), attested.slice(WARM, WARM + SAMPLES), attested.slice(WARM + SAMPLES)];
  const runs = [];
  for (const part of parts) runs.push(await timeEach(env, part));
  runs.flatMap((r) => r.results).forEach((r, i) => (patients[i].recordId = r.recordId));
  const timed = runs[1];
  log(
    `upload with a keyword attestation (+ the doctor's signature): ${fmt(timed.cpu)} ms CPU (${fmt(timed.wall)} wall) = ${(timed.cpu / upload.cpu).toFixed(2)}× a plain upload`,
  );
  return { upload, attested: timed };
}

/** Joins of `who` into the study, their pseudonyms kept: timed after WARM untimed ones if `timed`. */
async function joinAll(env, study, who, timed = false) {
  const run = async (part) => {
    const result = await timeEach(
      env,
      part.map((p) => joinEnvelope(env, study, p)),
    );
    result.results.forEach((x, i) => study.pseudonyms.set(part[i].keyId, x.pseudonym));
    return result;
  };
  if (!timed) return run(who);
  await run(who.slice(0, WARM));
  testing.buildQueuedTables();
  return run(who.slice(WARM));
}

async function joins(env, world, upload, log) {
  const rows = [];
  for (const m of KEYWORD_SETS) {
    const keywords = [...Array.from({ length: m - 1 }, (_, i) => `E${10 + i}`), CODE];
    const study = await publish(env, world.institution, { keywords });
    const joined = await joinAll(env, study, world.patients.slice(0, WARM + SAMPLES), true);
    rows.push({ m, ...joined });
    log(
      `join, ${String(m).padStart(2)} keywords (indicators:Join): ${fmt(joined.cpu)} ms CPU (${fmt(joined.wall)} wall) = ${(joined.cpu / upload.cpu).toFixed(2)}× an upload`,
    );
  }
  return rows;
}

/** Submissions of today's day by `who` (joined), proofs made ahead; timed after WARM untimed ones if `timed`. */
async function submitAll(env, study, who, timed = false) {
  const day = protocol.dayOf(Date.now());
  const made = who.map((p) => ({ p, ...submission(study, study.pseudonyms.get(p.keyId), day) }));
  const envelopes = made.map((s) => env.keyed('indicator-submit', s.p, s.body));
  study.submitted.push(...made);
  if (!timed) return timeEach(env, envelopes);
  await timeEach(env, envelopes.slice(0, WARM));
  testing.buildQueuedTables();
  return { tx: await timeEach(env, envelopes.slice(WARM)), made: made.slice(WARM) };
}

/** The verifiers alone (validity + range) on the timed bodies, the study key hot: median CPU ms. */
function verifyPart(made) {
  const cpu = made.map((s) => {
    const c = cpuMs();
    if (!s.verify()) throw new Error('a submission does not verify');
    return cpuMs() - c;
  });
  return median(cpu);
}

async function submits(env, world, upload, log) {
  const rows = [];
  for (const bits of WIDTHS) {
    for (const q of INDICATOR_COUNTS) {
      const study = await publish(env, world.institution, { indicators: q, bits });
      const who = world.patients.slice(0, WARM + SUBMIT_SAMPLES);
      await joinAll(env, study, who);
      const { tx, made } = await submitAll(env, study, who, true);
      const verify = verifyPart(made);
      const prove = median(made.map((s) => s.proveMs));
      rows.push({ bits, q, study, tx, verify, prove });
      log(
        `submit, ${q} indicator${q > 1 ? 's' : ' '} × ${String(bits).padStart(2)} bits (indicators:Submit): ${fmt(tx.cpu)} ms CPU (${fmt(tx.wall)} wall) = ${(tx.cpu / upload.cpu).toFixed(2)}× an upload;` +
          ` verifiers alone ${fmt(verify)} ms; the patient's proofs ${fmt(prove)} ms wall (made ahead)`,
      );
    }
  }
  return rows;
}

/** GetAggregates over AGG_PARTICIPANTS participants with one day each; the sums decrypted and checked. */
async function aggregates(env, world, row, upload, log) {
  const { study } = row;
  const more = world.patients.slice(study.pseudonyms.size, AGG_PARTICIPANTS);
  await joinAll(env, study, more);
  await submitAll(env, study, more);
  const envelopes = Array.from({ length: WARM + AGG_SAMPLES }, () =>
    env.keyed('indicator-aggregates', world.institution, { studyId: study.studyId }),
  );
  await timeEach(env, envelopes.slice(0, WARM));
  const result = await timeEach(env, envelopes.slice(WARM));
  const answer = result.results[0];
  answer.indicators.forEach((a, i) => {
    const expected = study.submitted.reduce((s, x) => s + x.values[i], 0n);
    const got = zk.twistedDecrypt(study.keys.secretKey, fromHex(a.sum), 24);
    if (got !== expected || a.participants !== study.submitted.length)
      throw new Error(
        `aggregate ${a.name}: ${got} from ${a.participants}, expected ${expected} from ${study.submitted.length}`,
      );
  });
  const cells = answer.participants * row.q;
  log(
    `aggregates, ${answer.participants} participants × ${row.q} indicator${row.q > 1 ? 's' : ''} (indicators:GetAggregates): ${fmt(result.cpu)} ms CPU (${fmt(result.wall)} wall) = ${(result.cpu / upload.cpu).toFixed(2)}× an upload;` +
      ` (aggregates − upload) / (participants × indicators) = ${fmt((result.cpu - upload.cpu) / cells)} ms; the decrypted sums match`,
  );
  return { q: row.q, participants: answer.participants, ...result };
}

export async function runIndicatorsLedger({ log = console.log } = {}) {
  const env = await openEmbedded({ label: 'bench-indicators' });
  try {
    const world = await setup(env, log);
    const { upload } = await uploads(env, world, log);
    const joinRows = await joins(env, world, upload, log);
    const submitRows = await submits(env, world, upload, log);
    const aggRows = [];
    for (const row of submitRows.filter((r) => r.bits === 8 && (r.q === 1 || r.q === 8)))
      aggRows.push(await aggregates(env, world, row, upload, log));
    const end = await timeEach(
      env,
      world.patients.slice(0, SAMPLES >> 1).map((p) => env.keyed('upload', p, uploadBody(p, RECORD))),
    );
    log(`plain upload again at the end: ${fmt(end.cpu)} ms CPU (${fmt(end.wall)} wall)`);
    for (const r of submitRows.filter((x) => x.q === 8))
      log(
        `goal: a day of 8 values (${r.bits}-bit ranges) ≤ ${GOAL_DAY_MS} ms: verifiers ${fmt(r.verify)} ms, the whole transaction ${fmt(r.tx.cpu)} ms CPU (${fmt(r.tx.wall)} wall) — ${r.tx.cpu <= GOAL_DAY_MS ? 'met' : 'missed'}`,
      );
    return { upload, end, joinRows, submitRows, aggRows };
  } finally {
    await env.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const load = os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  const started = nowMs();
  console.log(`medshare daily indicators (§21) through the embedded runtime — ${new Date().toISOString()}`);
  console.log(`machine: ${os.cpus()[0]?.model}, ${os.cpus().length} cores, Node ${process.version}, load ${load}`);
  await runIndicatorsLedger()
    .then(() =>
      console.log(
        `done in ${((nowMs() - started) / 1000).toFixed(0)} s, load ${os
          .loadavg()
          .map((l) => l.toFixed(2))
          .join(' ')}`,
      ),
    )
    .catch((error) => {
      console.error(error);
      process.exitCode = 1;
    });
}
