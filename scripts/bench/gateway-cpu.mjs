#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// Where the gateways' CPU goes on Fabric (issue 11): the two gateways (one per org, Fabric
// backend) under sealed uploads and reads, against the bare Fabric Gateway client in this
// process (Put and Get of the baseline chaincode, as bench:fabric drives them), in the same run.
// Prints, per case, each side's CPU per completed operation from /proc (gateways for medshare,
// this driver for the baseline) and their ratio, then the V8 CPU profile of a further round
// summarised by bucket (cpuprofile-summary.mjs): the gateways' for upload and read, this
// process's for Put and Get. Figures are printed, never asserted; exit 0 whatever they are.
//
//   BENCH_CONCURRENCY=32 BENCH_PATIENTS=200 BENCH_OPS=400 BENCH_ROUNDS=2 node scripts/bench/gateway-cpu.mjs
//
// BENCH_OPS: operations per case and round; BENCH_ROUNDS: unprofiled rounds (the /proc figures),
// then one profiled round per case; BENCH_CASES (default put,put-gw,upload,get,get-gw,read; view too);
// BENCH_PROFILE_DIR: where to write the profiles (one per case and process). BENCH_BEFORE_DIST=DIR
// (another build, e.g. of the commit before a change: DIR/gateway/dist, and DIR/<package>/ with
// package.json and dist plus DIR/node_modules/@medshare/<package> links for the packages it should
// not take from this tree; other dependencies come from this tree's node_modules by NODE_PATH)
// starts a second pair of gateways from that build and adds its upload and read as upload-before and
// read-before, interleaved with the others: before and after in the same run. GC pause time per
// operation is always reported (perf_hooks 'gc' entries, read through the inspectors);
// BENCH_ALLOCATIONS=1 also samples the profiled round's allocations (KiB per operation, and
// .heapprofile files in BENCH_PROFILE_DIR); BENCH_GATEWAY_NODE_OPTIONS is the gateways' NODE_OPTIONS
// (e.g. a V8 heap setting to try). The network: as
// bench:fabric (network-up.sh, idempotent; stopped again if this script started it; the baseline
// chaincode deployed and served). `npm run build` first. Ports from the environment or .network/ports.env.

import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { networkPorts } from '../network/ports.mjs';
import { connectOrg } from '../network/org-gateway.mjs';
import { fabricLayout } from '../../test/e2e/fabric-layout.mjs';
import { localProfiler, remoteProfiler } from './cpu-profiler.mjs';
import { pidOf as networkPid, repoScript, retrying } from './fabric-network.mjs';
import { formatSummary, summarise } from './cpuprofile-summary.mjs';
import { cpuMs, fmt, freePort, machineLine, runLoad } from './load.mjs';
import { sealedSession, startGateway, stopProcess, uploadBody } from './sealed-requests.mjs';
import { medshareDist } from './medshare-dist.mjs';

const require = createRequire(import.meta.url);
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const p = medshareDist(root);
const { MedshareClient, loadAppConfig } = require(join(root, 'app/dist/index.js'));
const { loadConfig } = require(join(root, 'gateway/dist/config/config.js'));
const { connectFabric } = require(join(root, 'gateway/dist/ledger/fabric.js'));
const run = promisify(execFile);

const NETWORK_HOME = process.env.NETWORK_HOME ?? join(root, '.network');
const FABRIC_HOME = process.env.FABRIC_HOME ?? join(root, '.fabric');
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const PATIENTS = Number(process.env.BENCH_PATIENTS ?? 200);
const OPS = Number(process.env.BENCH_OPS ?? 400);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const CASES = (process.env.BENCH_CASES ?? 'put,put-gw,upload,get,get-gw,read').split(',');
const PROFILE_DIR = process.env.BENCH_PROFILE_DIR;
const BEFORE_DIST = process.env.BENCH_BEFORE_DIST;
const GATEWAY_NODE_OPTIONS = process.env.BENCH_GATEWAY_NODE_OPTIONS;
const ALLOCATIONS = process.env.BENCH_ALLOCATIONS === '1';
const BASELINE = 'medshare-baseline';
const GOAL = 1.5; // issue 11: gateway CPU per sealed request ≤ 1.5 × the bare client's per submit / evaluate
const ORGS = ['org1', 'org2'];
const HANG_UP = ['socket hang up', 'ECONNRESET'];

