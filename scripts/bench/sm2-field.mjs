#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// SM2 verification arithmetic: the WebAssembly field (crypto/src/sm2/field-wasm.ts) against the
// BigInt one (jacobian.ts), both in this process, as the baseline of each other: a field
// multiplication, a mixed addition, the scalar multiplications of one SM2 verification with
// cached tables ([s]G + [t]P) and without a key table (wNAF), the table builds; then the whole
// sm2.verify, sign and signDeterministic in a child process per field (MEDSHARE_SM2_FIELD is read once, at load). Figures
// are printed, never asserted; the exit code is 0.
//
//   npm run bench:sm2-field

import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import os from 'node:os';

const require = createRequire(import.meta.url);
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const here = fileURLToPath(import.meta.url);
const { Arithmetic } = require(resolve(root, 'crypto/dist/sm2/jacobian.js'));
const { WasmArithmetic } = require(resolve(root, 'crypto/dist/sm2/field-wasm.js'));
const curve = require(resolve(root, 'crypto/dist/sm2/curve.js'));
const sm2 = require(resolve(root, 'crypto/dist/sm2/index.js'));
const testing = require(resolve(root, 'crypto/dist/testing/index.js'));

const now = () => performance.now();
const load = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

/** µs per call: the best of 5 rounds of ~budget ms each (the machine is shared). */
function measure(fn, { budget = 200, inner = 1 } = {}) {
  for (let i = 0; i < 3; i++) fn();
  let best = Infinity;
  for (let round = 0; round < 5; round++) {
    let calls = 0;
    const start = now();
    let elapsed = 0;
    do {
      fn();
      calls += inner;
      elapsed = now() - start;
    } while (elapsed < budget);
    best = Math.min(best, (elapsed * 1000) / calls);
  }
  return best;
}

// ---- child mode: the whole sm2.verify with the field this process loaded ---------------------
if (process.argv.includes('--verify')) {
  const keys = sm2.generateKeyPair();
  const message = new Uint8Array(randomBytes(512));
  const signature = sm2.sign(keys.privateKey, keys.publicKey, message);
  const verify = () => {
    if (!sm2.verify(keys.publicKey, message, signature)) throw new Error('a valid signature failed');
  };
  testing.clearPointCache();
  const cold = measure(() => {
    testing.clearPointCache();
    verify();
  });
  for (let i = 0; i < 4; i++) verify();
  testing.buildQueuedTables();
  const hot = measure(verify);
  const sign = measure(() => sm2.sign(keys.privateKey, keys.publicKey, message));
  const signDet = measure(() => sm2.signDeterministic(keys.privateKey, keys.publicKey, message));
  console.log(JSON.stringify({ kind: testing.sm2Arithmetic.kind, hot, cold, sign, signDet }));
  process.exit(0);
}

console.log(`medshare SM2 field micro-benchmark — ${new Date().toISOString()}`);
console.log(`machine: ${os.cpus()[0]?.model}, ${os.cpus().length} cores, Node ${process.version}, load ${load()}`);

const CURVE = { p: curve.SM2_P, n: curve.SM2_N, bits: 256 };
const big = new Arithmetic(CURVE);
const wasm = new WasmArithmetic(CURVE);
const P = curve.SM2_P;
const N = curve.SM2_N;
const rand = (m) => BigInt('0x' + randomBytes(32).toString('hex')) % m;
const G = { x: curve.SM2_GX, y: curve.SM2_GY };
const Q = curve.Point.BASE.multiply(rand(N)).toAffine();
const rows = [];
const row = (label, bigUs, wasmUs) => {
  rows.push({ label, bigUs, wasmUs });
  console.log(
    `${label.padEnd(58)} BigInt ${bigUs.toFixed(3).padStart(9)} µs  wasm ${wasmUs.toFixed(3).padStart(9)} µs  ` +
      `${(bigUs / wasmUs).toFixed(1).padStart(5)}× faster`,
  );
};

// Field multiplication: BigInt (a·b) mod p against the module's Montgomery multiplication, 10,000
// chained inside the module (no call overhead), and one call from JS per multiplication.
{
  let a = rand(P);
  const b = rand(P);
  const bigMul = measure(
    () => {
      for (let i = 0; i < 10000; i++) a = (a * b) % P;
    },
    { inner: 10000 },
  );
  const [x, y] = [wasm.auxPtr, wasm.auxPtr + 32];
  wasm.put(x, rand(P));
  wasm.put(y, rand(P));
  wasm.exports.to_mont(x, 2);
  const inModule = measure(() => wasm.exports.bench_mul(x, y, 10000), { inner: 10000 });
  const perCall = measure(
    () => {
      for (let i = 0; i < 10000; i++) wasm.exports.fe_mul(x, x, y);
    },
    { inner: 10000 },
  );
  row('field multiplication (chained in the module)', bigMul, inModule);
  row('field multiplication (one JS → wasm call each)', bigMul, perCall);
}

// Mixed addition (Jacobian + affine), 10,000 chained.
{
  let acc = big.double([G.x, G.y, 1n]);
  const bigAdd = measure(
    () => {
      for (let i = 0; i < 10000; i++) acc = big.addAffine(acc, G.x, G.y);
    },
    { inner: 10000 },
  );
  const [q, accPtr] = [wasm.auxPtr, wasm.accPtr];
  wasm.put(q, G.x);
  wasm.put(q + 32, G.y);
  wasm.exports.to_mont(q, 2);
  for (let i = 0; i < 3; i++) wasm.put(accPtr + 32 * i, [G.x, G.y, 1n][i]);
  wasm.exports.to_mont(accPtr, 3);
  wasm.exports.point_double(accPtr);
  const wasmAdd = measure(() => wasm.exports.bench_add_affine(accPtr, q, 10000), { inner: 10000 });
  row('mixed addition (chained in the module)', bigAdd, wasmAdd);
}

