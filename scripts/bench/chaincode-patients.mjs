#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// The chaincode's CPU per upload, view and read with N patients registered and in rotation
// (issue 11: "Chaincode CPU per upload flat (within ±20 %) from 1 to 10,000 patients; memory
// bounded and stated"), measured on the real contracts dispatched by fabric-shim's router
// (fabric-sim's ChaincodeHost), without a network. As on Fabric, the chaincode runs in a
// process of its own (chaincode-process.mjs) and each of its getState / putState / deleteState
// is a round trip to the process that holds the ledger (fabric-sim's MemoryLedger simulates and
// commits, the peer's part): the chaincode's CPU and memory are its own, not the ledger's, which
// grows with the registry (BENCH_INLINE=1 runs the chaincode in this process over the ledger
// directly, as bench:crypto's contract part does: the garbage collection of the ledger's heap
// then lands in the figures).
//
//   npm run bench:chaincode-patients
//   BENCH_N=1,10,100,1000,10000 BENCH_OPS=900 BENCH_ROUNDS=3 node scripts/bench/chaincode-patients.mjs
//
// The registry grows from one N to the next through the contract's own Register transaction
// (each patient: key pair, sig1 by its key, sig3 by the K3), so at N = 10,000 the ledger holds
// 10,000 users and their pseudonyms. For each N, BENCH_OPS operations of each kind rotate over
// all N patients (patient (i · 7919) mod N: spread over the whole registry, so at N ≥ BENCH_OPS
// every operation is by another patient, whose key the verification cache may not hold), in
// BENCH_ROUNDS interleaved rounds of upload → view → read: the uploads create the records the
// views open, the views the access records the reads use. Two untimed warm-up rounds over
// max(100, min(N, 300)) operations first (the key cache's steady state, the code compiled). Envelopes (sig1, sig3) are signed
// before each timed window; a window holds the transactions only: the router, the contract's
// checks, its state calls, sig4. CPU is the chaincode process's (user + system) over the window
// divided by its operations, so its garbage collection and the key cache's deferred table builds
// (setImmediate, between transactions) are in it, as on a chaincode server.
//
// Printed per N: ms of CPU per operation (the mean of the rounds, and their range), the ratio to
// N = 1 (issue 11's goal: within ±20 %), the GC pauses in it, the ledger side's CPU (this
// process: simulation, commit, the driver), the chaincode process's heap and RSS after a GC, the
// SM2 verification key cache (decoded keys, tables and their bytes: bounded, whatever N), and
// the ledger's own size (keys and values: the peer's, not the chaincode's). BENCH_WINDOWS=<file>
// and BENCH_CHAINCODE_PROF=<dir> give a CPU profile of the chaincode's process and its timed
// windows (cpuprofile-summary.mjs --buckets chaincode --windows). Figures are printed, never
// asserted; the exit code is 0.

import { fork } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { constants, PerformanceObserver } from 'node:perf_hooks';
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
const OPS = Number(process.env.BENCH_OPS ?? 900);
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

// ---- the chaincode, its own process by default ----------------------------------------------

const ledger = new sim.MemoryLedger();
// Each transaction at least 1 ms after the last: distinct audit times, as in real use.
let clock = Date.now();
ledger.clock = () => (clock = Math.max(clock + 1, Date.now()));
const k4Pem = p.privateKeyToPem(p.generateKeyPair().privateKey);
const client = sim.fabricIdentity(ORG);
const INLINE = process.env.BENCH_INLINE === '1';
const chaincode = INLINE ? inlineChaincode() : await chaincodeProcess();
const k3 = party();
await chaincode.call(
  'layer-keys:RegisterAccessKey',
  [k3.publicKey, String(clock - 60_000), String(clock + 86_400_000)],
  true,
  sim.fabricIdentity(ORG, { admin: true }),
);

/**
 * BENCH_INLINE=1: the chaincode in this process, over the ledger directly (bench:crypto's
 * contract part): its CPU then includes the simulator's, and the garbage collection of the
 * ledger's heap, which grows with the registry.
 */
