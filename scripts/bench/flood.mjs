#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// Flood benchmark (issue 10, item 4): a real gateway process (embedded runtime, HTTPS on a free
// loopback port) serves an honest app (the SDK, from 127.0.0.1, a steady bounded stream of
// list-records and small uploads, one at a time with a pause between them). Its p50/p99 are
// measured idle, then under one flood at a time, sent from other loopback addresses
// (127.0.0.2…: strangers to the dev app, whose allowlist is 127.0.0.1), spread over several
// addresses so a per-address limit alone does not stop them:
//   directory    signed directory lookups GET /v1/users/{keyId} of a registered key
//   big-unknown  1.33 MB bodies to POST /v1/requests with an unknown session id
//   open-junk    session opens POST /v1/sessions with a junk sig2
//   open-replay  a correctly signed session open (the app's K2) replayed from foreign addresses
//   open-tls     open-junk, but each on a new connection with a full TLS handshake (no resumption)
//   open-self    fresh, correctly signed session opens from the app's own address 127.0.0.1 (a
//                compromised or buggy host of the app: the worst case of unauthenticated work)
//   upload-self  the app's own flood of 512 KiB uploads from 127.0.0.1 (the app hurting itself),
//                from another session of the app (its SDK client in a worker thread,
//                flood-uploader.mjs, so its client-side crypto does not stall the honest client)
// Floods are paced (open loop at a target rate, with a bound on requests in flight) and
// pre-built, so this process spends little CPU on them. Per case it prints the flood rate
// achieved, the honest p50/p99 and their ratio to idle, the gateway's CPU per flood request
// (from /proc/<pid>/stat, the honest app's idle share subtracted) and the flood's status codes.
// Figures are printed, never asserted; exit code 0 whatever they are.
//
//   npm run bench:flood                                   (builds first)
//   FLOOD_SECONDS=8 FLOOD_CASES=directory,open-junk npm run bench:flood
//   FLOOD_PORT=7401 npm run bench:flood                   (a fixed loopback port, else a free one)

import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { createRequire } from 'node:module';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { clock, cpuMs, fmt, freePort, pct } from './load.mjs';
import { startGateway, stopProcess } from './sealed-requests.mjs';
import { medshareDist } from './medshare-dist.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

const require = createRequire(import.meta.url);
const p = medshareDist(root);
const { MedshareClient, loadAppConfig } = require(join(root, 'app/dist/index.js'));

