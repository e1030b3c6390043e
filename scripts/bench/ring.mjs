#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// Linkable ring signatures (docs/protocol.md §18, issue 8 §6): ring sign and verify for rings of
// 4, 16 and 64 registered-patient keys, verification cold (empty key-table cache) and with cached
// key tables (cold: the key-table cache and the scope-point memo empty), the memory the tables take, the cost per ring member, and as the baseline in the
// same run one plain SM2 sign and verify by the project's sm2 module. Goal: verification ≤ 1 ms
// per ring member with cached tables. Figures are printed, never asserted; the exit code is 0.
//
//   npm run bench:ring                      (mode "crypto", the default)
//   node --expose-gc scripts/bench/ring.mjs --mode=crypto BENCH_RING_SIZES=4,16,64
//
// Modes: `crypto` (this file). The chaincode-transaction comparison (a ring-16 contribution
// against a plain upload) is a mode of its own to add to MODES; it can reuse measure(), median(),
// ringFixture() and runRingCrypto() exported here.

import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import os from 'node:os';

const require = createRequire(import.meta.url);
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const ring = require(resolve(root, 'crypto/dist/ring/index.js'));
const sm2 = require(resolve(root, 'crypto/dist/sm2/index.js'));
const testing = require(resolve(root, 'crypto/dist/testing/index.js'));
const jacobian = require(resolve(root, 'crypto/dist/sm2/jacobian.js'));
const sm2VerifyKeys = require(resolve(root, 'crypto/dist/sm2/verify-keys.js'));

const now = () => Number(process.hrtime.bigint()) / 1e6;
const kib = (bytes) => (bytes / 1024).toFixed(0);
const mib = (bytes) => (bytes / 1024 / 1024).toFixed(1);
const fmt = (ms) => (ms >= 10 ? ms.toFixed(1) : ms.toFixed(2));
const fromHex = (h) => new Uint8Array(Buffer.from(h, 'hex'));

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const cpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

/**
 * Medians per call over `samples` samples of `batch` calls of fn each (`before()` runs before each
 * call; keep it cheap, it is inside the sample): `cpu`, the process's CPU time (what the figures
 * and goals use: on a shared machine it leaves out time the process waited for a core; it counts
 * GC helper threads too), and `wall`.
 */
export function measure(fn, samples, before = () => {}, batch = 1) {
  const cpu = [];
  const wall = [];
  for (let i = 0; i < samples; i++) {
    const c = cpuMs();
    const w = now();
    for (let j = 0; j < batch; j++) {
      before();
      fn();
    }
    wall.push((now() - w) / batch);
    cpu.push((cpuMs() - c) / batch);
  }
  return { cpu: median(cpu), wall: median(wall) };
}

/** A ring of `size` fresh SM2 keys, the signer at the middle, and one signature. */
export function ringFixture(size, message, scope) {
  const keys = Array.from({ length: size }, () => sm2.generateKeyPair());
  const members = keys.map((k) => fromHex(k.publicKey));
  const signer = size >> 1;
  const args = { message, scope, ring: members, signer, privateKey: keys[signer].privateKey };
  return { keys, members, signer, args, signature: ring.ringSign(args) };
}

/** Verifies until every member and the scope point have a table (builds deferred ones at once). */
function warmTables(verifyArgs, size) {
  for (let round = 0; round < 64 && testing.verifyKeyStats().tables < size + 1; round++) {
    ring.ringVerify(verifyArgs);
    testing.buildQueuedTables();
    testing.buildQueuedScopeTables();
  }
  // The scope's own width-8 table comes on its fourth verification.
  for (let round = 0; round < 4; round++) ring.ringVerify(verifyArgs);
  testing.buildQueuedScopeTables();
  return testing.verifyKeyStats();
}

// The JS heap plus ArrayBuffer backing stores: the WebAssembly field's tables are Uint32Arrays,
// held outside the heap V8 reports as heapUsed.
function heapUsed() {
  globalThis.gc?.();
  const { heapUsed: heap, arrayBuffers } = process.memoryUsage();
  return heap + arrayBuffers;
}