function inlineChaincode() {
  const host = new sim.ChaincodeHost(
    cc.contractsWith({ contractKey: cc.contractKeyFromPem(k4Pem) }),
    cc.CHAINCODE_INFO,
  );
  const collections = { gc: 0, major: 0 };
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      collections.gc += e.duration;
      if (e.detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) collections.major += e.duration;
    }
  }).observe({ entryTypes: ['gc'] });
  return {
    where: 'in this process, over the ledger directly (BENCH_INLINE=1)',
    async call(fcn, args, submit, identity = client) {
      const run = submit ? host.submit(ledger, identity, fcn, args) : host.evaluate(ledger, identity, fcn, args);
      return (await run).result;
    },
    async usage() {
      await new Promise((r) => setImmediate(r)); // the observer's pending entries
      return { cpu: cpuMs(), gc: collections.gc, major: collections.major };
    },
    stats: () => {
      globalThis.gc?.();
      return Promise.resolve({ memory: process.memoryUsage(), cache: testing.verifyKeyStats() });
    },
    settle: () => Promise.resolve(testing.buildQueuedTables()),
    close: () => Promise.resolve(),
  };
}

/**
 * The chaincode in its own process (chaincode-process.mjs), each state call a round trip to this
 * one, which simulates and commits as the peer does: the figures are the chaincode process's.
 */
