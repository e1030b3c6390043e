#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// The anonymous contribution's cost on the ledger (issue 8 §6, docs/protocol.md §19.3): the
// `contribute` transaction (access-lists:Contribute, sig1 a ring signature of 4, 16 or 64
// registered patients) against a plain `upload` (records:Upload, an SM2 sig1) in the same run,
// both submitted through the embedded runtime (the chaincode on the durable fabric-sim ledger,
// gateway/src/ledger/embedded.ts) with pre-signed envelopes, so only the transaction is timed:
// parse, sig3, nonce, sig1 (the ring check reads every member), the writes, the commit, sig4.
// Ring verification runs with the members' key tables cached (the steady state: registered
// patients are in many rings) and cold (caches emptied before each transaction).
// Goal: a ring-16 contribution costs at most 3× a plain upload. Figures are printed, never
// asserted; run by `npm run bench:ring` after the ring crypto figures.
//
//   node --expose-gc scripts/bench/research.mjs      BENCH_RING_SIZES=4,16,64 BENCH_SAMPLES=40

import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { freePort } from './load.mjs';
import { fmt, nowMs, openEmbedded, party, timeEach } from './embedded-ledger.mjs';
import { median } from './ring.mjs';
import { sealedSession, startGateway, stopProcess, uploadBody as sdkUploadBody } from './sealed-requests.mjs';

const require = createRequire(import.meta.url);
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const { toBase64, toHex, fromHex, utf8 } = require(resolve(root, 'crypto/dist/bytes.js'));
const { randomKey, seal } = require(resolve(root, 'crypto/dist/sealed-box.js'));
const { sm3 } = require(resolve(root, 'crypto/dist/sm3.js'));
const sm2 = require(resolve(root, 'crypto/dist/sm2/index.js'));
const ring = require(resolve(root, 'crypto/dist/ring/index.js'));
const testing = require(resolve(root, 'crypto/dist/testing/index.js'));
const protocol = require(resolve(root, 'protocol/dist/index.js'));

const ORG = 'Org1MSP';
const APP = 'bench.app';
const SIZES = (process.env.BENCH_RING_SIZES ?? '4,16,64').split(',').map(Number);
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 40);
const PATIENTS = Math.max(...SIZES) * 2;
const EXTRACT_BYTES = 512;

function uploadBody(owner) {
  const key = randomKey();
  const sealed = seal(key, new Uint8Array(EXTRACT_BYTES).fill(7), utf8(`${protocol.RECORD_LABEL}${owner.pseudonym}`));
  return {
    patientId: owner.pseudonym,
    ciphertext: toBase64(sealed),
    contentHash: toHex(sm3(sealed)),
    ownerKeyWrap: toHex(sm2.encrypt(owner.publicKey, key)),
    metadata: { kind: 'lab-result', createdAt: Date.now() },
  };
}

function extractFor(institution, studyId) {
  const key = randomKey();
  const aad = utf8(`${protocol.EXTRACT_LABEL}${studyId}\n${institution.keyId}`);
  return {
    extract: toBase64(seal(key, new Uint8Array(EXTRACT_BYTES).fill(5), aad)),
    extractKeyWrap: toHex(sm2.encrypt(institution.publicKey, key)),
  };
}

/** A ring request of `size` members (the signer's among them, the rest the next patients in the pool). */
function contribution(env, patients, signerIndex, size, institution, studyId, appId = APP) {
  const members = Array.from({ length: size }, (_, j) => patients[(signerIndex + j) % patients.length]);
  const sorted = [...members].sort((a, b) => (a.keyId < b.keyId ? -1 : 1));
  const signer = patients[signerIndex];
  const scope = protocol.ringScope(studyId);
  const request = protocol.newRingRequest({
    op: 'contribute',
    body: { studyId, ...extractFor(institution, studyId) },
    appId,
    ring: { members: sorted.map((m) => m.keyId), keyImage: toHex(ring.ringKeyImage(signer.privateKey, scope)) },
    now: Date.now(),
  });
  const sig1 = ring.ringSign({
    message: protocol.signedBytes('sig1', request),
    scope,
    ring: sorted.map((m) => fromHex(m.publicKey)),
    signer: sorted.indexOf(signer),
    privateKey: signer.privateKey,
  });
  return env.envelope(request, toHex(sig1));
}