const log = (line) => process.stderr.write(`${line}\n`);
const scriptEnv = { ...process.env, FABRIC_HOME, NETWORK_HOME, NO_COLOR: '1' };

const pidOf = (name) => networkPid(NETWORK_HOME, name);
const script = (args, env = {}) => repoScript(root, { ...scriptEnv, ...env }, args);

/**
 * A gateway of `org` (Fabric backend, a fresh K3 registered for the org), its inspector open; a
 * raw session on it. `dist`: the folder of another build's gateway/dist to run instead of ours.
 */
async function startHospital(org, dist) {
  const dir = mkdtempSync(join(os.tmpdir(), `medshare-bench-gwcpu-${org}-`));
  const port = await freePort();
  const layout = fabricLayout(org, dir, port, { networkHome: NETWORK_HOME, proxies: 0 });
  const window = [String(layout.notBefore), String(layout.notAfter)];
  await run(join(root, 'scripts/admin/register-access-key.sh'), [org, layout.k3PublicKey, ...window], {
    env: scriptEnv,
    timeout: 60_000,
  });
  const h = { org, dir, layout };
  const env = {
    MEDSHARE_CONFIG: layout.gatewayConfig,
    ...(dist ? { NODE_PATH: join(root, 'node_modules') } : {}),
    ...(GATEWAY_NODE_OPTIONS ? { NODE_OPTIONS: GATEWAY_NODE_OPTIONS } : {}),
  };
  const entry = dist ? join(dist, 'gateway/dist/dev/start.js') : undefined;
  h.child = await startGateway(env, `gateway ${org}${dist ? ' (before)' : ''}`, { inspect: true, entry });
  const app = loadAppConfig(layout.appConfig).client;
  h.client = new MedshareClient({ ...app, trustedContractKeys: [layout.k4PublicKey] });
  h.session = await sealedSession(app, port);
  h.profiler = await remoteProfiler(h.child.inspectorUrl);
  return h;
}

async function stopHospital(h) {
  h.profiler?.close();
  h.session?.close();
  h.client?.close();
  if (h.child) await stopProcess(h.child);
  const retire = [h.org, p.keyIdOf(h.layout.k3PublicKey)];
  await run(join(root, 'scripts/admin/retire-access-key.sh'), retire, { env: scriptEnv, timeout: 60_000 }).catch(
    (error) => log(`warning: could not retire the bench K3 of ${h.org}: ${error.message}`),
  );
  rmSync(h.dir, { recursive: true, force: true });
}

/**
 * Runs one case: its items made ahead of the window, then sent at CONCURRENCY; CPU of `pids`
 * from /proc around the window, and, when `profilers` are given, their profiles of the window.
 */
async function window(kase, round, pids, profilers = [], watchers = []) {
  const items = Array.from({ length: OPS }, (_, i) => kase.make(round * OPS + i));
  const gcBefore = await Promise.all(watchers.map((w) => w.gcSoFar()));
  const before = pids.map(cpuMs);
  const sampling = ALLOCATIONS ? profilers : [];
  await Promise.all([...profilers.map((pr) => pr.start()), ...sampling.map((pr) => pr.startAllocations())]);
  const load = await runLoad({ concurrency: CONCURRENCY, maxOps: OPS, op: (i) => kase.send(items[i]) });
  const profiles = await Promise.all(profilers.map((pr) => pr.stop()));
  const allocations = await Promise.all(sampling.map((pr) => pr.stopAllocations()));
  const ms = pids.reduce((s, pid, i) => s + cpuMs(pid) - before[i], 0);
  const gcAfter = await Promise.all(watchers.map((w) => w.gcSoFar()));
  if (load.firstError) log(`  ${kase.name}: ${load.errors} errors; first: ${load.firstError}`);
  const gc = gcDelta(gcBefore, gcAfter);
  return { ms, n: load.n, perSecond: load.perSecond, errors: load.errors, profiles, allocations, gc };
}

const NO_GC = Object.freeze({ count: 0, ms: 0, byKind: Object.freeze({}) });

function addGc(a = NO_GC, b = NO_GC) {
  const byKind = { ...a.byKind };
  for (const [kind, ms] of Object.entries(b.byKind)) byKind[kind] = (byKind[kind] ?? 0) + ms;
  return { count: a.count + b.count, ms: a.ms + b.ms, byKind };
}

