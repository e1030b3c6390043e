#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// SM2 verification with N distinct public keys in rotation (issue 11): what the chaincode pays
// per patient signature when the hospital has N active patients. For each N the script signs
// one message per key in advance, verifies round-robin over the keys (after a warm-up, so the
// key cache is in its steady state), and prints verifies/s and ms/verify against the 1-key
// figure of the same run, with the process's resident memory and the cache's own statistics
// when the protocol build exposes them.
//
//   npm run bench:sm2-rotation
//   BENCH_KEYS=1,32,64,96,256,1000,10000 BENCH_PROTOCOL_DIST=path/to/protocol/dist node scripts/bench/sm2-rotation.mjs
//
// Warm-up: max(6N, 4000) verifies, at most 10,000 (so tables deferred to setImmediate are built). Timed window: 3 full rotations (at least 1,000 verifies) up
// to N = 4096, one rotation beyond (every key seen once per rotation, the registry case). A
// key's "use" in the timed window is therefore never its first. Figures are printed, never
// asserted; the exit code is 0.

import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import os from 'node:os';

const require = createRequire(import.meta.url);
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const dist = resolve(process.env.BENCH_PROTOCOL_DIST ?? resolve(root, 'protocol/dist'));
const p = { ...require(resolve(root, 'crypto/dist/sm2/index.js')), ...require(resolve(dist, 'index.js')) };
// SM2 and its key caches' controls are @medshare/crypto's (crypto/dist); an older protocol build
// passed as BENCH_PROTOCOL_DIST (before crypto/ existed) carried them itself.
const sm2 = p.sign ? p : require('@medshare/crypto/sm2');
const cryptoTesting = p.sign
  ? require(resolve(root, 'crypto/dist/testing/index.js'))
  : { clearPointCache: p.clearPointCache, verifyKeyStats: p.pointCacheStats };
const KEYS = (process.env.BENCH_KEYS ?? '1,32,64,96,256,1000,10000').split(',').map(Number);
const MAX = Math.max(...KEYS);

const now = () => Number(process.hrtime.bigint()) / 1e6;
const mib = (bytes) => (bytes / 1024 / 1024).toFixed(1);
const load = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

console.log(`medshare SM2 verification with N keys in rotation — ${new Date().toISOString()}`);
console.log(`machine: ${os.cpus()[0]?.model}, ${os.cpus().length} cores, Node ${process.version}, load ${load()}`);
console.log(
  `SM2 field: ${require(resolve(root, 'crypto/dist/sm2/verify-keys.js')).sm2Arithmetic.kind} (MEDSHARE_SM2_FIELD)`,
);
console.log(`protocol build: ${dist}`);

const t0 = now();
const message = new Uint8Array(randomBytes(512));
const signed = [];
for (let i = 0; i < MAX; i++) {
  const keys = p.generateKeyPair();
  signed.push({ publicKey: keys.publicKey, signature: sm2.sign(keys.privateKey, keys.publicKey, message) });
}
console.log(`${MAX} keys and signatures prepared in ${((now() - t0) / 1000).toFixed(1)} s`);

const rows = [];
for (const n of KEYS) {
  cryptoTesting.clearPointCache();
  globalThis.gc?.();
  const warmup = Math.min(Math.max(6 * n, 4000), 10000);
  const timed = n <= 4096 ? Math.max(3 * n, 1000) : n;
  let i = 0;
  const next = () => {
    const { publicKey, signature } = signed[i % n];
    i++;
    if (!sm2.verify(publicKey, message, signature)) throw new Error('a valid signature failed to verify');
  };
  // Yield to the event loop every 2 verifies, as a server does between requests (sig3 and sig1), so that
  // deferred table builds (setImmediate) run, and are timed, as they would be there.
  const yieldNow = () => new Promise((r) => setImmediate(r));
  for (let w = 0; w < warmup; w++) {
    next();
    if (w % 2 === 1) await yieldNow();
  }
  const stats0 = cryptoTesting.verifyKeyStats?.();
  const start = now();
  for (let t = 0; t < timed; t++) {
    next();
    if (t % 2 === 1) await yieldNow();
  }
  const ms = (now() - start) / timed;
  const stats = cryptoTesting.verifyKeyStats?.();
  const builds = stats && stats0 ? stats.tablesBuilt - stats0.tablesBuilt : undefined;
  rows.push({ n, ms, timed, rss: process.memoryUsage().rss, stats, builds, load: load() });
  const last = rows.at(-1);
  console.log(
    `N=${n}: ${(1000 / ms).toFixed(0)} verifies/s, ${ms.toFixed(3)} ms/verify over ${timed} verifies` +
      (stats ? `; ${stats.tables} tables (${mib(stats.tableBytes)} MiB), ${builds} built while timed` : '') +
      `; RSS ${mib(last.rss)} MiB; load ${last.load}`,
  );
}

const base = rows[0].ms;
console.log('');
console.log(
  '| keys in rotation | verifies/s | ms/verify | vs 1 key | tables (MiB) | tables built while timed | RSS MiB | load (1/5/15 min) |',
);
console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |');
for (const r of rows) {
  const tables = r.stats ? `${r.stats.tables} (${mib(r.stats.tableBytes)})` : 'n/a';
  console.log(
    `| ${r.n.toLocaleString('en')} | ${(1000 / r.ms).toLocaleString('en', { maximumFractionDigits: 0 })} | ${r.ms.toFixed(3)} | ${(r.ms / base).toFixed(2)}× | ${tables} | ${r.builds ?? 'n/a'} | ${mib(r.rss)} | ${r.load} |`,
  );
}
