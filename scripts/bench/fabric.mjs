#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// Fabric benchmark: medshare through its two gateways (one per org, Fabric backend) against a
// trivial put/get chaincode (scripts/bench/baseline-chaincode/) on the same network, in the
// same run, with the same endorsement policy (AND of both orgs), both run as chaincode
// servers (CCaaS). Prints tx/s and p50/p99 latency at several concurrencies, the ratio
// medshare / baseline, the orderer's batch settings, and each process's CPU per operation
// (from /proc) to show where the time goes. Figures are printed, never asserted; exit 0
// whatever they are.
//
//   medshare upload (submit)            vs  baseline Put (submit: one blind write)
//   medshare view (submit: audit entry) vs  baseline Put
//   medshare read (evaluate)            vs  baseline Get (evaluate: one read)
//
// medshare requests are signed (sig1, sig2) and sealed before each timed window (the raw
// driver of bench:gateway), sent alternately to the two gateways; the baseline is called with
// @hyperledger/fabric-gateway through each org's peer alternately, as the org's User1 (the
// identity the gateways use). Uploads rotate over BENCH_PATIENTS patients; views and reads are
// of records uploaded before the timed windows; Put/Get rotate over as many keys. The five
// cases of a concurrency run interleaved, in BENCH_ROUNDS rounds (default 4), so a drift in the
// machine's load hits medshare and the baseline alike.
//
// The network: brought up with scripts/network/network-up.sh (idempotent) when it is not up,
// and stopped again at the end (scripts/network/down.sh) if this script started it. The
// baseline is deployed (scripts/network/deploy-chaincode.sh, idempotent) as medshare-baseline,
// its server started at BENCH_BASELINE_ADDRESS (default 127.0.0.1:<CCAAS_PORT + 1>) and stopped
// at the end if this script started it (its definition stays on the channel: Fabric cannot
// remove one). Each run registers a fresh K3 per org and retires it at the end.
//
//   npm run bench:fabric                                      (builds first)
//   BENCH_CONCURRENCY=1,8,32 BENCH_PATIENTS=32 BENCH_OPS_PER_WORKER=20 BENCH_SECONDS=30 BENCH_ROUNDS=4 npm run bench:fabric
//
// BENCH_OPS_PER_WORKER: operations per case = max(40, concurrency × this); BENCH_SECONDS bounds
// each case's timed windows (together). The network's ports come from the environment or .network/ports.env.

import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { networkPorts } from '../network/ports.mjs';
import { connectOrg } from '../network/org-gateway.mjs';
import { fabricLayout } from '../../test/e2e/fabric-layout.mjs';
import { clock, cpuMs, fmt, freePort, machineLine, mergeLoads, runLoad } from './load.mjs';
import { sealedSession, startGateway, stopProcess, uploadBody } from './sealed-requests.mjs';
import { medshareDist } from './medshare-dist.mjs';

const require = createRequire(import.meta.url);
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const p = medshareDist(root);
const { MedshareClient, loadAppConfig } = require(join(root, 'app/dist/index.js'));
const run = promisify(execFile);

const NETWORK_HOME = process.env.NETWORK_HOME ?? join(root, '.network');
const FABRIC_HOME = process.env.FABRIC_HOME ?? join(root, '.fabric');
const CONCURRENCY = (process.env.BENCH_CONCURRENCY ?? '1,8,32').split(',').map(Number);
const PATIENTS = Number(process.env.BENCH_PATIENTS ?? 32);
const OPS_PER_WORKER = Number(process.env.BENCH_OPS_PER_WORKER ?? 20);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 30);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4);
const BASELINE = 'medshare-baseline';
const BASELINE_MODULE = join(root, 'scripts/bench/baseline-chaincode');
const GOAL = 0.85; // issues 11 and 12: the signature chain costs at most 15 % of throughput at concurrency 32
const LATENCY_GOAL = 1.1; // issue 11: p50 latency at concurrency 1 at most 1.1 × the baseline's
const READ_GOAL = 0.5; // issue 11: evaluations at least half a bare Get's throughput
const ORGS = ['org1', 'org2'];
const NODES = ['orderer.example.com', 'peer0.org1.example.com', 'peer0.org2.example.com'];