/** The garbage collections between two readings of several processes, summed. */
function gcDelta(before, after) {
  const out = { count: 0, ms: 0, byKind: {} };
  after.forEach((a, i) => {
    const b = before[i];
    out.count += a.count - b.count;
    out.ms += a.ms - b.ms;
    for (const [kind, ms] of Object.entries(a.byKind))
      out.byKind[kind] = (out.byKind[kind] ?? 0) + ms - (b.byKind[kind] ?? 0);
  });
  return out;
}

/**
 * The gateways' own Fabric client (gateway/src/ledger/fabric.ts connectFabric: their identity,
 * signer and peers, from their config) pointed at the baseline chaincode, in this process: a bare
 * Put or Get as the gateway's client makes it, with the step calls its backend makes.
 */
function gatewayClients(hospitals) {
  return hospitals.map((h) => {
    const config = loadConfig(h.layout.gatewayConfig);
    const [connection, ...others] = connectFabric({ ...config.ledger, chaincode: BASELINE }, config.org);
    for (const o of others) o.close();
    return { connection, deadlines: config.ledger.deadlinesMs };
  });
}

async function putThrough({ connection, deadlines }, key, value) {
  const within = (ms) => ({ deadline: Date.now() + ms });
  const transaction = await connection.newProposal('Put', [key, value]).endorse(within(deadlines.endorse));
  const commit = await transaction.submit(within(deadlines.submit));
  const status = await commit.getStatus(within(deadlines.commitStatus));
  if (!status.successful) throw new Error(`Put ${key}: commit status ${status.code}`);
}

const getThrough = ({ connection, deadlines }, key) =>
  connection.newProposal('Get', [key]).evaluate({ deadline: Date.now() + deadlines.evaluate });

async function setup(hospitals, before, baseline, clients) {
  const pick = (i) => hospitals[i % hospitals.length];
  const pickBefore = (i) => before[i % before.length];
  const content = p.utf8(JSON.stringify({ diagnosis: 'J45.909', note: 'x'.repeat(200) }));
  const patients = Array.from({ length: PATIENTS }, () => p.generateKeyPair());
  const uploads = patients.map((patient) => uploadBody(patient, content));
  const records = [];
  const done = await runLoad({
    concurrency: 32,
    maxOps: PATIENTS,
    op: async (i) => {
      const h = pick(i);
      await retrying(HANG_UP, () => h.client.register(patients[i], 'patient'));
      // The next call is endorsed by both orgs' peers; the other one may not have committed yet.
      const call = (op, body) => async () =>
        h.session.result(await h.session.post('/v1/requests', h.session.sealedFor(op, patients[i], body)));
      const { recordId } = await retrying(['NOT_REGISTERED', ...HANG_UP], call('upload', uploads[i]));
      const { accessId } = await retrying(['RECORD_NOT_FOUND', ...HANG_UP], call('view', { recordId }));
      records[i] = { recordId, accessId };
    },
  });
  if (done.errors) throw new Error(`setup failed for ${done.errors} of ${PATIENTS} patients: ${done.firstError}`);
  const value = JSON.stringify(uploads[0]); // a Put as large as an upload's body
  const puts = await runLoad({
    concurrency: 32,
    maxOps: PATIENTS,
    op: (i) => baseline[i % baseline.length].submitTransaction('Put', `key-${i}`, value),
  });
  if (puts.errors) throw new Error(`baseline setup: ${puts.firstError}`);
  const sealed =
    (op, body, at = pick) =>
    (i) => {
      const h = at(i);
      return { h, body: h.session.sealedFor(op, patients[i % PATIENTS], body(i % PATIENTS)) };
    };
  const sendSealed = ({ h, body }) => h.session.post('/v1/requests', body);
  const keyed = (i) => ({ contract: baseline[i % baseline.length], key: `key-${i % PATIENTS}` });
  const ours = (i) => ({ client: clients[i % clients.length], key: `key-${i % PATIENTS}` });
  return {
    put: { make: keyed, send: ({ contract, key }) => contract.submitTransaction('Put', key, value), bare: true },
    get: { make: keyed, send: ({ contract, key }) => contract.evaluateTransaction('Get', key), bare: true },
    'put-gw': { make: ours, send: ({ client, key }) => putThrough(client, key, value), bare: true },
    'get-gw': { make: ours, send: ({ client, key }) => getThrough(client, key), bare: true },
    upload: { make: sealed('upload', (k) => uploads[k]), send: sendSealed },
    view: { make: sealed('view', (k) => ({ recordId: records[k].recordId })), send: sendSealed },
    read: { make: sealed('read', (k) => records[k]), send: sendSealed },
    'upload-before': { make: sealed('upload', (k) => uploads[k], pickBefore), send: sendSealed, before: true },
    'read-before': { make: sealed('read', (k) => records[k], pickBefore), send: sendSealed, before: true },
  };
}

