#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// The chaincode's CPU per upload, view and read with N patients registered and in rotation
// (issue 11: "Chaincode CPU per upload flat (within ±20 %) from 1 to 10,000 patients; memory
// bounded and stated"). In-process, on the real contracts dispatched by fabric-shim's router
// (fabric-sim's ChaincodeHost) over the in-memory ledger, as bench:crypto's contract part does;
// no network, so the figure is the chaincode's own work plus the simulator's (small) share.
//
//   npm run bench:chaincode-patients
//   BENCH_N=1,10,100,1000,10000 BENCH_OPS=600 BENCH_ROUNDS=3 node --expose-gc scripts/bench/chaincode-patients.mjs
//
// The registry grows from one N to the next through the contract's own Register transaction
// (each patient: key pair, sig1 by its key, sig3 by the K3), so at N = 10,000 the ledger holds
// 10,000 users and their pseudonyms. For each N, BENCH_OPS operations of each kind rotate over
// all N patients (patient (i · 7919) mod N: spread over the whole registry, so at N ≥ BENCH_OPS
// every operation is by another patient, whose key the verification cache may not hold), in
// BENCH_ROUNDS interleaved rounds of upload → view → read: the uploads create the records the
// views open, the views the access records the reads use. One untimed warm-up round of views
// per N first (the key cache's steady state). Envelopes (sig1, sig3) are signed before each
// timed window; a window holds the transactions only: the router, the contract's checks, its
// reads and writes, sig4, and the simulator's commit. CPU is the process's (user + system) over
// the window divided by its operations, so garbage collection and the key cache's deferred table
// builds (setImmediate, between transactions) are in it, as on a chaincode server.
//
// Printed per N: ms of CPU per operation (the mean of the rounds, and their range), the ratio to
// N = 1 (issue 11's goal: within ±20 %), heap and RSS after a GC (with --expose-gc), the SM2
// verification key cache (decoded keys, tables and their bytes: bounded, whatever N), and the
// ledger's own bytes (keys and values held by the simulator, which on Fabric live in the peer,
// not in the chaincode server). Figures are printed, never asserted; the exit code is 0.

import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { constants, PerformanceObserver, performance } from 'node:perf_hooks';
import { medshareDist } from './medshare-dist.mjs';
import { cpuMs, fmt, nowMs, party } from './embedded-ledger.mjs';

const require = createRequire(import.meta.url);
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const p = medshareDist(root);
process.env.CORE_CHAINCODE_LOGGING_LEVEL ??= 'warning';
const cc = require(resolve(root, 'chaincode/dist/index.js'));
const sim = require(resolve(root, 'fabric-sim/dist/index.js'));
const testing = require(resolve(root, 'crypto/dist/testing/index.js'));

const NS = (process.env.BENCH_N ?? '1,10,100,1000,10000').split(',').map(Number);
const OPS = Number(process.env.BENCH_OPS ?? 600);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const STRIDE = 7919; // a prime: (i · STRIDE) mod N visits every patient once per N operations for N = 10^k
const ORG = 'Org1MSP';
const APP = 'bench.app';
const GOAL = 0.2;
const MIB = 1024 * 1024;

const load = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
const log = (line) => console.log(line);

// ---- the chaincode over the in-memory ledger -------------------------------------------------

const ledger = new sim.MemoryLedger();
// Each transaction at least 1 ms after the last: distinct audit times, as in real use.
let clock = Date.now();
ledger.clock = () => (clock = Math.max(clock + 1, Date.now()));
const k4 = cc.contractKeyFromPem(p.privateKeyToPem(p.generateKeyPair().privateKey));
const chaincode = new sim.ChaincodeHost(cc.contractsWith({ contractKey: k4 }), cc.CHAINCODE_INFO);
const client = sim.fabricIdentity(ORG);
const k3 = party();
await chaincode.submit(ledger, sim.fabricIdentity(ORG, { admin: true }), 'layer-keys:RegisterAccessKey', [
  k3.publicKey,
  String(clock - 60_000),
  String(clock + 86_400_000),
]);

function envelope(op, author, body) {
  const request = p.newRequest({ op, body, appId: APP, keyId: author.keyId, now: Date.now() });
  const sig1 = p.signFor('sig1', author, request);
  return JSON.stringify({ request, sig1, sig3: p.signFor('sig3', k3, p.chainPayload(request, sig1)), k3Id: k3.keyId });
}

