// SPDX-License-Identifier: Apache-2.0
// Transactions on the embedded runtime for the bench scripts: a fresh durable fabric-sim ledger
// under the chaincode (gateway/src/ledger/embedded.ts, `EmbeddedBackend`) with a registered K3,
// envelopes signed ahead (sig1, sig3) so that a timed window holds the transaction only (parse,
// sig3, nonce, the contract's checks and writes, the commit, sig4), and the per-transaction CPU
// and wall medians. `npm run build` first.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { medshareDist } from './medshare-dist.mjs';
import { median } from './ring.mjs';

const require = createRequire(import.meta.url);
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const p = medshareDist(root);
// The embedded runtime's default (gateway/src/logging/quiet-fabric-logs.ts): no decorator logging.
process.env.CORE_CHAINCODE_LOGGING_LEVEL ??= 'warning';
const { EmbeddedBackend } = require(resolve(root, 'gateway/dist/ledger/embedded.js'));
const sm2 = require(resolve(root, 'crypto/dist/sm2/index.js'));
const testing = require(resolve(root, 'crypto/dist/testing/index.js'));

export const nowMs = () => Number(process.hrtime.bigint()) / 1e6;
export const cpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};
export const fmt = (ms) => (ms >= 10 ? ms.toFixed(1) : ms.toFixed(2));

/** A fresh SM2 key pair with its key id and the pseudonym the SDK registers a patient under. */
export function party() {
  const k = p.generateKeyPair();
  const keyId = p.keyIdOf(k.publicKey);
  return {
    ...k,
    keyId,
    pseudonym: p.toHex(p.sm3(new Uint8Array([...p.utf8(p.PSEUDONYM_LABEL), ...p.fromHex(keyId)]))),
  };
}

/**
 * Verifies a signature by each party's key until every one holds its verification table, as the
 * keys of users who transact daily do in a running chaincode (the cache builds a few tables at a
 * time between requests; here between rounds), so that no timed transaction builds one.
 */
export function warmKeys(parties) {
  const message = p.utf8('medshare/bench/warm');
  const signed = parties.map((k) => ({ publicKey: k.publicKey, sig: sm2.sign(k.privateKey, k.publicKey, message) }));
  for (let round = 0; round < 64; round++) {
    for (const { publicKey, sig } of signed) sm2.verify(publicKey, message, sig);
    if (testing.buildQueuedTables() === 0 && round >= 4) return;
  }
}

/**
 * Opens an embedded ledger in a temporary directory as `org`, with a registered K3. `keyed(op,
 * author, body)` is a signed envelope (text); `run(text)` submits it and resolves with its result
 * (a refusal rejects); `close()` closes the ledger and removes the directory.
 */
export async function openEmbedded({ label = 'bench', org = 'Org1MSP', appId = 'bench.app' } = {}) {
  const dir = mkdtempSync(join(os.tmpdir(), `medshare-${label}-`));
  const k4 = p.generateKeyPair();
  writeFileSync(join(dir, 'k4.pem'), p.privateKeyToPem(k4.privateKey), { mode: 0o600 });
  const backend = await EmbeddedBackend.open(
    { type: 'embedded', dir: join(dir, 'ledger'), k4KeyFile: join(dir, 'k4.pem') },
    org,
  );
  // Real time, each transaction at least 1 ms after the last (envelopes are signed ahead).
  let clock = Date.now();
  backend.ledger.clock = () => (clock = Math.max(clock + 1, Date.now()));
  const k3 = party();
  await backend
    .orgAdmin()
    .registerAccessKey({ publicKey: k3.publicKey, notBefore: clock - 60_000, notAfter: clock + 86_400_000 });
  const envelope = (request, sig1) =>
    JSON.stringify({
      request,
      sig1,
      sig3: p.signFor('sig3', k3, p.chainPayload(request, sig1)),
      k3Id: k3.keyId,
    });
  const keyed = (op, author, body) => {
    const request = p.newRequest({ op, body, appId, keyId: author.keyId, now: Date.now() });
    return envelope(request, p.signFor('sig1', author, request));
  };
  const run = async (text) => JSON.parse(await backend.run(JSON.parse(text))).response.result;
  const close = async () => {
    await backend.close();
    rmSync(dir, { recursive: true, force: true });
  };
  return { dir, backend, envelope, keyed, run, close };
}

/**
 * Median CPU and wall ms per transaction over the envelopes, each submitted once (`before()`
 * untimed), with the transactions' results in order.
 */
export async function timeEach(env, envelopes, before = () => {}) {
  const cpu = [];
  const wall = [];
  const results = [];
  for (const e of envelopes) {
    before();
    const c = cpuMs();
    const w = nowMs();
    results.push(await env.run(e));
    cpu.push(cpuMs() - c);
    wall.push(nowMs() - w);
  }
  return { cpu: median(cpu), wall: median(wall), samples: envelopes.length, results };
}
