#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// How medshare's throughput on the Fabric network grows with a second chaincode server process
// per organization (issue 11): upload, view and read at one concurrency (default 32) with one
// server per org (CHAINCODE_SERVERS_PER_ORG=1: both peers of an org dial it), then with two (=2:
// each org's peer1 dials its own second server, scripts/network/lib.sh), then with one again
// (the drift check, and the restore). Prints tx/s and p50/p99, the ratio 2 servers / 1 server
// (against the mean of the two 1-server passes and each; and of throughput per CPU millisecond,
// which the machine's other load moves less), CPU per completed operation by process, where the
// endorsements landed (each peer's endorser_proposal_duration_count for medshare, from its
// operations endpoint, and which chaincode server each peer holds a connection to), and the
// machine's cores and how busy they were (/proc/stat) during each pass. Figures are printed,
// never asserted; exit 0 whatever they are.
//
// Four medshare gateways, one per peer (each org's two peers; ledger.peers in that order, so each
// gateway sends its calls to its own peer, whose Fabric Gateway picks that same peer first as its
// org's endorser when the heights are equal: internal/pkg/gateway/registry.go's sorter), the same
// four in every pass, restarted (same layout and K3) around each switch of the network. Requests
// are signed and sealed before each timed window (the raw driver of bench:gateway), sent round
// robin over the four. Setup: BENCH_PATIENTS patients registered, one record each uploaded and
// viewed; uploads rotate over the patients, views and reads are of those records.
//
// The network: switched with scripts/network/network-up.sh (CHAINCODE_SERVERS_PER_ORG=1|2; it
// restarts the peers whose builder configuration changes and redeploys the packages: ~20 s a
// switch), left as it was found (the setting it ran with; stopped again if this script started
// it). Each run registers a fresh K3 per gateway and retires it at the end.
//
//   npm run bench:fabric-scale                         (builds first)
//   BENCH_CONCURRENCY=32 BENCH_PATIENTS=200 BENCH_OPS=240 BENCH_WARMUP=48 BENCH_ROUNDS=2 BENCH_SECONDS=16 npm run bench:fabric-scale
//
// BENCH_OPS: operations per case and pass (split over BENCH_ROUNDS interleaved rounds), after
// BENCH_WARMUP untimed ones per case (each pass starts new gateway and chaincode server
// processes); BENCH_SECONDS bounds each case's windows in a pass (together). Ports: the environment or .network/ports.env.
// Shares with bench:fabric (scripts/bench/fabric.mjs, which exports nothing) the gateway start and
// setup shape; both use load.mjs and sealed-requests.mjs, this one fabric-network.mjs too.

import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { networkPorts } from '../network/ports.mjs';
import { fabricLayout } from '../../test/e2e/fabric-layout.mjs';
import { clock, cpuMs, fmt, freePort, machineLine, mergeLoads, runLoad } from './load.mjs';
import { sealedSession, startGateway, stopProcess, uploadBody } from './sealed-requests.mjs';
import { pidOf as networkPid, repoScript, retrying } from './fabric-network.mjs';
import { medshareDist } from './medshare-dist.mjs';

const require = createRequire(import.meta.url);
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const p = medshareDist(root);
const { MedshareClient, loadAppConfig } = require(join(root, 'app/dist/index.js'));
const run = promisify(execFile);

const NETWORK_HOME = process.env.NETWORK_HOME ?? join(root, '.network');
const FABRIC_HOME = process.env.FABRIC_HOME ?? join(root, '.fabric');
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const PATIENTS = Number(process.env.BENCH_PATIENTS ?? 200);
const OPS = Number(process.env.BENCH_OPS ?? 240);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 48);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 16);
const PASSES = [1, 2, 1];
const ORGS = ['org1', 'org2'];
const PEERS = ['peer0.org1', 'peer1.org1', 'peer0.org2', 'peer1.org2'].map((n) => `${n}.example.com`);
const OPS_PORT_VAR = (peer) => `PEER${peer[4]}_ORG${peer[9]}_OPS_PORT`;
const SERVERS = ['org1', 'org1-b', 'org2', 'org2-b'].map((s) => `chaincode-medshare-${s}`);
const scriptEnv = { ...process.env, FABRIC_HOME, NETWORK_HOME, NO_COLOR: '1' };
const log = (line) => process.stderr.write(`${line}\n`);
const pidOf = (name) => networkPid(NETWORK_HOME, name);
const script = (args, env = {}) => repoScript(root, { ...scriptEnv, ...env }, args);