async function call(fcn, text, submit) {
  const run = submit ? chaincode.submit(ledger, client, fcn, [text]) : chaincode.evaluate(ledger, client, fcn, [text]);
  return (await run).result;
}

// A few sealed contents and key wraps, reused: the chaincode checks the wrap's form and the
// content's hash, not whose key wrapped it; bench:fabric's upload body, byte for byte in size.
const CONTENT = p.utf8(JSON.stringify({ diagnosis: 'J45.909', note: 'x'.repeat(200) }));
const sealedPool = Array.from({ length: 8 }, () => {
  const box = p.seal(p.randomKey(), CONTENT);
  const owner = p.generateKeyPair();
  return {
    ciphertext: p.toBase64(box),
    contentHash: p.toHex(p.sm3(box)),
    ownerKeyWrap: p.toHex(p.encrypt(owner.publicKey, p.randomKey())),
  };
});
const uploadBody = (patient, i) => ({
  patientId: patient.pseudonym,
  ...sealedPool[i % sealedPool.length],
  metadata: { kind: 'clinical-note', createdAt: Date.now() - 60_000 },
});

// ---- the registry, grown through Register ------------------------------------------------

const patients = [];
async function registerUpTo(n) {
  const t0 = nowMs();
  const before = patients.length;
  while (patients.length < n) {
    const patient = party();
    const body = { role: 'patient', publicKey: patient.publicKey, pseudonym: patient.pseudonym };
    await call('registry:Register', envelope('register', patient, body), true);
    patients.push(patient);
  }
  return { added: n - before, seconds: (nowMs() - t0) / 1000 };
}

// ---- one timed window ----------------------------------------------------------------------

// BENCH_WINDOWS=<file>: the timed windows (operation, N, start and end in µs of the monotonic
// clock, which V8's CPU profiles also use), for cpu-profile-buckets.mjs --windows.
const windows = [];
let currentN = 0;

// Garbage collections (node:perf_hooks 'gc' entries, in performance.now() ms): their time inside
// a window is shown apart, since the simulator's ledger lives in this heap (on Fabric it is the peer's).
const collections = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) collections.push({ start: e.startTime, ms: e.duration, major: e.detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR });
}).observe({ entryTypes: ['gc'] });
const gcIn = (start, end) => {
  let all = 0;
  let major = 0;
  for (const c of collections)
    if (c.start >= start && c.start <= end) {
      all += c.ms;
      if (c.major) major += c.ms;
    }
  return { all, major };
};

/** CPU and wall ms per transaction over `texts`, submitted (or evaluated) one after the other. */
async function timed(fcn, texts, submit) {
  const results = [];
  const c = cpuMs();
  const w = nowMs();
  const p0 = performance.now();
  for (const text of texts) results.push(await call(fcn, text, submit));
  windows.push({ fcn, n: currentN, ops: texts.length, start: w * 1000, end: nowMs() * 1000 });
  const p1 = performance.now();
  return {
    gc: () => {
      const { all, major } = gcIn(p0, p1);
      return { all: all / texts.length, major: major / texts.length };
    }, cpu: (cpuMs() - c) / texts.length, wall: (nowMs() - w) / texts.length, results };
}

const recordIdOf = (out) => JSON.parse(out).response.result.recordId;
const accessIdOf = (out) => JSON.parse(out).response.result.accessId;

/** One round of `count` operations each, by the patients at `offset`, `offset + 1`, … of the rotation. */
async function round(n, offset, count) {
  const who = Array.from({ length: count }, (_, i) => patients[((offset + i) * STRIDE) % n]);
  const upload = await timed(
    'records:Upload',
    who.map((patient, i) => envelope('upload', patient, uploadBody(patient, offset + i))),
    true,
  );
  const records = upload.results.map(recordIdOf);
  const view = await timed(
    'records:View',
    who.map((patient, i) => envelope('view', patient, { recordId: records[i] })),
    true,
  );
  const accesses = view.results.map(accessIdOf);
  const read = await timed(
    'records:Read',
    who.map((patient, i) => envelope('read', patient, { recordId: records[i], accessId: accesses[i] })),
    false,
  );
  return { upload, view, read };
}

function ledgerBytes() {
  let bytes = 0;
  let keys = 0;
  for (const [key, value] of ledger.entries()) {
    bytes += key.length + value.length;
    keys++;
  }
  return { keys, bytes };
}

const stats = (values) => ({
  mean: values.reduce((a, b) => a + b, 0) / values.length,
  min: Math.min(...values),
  max: Math.max(...values),
});