const log = (line) => process.stderr.write(`${line}\n`);
const scriptEnv = { ...process.env, FABRIC_HOME, NETWORK_HOME, NO_COLOR: '1' };

function pidOf(name) {
  try {
    const pid = Number(readFileSync(join(NETWORK_HOME, 'pids', `${name}.pid`), 'utf8').trim());
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}

const networkRunning = () =>
  existsSync(join(NETWORK_HOME, '.medshare-network')) &&
  [...NODES, 'chaincode-medshare-org1', 'chaincode-medshare-org2'].every((n) => pidOf(n) !== undefined);

/** Runs a repository script; its output goes to stderr only when it fails. */
function script(args, env = {}) {
  const r = spawnSync('bash', args, { cwd: root, env: { ...scriptEnv, ...env }, encoding: 'utf8' });
  if (r.status !== 0) {
    process.stderr.write(`${r.stdout}${r.stderr}`);
    throw new Error(`${args.join(' ')} failed (exit ${r.status})`);
  }
  return r.stdout;
}

/** BatchTimeout and MaxMessageCount of the channel's orderer section (the configtx the channel was made from). */
function batchSettings() {
  const made = join(NETWORK_HOME, 'config/configtx/configtx.yaml');
  const file = existsSync(made) ? made : join(root, 'network/configtx.yaml');
  const text = readFileSync(file, 'utf8');
  return {
    file,
    batchTimeout: /^\s*BatchTimeout:\s*(\S+)/m.exec(text)?.[1] ?? '?',
    maxMessageCount: /^\s*MaxMessageCount:\s*(\S+)/m.exec(text)?.[1] ?? '?',
    preferredMaxBytes: /^\s*PreferredMaxBytes:\s*(.+?)\s*$/m.exec(text)?.[1] ?? '?',
  };
}

function fabricVersion() {
  const r = spawnSync(join(FABRIC_HOME, 'bin/peer'), ['version'], { encoding: 'utf8' });
  const version = /Version:\s*(\S+)/.exec(r.stdout ?? '')?.[1] ?? '?';
  const commit = /Commit SHA:\s*(\S+)/.exec(r.stdout ?? '')?.[1] ?? '?';
  return `${version} (commit ${commit})`;
}

/** The network's processes (and ours) whose CPU counters are read around each case. */
function processGroups(gateways) {
  return {
    driver: [process.pid],
    gateways: gateways.map((g) => g.child.pid),
    'cc org1': [pidOf('chaincode-medshare-org1')],
    'cc org2': [pidOf('chaincode-medshare-org2')],
    'cc baseline': [pidOf(`chaincode-${BASELINE}`)],
    peers: [pidOf('peer0.org1.example.com'), pidOf('peer0.org2.example.com')],
    orderer: [pidOf('orderer.example.com')],
  };
}

const cpuOf = (groups) =>
  Object.fromEntries(
    Object.entries(groups).map(([g, pids]) => [g, pids.reduce((s, pid) => s + (pid ? cpuMs(pid) : 0), 0)]),
  );

async function startHospital(org, index) {
  const dir = mkdtempSync(join(os.tmpdir(), `medshare-bench-fabric-${org}-`));
  const port = await freePort();
  // No re-encryption proxy: the benchmark moves records, not files (and registers no proxy keys).
  const layout = fabricLayout(org, dir, port, { networkHome: NETWORK_HOME, proxies: 0 });
  await run(
    join(root, 'scripts/admin/register-access-key.sh'),
    [org, layout.k3PublicKey, String(layout.notBefore), String(layout.notAfter)],
    {
      env: scriptEnv,
      timeout: 60_000,
    },
  );
  const child = await startGateway({ MEDSHARE_CONFIG: layout.gatewayConfig }, `gateway ${org}`);
  const app = loadAppConfig(layout.appConfig).client;
  const client = new MedshareClient({ ...app, trustedContractKeys: [layout.k4PublicKey] });
  const session = await sealedSession(app, port);
  return { org, index, dir, layout, child, client, session };
}

async function stopHospital(h) {
  h.session?.close();
  h.client?.close();
  if (h.child) await stopProcess(h.child);
  try {
    await run(join(root, 'scripts/admin/retire-access-key.sh'), [h.org, p.keyIdOf(h.layout.k3PublicKey)], {
      env: scriptEnv,
      timeout: 60_000,
    });
  } catch (error) {
    log(`warning: could not retire the bench K3 of ${h.org}: ${error.message}`);
  }
  rmSync(h.dir, { recursive: true, force: true });
}

/** Retries fn while its error message contains one of `transient`, 100 ms apart; counts the calls that needed a retry. */
async function retrying(counter, transient, fn, attempts = 20) {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      const message = String(error?.message);
      if (attempt >= attempts || !transient.some((t) => message.includes(t))) throw error;
      if (attempt === 0) counter.n++;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/**
 * The cases of one concurrency, interleaved: ROUNDS rounds, each running every case once with
 * its share of the operations (prepared by make(i) before the round's window, sent by
 * send(item)), so that medshare and the baseline see the same machine even when its load
 * drifts. Returns each case's merged result and CPU per completed operation.
 */
async function interleaved(groups, concurrency, cases) {
  const perRound = Math.ceil(Math.max(40, concurrency * OPS_PER_WORKER) / ROUNDS);
  const loads = cases.map(() => []);
  const cpu = cases.map(() => ({}));
  for (let round = 0; round < ROUNDS; round++) {
    for (const [k, { make, send }] of cases.entries()) {
      const items = Array.from({ length: perRound }, (_, i) => make(round * perRound + i));
      const before = cpuOf(groups);
      loads[k].push(
        await runLoad({ concurrency, maxOps: perRound, seconds: SECONDS / ROUNDS, op: (i) => send(items[i]) }),
      );
      const after = cpuOf(groups);
      for (const g of Object.keys(before)) cpu[k][g] = (cpu[k][g] ?? 0) + after[g] - before[g];
    }
  }
  return cases.map((_, k) => {
    const merged = mergeLoads(loads[k]);
    const done = Math.max(1, merged.n);
    return { ...merged, cpuPerOp: Object.fromEntries(Object.entries(cpu[k]).map(([g, ms]) => [g, ms / done])) };
  });
}

function printTables(rows, cpuRows) {
  const lat = (r) => `${fmt(r.p50, 0)} / ${fmt(r.p99, 0)}`;
  console.log(
    '| case | concurrency | medshare tx/s | baseline tx/s | ratio | medshare p50 / p99 ms | baseline p50 / p99 ms | errors (m / b) |',
  );
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const { name, c, m, b } of rows) {
    console.log(
      `| ${name} | ${c} | ${fmt(m.perSecond, 1)} | ${fmt(b.perSecond, 1)} | ${fmt(m.perSecond / b.perSecond, 2)} | ${lat(m)} | ${lat(b)} | ${m.errors} / ${b.errors} |`,
    );
  }
  const groups = Object.keys(cpuRows[0].cpuPerOp);
  console.log('\nCPU per completed operation, ms (user + system, /proc/PID/stat; driver = this process):');
  console.log(`| case | concurrency | ${groups.join(' | ')} | total |`);
  console.log(`| --- | ---: | ${groups.map(() => '---:').join(' | ')} | ---: |`);
  for (const r of cpuRows) {
    const values = groups.map((g) => r.cpuPerOp[g]);
    console.log(
      `| ${r.name} | ${r.c} | ${values.map((v) => fmt(v, 1)).join(' | ')} | ${fmt(
        values.reduce((s, v) => s + v, 0),
        1,
      )} |`,
    );
  }
}

async function main() {
  const started = clock();
  const batch = batchSettings();
  console.log(`medshare bench:fabric — ${new Date().toISOString()}`);
  console.log(machineLine());
  const wasUp = networkRunning();
  log(
    wasUp
      ? 'network: running; bringing it to ready (network-up.sh)'
      : 'network: not running; starting it (network-up.sh)',
  );
  script(['scripts/network/network-up.sh']);
  const ports = { ...networkPorts(NETWORK_HOME) };
  const ccaasPort = Number(process.env.CCAAS_PORT ?? ports.CCAAS_PORT ?? 9999);
  const baselineAddress = process.env.BENCH_BASELINE_ADDRESS ?? `127.0.0.1:${ccaasPort + 1}`;
  const baselineWasRunning = pidOf(`chaincode-${BASELINE}`) !== undefined;
  log(`baseline: deploying ${BASELINE} at ${baselineAddress} (deploy-chaincode.sh, chaincode-server.sh)`);
  script(['scripts/network/deploy-chaincode.sh', BASELINE, '1.0', '1', baselineAddress]);
  script(['scripts/network/chaincode-server.sh', 'start', BASELINE, '--module-path', BASELINE_MODULE], {
    CHAINCODE_SERVER_ADDRESS: baselineAddress,
  });
  console.log(
    `Fabric ${fabricVersion()}; orderer: etcdraft, 1 node; BatchTimeout ${batch.batchTimeout}, MaxMessageCount ${batch.maxMessageCount}, PreferredMaxBytes ${batch.preferredMaxBytes} (${batch.file})`,
  );
  console.log(
    'network: 2 orgs, 1 peer each, endorsement AND(Org1, Org2), LevelDB, medshare: one chaincode server per org; baseline: one server for both orgs, loopback',
  );
  console.log(
    `load: concurrency ${CONCURRENCY.join(', ')}; max(40, ${OPS_PER_WORKER} × concurrency) operations or ${SECONDS} s per case, in ${ROUNDS} interleaved rounds; ${PATIENTS} patients / keys in rotation`,
  );

  const hospitals = [];
  const baseline = [];
  const rows = [];
  const cpuRows = [];
  try {
    hospitals.push(...(await Promise.all(ORGS.map((org, i) => startHospital(org, i)))));
    for (const org of ORGS) {
      // The same deadlines as the medshare gateways' defaults (gateway/src/config/config.ts).
      const c = connectOrg({
        networkHome: NETWORK_HOME,
        org,
        user: 'User1',
        deadlines: { evaluate: 5000, endorse: 8000, submit: 4000, commitStatus: 12000 },
      });
      baseline.push({
        mspId: c.mspId,
        contract: c.gateway.getNetwork('medshare').getContract(BASELINE),
        close: c.close,
      });
    }
    const groups = processGroups(hospitals);
    const pick = (i) => hospitals[i % hospitals.length];
    const pickBaseline = (i) => baseline[i % baseline.length];

    log(
      `setup: ${PATIENTS} patients registered, one record each uploaded and viewed (SDK and raw driver), ${PATIENTS} baseline keys put`,
    );
    const content = p.utf8(JSON.stringify({ diagnosis: 'J45.909', note: 'x'.repeat(200) }));
    const patients = Array.from({ length: PATIENTS }, () => p.generateKeyPair());
    const records = [];
    const hangUps = { n: 0 };
    const lagging = { n: 0 };
    const HANG_UP = ['socket hang up', 'ECONNRESET'];
    const setup = await runLoad({
      concurrency: 32,
      maxOps: PATIENTS,
      op: async (i) => {
        const h = pick(i);
        const patient = patients[i];
        await retrying(hangUps, HANG_UP, () =>
          h.client
            .register(patient, 'patient')
            .catch((e) => (e.code === 'ALREADY_REGISTERED' ? undefined : Promise.reject(e))),
        );
        // A write is acknowledged once committed on the submitting org's peer; the next call is
        // endorsed by both peers, and the other org's may not have committed that block yet.
        const upload = () => h.client.upload(patient, { content, kind: 'clinical-note' });
        const { recordId } = await retrying(lagging, ['NOT_REGISTERED', ...HANG_UP], upload);
        const view = () => h.session.post('/v1/requests', h.session.sealedFor('view', patient, { recordId }));
        records[i] = {
          recordId,
          accessId: h.session.result(await retrying(lagging, ['RECORD_NOT_FOUND', ...HANG_UP], view)).accessId,
        };
      },
    });
    if (setup.errors) throw new Error(`setup failed for ${setup.errors} of ${PATIENTS} patients: ${setup.firstError}`);
    if (lagging.n || hangUps.n)
      console.log(
        `setup: ${lagging.n} uploads or views right after an acknowledged registration or upload were refused at first (NOT_REGISTERED_PATIENT, RECORD_NOT_FOUND: the other org's peer had not committed that block yet, or a socket hang up); ${hangUps.n} registrations hit a socket hang up; all retried`,
      );
    const value = JSON.stringify(uploadBody(patients[0], content)); // a Put as large as an upload's body
    await runLoad({
      concurrency: 32,
      maxOps: PATIENTS,
      op: (i) => pickBaseline(i).contract.submitTransaction('Put', `key-${i}`, value),
    });
    const uploads = patients.map((patient) => uploadBody(patient, content));

    const sealed = (op, body) => (i) => ({
      h: pick(i),
      body: pick(i).session.sealedFor(op, patients[i % PATIENTS], body(i % PATIENTS)),
    });
    const sendSealed = ({ h, body }) => h.session.post('/v1/requests', body);
    const keyed = (i) => ({ contract: pickBaseline(i).contract, key: `key-${i % PATIENTS}` });

    for (const c of CONCURRENCY) {
      log(`concurrency ${c}: put, upload, view, get, read, interleaved in ${ROUNDS} rounds`);
      const [put, upload, view, get, read] = await interleaved(groups, c, [
        { make: keyed, send: ({ contract, key }) => contract.submitTransaction('Put', key, value) },
        { make: sealed('upload', (k) => uploads[k]), send: sendSealed },
        { make: sealed('view', (k) => ({ recordId: records[k].recordId })), send: sendSealed },
        { make: keyed, send: ({ contract, key }) => contract.evaluateTransaction('Get', key) },
        { make: sealed('read', (k) => records[k]), send: sendSealed },
      ]);
      rows.push({ name: 'upload vs Put (submit)', c, m: upload, b: put });
      rows.push({ name: 'view vs Put (submit)', c, m: view, b: put });
      rows.push({ name: 'read vs Get (evaluate)', c, m: read, b: get });
      cpuRows.push(
        { name: 'medshare upload', c, ...upload },
        { name: 'medshare view', c, ...view },
        { name: 'medshare read', c, ...read },
        { name: 'baseline Put', c, ...put },
        { name: 'baseline Get', c, ...get },
      );
      for (const r of [put, upload, view, get, read]) if (r.firstError) log(`  first error: ${r.firstError}`);
    }
  } finally {
    for (const b of baseline) b.close();
    await Promise.all(hospitals.map(stopHospital));
    if (!baselineWasRunning) script(['scripts/network/chaincode-server.sh', 'stop', BASELINE]);
    if (!wasUp) {
      log('network: stopping it again (down.sh; data kept)');
      script(['scripts/network/down.sh']);
    }
  }

  console.log(
    `load after the run: ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}\n`,
  );
  printTables(rows, cpuRows);
  const top = Math.max(...CONCURRENCY);
  console.log(
    `\ngoals at concurrency ${top} (issue 11/12: the signature chain costs at most 15 % of throughput; evaluations at least half a bare Get's):`,
  );
  for (const r of rows.filter((row) => row.c === top)) {
    const ratio = r.m.perSecond / r.b.perSecond;
    const goal = r.name.startsWith('read') ? READ_GOAL : GOAL;
    console.log(`  ${r.name}: ${fmt(ratio, 2)}× the baseline (goal ≥ ${goal}×: ${ratio >= goal ? 'PASS' : 'MISS'})`);
  }
  if (CONCURRENCY.includes(1)) {
    console.log("latency goal at concurrency 1 (issue 11: p50 ≤ 1.1× the baseline's):");
    for (const r of rows.filter((row) => row.c === 1 && !row.name.startsWith('read'))) {
      const ratio = r.m.p50 / r.b.p50;
      console.log(
        `  ${r.name}: p50 ${fmt(r.m.p50, 0)} ms vs ${fmt(r.b.p50, 0)} ms, ${fmt(ratio, 2)}× (${ratio <= LATENCY_GOAL ? 'PASS' : 'MISS'})`,
      );
    }
  }
  console.log(`whole run: ${fmt((clock() - started) / 1000, 0)} s`);
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