/** Each medshare case's bare counterparts: fabric-gateway's defaults (the goal's reference), and the gateway's own client. */
const PAIRS = {
  upload: ['put', 'put-gw', 'upload-before'],
  'upload-before': ['put', 'put-gw'],
  view: ['put', 'put-gw'],
  read: ['get', 'get-gw', 'read-before'],
  'read-before': ['get', 'get-gw'],
};
const SIDES = {
  put: 'driver: fabric-gateway, its default signer',
  get: 'driver: fabric-gateway, its default signer',
  'put-gw': "driver: the gateway's Fabric client (connectFabric)",
  'get-gw': "driver: the gateway's Fabric client (connectFabric)",
};

/** GC pause time per completed operation (perf_hooks 'gc' entries of the measured processes). */
function gcPerOp(r) {
  const per = (ms) => fmt((ms ?? 0) / Math.max(1, r.n), 3);
  const g = r.gc ?? NO_GC;
  return `${per(g.ms)} (${per(g.byKind.minor)}, ${per(g.byKind.major)})`;
}

function report(results) {
  console.log(
    `\nCPU per completed operation, ms (/proc, user + system; ${ROUNDS} rounds of ${OPS} at concurrency ${CONCURRENCY}):`,
  );
  console.log(
    "| case | side measured | ops/s | CPU ms/op | vs bare (default) | goal ≤ 1.5× | vs the gateway's client, bare | after / before | GC ms/op (minor, major) |",
  );
  console.log('| --- | --- | ---: | ---: | ---: | --- | ---: | ---: | ---: |');
  const ratio = (r, other) => (other ? r.msPerOp / other.msPerOp : undefined);
  for (const [name, r] of Object.entries(results)) {
    const [bare, gw, before] = (PAIRS[name] ?? []).map((n) => results[n]);
    const [vsBare, vsGw, vsBefore] = [ratio(r, bare), ratio(r, gw), ratio(r, before)];
    const x = (v) => (v === undefined ? '—' : `${fmt(v, 2)}×`);
    const goal = vsBare === undefined ? '' : vsBare <= GOAL ? 'PASS' : 'MISS';
    console.log(
      `| ${name} | ${r.side} | ${fmt(r.perSecond, 1)} | ${fmt(r.msPerOp, 2)} | ${x(vsBare)} | ${goal} | ${x(vsGw)} | ${x(vsBefore)} | ${gcPerOp(r)} |`,
    );
  }
  for (const [name, r] of Object.entries(results)) {
    const summary = summarise(r.profiles, { ops: Math.max(1, r.profiledOps), cpuMs: r.profiledMs });
    console.log(
      `\n### ${name}: ${r.side}, profiled round (${r.profiledOps} ops; /proc in that round: ${fmt(r.profiledMsPerOp, 2)} ms/op)\n`,
    );
    console.log(formatSummary(summary, `${name} (${r.side})`));
    if (r.allocations?.length) {
      const bytes = r.allocations.reduce((sum, a) => sum + a.samples.reduce((t, x) => t + x.size, 0), 0);
      console.log(
        `\nallocated (sampling heap profiler, collected objects included): ${fmt(bytes / 1024 / Math.max(1, r.profiledOps), 0)} KiB/op`,
      );
    }
  }
}