// ---- the curve -----------------------------------------------------------------------------

log(`medshare chaincode CPU per operation with N patients in rotation — ${new Date().toISOString()}`);
log(`machine: ${os.cpus()[0]?.model}, ${os.cpus().length} cores, Node ${process.version}, load ${load()}`);
log(
  `SM2 field: ${testing.sm2Arithmetic.kind}; ${OPS} operations of each kind per N in ${ROUNDS} rounds; gc: ${globalThis.gc ? 'yes' : 'no (run with --expose-gc for heap figures after a GC)'}`,
);
const started = nowMs();
const rows = [];
for (const n of NS) {
  currentN = n;
  const grown = await registerUpTo(n);
  const warmFrom = windows.length;
  // Warm-up, untimed: two rounds over min(N, 300) patients of the rotation (each key used 6 times,
  // so the keys that can hold a verification table have one), then the queued tables built.
  for (let w = 0; w < 2; w++) await round(n, 0, Math.min(n, 300));
  testing.buildQueuedTables();
  windows.splice(warmFrom);
  const per = { upload: [], view: [], read: [] };
  const gcs = { upload: [], view: [], read: [] };
  const perRound = Math.ceil(OPS / ROUNDS);
  for (let r = 0; r < ROUNDS; r++) {
    const result = await round(n, 1000 + r * perRound, perRound);
    for (const op of Object.keys(per)) {
      per[op].push(result[op].cpu);
      gcs[op].push(result[op].gc);
    }
  }
  await new Promise((r) => setImmediate(r)); // the observer's pending gc entries
  const gcOf = (op) => {
    const each = gcs[op].map((f) => f());
    return { all: stats(each.map((g) => g.all)).mean, major: stats(each.map((g) => g.major)).mean };
  };
  globalThis.gc?.();
  const memory = process.memoryUsage();
  const row = {
    n,
    upload: stats(per.upload),
    view: stats(per.view),
    read: stats(per.read),
    gc: { upload: gcOf('upload'), view: gcOf('view'), read: gcOf('read') },
    heap: memory.heapUsed / MIB,
    rss: memory.rss / MIB,
    cache: testing.verifyKeyStats(),
    ledger: ledgerBytes(),
  };
  rows.push(row);
  const base = rows[0];
  const show = (op) =>
    `${op} ${fmt(row[op].mean)} ms (${fmt(row[op].min)}–${fmt(row[op].max)}, ${(row[op].mean / base[op].mean).toFixed(2)}×; GC ${fmt(row.gc[op].all)}, major ${fmt(row.gc[op].major)})`;
  log(
    `N=${String(n).padStart(6)}: ${show('upload')}  ${show('view')}  ${show('read')}  | registered ${grown.added} in ${grown.seconds.toFixed(1)} s, load ${load()}`,
  );
}

log(
  `\n| patients | upload ms | vs N=1 | view ms | vs N=1 | read ms | vs N=1 | heap / RSS MiB | key cache: keys, tables (MiB) | ledger keys (MiB) |`,
);
log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
const base = rows[0];
for (const row of rows) {
  const cell = (op) =>
    `${fmt(row[op].mean)} (${fmt(row[op].min)}–${fmt(row[op].max)}) | ${(row[op].mean / base[op].mean).toFixed(2)}×`;
  log(
    `| ${row.n.toLocaleString('en-US')} | ${cell('upload')} | ${cell('view')} | ${cell('read')} | ${row.heap.toFixed(0)} / ${row.rss.toFixed(0)} | ${row.cache.keys}, ${row.cache.tables} (${(row.cache.tableBytes / MIB).toFixed(1)}) | ${row.ledger.keys.toLocaleString('en-US')} (${(row.ledger.bytes / MIB).toFixed(1)}) |`,
  );
}
const worst = Math.max(
  ...rows.flatMap((row) => ['upload', 'view', 'read'].map((op) => Math.abs(row[op].mean / base[op].mean - 1))),
);
log(
  `\nlargest deviation from N = ${base.n}: ${(worst * 100).toFixed(0)} % (goal: within ±${GOAL * 100} %: ${worst <= GOAL ? 'met' : 'NOT met'}); whole run ${((nowMs() - started) / 1000).toFixed(0)} s`,
);
if (process.env.BENCH_WINDOWS) writeFileSync(process.env.BENCH_WINDOWS, JSON.stringify(windows));
