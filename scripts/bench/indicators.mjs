#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// Benchmark of the daily-indicator cryptography (docs/protocol.md §20): the verifiers the
// chaincode runs — keyword membership, the validity proof, range proofs single and aggregated —
// their proof sizes, and one day's submission of 8 readings against the goal (≤ 50 ms verify).
// The baseline, measured in the same run, is one SM2 signature verification (hot key). The same
// verifiers inside their transactions (indicators:Submit, Join, GetAggregates against an upload)
// are the script's second part, scripts/bench/indicators-ledger.mjs.
//
//   npm run bench:indicators            (builds first)
//   node scripts/bench/indicators.mjs --markdown
//
// Each case runs ~BENCH_SECONDS (default 1) in five rounds; the best round is reported, the
// median shown. Figures are printed, never asserted. The study key is hot (its table built, as it
// is between requests in a running chaincode), like the SM2 baseline's key.
import { createRequire } from 'node:module';
import os from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CASE_SECONDS, ROUNDS, measure, now } from './measure.mjs';

const require = createRequire(import.meta.url);
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const zk = require(resolve(root, 'crypto/dist/zk/index.js'));
const sm2 = require(resolve(root, 'crypto/dist/sm2/index.js'));
const testing = require(resolve(root, 'crypto/dist/testing/index.js'));

const MARKDOWN = process.argv.includes('--markdown');
const GOAL_DAY_MS = 50;
const enc = new TextEncoder();
const context = enc.encode('study 7 / 2026-12-01');

console.log('medshare indicators benchmark (docs/protocol.md §20)');
console.log(`  date     ${new Date().toISOString()}`);
console.log(`  cpu      ${os.cpus()[0]?.model ?? '?'} (nproc ${os.availableParallelism()})`);
console.log(`  node     ${process.version}`);
console.log(
  `  load     ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')} (1/5/15 min at start)`,
);
console.log(`  budget   ~${CASE_SECONDS}s per case in ${ROUNDS} rounds, best round reported`);

const rows = [];
function row(section, name, result, bytes) {
  const r = { section, name, ms: result.perCall * 1e3, median: result.median * 1e3, bytes };
  rows.push(r);
  const size = bytes === undefined ? '' : `${String(bytes).padStart(6)} B`;
  console.log(
    `   ${name.padEnd(58)} ${r.ms.toFixed(2).padStart(8)} ms (median ${r.median.toFixed(2).padStart(7)})  ${size}`,
  );
  return r;
}

/** Warms `fn`, builds the key tables a running process would have built between requests. */
function hot(fn) {
  for (let i = 0; i < 5; i++) fn();
  testing.buildQueuedTables();
  return fn;
}

// ---- baseline -------------------------------------------------------------------------------

console.log('\n== baseline');
const kp = sm2.generateKeyPair();
const msg = enc.encode('x'.repeat(512));
const sig = sm2.sign(kp.privateKey, kp.publicKey, msg);
const baseline = row(
  'baseline',
  'SM2 verify (512-byte message, hot key)',
  measure(hot(() => sm2.verify(kp.publicKey, msg, sig))),
);

// ---- membership -------------------------------------------------------------------------------

console.log('\n== keyword membership (CDS OR proof): verify');
for (const m of [4, 16, 64]) {
  const keywords = Array.from({ length: m }, (_, i) => enc.encode(`I${10 + i}`));
  const own = keywords[m - 1];
  const c = zk.commit(zk.keywordScalar(own));
  const proof = zk.proveMembership({ ...c, keywords, keyword: own, context });
  const verify = () => {
    if (!zk.verifyMembership({ commitment: c.commitment, keywords, context, proof })) throw new Error('membership');
  };
  row('membership', `m = ${m}`, measure(hot(verify)), proof.length);
}

// ---- twisted ElGamal: validity and range proofs ----------------------------------------------

const keys = zk.twistedKeyGen();
function encrypt(values) {
  const es = values.map((v) => zk.twistedEncrypt(keys.publicKey, v));
  return {
    ciphertexts: es.map((e) => e.ciphertext),
    openings: es.map((e, i) => ({ value: values[i], randomness: e.randomness })),
  };
}
const readings = [120n, 80n, 72n, 65n, 98n, 37n, 55n, 140n];