const networkRunning = () =>
  existsSync(join(NETWORK_HOME, '.medshare-network')) &&
  ['orderer.example.com', ...PEERS, SERVERS[0], SERVERS[2]].every((n) => pidOf(n) !== undefined);

/** The setting the running network has: 2 when a peer1's environment names a builder configuration. */
function currentServersPerOrg() {
  const env = join(NETWORK_HOME, 'config', `${PEERS[1]}.env`);
  return existsSync(env) && /^CHAINCODE_AS_A_SERVICE_BUILDER_CONFIG=/m.test(readFileSync(env, 'utf8')) ? 2 : 1;
}

function switchNetwork(servers) {
  const t0 = clock();
  log(`network: CHAINCODE_SERVERS_PER_ORG=${servers} (network-up.sh)`);
  script(['scripts/network/network-up.sh'], { CHAINCODE_SERVERS_PER_ORG: String(servers) });
  return (clock() - t0) / 1000;
}

// ------------------------------------------------------------------ gateways, one per peer
async function newGateway(org, peerIndex) {
  const dir = mkdtempSync(join(os.tmpdir(), `medshare-bench-scale-${org}-${peerIndex}-`));
  const port = await freePort();
  const layout = fabricLayout(org, dir, port, { networkHome: NETWORK_HOME, proxies: 0 });
  // The gateway calls the first of ledger.peers (the others only when it is unreachable).
  const config = JSON.parse(readFileSync(layout.gatewayConfig, 'utf8'));
  if (peerIndex === 1) config.ledger.peers.reverse();
  writeFileSync(layout.gatewayConfig, `${JSON.stringify(config, null, 2)}\n`);
  await run(
    join(root, 'scripts/admin/register-access-key.sh'),
    [org, layout.k3PublicKey, String(layout.notBefore), String(layout.notAfter)],
    { env: scriptEnv, timeout: 60_000 },
  );
  return { org, peer: `peer${peerIndex}.${org}.example.com`, dir, port, layout };
}

async function startGateways(gateways) {
  await Promise.all(
    gateways.map(async (g) => {
      g.child = await startGateway({ MEDSHARE_CONFIG: g.layout.gatewayConfig }, `gateway ${g.peer}`);
      const app = loadAppConfig(g.layout.appConfig).client;
      g.client = new MedshareClient({ ...app, trustedContractKeys: [g.layout.k4PublicKey] });
      g.session = await sealedSession(app, g.port);
    }),
  );
}

async function stopGateways(gateways) {
  await Promise.all(
    gateways.map(async (g) => {
      g.session?.close();
      g.client?.close();
      if (g.child) await stopProcess(g.child);
      g.child = g.session = g.client = undefined;
    }),
  );
}

async function retireGateway(g) {
  try {
    await run(join(root, 'scripts/admin/retire-access-key.sh'), [g.org, p.keyIdOf(g.layout.k3PublicKey)], {
      env: scriptEnv,
      timeout: 60_000,
    });
  } catch (error) {
    log(`warning: could not retire the bench K3 of ${g.peer}'s gateway: ${error.message}`);
  }
  rmSync(g.dir, { recursive: true, force: true });
}

/** PATIENTS patients registered, one record each uploaded and viewed: [{patient, recordId, accessId}]. */
async function setupRecords(gateways, content) {
  const patients = Array.from({ length: PATIENTS }, () => p.generateKeyPair());
  const records = [];
  const HANG_UP = ['socket hang up', 'ECONNRESET'];
  const setup = await runLoad({
    concurrency: CONCURRENCY,
    maxOps: PATIENTS,
    op: async (i) => {
      const g = gateways[i % gateways.length];
      const patient = patients[i];
      await retrying(HANG_UP, () =>
        g.client.register(patient, 'patient').catch((e) => (e.code === 'ALREADY_REGISTERED' ? 0 : Promise.reject(e))),
      );
      // The other org's peer may not have committed the registration (or upload) yet: retried.
      const upload = () => g.client.upload(patient, { content, kind: 'clinical-note' });
      const { recordId } = await retrying(['NOT_REGISTERED', ...HANG_UP], upload);
      const view = () => g.session.post('/v1/requests', g.session.sealedFor('view', patient, { recordId }));
      const accessId = g.session.result(await retrying(['RECORD_NOT_FOUND', ...HANG_UP], view)).accessId;
      records[i] = { patient, recordId, accessId };
    },
  });
  if (setup.errors) throw new Error(`setup failed for ${setup.errors} of ${PATIENTS} patients: ${setup.firstError}`);
  return records;
}