async function chaincodeProcess() {
  const child = fork(resolve(root, 'scripts/bench/chaincode-process.mjs'), [], {
    serialization: 'advanced',
    execArgv: [
      '--expose-gc',
      ...(process.env.BENCH_CHAINCODE_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CHAINCODE_PROF}`] : []),
    ],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const calls = new Map();
  const waiting = new Map();
  let nextCall = 0;
  const once = (type) => new Promise((resolveType) => waiting.set(type, resolveType));
  child.on('message', (m) => {
    if (m.type === 'state') {
      const { stub } = calls.get(m.call).ctx;
      const answer =
        m.op === 'get'
          ? stub.getState(m.key)
          : m.op === 'put'
            ? stub.putState(m.key, m.value)
            : stub.deleteState(m.key);
      answer.then(
        (value) => child.send({ type: 'reply', id: m.id, value }),
        (error) => child.send({ type: 'reply', id: m.id, error: error.message }),
      );
    } else if (m.type === 'done') {
      calls.get(m.call).done(m);
      calls.delete(m.call);
    } else {
      waiting.get(m.type)?.(m);
      waiting.delete(m.type);
    }
  });
  const ask = (type) => {
    const answer = once(type);
    child.send({ type });
    return answer;
  };
  const ready = once('ready');
  child.send({ type: 'init', k4Pem });
  await ready;
  return {
    where: `in its own process (pid ${child.pid}), each state call a round trip to the ledger's process`,
    async call(fcn, args, submit, identity = client) {
      const ctx = ledger.simulate(identity, { invocation: { fcn, args } });
      const call = ++nextCall;
      const done = new Promise((resolveDone) => calls.set(call, { ctx, done: resolveDone }));
      const { seconds, nanos } = ctx.stub.getTxTimestamp();
      child.send({
        type: 'invoke',
        call,
        txId: ctx.stub.getTxID(),
        timestampMs: seconds * 1000 + nanos / 1e6,
        creator: ctx.stub.getCreator(),
        fcn,
        args,
      });
      const m = await done;
      if (m.error) throw Object.assign(new Error(m.error.message), { code: m.error.code });
      if (m.event) ctx.stub.setEvent(m.event.name, m.event.payload);
      if (submit) await ledger.commit(ctx.stub.readWriteSet());
      return m.result;
    },
    usage: () => ask('usage'),
    stats: () => ask('stats'),
    settle: () => ask('settled'),
    close: () => {
      child.disconnect();
      return new Promise((r) => child.once('exit', r));
    },
  };
}

function envelope(op, author, body) {
  const request = p.newRequest({ op, body, appId: APP, keyId: author.keyId, now: Date.now() });
  const sig1 = p.signFor('sig1', author, request);
  return JSON.stringify({ request, sig1, sig3: p.signFor('sig3', k3, p.chainPayload(request, sig1)), k3Id: k3.keyId });
}

const call = (fcn, text, submit) => chaincode.call(fcn, [text], submit);

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
// clock, which V8's CPU profiles also use), for cpuprofile-summary.mjs --windows (a profile of
// the chaincode's process: BENCH_CHAINCODE_PROF=<dir>, or of this one with BENCH_INLINE=1).
const windows = [];
let currentN = 0;

/**
 * The chaincode's CPU ms per transaction over `texts` (submitted or evaluated one after the
 * other), the garbage collections' pauses in it, and this process's (the ledger's, the peer's
 * part, and the driver's).
 */
async function timed(fcn, texts, submit) {
  const results = [];
  const before = await chaincode.usage();
  const own = cpuMs();
  const w = nowMs();
  for (const text of texts) results.push(await call(fcn, text, submit));
  windows.push({ fcn, n: currentN, ops: texts.length, start: w * 1000, end: nowMs() * 1000 });
  const peer = (cpuMs() - own) / texts.length;
  const after = await chaincode.usage();
  const per = (key) => (after[key] - before[key]) / texts.length;
  return { cpu: per('cpu'), gc: per('gc'), major: per('major'), peer, results };
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
  `SM2 field: ${testing.sm2Arithmetic.kind}; ${OPS} operations of each kind per N in ${ROUNDS} rounds; the chaincode ${chaincode.where}`,
);
const started = nowMs();
const rows = [];
for (const n of NS) {
  currentN = n;
  const grown = await registerUpTo(n);
  const warmFrom = windows.length;
  // Warm-up, untimed: two rounds of max(100, min(N, 300)) operations of each kind over the
  // rotation (each of up to 300 keys used 6 times, so the keys that can hold a verification
  // table have one; the code compiled), then the queued tables built.
  for (let w = 0; w < 2; w++) await round(n, 0, Math.max(100, Math.min(n, 300)));
  await chaincode.settle();
  windows.splice(warmFrom);
  const per = { upload: [], view: [], read: [] };
  const perRound = Math.ceil(OPS / ROUNDS);
  for (let r = 0; r < ROUNDS; r++) {
    const result = await round(n, 1000 + r * perRound, perRound);
    for (const op of Object.keys(per)) per[op].push(result[op]);
  }
  const { memory, cache } = await chaincode.stats();
  const figures = (op) => ({
    ...stats(per[op].map((r) => r.cpu)),
    gc: stats(per[op].map((r) => r.gc)).mean,
    major: stats(per[op].map((r) => r.major)).mean,
    peer: stats(per[op].map((r) => r.peer)).mean,
  });
  const row = {
    n,
    upload: figures('upload'),
    view: figures('view'),
    read: figures('read'),
    heap: memory.heapUsed / MIB,
    external: memory.external / MIB,
    rss: memory.rss / MIB,
    cache,
    ledger: ledgerBytes(),
  };
  rows.push(row);
  const base = rows[0];
  const show = (op) =>
    `${op} ${fmt(row[op].mean)} ms (${fmt(row[op].min)}–${fmt(row[op].max)}, ${(row[op].mean / base[op].mean).toFixed(2)}×; GC ${fmt(row[op].gc)}, major ${fmt(row[op].major)}; ledger side ${fmt(row[op].peer)})`;
  log(
    `N=${String(n).padStart(6)}: ${show('upload')}  ${show('view')}  ${show('read')}  | registered ${grown.added} in ${grown.seconds.toFixed(1)} s, load ${load()}`,
  );
}

log(
  `\n| patients | upload ms | vs N=1 | view ms | vs N=1 | read ms | vs N=1 | heap / external / RSS MiB | key cache: keys, tables (MiB) | ledger keys (MiB) |`,
);
log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
const base = rows[0];
for (const row of rows) {
  const cell = (op) =>
    `${fmt(row[op].mean)} (${fmt(row[op].min)}–${fmt(row[op].max)}) | ${(row[op].mean / base[op].mean).toFixed(2)}×`;
  log(
    `| ${row.n.toLocaleString('en-US')} | ${cell('upload')} | ${cell('view')} | ${cell('read')} | ${row.heap.toFixed(0)} / ${row.external.toFixed(0)} / ${row.rss.toFixed(0)} | ${row.cache.keys}, ${row.cache.tables} (${(row.cache.tableBytes / MIB).toFixed(1)}) | ${row.ledger.keys.toLocaleString('en-US')} (${(row.ledger.bytes / MIB).toFixed(1)}) |`,
  );
}
const worst = Math.max(
  ...rows.flatMap((row) => ['upload', 'view', 'read'].map((op) => Math.abs(row[op].mean / base[op].mean - 1))),
);
log(
  `\nlargest deviation from N = ${base.n}: ${(worst * 100).toFixed(0)} % (goal: within ±${GOAL * 100} %: ${worst <= GOAL ? 'met' : 'NOT met'}); whole run ${((nowMs() - started) / 1000).toFixed(0)} s`,
);
if (process.env.BENCH_WINDOWS) writeFileSync(process.env.BENCH_WINDOWS, JSON.stringify(windows));
await chaincode.close();