console.log('\n== validity proof: verify');
const validityCases = {};
for (const q of [1, 8]) {
  const day = encrypt(readings.slice(0, q));
  const proof = zk.proveValid({ publicKey: keys.publicKey, ...day, context });
  const verify = () => {
    if (!zk.verifyValid({ publicKey: keys.publicKey, ciphertexts: day.ciphertexts, context, proof }))
      throw new Error('validity');
  };
  validityCases[q] = {
    day,
    proof,
    result: row('validity', `${q} ciphertext${q > 1 ? 's' : ''}`, measure(hot(verify)), proof.length),
  };
}

function rangeCase(q, bits, twoSided) {
  const day = encrypt(readings.slice(0, q));
  // One value each: a range of width 2^bits starting at 30; two values: [30, 200].
  const ranges = day.openings.map(() => ({ lo: 30n, hi: twoSided ? 200n : 30n + (1n << BigInt(bits)) - 1n }));
  const t = now();
  const proof = zk.proveRange({ publicKey: keys.publicKey, ...day, ranges, bits, context });
  const proveMs = (now() - t) * 1e3;
  const verify = () => {
    if (!zk.verifyRange({ publicKey: keys.publicKey, ciphertexts: day.ciphertexts, ranges, bits, context, proof }))
      throw new Error('range');
  };
  return { day, ranges, proof, proveMs, verify };
}

console.log('\n== range proofs: verify (q ciphertexts; one value each, ranges of width 2^bits)');
for (const bits of [8, 16, 32]) {
  for (const q of [1, 2, 4, 8]) {
    const c = rangeCase(q, bits, false);
    row('range', `${bits} bits, ${q === 1 ? 'single' : `aggregated m = ${q}`}`, measure(hot(c.verify)), c.proof.length);
  }
}

// ---- the day's submission --------------------------------------------------------------------

console.log(
  `\n== one day's submission: 8 readings, 8 ciphertexts + validity + one range proof (goal ≤ ${GOAL_DAY_MS} ms)`,
);
const dayRows = [];
for (const twoSided of [false, true]) {
  const c = rangeCase(8, 8, twoSided);
  const validity = zk.proveValid({ publicKey: keys.publicKey, ...c.day, context });
  const verifyDay = () => {
    if (!zk.verifyValid({ publicKey: keys.publicKey, ciphertexts: c.day.ciphertexts, context, proof: validity }))
      throw new Error('validity');
    c.verify();
  };
  const size = 8 * 66 + validity.length + c.proof.length;
  const label = twoSided
    ? 'ranges [30, 200] (two values a reading: m = 16, N = 128)'
    : 'ranges of width 2^8 (one value a reading: m = 8, N = 64)';
  const r = row('day', label, measure(hot(verifyDay)), size);
  console.log(`   ${''.padEnd(58)} prove ${c.proveMs.toFixed(0)} ms (range proof, once)`);
  dayRows.push(r);
}

// ---- ratios -----------------------------------------------------------------------------------

console.log('\n== against the baseline (one SM2 verify)');
for (const r of rows.filter((x) => x.section !== 'baseline'))
  console.log(`   ${`${r.section}: ${r.name}`.padEnd(72)} ${(r.ms / baseline.ms).toFixed(1).padStart(6)}× SM2 verify`);
for (const r of dayRows)
  console.log(
    `   goal: day ${r.name.split(' (')[0]}: ${r.ms.toFixed(1)} ms ${r.ms <= GOAL_DAY_MS ? '≤' : '>'} ${GOAL_DAY_MS} ms — ${r.ms <= GOAL_DAY_MS ? 'met' : 'missed'} (median ${r.median.toFixed(1)} ms)`,
  );

if (MARKDOWN) {
  console.log('\n---- Markdown ----\n');
  console.log(`| case | verify ms (best of ${ROUNDS}) | median | × SM2 verify | bytes |`);
  console.log('|---|---:|---:|---:|---:|');
  for (const r of rows)
    console.log(
      `| ${r.section}: ${r.name} | ${r.ms.toFixed(2)} | ${r.median.toFixed(2)} | ${(r.ms / baseline.ms).toFixed(1)} | ${r.bytes ?? ''} |`,
    );
}