/** Verifies rings covering the whole pool until every member's key has its table. */
function warmTables(patients, size) {
  const scope = utf8('medshare/bench/warm');
  const message = utf8('warm');
  const rings = [];
  for (let start = 0; start < patients.length; start += size) {
    const members = Array.from({ length: size }, (_, j) => patients[(start + j) % patients.length]);
    const keys = members.map((m) => fromHex(m.publicKey));
    rings.push({
      message,
      scope,
      ring: keys,
      signature: ring.ringSign({ message, scope, ring: keys, signer: 0, privateKey: members[0].privateKey }),
    });
  }
  // The cache queues at most a few tables at a time (built between requests): verify and build
  // until every patient of the pool has one.
  for (let round = 0; round < 64 && testing.verifyKeyStats().tables < patients.length; round++) {
    for (const args of rings) {
      ring.ringVerify(args);
      testing.buildQueuedTables();
    }
  }
}

export async function runContributeBench({ sizes = SIZES, samples = SAMPLES, log = console.log } = {}) {
  const env = await openEmbedded({ label: 'bench-research', org: ORG, appId: APP });
  try {
    const institution = party();
    const register = async (p, role) =>
      env.run(env.keyed('register', p, { role, publicKey: p.publicKey, pseudonym: p.pseudonym }));
    await register(((institution.pseudonym = toHex(sm3(utf8(institution.keyId)))), institution), 'institution');
    await env.backend.orgAdmin().approveUser(institution.keyId);
    const patients = [];
    for (let i = 0; i < PATIENTS; i++) {
      const p = party();
      p.pseudonym = toHex(sm3(utf8(`bench ${p.keyId}`)));
      await register(p, 'patient');
      patients.push(p);
    }
    const study = { title: 'bench', fields: [{ field: 'age', rule: 'band', width: 5 }], k: 5 };
    const newStudy = async () => (await env.run(env.keyed('study-publish', institution, { study }))).studyId;
    log(
      `setup: ${PATIENTS} patients registered, an approved institution; ${samples} transactions per case, extract and record ${EXTRACT_BYTES} bytes (sealed)`,
    );

    // Warm-up of the whole path (JIT, the ledger's log), not counted.
    await timeEach(
      env,
      patients.slice(0, 5).map((p) => env.keyed('upload', p, uploadBody(p))),
    );
    const uploads = Array.from({ length: samples }, (_, i) => {
      const p = patients[i % patients.length];
      return env.keyed('upload', p, uploadBody(p));
    });
    const upload = await timeEach(env, uploads);
    log(
      `plain upload (records:Upload, SM2 sig1): ${fmt(upload.cpu)} ms CPU, ${fmt(upload.wall)} ms wall per transaction`,
    );

    const rows = [];
    for (const size of sizes) {
      // One key image per patient and study: a fresh study for each pass over the pool.
      const envelopes = async (count) => {
        const out = [];
        let studyId = await newStudy();
        for (let i = 0; i < count; i++) {
          if (i > 0 && i % patients.length === 0) studyId = await newStudy();
          out.push(contribution(env, patients, i % patients.length, size, institution, studyId));
        }
        return out;
      };
      // The steady state: every patient of the pool is hot in the verification key cache (it is
      // in many rings), so each has its table; the cache builds them between requests.
      warmTables(patients, size);
      await timeEach(env, await envelopes(3));
      const cached = await timeEach(env, await envelopes(samples));
      const tables = testing.verifyKeyStats().tables;
      const cold = await timeEach(env, await envelopes(Math.max(5, samples >> 2)), () => {
        testing.clearPointCache();
        testing.clearScopePoints();
      });
      rows.push({ size, cached, cold, tables });
      log(
        `ring ${String(size).padStart(2)}: contribute ${fmt(cached.cpu)} ms CPU (${fmt(cached.wall)} wall) with cached key tables = ${(cached.cpu / upload.cpu).toFixed(2)}× an upload;` +
          ` cold ${fmt(cold.cpu)} ms CPU (${fmt(cold.wall)} wall) = ${(cold.cpu / upload.cpu).toFixed(2)}×; (contribute − upload) / members = ${fmt((cached.cpu - upload.cpu) / size)} ms cached; ${tables} key tables cached`,
      );
    }
    const r16 = rows.find((r) => r.size === 16);
    if (r16)
      log(
        `goal: a ring-16 contribution ≤ 3× a plain upload: ${(r16.cached.cpu / upload.cpu).toFixed(2)}× (cached tables, CPU time)`,
      );
    return { upload, rows };
  } finally {
    await env.close();
  }
}