export function runRingCrypto({ sizes = [4, 16, 64], log = console.log } = {}) {
  const message = new Uint8Array(512).fill(0x5a);
  const scope = new TextEncoder().encode('medshare/v1/study/bench');

  // Baseline: one plain SM2 signature by the same module, its key's table cached as a hot key's is.
  const plain = sm2.generateKeyPair();
  const plainSig = sm2.sign(plain.privateKey, plain.publicKey, message);
  const sm2Sign = measure(() => sm2.sign(plain.privateKey, plain.publicKey, message), 15, undefined, 40);
  const sm2VerifyCold = measure(
    () => sm2.verify(plain.publicKey, message, plainSig),
    50,
    () => testing.clearPointCache(),
  );
  const sm2Warm = () => {
    for (let i = 0; i < 8; i++) sm2.verify(plain.publicKey, message, plainSig);
    testing.buildQueuedTables();
  };
  sm2Warm();
  const sm2Verify = measure(() => sm2.verify(plain.publicKey, message, plainSig), 15, undefined, 40);
  log(
    `baseline SM2 (512-byte message), CPU ms (wall): sign ${fmt(sm2Sign.cpu)} (${fmt(sm2Sign.wall)}), ` +
      `verify cold ${fmt(sm2VerifyCold.cpu)} (${fmt(sm2VerifyCold.wall)}), cached ${fmt(sm2Verify.cpu)} (${fmt(sm2Verify.wall)})`,
  );

  const rows = [];
  for (const size of sizes) {
    const { members, args, signature } = ringFixture(size, message, scope);
    const verifyArgs = { message, scope, ring: members, signature };
    const runs = size >= 64 ? 5 : size >= 16 ? 9 : 21;
    const sign = measure(() => ring.ringSign(args), runs);
    const cold = measure(
      () => ring.ringVerify(verifyArgs),
      runs,
      () => {
        testing.clearPointCache();
        testing.clearScopePoints();
      },
    );
    testing.clearPointCache();
    const heapBefore = heapUsed();
    const stats = warmTables(verifyArgs, size);
    const heapTables = heapUsed() - heapBefore;
    sm2Warm();
    const cached = measure(() => ring.ringVerify(verifyArgs), runs);
    // The baseline again, right after, so that the ratio sees the same machine load.
    const sm2Now = measure(() => sm2.verify(plain.publicKey, message, plainSig), 9, undefined, 40);
    if (!ring.ringVerify(verifyArgs)) throw new Error('a valid ring signature failed to verify');
    const perMember = cached.cpu / size;
    rows.push({ size, sign, cold, cached, perMember, sm2Verify: sm2Now, stats, heapTables });
    log(
      `ring ${String(size).padStart(2)}, CPU ms (wall): sign ${fmt(sign.cpu)} (${fmt(sign.wall)}), ` +
        `${(sign.cpu / sm2Sign.cpu).toFixed(0)}× an SM2 sign; verify cold ${fmt(cold.cpu)} (${fmt(cold.wall)}) = ` +
        `${fmt(cold.cpu / size)}/member; cached ${fmt(cached.cpu)} (${fmt(cached.wall)}) = ${fmt(perMember)}/member = ` +
        `${(perMember / sm2Now.cpu).toFixed(2)}× an SM2 verify measured beside it (${fmt(sm2Now.cpu)}); ` +
        `goal ≤ 1 ms/member: ${perMember <= 1 ? 'PASS' : 'MISS'}; ` +
        `${stats.tables} tables, ${mib(stats.tableBytes)} MiB estimated` +
        (globalThis.gc ? `, heap + array buffers +${mib(heapTables)} MiB measured` : ''),
    );
  }

  const perTable = jacobian.tablePoints({ bits: 256 }, 6) * sm2VerifyKeys.sm2Arithmetic.tableBytesPerPoint;
  const stats = testing.verifyKeyStats();
  log(
    `key tables: width 6, ${kib(perTable)} KiB per key (estimate); budget ${mib(stats.tableBudgetBytes)} MiB ` +
      `= ${Math.floor(stats.tableBudgetBytes / perTable)} keys, shared with SM2 verification; ` +
      `G's table width 10 ${kib(jacobian.tablePoints({ bits: 256 }, 10) * sm2VerifyKeys.sm2Arithmetic.tableBytesPerPoint)} KiB, ` +
      `a hot scope's table of H width 10 (the same size, at most 4 scopes); ` +
      `transient key-image table per verification: ${[3, 4, 5]
        .map(
          (w) =>
            `width ${w} ${kib(jacobian.tablePoints({ bits: 256 }, w) * sm2VerifyKeys.sm2Arithmetic.tableBytesPerPoint)} KiB`,
        )
        .join(', ')}`,
  );
  return { sm2Sign, sm2Verify, sm2VerifyCold, rows };
}

export const MODES = { crypto: runRingCrypto };

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const mode = (process.argv.find((a) => a.startsWith('--mode=')) ?? '--mode=crypto').slice('--mode='.length);
  const run = MODES[mode];
  if (!run) {
    console.error(`unknown mode ${mode}; modes: ${Object.keys(MODES).join(', ')}`);
    process.exit(2);
  }
  const sizes = (process.env.BENCH_RING_SIZES ?? '4,16,64').split(',').map(Number);
  const load = os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  console.log(`medshare ring signatures (§18), mode ${mode} — ${new Date().toISOString()}`);
  console.log(
    `machine: ${os.cpus()[0]?.model}, ${os.cpus().length} cores, Node ${process.version}, load ${load}; ` +
      `SM2 field ${sm2VerifyKeys.sm2Arithmetic.kind} (MEDSHARE_SM2_FIELD)`,
  );
  await run({ sizes });
}