async function main() {
  console.log(`medshare gateway CPU profile on Fabric — ${new Date().toISOString()}`);
  console.log(machineLine());
  const wasUp = existsSync(join(NETWORK_HOME, '.medshare-network')) && pidOf('peer0.org1.example.com') !== undefined;
  script(['scripts/network/network-up.sh']);
  const ccaasPort = Number(process.env.CCAAS_PORT ?? networkPorts(NETWORK_HOME).CCAAS_PORT ?? 9999);
  const baselineAddress = process.env.BENCH_BASELINE_ADDRESS ?? `127.0.0.1:${ccaasPort + 1}`;
  const baselineWasRunning = pidOf(`chaincode-${BASELINE}`) !== undefined;
  script(['scripts/network/deploy-chaincode.sh', BASELINE, '1.0', '1', baselineAddress]);
  script(
    [
      'scripts/network/chaincode-server.sh',
      'start',
      BASELINE,
      '--module-path',
      join(root, 'scripts/bench/baseline-chaincode'),
    ],
    {
      CHAINCODE_SERVER_ADDRESS: baselineAddress,
    },
  );
  const hospitals = [];
  const before = [];
  const connections = [];
  let clients = [];
  const self = localProfiler();
  try {
    hospitals.push(...(await Promise.all(ORGS.map((org) => startHospital(org)))));
    if (BEFORE_DIST) before.push(...(await Promise.all(ORGS.map((org) => startHospital(org, BEFORE_DIST)))));
    for (const org of ORGS) {
      // The medshare gateways' default deadlines (gateway/src/config/config.ts), as bench:fabric.
      const deadlines = { evaluate: 5000, endorse: 8000, submit: 4000, commitStatus: 12000 };
      connections.push(connectOrg({ networkHome: NETWORK_HOME, org, user: 'User1', deadlines }));
    }
    const baseline = connections.map((c) => c.gateway.getNetwork('medshare').getContract(BASELINE));
    log(
      `setup: ${PATIENTS} patients registered, each with one record uploaded and viewed; ${PATIENTS} baseline keys put`,
    );
    clients = gatewayClients(hospitals);
    const cases = await setup(hospitals, before, baseline, clients);
    const names = BEFORE_DIST ? [...CASES, 'upload-before', 'read-before'] : CASES;
    console.log(
      `load: ${names.join(', ')}; concurrency ${CONCURRENCY}; ${OPS} ops per case and round; ${PATIENTS} patients / keys in rotation`,
    );
    const results = {};
    for (const name of names) {
      const side = SIDES[name] ?? (cases[name].before ? 'gateways, before (2 processes)' : 'gateways (2 processes)');
      results[name] = { side, ms: 0, n: 0, elapsed: 0, profiles: [] };
    }
    const pidsOf = (hs) => hs.map((h) => h.child.pid);
    await Promise.all([self, ...[...hospitals, ...before].map((h) => h.profiler)].map((w) => w.watchGc()));
    for (let round = 0; round <= ROUNDS; round++) {
      const profiled = round === ROUNDS;
      log(`round ${round + 1} of ${ROUNDS + 1}${profiled ? ' (profiled)' : ''}`);
      for (const name of names) {
        const kase = { name, ...cases[name] };
        const hs = kase.before ? before : hospitals;
        const pids = kase.bare ? [process.pid] : pidsOf(hs);
        const inspectors = kase.bare ? [self] : hs.map((h) => h.profiler);
        const w = await window(kase, round, pids, profiled ? inspectors : [], inspectors);
        const r = results[name];
        if (!profiled) r.gc = addGc(r.gc, w.gc);
        if (profiled)
          Object.assign(r, {
            profiles: w.profiles,
            allocations: w.allocations,
            profiledOps: w.n,
            profiledMs: w.ms,
            profiledMsPerOp: w.ms / Math.max(1, w.n),
          });
        else Object.assign(r, { ms: r.ms + w.ms, n: r.n + w.n, elapsed: r.elapsed + w.n / w.perSecond });
      }
    }
    for (const r of Object.values(results))
      Object.assign(r, { msPerOp: r.ms / Math.max(1, r.n), perSecond: r.n / r.elapsed });
    if (PROFILE_DIR) {
      mkdirSync(PROFILE_DIR, { recursive: true });
      const write = (name, ext, profile, i) =>
        writeFileSync(join(PROFILE_DIR, `${name}-${i + 1}.${ext}`), JSON.stringify(profile));
      for (const [name, r] of Object.entries(results)) {
        r.profiles.forEach((profile, i) => write(name, 'cpuprofile', profile, i));
        r.allocations?.forEach((profile, i) => write(name, 'heapprofile', profile, i));
      }
      log(`profiles written to ${PROFILE_DIR}`);
    }
    console.log(
      `load after the run: ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    );
    report(results);
  } finally {
    self.close();
    for (const c of connections) c.close();
    for (const c of clients) c.connection.close();
    await Promise.all([...hospitals, ...before].map(stopHospital));
    if (!baselineWasRunning) script(['scripts/network/chaincode-server.sh', 'stop', BASELINE]);
    if (!wasUp) script(['scripts/network/down.sh']);
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