const SECONDS = Number(process.env.FLOOD_SECONDS ?? 8);
const ADDRESSES = Number(process.env.FLOOD_ADDRESSES ?? 4);
const HONEST_PAUSE_MS = 50;
const GOAL = 2;
// Target rates: the black-box tester's floods ran at 45-203/s.
const CASES = [
  { name: 'directory', rate: 200, inFlight: 16 },
  { name: 'big-unknown', rate: 50, inFlight: 8 },
  { name: 'open-junk', rate: 200, inFlight: 16 },
  { name: 'open-replay', rate: 200, inFlight: 16 },
  { name: 'open-tls', rate: 100, inFlight: 16 },
  { name: 'upload-self', rate: 4, inFlight: 4 },
  // Last: once 127.0.0.1 has spent its session opens for the minute, no client there can open one.
  { name: 'open-self', rate: 100, inFlight: 16 },
];
const selected = new Set((process.env.FLOOD_CASES ?? CASES.map((c) => c.name).join(',')).split(','));

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Raw HTTPS from one source address; resolves to the status code (or the socket error's code). */
function rawClient(port, ca, localAddress, { keepAlive = true } = {}) {
  const agent = new Agent(
    keepAlive ? { keepAlive, maxSockets: 8, ca, localAddress } : { keepAlive, maxCachedSessions: 0, ca, localAddress },
  );
  const send = (method, path, payload, headers = {}) =>
    new Promise((done) => {
      const req = request(
        {
          host: '127.0.0.1',
          port,
          path,
          method,
          agent,
          headers: {
            ...(payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {}),
            ...headers,
          },
        },
        (res) => {
          let code = '';
          const chunks = [];
          res.on('data', (c) => chunks.length < 4 && chunks.push(c));
          res.on('end', () => {
            try {
              code = JSON.parse(Buffer.concat(chunks).toString()).code ?? '';
            } catch {
              code = '';
            }
            done(`${res.statusCode}${code ? ` ${code}` : ''}`);
          });
          res.on('error', (e) => done(e.code ?? 'error'));
        },
      );
      req.on('error', (e) => done(e.code ?? 'error'));
      req.setTimeout(40_000, () => req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
      req.end(payload);
    });
  return { send, close: () => agent.destroy() };
}

/** Open loop at `rate`/s for `ms`, never more than `inFlight` outstanding; counts outcomes. */
async function flood(ms, rate, inFlight, fire) {
  const outcomes = new Map();
  let sent = 0;
  let done = 0;
  let outstanding = 0;
  const start = clock();
  const pending = [];
  while (clock() - start < ms) {
    const due = Math.floor(((clock() - start) * rate) / 1000);
    while (sent < due && outstanding < inFlight) {
      const i = sent++;
      outstanding++;
      pending.push(
        fire(i).then((o) => {
          outstanding--;
          done++;
          outcomes.set(o, (outcomes.get(o) ?? 0) + 1);
        }),
      );
    }
    if (sent < due) sent = due; // skipped: the in-flight bound was reached
    await sleep(2);
  }
  const elapsed = (clock() - start) / 1000;
  await Promise.all(pending);
  return { perSecond: done / elapsed, done, outcomes };
}

/** The honest app: one operation at a time, a pause between, until `stop()`. */
function honest(client, patient, content) {
  const latencies = [];
  let errors = 0;
  let running = true;
  const loop = (async () => {
    for (let i = 0; running && i < 100_000; i++) {
      const t0 = clock();
      try {
        if (i % 2 === 0) await client.listRecords(patient, { pageSize: 10 });
        else await client.upload(patient, { content, kind: 'clinical-note' });
        latencies.push(clock() - t0);
      } catch {
        errors++;
      }
      await sleep(HONEST_PAUSE_MS);
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      latencies.sort((a, b) => a - b);
      return { n: latencies.length, p50: pct(latencies, 0.5), p99: pct(latencies, 0.99), errors };
    },
  };
}

/** The upload-self flood's client: another session of the app, in a worker thread (flood-uploader.mjs). */
function uploader(appConfigFile, patient) {
  const worker = new Worker(join(root, 'scripts/bench/flood-uploader.mjs'), {
    workerData: { root, appConfigFile, patient },
  });
  const waiting = new Map();
  worker.on('message', ({ i, outcome }) => {
    waiting.get(i)?.(outcome);
    waiting.delete(i);
  });
  return {
    upload: (i) =>
      new Promise((done) => {
        waiting.set(i, done);
        worker.postMessage({ i });
      }),
    close: () => worker.terminate(),
  };
}

async function phase(gateway, client, patient, content, ms, floodFn) {
  const honestRun = honest(client, patient, content);
  await sleep(300); // the honest stream is warm before the flood starts
  const cpu0 = cpuMs(gateway.pid);
  const t0 = clock();
  const f = floodFn ? await floodFn(ms) : (await sleep(ms), undefined);
  const wall = clock() - t0;
  const cpu = cpuMs(gateway.pid) - cpu0;
  const h = await honestRun.stop();
  return { honest: h, flood: f, cpu, wall };
}

async function main() {
  console.log(`medshare bench:flood — ${new Date().toISOString()}`);
  console.log(
    `machine: ${os.cpus()[0]?.model ?? '?'}, ${os.cpus().length} cores, Node ${process.version}, load ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}; ${SECONDS} s per case, flood from ${ADDRESSES} addresses 127.0.0.2-${1 + ADDRESSES}\n`,
  );
  const dataDir = mkdtempSync(join(os.tmpdir(), 'medshare-flood-'));
  const port = Number(process.env.FLOOD_PORT) || (await freePort());
  const gateway = await startGateway({ MEDSHARE_DATA_DIR: dataDir, MEDSHARE_PORT: String(port), MEDSHARE_CONFIG: '' });
  const appConfig = loadAppConfig(join(dataDir, 'app/app.json'));
  const client = new MedshareClient(appConfig.client);
  const ca = appConfig.client.ca;
  const strangers = Array.from({ length: ADDRESSES }, (_, i) => rawClient(port, ca, `127.0.0.${2 + i}`));
  const handshakers = Array.from({ length: ADDRESSES }, (_, i) =>
    rawClient(port, ca, `127.0.0.${2 + i}`, { keepAlive: false }),
  );
  const own = rawClient(port, ca, '127.0.0.1');
  let self;
  try {
    const patient = p.generateKeyPair();
    await client.register(patient, 'patient');
    const content = p.utf8(JSON.stringify({ diagnosis: 'J45.909', note: 'x'.repeat(200) }));
    await client.upload(patient, { content, kind: 'clinical-note' });
    const keyId = p.keyIdOf(patient.publicKey);
    self = uploader(join(dataDir, 'app/app.json'), patient);

    // Pre-built flood bodies.
    const app = appConfig.client;
    const k2Id = p.keyIdOf(app.appKey.publicKey);
    const openBody = (signed) => {
      const eph = p.generateKeyPair();
      const sreq = {
        v: 1,
        appId: app.appId,
        k2Id,
        ephemeralPublicKey: eph.publicKey,
        issuedAt: Date.now(),
        nonce: randomBytes(16).toString('hex'),
      };
      const sig2 = p.signFor('session-request', app.appKey, sreq);
      return Buffer.from(
        JSON.stringify({ ...sreq, sig2: signed ? sig2 : sig2.replace(/^../, (h) => (h === '00' ? '01' : '00')) }),
      );
    };
    const junkOpens = Array.from({ length: 64 }, () => openBody(false));
    const signedOpen = openBody(true);
    // Signed just before their case runs: an open is refused once issuedAt is past the skew.
    let freshOpens = [];
    const unknownSession = randomBytes(16).toString('hex');
    const bigUnknown = Buffer.from(
      JSON.stringify({ sessionId: unknownSession, ciphertext: randomBytes(997_500).toString('base64') }),
    );
    const by = (i) => strangers[i % strangers.length];
    const floods = {
      directory: (i) => by(i).send('GET', `/v1/users/${keyId}`),
      'big-unknown': (i) => by(i).send('POST', '/v1/requests', bigUnknown, { 'x-medshare-session': unknownSession }),
      'open-junk': (i) => by(i).send('POST', '/v1/sessions', junkOpens[i % junkOpens.length]),
      'open-replay': (i) => by(i).send('POST', '/v1/sessions', signedOpen),
      'open-tls': (i) =>
        handshakers[i % handshakers.length].send('POST', '/v1/sessions', junkOpens[i % junkOpens.length]),
      'open-self': (i) => own.send('POST', '/v1/sessions', freshOpens[i % freshOpens.length]),
      'upload-self': (i) => self.upload(i),
    };
    console.log(`big-unknown body: ${fmt(bigUnknown.length / 1e6, 2)} MB; directory key ${keyId.slice(0, 12)}…\n`);

    await phase(gateway, client, patient, content, 2000); // warm-up, not reported
    const idle = await phase(gateway, client, patient, content, SECONDS * 1000);
    const idleCpuPerMs = idle.cpu / idle.wall;
    const rows = [{ name: 'idle', ...idle }];
    for (const c of CASES.filter((k) => selected.has(k.name))) {
      if (c.name === 'open-self')
        freshOpens = Array.from({ length: Math.ceil(c.rate * SECONDS) + 10 }, () => openBody(true));
      const r = await phase(gateway, client, patient, content, SECONDS * 1000, (ms) =>
        flood(ms, c.rate, c.inFlight, floods[c.name]),
      );
      rows.push({ name: c.name, target: c.rate, ...r });
      await sleep(1000); // let in-flight work drain
    }

    console.log(
      '| case | flood target/s | flood achieved/s | honest ops | honest p50 ms | honest p99 ms | p50 / idle | gateway CPU % | CPU ms per flood request | flood got |',
    );
    console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |');
    const idleP50 = idle.honest.p50;
    let worst = 0;
    for (const r of rows) {
      const ratio = r.honest.p50 / idleP50;
      if (r.flood) worst = Math.max(worst, ratio);
      const perReq = r.flood && r.flood.done > 0 ? (r.cpu - idleCpuPerMs * r.wall) / r.flood.done : undefined;
      const got = r.flood
        ? [...r.flood.outcomes]
            .sort((a, b) => b[1] - a[1])
            .map(([k, v]) => `${v}× ${k}`)
            .join(', ')
        : '';
      console.log(
        `| ${r.name} | ${r.target ?? ''} | ${r.flood ? fmt(r.flood.perSecond) : ''} | ${r.honest.n}${r.honest.errors ? ` (${r.honest.errors} failed)` : ''} | ${fmt(r.honest.p50, 1)} | ${fmt(r.honest.p99, 1)} | ${fmt(ratio, 2)} | ${fmt((100 * r.cpu) / r.wall)} | ${perReq === undefined ? '' : fmt(Math.max(0, perReq), 2)} | ${got} |`,
      );
    }
    console.log(
      `\nworst honest p50 under a flood: ${fmt(worst, 2)}× idle (goal ≤ ${GOAL}×: ${worst <= GOAL ? 'PASS' : 'MISS'})`,
    );
  } finally {
    client.close();
    await self?.close();
    for (const s of [...strangers, ...handshakers, own]) s.close();
    await stopProcess(gateway);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