/** The gateway process's CPU time so far (ms): utime + stime of /proc/<pid>/stat, in clock ticks of 10 ms. */
function processCpuMs(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/**
 * The same comparison through a gateway process (\`npm start\`'s entry point, embedded runtime):
 * pre-signed, pre-sealed requests sent one at a time; per request the gateway process's CPU time
 * (session open, sig2, sig3, the transaction, sig4, sig5) and the round trip.
 */
export async function runThroughGateway({ sizes = SIZES, samples = SAMPLES, log = console.log } = {}) {
  const { MedshareClient, loadAppConfig, httpsTransport } = require(resolve(root, 'app/dist/index.js'));
  const dataDir = mkdtempSync(join(os.tmpdir(), 'medshare-bench-research-gw-'));
  const port = await freePort();
  const gateway = await startGateway({ MEDSHARE_DATA_DIR: dataDir, MEDSHARE_PORT: String(port), MEDSHARE_CONFIG: '' });
  const config = loadAppConfig(join(dataDir, 'app/app.json'));
  const client = new MedshareClient(config.client);
  const raw = await sealedSession(config.client, port);
  try {
    const pool = Math.max(...sizes);
    const institution = party();
    await client.register(institution, 'institution');
    const adminApi = httpsTransport({
      baseUrl: config.client.gatewayUrl,
      ...(config.client.ca ? { ca: config.client.ca } : {}),
      headers: { authorization: `Bearer ${readFileSync(config.adminTokenFile, 'utf8').trim()}` },
    });
    await adminApi.post(`/v1/admin/users/${institution.keyId}/approve`, {});
    adminApi.close();
    const patients = [];
    for (let i = 0; i < pool; i++) {
      const p = party();
      await client.register(p, 'patient');
      patients.push(p);
    }
    const study = { title: 'bench', fields: [{ field: 'age', rule: 'band', width: 5 }], k: 5 };
    const newStudy = async () => (await client.publishStudy(institution, study)).studyId;
    const send = async (bodies) => {
      // Signing ahead blocks the event loop for seconds: let the agent see sockets the gateway
      // closed meanwhile (its keep-alive timeout) before sending on one.
      await new Promise((done) => setTimeout(done, 200));
      const wall = [];
      const c = processCpuMs(gateway.pid);
      for (const body of bodies) {
        const w = nowMs();
        raw.result(await raw.post('/v1/requests', body));
        wall.push(nowMs() - w);
      }
      return { cpu: (processCpuMs(gateway.pid) - c) / bodies.length, wall: median(wall) };
    };
    const content = new Uint8Array(EXTRACT_BYTES).fill(7);
    const uploads = (n) =>
      Array.from({ length: n }, (_, i) =>
        raw.sealedFor('upload', patients[i % pool], sdkUploadBody(patients[i % pool], content)),
      );
    await send(uploads(5));
    const upload = await send(uploads(samples));
    log(`through the gateway: plain upload ${fmt(upload.cpu)} ms gateway CPU, ${fmt(upload.wall)} ms round trip`);
    const env = { envelope: (request, sig1) => ({ request, sig1 }) };
    const contributions = async (size, n) => {
      const out = [];
      let studyId = await newStudy();
      for (let i = 0; i < n; i++) {
        if (i > 0 && i % pool === 0) studyId = await newStudy();
        const { request, sig1 } = contribution(
          env,
          patients,
          i % pool,
          size,
          institution,
          studyId,
          config.client.appId,
        );
        out.push(raw.sealedSigned(request, sig1));
      }
      return out;
    };
    const rows = [];
    for (const size of sizes) {
      // Enough verifications for every member's key to earn its table in the gateway's cache.
      await send(await contributions(size, Math.ceil((6 * pool) / size) + 8));
      const cached = await send(await contributions(size, samples));
      rows.push({ size, cached });
      log(
        `through the gateway: ring ${String(size).padStart(2)} contribute ${fmt(cached.cpu)} ms gateway CPU (${fmt(cached.wall)} ms round trip) = ${(cached.cpu / upload.cpu).toFixed(2)}× an upload`,
      );
    }
    return { upload, rows };
  } finally {
    raw.close();
    client.close();
    await stopProcess(gateway);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const load = os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  console.log(`medshare anonymous contributions (§19.3) through the embedded runtime — ${new Date().toISOString()}`);
  console.log(
    `machine: ${os.cpus()[0]?.model}, ${os.cpus().length} cores, Node ${process.version}, load ${load}; ` +
      `SM2 field ${require(resolve(root, 'crypto/dist/sm2/verify-keys.js')).sm2Arithmetic.kind} (MEDSHARE_SM2_FIELD)`,
  );
  await runContributeBench()
    .then(() => runThroughGateway())
    .catch((error) => {
      console.error(error);
      process.exitCode = 1;
    });
}