// ------------------------------------------------------------------ what is read around each window
function processGroups(gateways) {
  const pids = (names) => names.map(pidOf).filter((pid) => pid !== undefined);
  return {
    driver: [process.pid],
    gateways: gateways.map((g) => g.child.pid),
    'cc org1 a': pids([SERVERS[0]]),
    'cc org1 b': pids([SERVERS[1]]),
    'cc org2 a': pids([SERVERS[2]]),
    'cc org2 b': pids([SERVERS[3]]),
    peers: pids(PEERS),
    orderer: pids(['orderer.example.com']),
  };
}

const cpuOf = (groups) =>
  Object.fromEntries(Object.entries(groups).map(([g, pids]) => [g, pids.reduce((s, pid) => s + cpuMs(pid), 0)]));

/** Busy and total CPU time of the whole machine so far (all cores, in /proc/stat's ticks; only their ratio is used). */
function machineCpu() {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1, 9).map(Number);
  const total = fields.reduce((s, v) => s + v, 0);
  return { busy: total - fields[3] - fields[4], total }; // idle and iowait are not busy
}

/** medshare proposals each peer has processed (endorsements and evaluations), from its /metrics. */
async function proposalsByPeer(ports) {
  const counts = {};
  for (const peer of PEERS) {
    const text = await fetch(`http://127.0.0.1:${ports[OPS_PORT_VAR(peer)]}/metrics`).then((r) => r.text());
    counts[peer] = text
      .split('\n')
      .filter((l) => l.startsWith('endorser_proposal_duration_count{') && l.includes('chaincode="medshare"'))
      .reduce((s, l) => s + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
  }
  return counts;
}

/** Which chaincode server (by port) each peer holds an established connection to (ss -tnp). */
function peerDials(ports) {
  const names = {
    [ports.CCAAS_PORT]: 'org1 a',
    [ports.CCAAS_ORG1_B_PORT]: 'org1 b',
    [ports.CCAAS_ORG2_PORT]: 'org2 a',
    [ports.CCAAS_ORG2_B_PORT]: 'org2 b',
  };
  const out = spawnSync('ss', ['-Htnp', 'state', 'established'], { encoding: 'utf8' }).stdout ?? '';
  return PEERS.map((peer) => {
    const pid = pidOf(peer);
    const dialled = out
      .split('\n')
      .filter((l) => l.includes(`pid=${pid},`))
      .map((l) => Number(/:(\d+)\s+users:/.exec(l)?.[1]))
      .filter((port) => names[port]);
    return `${peer} → ${[...new Set(dialled)].map((port) => `${names[port]} (:${port})`).join(', ') || 'none'}`;
  });
}

// ------------------------------------------------------------------ one pass
const CASES = ['upload', 'view', 'read'];
const BODIES = {
  upload: (k, records, uploads) => uploads[k],
  view: (k, records) => ({ recordId: records[k].recordId }),
  read: (k, records) => ({ recordId: records[k].recordId, accessId: records[k].accessId }),
};

/** `count` sealed requests of case `name` (operations from .. from + count - 1), round robin over the gateways. */
function sealedItems(gateways, data, name, from, count) {
  return Array.from({ length: count }, (_, j) => {
    const i = from + j;
    const g = gateways[i % gateways.length];
    const k = i % PATIENTS;
    return { g, body: g.session.sealedFor(name, data.records[k].patient, BODIES[name](k, data.records, data.uploads)) };
  });
}

const sendAll = (items, seconds) =>
  runLoad({
    concurrency: CONCURRENCY,
    maxOps: items.length,
    seconds,
    op: (i) => items[i].g.session.post('/v1/requests', items[i].body),
  });

/**
 * The three cases at CONCURRENCY after a warm-up (the gateways and chaincode servers of a pass
 * are new processes), interleaved over ROUNDS rounds; per case: load, CPU per op, proposals per peer.
 */
async function measurePass(gateways, data, ports) {
  for (const name of CASES) await sendAll(sealedItems(gateways, data, name, 0, WARMUP), SECONDS);
  const groups = processGroups(gateways);
  const perRound = Math.ceil(OPS / ROUNDS);
  const acc = CASES.map(() => ({ loads: [], cpu: {}, proposals: {} }));
  const machine = { busy: 0, total: 0 };
  for (let round = 0; round < ROUNDS; round++) {
    for (const [c, name] of CASES.entries()) {
      const items = sealedItems(gateways, data, name, WARMUP + round * perRound, perRound);
      const [cpu0, m0, prop0] = [cpuOf(groups), machineCpu(), await proposalsByPeer(ports)];
      acc[c].loads.push(await sendAll(items, SECONDS / ROUNDS));
      const [cpu1, m1, prop1] = [cpuOf(groups), machineCpu(), await proposalsByPeer(ports)];
      for (const g of Object.keys(cpu0)) acc[c].cpu[g] = (acc[c].cpu[g] ?? 0) + cpu1[g] - cpu0[g];
      for (const peer of PEERS) acc[c].proposals[peer] = (acc[c].proposals[peer] ?? 0) + prop1[peer] - prop0[peer];
      machine.busy += m1.busy - m0.busy;
      machine.total += m1.total - m0.total;
    }
  }
  const cases = acc.map(({ loads, cpu, proposals }, c) => {
    const merged = mergeLoads(loads);
    const done = Math.max(1, merged.n);
    const cpuPerOp = Object.fromEntries(Object.entries(cpu).map(([g, ms]) => [g, ms / done]));
    const ours = Object.values(cpu).reduce((s, ms) => s + ms, 0);
    return { name: CASES[c], ...merged, cpuPerOp, proposals, oursMs: ours };
  });
  return { cases, machine };
}

// ------------------------------------------------------------------ report
function printPass(label, pass) {
  const cores = os.cpus().length;
  const elapsed = pass.cases.reduce((s, r) => s + r.elapsed, 0) * 1000;
  const busyCores = pass.machine.total ? (pass.machine.busy / pass.machine.total) * cores : Number.NaN;
  const oursCores = pass.cases.reduce((s, r) => s + r.oursMs, 0) / elapsed;
  console.log(
    `\n${label}: machine busy ${fmt(busyCores, 2)} of ${cores} cores during the windows (this benchmark's processes ${fmt(oursCores, 2)}, everything else ${fmt(busyCores - oursCores, 2)}); load after: ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  const groups = Object.keys(pass.cases[0].cpuPerOp);
  console.log(`| case | tx/s | p50 / p99 ms | errors | ${groups.join(' | ')} | total CPU ms/op |`);
  console.log(`| --- | ---: | ---: | ---: | ${groups.map(() => '---:').join(' | ')} | ---: |`);
  for (const r of pass.cases) {
    const cpu = groups.map((g) => r.cpuPerOp[g]);
    console.log(
      `| ${r.name} | ${fmt(r.perSecond, 1)} | ${fmt(r.p50, 0)} / ${fmt(r.p99, 0)} | ${r.errors} | ${cpu
        .map((v) => (v ? fmt(v, 1) : '—'))
        .join(' | ')} | ${fmt(
        cpu.reduce((s, v) => s + v, 0),
        1,
      )} |`,
    );
  }
  console.log(
    "medshare proposals per completed operation, by peer (endorsements and evaluations: each peer's endorser_proposal_duration_count):",
  );
  for (const r of pass.cases) {
    const done = Math.max(1, r.n);
    console.log(
      `  ${r.name}: ${PEERS.map((peer) => `${peer.slice(0, 10)} ${fmt(r.proposals[peer] / done, 2)}`).join(', ')}`,
    );
  }
  for (const line of pass.dials) console.log(`  ${line}`);
  for (const r of pass.cases) if (r.firstError) console.log(`  ${r.name}: first error: ${r.firstError}`);
}

const totalCpu = (r) => Object.values(r.cpuPerOp).reduce((s, v) => s + v, 0);
const mean = (values) => values.reduce((s, v) => s + v, 0) / values.length;

/**
 * The ratios 2 servers / 1 server: of throughput (against the mean of the 1-server passes, and
 * against each, since the machine's other load drifts between passes), and of throughput per CPU
 * time spent (the inverse ratio of total CPU per operation, which that drift moves less).
 */
function printSummary(passes) {
  const one = passes.filter((x) => x.servers === 1);
  const two = passes.find((x) => x.servers === 2);
  const cores = os.cpus().length;
  console.log(`\n2 servers per org / 1 server per org, concurrency ${CONCURRENCY}:`);
  console.log(
    '| case | 1 server tx/s (each pass) | 2 servers tx/s | throughput ratio: vs mean (vs each) | total CPU ms/op, 1 → 2 | throughput per CPU ms, ratio |',
  );
  console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
  for (const [c, name] of CASES.entries()) {
    const ones = one.map((x) => x.cases[c].perSecond);
    const tx2 = two.cases[c].perSecond;
    const cpu1 = mean(one.map((x) => totalCpu(x.cases[c])));
    const cpu2 = totalCpu(two.cases[c]);
    console.log(
      `| ${name} | ${fmt(mean(ones), 1)} (${ones.map((v) => fmt(v, 1)).join(', ')}) | ${fmt(tx2, 1)} | ${fmt(tx2 / mean(ones), 2)} (${ones
        .map((v) => fmt(tx2 / v, 2))
        .join(', ')}) | ${fmt(cpu1, 1)} → ${fmt(cpu2, 1)} | ${fmt(cpu1 / cpu2, 2)} |`,
    );
  }
  const others = (x) => {
    const elapsed = x.cases.reduce((s, r) => s + r.elapsed, 0) * 1000;
    return (cores * x.machine.busy) / x.machine.total - x.cases.reduce((s, r) => s + r.oursMs, 0) / elapsed;
  };
  console.log(
    `the machine's other work took ${passes.map((x) => `${fmt(others(x), 2)}`).join(', ')} cores in passes ${passes
      .map((_, k) => k + 1)
      .join(', ')} (other engineers' processes: the 1-server passes differ by that drift, not by code)`,
  );
  const idle = (x) => cores * (1 - x.machine.busy / x.machine.total);
  const spare = Math.min(...one.map(idle));
  console.log(
    `spare cores: ${spare >= 0.5 ? 'yes' : 'no'} — during the 1-server passes ${fmt(spare, 2)} of the machine's ${cores} cores were idle at the least (/proc/stat), so ${
      spare >= 0.5
        ? 'a second server per org had CPU to use'
        : 'a second server per org could only share the same saturated cores: its gain, if any, is from less queueing on one stream, not from more CPU'
    }`,
  );
}

// ------------------------------------------------------------------ main
async function main() {
  const started = clock();
  console.log(`medshare bench:fabric-scale — ${new Date().toISOString()}`);
  console.log(machineLine());
  const wasUp = networkRunning();
  const original = wasUp ? currentServersPerOrg() : 1;
  log(wasUp ? `network: running with ${original} server(s) per org` : 'network: not running; starting it');
  const gateways = [];
  const passes = [];
  const switches = [];
  try {
    switches.push(switchNetwork(PASSES[0]));
    const ports = { ...networkPorts(NETWORK_HOME) };
    // Each org's admin registers its two gateways' K3s one after the other, the two orgs at once.
    const byOrg = await Promise.all(ORGS.map(async (org) => [await newGateway(org, 0), await newGateway(org, 1)]));
    gateways.push(...byOrg.flat());
    console.log(
      `load: concurrency ${CONCURRENCY}; ${OPS} operations or ${SECONDS} s per case and pass, in ${ROUNDS} interleaved rounds; ${PATIENTS} patients; 4 gateways (one per peer); passes: ${PASSES.map((n) => `${n} server(s) per org`).join(', ')}`,
    );
    await startGateways(gateways);
    log(`setup: ${PATIENTS} patients registered, one record each uploaded and viewed`);
    const content = p.utf8(JSON.stringify({ diagnosis: 'J45.909', note: 'x'.repeat(200) }));
    const records = await setupRecords(gateways, content);
    const uploads = records.map((r) => uploadBody(r.patient, content));
    for (const [k, servers] of PASSES.entries()) {
      if (k > 0) {
        await stopGateways(gateways);
        switches.push(switchNetwork(servers));
        await startGateways(gateways);
      }
      log(`pass ${k + 1}: ${servers} server(s) per org`);
      const pass = await measurePass(gateways, { records, uploads }, ports);
      passes.push({ servers, ...pass, dials: peerDials(ports) });
    }
  } finally {
    await stopGateways(gateways);
    await Promise.all(gateways.map(retireGateway));
    if (!wasUp) {
      log('network: stopping it again (down.sh; data kept)');
      script(['scripts/network/down.sh']);
    } else if (currentServersPerOrg() !== original) {
      switches.push(switchNetwork(original));
    }
  }
  console.log(`network switches (network-up.sh): ${switches.map((s) => `${fmt(s, 0)} s`).join(', ')}`);
  for (const [k, pass] of passes.entries()) printPass(`pass ${k + 1}, ${pass.servers} server(s) per org`, pass);
  printSummary(passes);
  console.log(`whole run: ${fmt((clock() - started) / 1000, 0)} s`);
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