// One SM2 verification's scalar multiplications: [s]G from G's width-10 table plus [t]P from the
// key's width-6 table (cached) or by wNAF (no table yet), and the affine x.
{
  const tables = [big, wasm].map((a) => ({ g: a.fixedTable(G, 10), q: a.fixedTable(Q, 6) }));
  const s = rand(N);
  const t = rand(N);
  const want = big.affineX(big.multiplyFixed(tables[0].q, t, big.multiplyFixed(tables[0].g, s)));
  const cached = [big, wasm].map((a, i) => {
    const x = a.affineX(a.multiplyFixed(tables[i].q, t, a.multiplyFixed(tables[i].g, s)));
    if (x !== want) throw new Error(`${a.kind}: cached verification arithmetic disagrees`);
    return measure(() => a.affineX(a.multiplyFixed(tables[i].q, t, a.multiplyFixed(tables[i].g, s))));
  });
  row('[s]G + [t]P from tables, and its affine x (inversion)', cached[0], cached[1]);
  const wnaf = [big, wasm].map((a, i) => {
    const x = a.affineX(a.multiplyWnaf(Q, t, a.multiplyFixed(tables[i].g, s)));
    if (x !== want) throw new Error(`${a.kind}: wNAF verification arithmetic disagrees`);
    return measure(() => a.affineX(a.multiplyWnaf(Q, t, a.multiplyFixed(tables[i].g, s))));
  });
  row('[s]G from G table + [t]P by wNAF, and its affine x', wnaf[0], wnaf[1]);
  const normalize = [big, wasm].map((a, i) => {
    const pts = [a.multiplyFixed(tables[i].g, s), a.multiplyFixed(tables[i].q, t)];
    return measure(() => a.normalize(pts));
  });
  row('normalize two Jacobian points (a ring member’s L, R)', normalize[0], normalize[1]);
  const build6 = [big, wasm].map((a) => measure(() => a.fixedTable(Q, 6), { budget: 300 }));
  row('a key table, width 6 (1,408 points)', build6[0], build6[1]);
  const build10 = [big, wasm].map((a) => measure(() => a.fixedTable(G, 10), { budget: 400 }));
  row("G's table, width 10 (13,824 points)", build10[0], build10[1]);
}

// A ZK verifier's multi-scalar multiplication: Straus over 128 points' width-5 NAFs (their odd
// multiples cached, as the generators' are), one run of doublings for all.
{
  const { wnafDigits } = require(resolve(root, 'crypto/dist/sm2/jacobian.js'));
  const points = Array.from({ length: 128 }, () => curve.Point.BASE.multiply(rand(N)).toAffine());
  const odd = points.map((p) => {
    const m = big.normalize([1n, 3n, 5n, 7n, 9n, 11n, 13n, 15n].map((k) => big.multiplyWnaf(p, k)));
    return { xs: m.map((q) => q.x), ys: m.map((q) => q.y) };
  });
  const terms = odd.map((o) => ({ ...o, digits: wnafDigits(rand(N), 5), negated: false }));
  const want = big.normalize([big.straus(terms)])[0];
  const got = wasm.normalize([wasm.straus(terms)])[0];
  if (got.x !== want.x || got.y !== want.y) throw new Error('Straus disagrees');
  const times = [big, wasm].map((a) => measure(() => a.straus(terms), { budget: 300 }));
  row('Straus MSM, 128 points (width 5, odd multiples cached)', times[0], times[1]);
}

// Signing's [k]G alone: noble's Point.BASE.multiply + toAffine against the module's ct_base_x.
{
  const { WasmBaseMultiplier } = require(resolve(root, 'crypto/dist/sm2/sign-wasm.js'));
  const ct = new WasmBaseMultiplier();
  const k = rand(N - 1n) + 1n;
  const nobleUs = measure(() => curve.Point.BASE.multiply(k).toAffine().x);
  const ctUs = measure(() => ct.baseX(k));
  row("signing's [k]G, affine x (noble; wasm constant time)", nobleUs, ctUs);
}

// The whole sm2.verify (standard ID, 512-byte message), one child process per field.
{
  const child = (kind) =>
    JSON.parse(
      execFileSync(process.execPath, [here, '--verify'], { env: { ...process.env, MEDSHARE_SM2_FIELD: kind } })
        .toString()
        .trim(),
    );
  const [b, w] = [child('bigint'), child('wasm')];
  row('sm2.verify, key table cached (hot)', b.hot, w.hot);
  row('sm2.verify, no key table (cold: decode + wNAF)', b.cold, w.cold);
  console.log(
    `sm2.verify per second: hot ${(1e6 / b.hot).toFixed(0)} (BigInt) → ${(1e6 / w.hot).toFixed(0)} (wasm); ` +
      `cold ${(1e6 / b.cold).toFixed(0)} → ${(1e6 / w.cold).toFixed(0)}; issue 11 goal ≥ 3,200/s, stretch 10,000/s`,
  );
  // Signing: noble's [k]G under bigint, the module's constant-time one (sign-wasm.ts) under wasm.
  row('sm2.sign (random k)', b.sign, w.sign);
  row('sm2.signDeterministic (RFC 6979 k, HMAC-SM3)', b.signDet, w.signDet);
  console.log(
    `sm2.sign per second: ${(1e6 / b.sign).toFixed(0)} (noble) → ${(1e6 / w.sign).toFixed(0)} (wasm, constant time); ` +
      `signDeterministic ${(1e6 / b.signDet).toFixed(0)} → ${(1e6 / w.signDet).toFixed(0)}`,
  );
}
console.log(`load at the end: ${load()}`);
