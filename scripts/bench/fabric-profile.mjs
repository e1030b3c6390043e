#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// Where Fabric's own nodes spend their CPU (issue 11): Go CPU profiles of the four peers and the
// orderer under sustained load, one case at a time, against the baseline chaincode in the same
// run (the network, gateways, patients and cases of bench:fabric: scripts/bench/fabric-setup.mjs).
//
//   medshare upload (submit)  vs  baseline Put      medshare view (submit)  vs  baseline Put
//   medshare read (evaluate)  vs  baseline Get
//
// First an idle window (no load: the nodes' background, gossip's heartbeats above all, in ms per
// second), then for each case: BENCH_CONCURRENCY workers (default 32) send it for BENCH_WARMUP_SECONDS (3),
// then, while they go on, every node's /debug/pprof/profile?seconds=BENCH_PROFILE_SECONDS (10)
// is pulled at once, with the nodes' Prometheus metrics (/metrics on the operations port) and
// the processes' CPU counters (/proc) read just before and after. Afterwards the window's blocks
// are fetched from peer0.org1 and decoded. Printed per case:
//   - throughput in the window; CPU ms per transaction per node, from /proc and from the profile;
//   - the profile's CPU per transaction by phase of Fabric's path and by kind of work
//     (scripts/bench/pprof-summary.mjs), per node, and phase × kind for the four peers;
//   - chaincode shim requests per transaction by type (chaincode_shim_requests_completed),
//     proposals and gateway calls per transaction (endorser_*, grpc_server_unary_requests_*);
//   - the transactions' sizes (envelope, proposal input, read/write set, endorsements), keys read
//     and written, block bytes per transaction, validation codes (scripts/bench/fabric-blocks.mjs);
//   - the top BENCH_TOP (15) flat functions of the four peers' profiles merged;
// then medshare against the baseline, phase by phase and kind by kind, for the four peers net of
// the idle background (ms per second × window ÷ transactions: a case with half the throughput
// carries twice the background per transaction, which is not a cost of its transactions). Raw profiles are kept under
// BENCH_PROFILE_OUT (default a new directory in the system temp dir; printed) as <case>/<node>.pb.gz,
// with the pprof text outputs beside them: `go tool pprof -http=127.0.0.1:0 <file>` explores one.
//
// The network must serve pprof: it is started (or found running) with FABRIC_PROFILE=1
// (scripts/network/lib.sh); a network already running without it is refused with the commands
// that restart it so. Started here, it is stopped at the end (data kept). Go's pprof tool comes
// from GO (default /usr/local/go/bin/go, else `go` on PATH). Figures are printed, never asserted.
//
//   npm run bench:fabric-profile                                (builds first)
//   BENCH_PATIENTS=500 BENCH_CASES=upload,put,view,read,get BENCH_PROFILE_SECONDS=10 npm run bench:fabric-profile

import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import os from 'node:os';
import { join } from 'node:path';
import { clock, cpuMs, fmt, loadAverages, machineLine, runLoadDuring } from './load.mjs';
import { BASELINE, FABRIC_HOME, batchSettings, fabricVersion, log, openFabricBench, pidOf } from './fabric-setup.mjs';
import { summarizeBlocks } from './fabric-blocks.mjs';
import {
  bucketize,
  deltaBy,
  kindNames,
  minusScaled,
  parsePrometheus,
  parseTop,
  parseTraces,
  perUnit,
  phaseNames,
  sumBy,
} from './pprof-summary.mjs';

const PATIENTS = Number(process.env.BENCH_PATIENTS ?? 500);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const SECONDS = Number(process.env.BENCH_PROFILE_SECONDS ?? 10);
const WARMUP = Number(process.env.BENCH_WARMUP_SECONDS ?? 3);
const TOP = Number(process.env.BENCH_TOP ?? 15);
const CASES = (process.env.BENCH_CASES ?? 'upload,put,view,read,get').split(',').map((c) => c.trim());
const IDLE = 'idle';
const GO = process.env.GO ?? (existsSync('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : 'go');
// Most operations a case may need in its warm-up and window (sealed requests are made before it):
// a rate above what the machine reaches, per second of load.
const MAX_RATE = { idle: 0, upload: 150, view: 150, read: 500, put: 400, get: 2500 };
const CHAINCODE = { upload: 'medshare', view: 'medshare', read: 'medshare', put: BASELINE, get: BASELINE };
const SUBMITS = new Set(['upload', 'view', 'put']);
const LABEL = {
  idle: 'idle (no load)',
  upload: 'medshare upload',
  view: 'medshare view',
  read: 'medshare read',
  put: 'baseline Put',
  get: 'baseline Get',
};
const COMPARE = [
  ['upload', 'put'],
  ['view', 'put'],
  ['read', 'get'],
];

/** The nodes profiled: name, pid-file name, the ports.env variables of its operations and pprof ports. */
const PEERS = ['peer0.org1', 'peer0.org2', 'peer1.org1', 'peer1.org2'];
const NODES = [
  ...PEERS.map((name) => {
    const [peer, org] = name.split('.');
    const v = `${peer.toUpperCase()}_${org.toUpperCase()}`;
    return { name, full: `${name}.example.com`, ops: `${v}_OPS_PORT`, pprof: `${v}_PROFILE_PORT`, binary: 'peer' };
  }),
  {
    name: 'orderer',
    full: 'orderer.example.com',
    ops: 'ORDERER_OPS_PORT',
    pprof: 'ORDERER_PROFILE_PORT',
    binary: 'orderer',
  },
];

function httpGet(url, timeoutMs) {
  return new Promise((ok, fail) => {
    const req = request(url, { timeout: timeoutMs }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () =>
        res.statusCode === 200
          ? ok(Buffer.concat(chunks))
          : fail(new Error(`GET ${url}: ${res.statusCode} ${Buffer.concat(chunks)}`)),
      );
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url}: no answer in ${timeoutMs} ms`)));
    req.on('error', fail);
    req.end();
  });
}

/** Refuses a network whose nodes do not serve pprof, with the commands that restart it so. */
async function checkProfiling(ports) {
  const missing = [];
  for (const n of NODES) {
    const port = ports[n.pprof];
    const ok =
      port &&
      (await httpGet(`http://127.0.0.1:${port}/debug/pprof/`, 3000).then(
        () => true,
        () => false,
      ));
    if (!ok) missing.push(`${n.full} (${n.pprof}=${port ?? 'unset'})`);
  }
  if (missing.length)
    throw new Error(
      `no Go pprof on ${missing.join(', ')}: the network runs without FABRIC_PROFILE=1. Restart it with it (data kept): bash scripts/network/down.sh && FABRIC_PROFILE=1 bash scripts/network/network-up.sh`,
    );
}

/** Metrics of every node, CPU of every process, and the channel height on peer0.org1. */
async function snapshot(ports, pids) {
  const metrics = {};
  await Promise.all(
    NODES.map(async (n) => {
      metrics[n.name] = parsePrometheus(String(await httpGet(`http://127.0.0.1:${ports[n.ops]}/metrics`, 5000)));
    }),
  );
  const cpu = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, pid ? cpuMs(pid) : Number.NaN]));
  const height = sumBy(metrics['peer0.org1'], 'ledger_blockchain_height', [], { channel: 'medshare' })[''] ?? 0;
  return { metrics, cpu, height, at: clock() };
}

/** The blocks [from, to) of the channel, from peer0.org1's deliver service (the baseline's connection). */
async function fetchBlocks(network, from, to) {
  const blocks = [];
  if (to <= from) return blocks;
  const events = await network.getBlockEvents({ startBlock: BigInt(from) });
  try {
    for await (const block of events) {
      const number = Number(block.getHeader().getNumber());
      if (number >= from && number < to) blocks.push(block);
      if (number >= to - 1) break;
    }
  } finally {
    events.close();
  }
  return blocks;
}

function pprofText(args) {
  return execFileSync(GO, ['tool', 'pprof', ...args], {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Runs one case: load, profiles and snapshots during the window, then its blocks. */
async function profileCase(bench, name, pids, outDir) {
  const { make, send } = bench.cases[name] ?? { make: () => undefined, send: async () => undefined };
  const maxOps = Math.ceil(MAX_RATE[name] * (WARMUP + SECONDS + 2));
  log(
    name === IDLE
      ? `${name}: ${WARMUP} s pause, then ${SECONDS} s profiled without load`
      : `${name}: preparing ${maxOps} requests; ${WARMUP} s warm-up, then ${SECONDS} s profiled at concurrency ${CONCURRENCY}`,
  );
  const items = Array.from({ length: maxOps }, (_, i) => make(i));
  const load = await runLoadDuring({
    concurrency: name === IDLE ? 0 : CONCURRENCY,
    maxOps,
    warmupSeconds: WARMUP,
    op: (i) => send(items[i]),
    during: async () => {
      const before = await snapshot(bench.ports, pids);
      const raw = await Promise.all(
        NODES.map((n) =>
          httpGet(
            `http://127.0.0.1:${bench.ports[n.pprof]}/debug/pprof/profile?seconds=${SECONDS}`,
            (SECONDS + 30) * 1000,
          ),
        ),
      );
      const after = await snapshot(bench.ports, pids);
      return { before, after, raw };
    },
  });
  const { before, after, raw } = load.during;
  const dir = join(outDir, name);
  mkdirSync(dir, { recursive: true });
  const files = {};
  for (const [k, n] of NODES.entries()) {
    files[n.name] = join(dir, `${n.name}.pb.gz`);
    writeFileSync(files[n.name], raw[k]);
  }
  // Blocks committed on peer0.org1 while the profiles ran (plus the last one, which may hold
  // transactions endorsed in the window); the load has stopped, so these are complete.
  const blocks = SUBMITS.has(name) ? await fetchBlocks(bench.baseline[0].network, before.height, after.height) : [];
  return { name, load, before, after, files, dir, blocks: summarizeBlocks(blocks, CHAINCODE[name]) };
}

/**
 * The profile of each node by phase and kind, divided by `per` (transactions, or seconds for the
 * idle window), and the merged top of the four peers.
 */
function analyse(result, per) {
  const nodes = {};
  for (const n of NODES) {
    const traces = pprofText(['-traces', '-unit=ms', join(FABRIC_HOME, 'bin', n.binary), result.files[n.name]]);
    writeFileSync(join(result.dir, `${n.name}.traces.txt`), traces);
    nodes[n.name] = perUnit(bucketize(parseTraces(traces)), per);
  }
  const peerFiles = PEERS.map((p) => result.files[p]);
  const top = pprofText(['-top', `-nodecount=${TOP}`, '-unit=ms', join(FABRIC_HOME, 'bin/peer'), ...peerFiles]);
  writeFileSync(join(result.dir, 'peers.top.txt'), top);
  return { nodes, top: parseTop(top).slice(0, TOP) };
}

/** Transactions of the case in the window: committed on peer0.org1 for a submit, evaluated for a read. */
function windowTxs(result) {
  const { before, after } = result;
  if (SUBMITS.has(result.name)) {
    const d = deltaBy(
      before.metrics['peer0.org1'],
      after.metrics['peer0.org1'],
      'ledger_transaction_count',
      ['chaincode'],
      {
        channel: 'medshare',
      },
    );
    return Object.entries(d)
      .filter(([k]) => k.startsWith(`${CHAINCODE[result.name]}:`))
      .reduce((s, [, v]) => s + v, 0);
  }
  return result.load.n;
}

const sumPeers = (f) => PEERS.reduce((sum, p) => sum + f(p), 0);
const NAMES = NODES.map((n) => n.name);

/**
 * One table: a row per name (rows of zeros left out), a column per node, then the four peers,
 * the four peers net of the idle background (when `net` is given) and the two peer0s.
 */
function printNodeTable(title, column, names, value, net) {
  console.log(`\n${title}`);
  const netHead = net ? ' 4 peers − idle |' : '';
  console.log(`| ${column} | ${NAMES.join(' | ')} | 4 peers |${netHead} 2 peer0s |`);
  console.log(`| --- | ${NAMES.map(() => '---:').join(' | ')} | ---: |${net ? ' ---: |' : ''} ---: |`);
  for (const name of names) {
    const v = NAMES.map((n) => value(n, name));
    if (v.every((x) => x === 0)) continue;
    const netCell = net ? ` ${fmt(net(name), 2)} |` : '';
    console.log(
      `| ${name} | ${v.map((x) => fmt(x, 2)).join(' | ')} | ${fmt(v[0] + v[1] + v[2] + v[3], 2)} |${netCell} ${fmt(v[0] + v[1], 2)} |`,
    );
  }
}

/** CPU per unit (transaction, or second when idle) of every node: from the profile and from /proc. */
function printTotals(result, per, unit) {
  const { before, after } = result;
  const proc = NAMES.map((n) => (after.cpu[n] - before.cpu[n]) / per);
  const prof = NAMES.map((n) => result.analysis.nodes[n].totalMs);
  console.log(`\nCPU ms per ${unit} (profile: 100 Hz samples; /proc: utime + stime over the window):`);
  console.log(`| | ${NAMES.join(' | ')} | 4 peers | 2 peer0s |`);
  console.log(`| --- | ${NAMES.map(() => '---:').join(' | ')} | ---: | ---: |`);
  for (const [label, v] of [
    ['profile', prof],
    ['/proc', proc],
  ]) {
    console.log(
      `| ${label} | ${v.map((x) => fmt(x, 2)).join(' | ')} | ${fmt(v[0] + v[1] + v[2] + v[3], 2)} | ${fmt(v[0] + v[1], 2)} |`,
    );
  }
  const others = Object.keys(before.cpu).filter((k) => !NAMES.includes(k));
  console.log(
    `other processes, CPU ms per ${unit} (/proc): ${others.map((k) => `${k} ${fmt((after.cpu[k] - before.cpu[k]) / per, 2)}`).join(', ')}`,
  );
}

function printIdle(idle) {
  console.log(`\n### ${LABEL[IDLE]}, ${fmt(idle.load.elapsed, 1)} s profiled: the background, CPU ms per second`);
  printTotals(idle, idle.load.elapsed, 'second');
  const nodes = idle.analysis.nodes;
  printNodeTable('by phase, CPU ms per second (profile):', 'phase', phaseNames(), (n, c) => nodes[n].byPhase[c] ?? 0);
}

function printCase(result, txs) {
  const { load, analysis, net } = result;
  console.log(
    `\n### ${LABEL[result.name]} (${CHAINCODE[result.name]}), concurrency ${CONCURRENCY}, ${fmt(load.elapsed, 1)} s profiled`,
  );
  console.log(
    `${fmt(load.perSecond, 1)} completed/s in the window (${load.n} completed, ${load.errors} failed${load.ranOut ? ', the prepared requests ran out before its end' : ''}); ${txs} transactions counted (${SUBMITS.has(result.name) ? 'committed on peer0.org1, ledger_transaction_count' : 'completed evaluations'}); p50 ${fmt(load.p50 ?? 0, 0)} ms`,
  );
  if (load.firstError) console.log(`first error: ${load.firstError}`);
  printTotals(result, txs, 'transaction');
  const nodes = analysis.nodes;
  const netOf = (key) => (net ? (c) => sumPeers((p) => net[p][key][c] ?? 0) : undefined);
  printNodeTable(
    'by phase, CPU ms per transaction (profile):',
    'phase',
    phaseNames(),
    (n, c) => nodes[n].byPhase[c] ?? 0,
    netOf('byPhase'),
  );
  printNodeTable(
    'by kind of work, CPU ms per transaction (profile):',
    'kind',
    kindNames(),
    (n, c) => nodes[n].byKind[c] ?? 0,
    netOf('byKind'),
  );
  printCross(analysis);
  printCounts(result, txs);
  printBlocks(result);
  console.log(`\ntop ${TOP} functions of the four peers (flat, merged profiles; ms per transaction):`);
  console.log('| flat ms/tx | flat % | cum ms/tx | function |');
  console.log('| ---: | ---: | ---: | --- |');
  for (const r of analysis.top)
    console.log(`| ${fmt(r.flatMs / txs, 3)} | ${fmt(r.flatPct, 1)} | ${fmt(r.cumMs / txs, 3)} | ${r.name} |`);
}

/** Phase × kind over the four peers, ms per transaction (kinds that are all zero left out). */
function printCross(analysis) {
  const cell = (phase, kind) => sumPeers((p) => analysis.nodes[p].cross[phase]?.[kind] ?? 0);
  const phases = phaseNames().filter((ph) => kindNames().some((k) => cell(ph, k) > 0));
  const kinds = kindNames().filter((k) => phases.some((ph) => cell(ph, k) > 0));
  console.log('\nthe four peers, phase × kind, CPU ms per transaction (profile):');
  console.log(`| phase | ${kinds.join(' | ')} |`);
  console.log(`| --- | ${kinds.map(() => '---:').join(' | ')} |`);
  for (const ph of phases) console.log(`| ${ph} | ${kinds.map((k) => fmt(cell(ph, k), 2)).join(' | ')} |`);
}

/** Shim requests, proposals and gateway calls per transaction, summed over the four peers. */
function printCounts(result, txs) {
  const { before, after } = result;
  const over = (name, by, where) => {
    const total = {};
    for (const p of PEERS) {
      for (const [k, v] of Object.entries(deltaBy(before.metrics[p], after.metrics[p], name, by, where)))
        total[k] = (total[k] ?? 0) + v;
    }
    return total;
  };
  const cc = CHAINCODE[result.name];
  // The shim's chaincode label is the package id (NAME_VERSION:HASH); system chaincodes' NAME.syscc.
  const shim = {};
  for (const [k, v] of Object.entries(
    over('chaincode_shim_requests_completed', ['type', 'chaincode'], { channel: 'medshare' }),
  )) {
    const key = k.replace(/_[^_/]*:[0-9a-f]{64}$/, '');
    shim[key] = (shim[key] ?? 0) + v;
  }
  const perTx = (o) =>
    Object.entries(o)
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => (k ? `${k} ${fmt(v / txs, 2)}` : fmt(v / txs, 2)))
      .join(', ') || 'none';
  console.log(`\nper transaction, summed over the four peers (Prometheus counters, window deltas):`);
  console.log(`  chaincode shim requests completed, by type/chaincode: ${perTx(shim)}`);
  const ccShim = Object.entries(shim)
    .filter(([k]) => k.endsWith(`/${cc}`))
    .reduce((s, [, v]) => s + v, 0);
  const allProposals = over('endorser_proposals_received', [], {})[''] ?? 0;
  console.log(
    `  ${cc}'s shim requests: ${fmt(ccShim / txs, 2)} per transaction, ${fmt(ccShim / Math.max(1, allProposals), 2)} per proposal (chaincode execution)`,
  );
  const proposals = PEERS.map(
    (p) =>
      `${p} ${fmt((deltaBy(before.metrics[p], after.metrics[p], 'endorser_proposals_received')[''] ?? 0) / txs, 2)}`,
  );
  console.log(
    `  proposals received by endorsers: ${perTx(over('endorser_proposals_received', [], {}))} (${proposals.join(', ')})`,
  );
  console.log(
    `  gRPC unary calls, by method: ${perTx(over('grpc_server_unary_requests_completed', ['service', 'method'], {}))}`,
  );
  console.log(
    `  gRPC stream calls, by method: ${perTx(over('grpc_server_stream_requests_completed', ['service', 'method'], {}))}`,
  );
}

function printBlocks(result) {
  const b = result.blocks;
  if (!b.blocks) return;
  const m = b.mean;
  console.log(
    `blocks of the window (peer0.org1): ${b.blocks} blocks, ${fmt(b.txsPerBlock, 1)} transactions per block; ${b.txs} of ${CHAINCODE[result.name]}, validation ${Object.entries(
      b.validation,
    )
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
  );
  console.log(
    `  per transaction: envelope ${fmt(m.envelopeBytes, 0)} B (block bytes ${fmt(b.blockBytesPerTx, 0)} B); proposal input ${fmt(m.proposalInputBytes, 0)} B; read/write set ${fmt(m.rwsetBytes, 0)} B (${fmt(m.reads, 1)} keys read, ${fmt(m.writes, 1)} written holding ${fmt(m.writtenValueBytes, 0)} B, ${fmt(m.rangeQueries, 1)} range queries, namespaces ${b.namespaces.join(' ')}); events ${fmt(m.eventBytes, 0)} B; response ${fmt(m.responseBytes, 0)} B; ${fmt(m.endorsements, 1)} endorsements, ${fmt(m.endorsementBytes, 0)} B`,
  );
}

function printComparison(results) {
  const pairs = COMPARE.filter(([m, b]) => results[m] && results[b]);
  if (!pairs.length) return;
  const idle = results[IDLE] ? ' net of the idle background' : '';
  for (const [dimension, names, key] of [
    ['phase', phaseNames(), 'byPhase'],
    ['kind', kindNames(), 'byKind'],
  ]) {
    console.log(`\n### medshare against the baseline: the four peers${idle}, CPU ms per transaction by ${dimension}`);
    console.log(`| ${dimension} | ${pairs.map(([m, b]) => `${m} | ${b} | ${m} − ${b}`).join(' | ')} |`);
    console.log(`| --- | ${pairs.map(() => '---: | ---: | ---:').join(' | ')} |`);
    const of = (name, c) => {
      const by = results[name].net ?? results[name].analysis.nodes;
      return sumPeers((p) => (c === 'total' ? by[p].totalMs : (by[p][key][c] ?? 0)));
    };
    const raw = (name) => sumPeers((p) => results[name].analysis.nodes[p].totalMs);
    for (const c of [...names, 'total']) {
      if (pairs.every(([m, b]) => of(m, c) === 0 && of(b, c) === 0)) continue;
      console.log(
        `| ${c === 'total' ? '**total**' : c} | ${pairs.map(([m, b]) => `${fmt(of(m, c), 2)} | ${fmt(of(b, c), 2)} | ${fmt(of(m, c) - of(b, c), 2)}`).join(' | ')} |`,
      );
    }
    if (idle)
      console.log(
        `| total with the background | ${pairs.map(([m, b]) => `${fmt(raw(m), 2)} | ${fmt(raw(b), 2)} | ${fmt(raw(m) - raw(b), 2)}`).join(' | ')} |`,
      );
  }
}

/** The pids whose CPU is read around each window: the five nodes, the chaincode servers, the gateways, this process. */
function processIds(bench) {
  return {
    ...Object.fromEntries(NODES.map((n) => [n.name, pidOf(n.full)])),
    'cc org1': pidOf('chaincode-medshare-org1'),
    'cc org2': pidOf('chaincode-medshare-org2'),
    'cc baseline': pidOf(`chaincode-${BASELINE}`),
    ...Object.fromEntries(bench.hospitals.map((h) => [`gateway ${h.org}`, h.child.pid])),
    driver: process.pid,
  };
}

async function main() {
  const started = clock();
  for (const c of CASES)
    if (!LABEL[c] || c === IDLE) throw new Error(`BENCH_CASES: unknown case '${c}' (upload, put, view, read, get)`);
  const goVersion = spawnSync(GO, ['version'], { encoding: 'utf8' });
  if (goVersion.status !== 0) throw new Error(`Go's pprof tool is needed: '${GO} version' failed (set GO=/path/to/go)`);
  const outDir = process.env.BENCH_PROFILE_OUT ?? mkdtempSync(join(os.tmpdir(), 'medshare-fabric-profile-'));
  mkdirSync(outDir, { recursive: true });
  const batch = batchSettings();
  console.log(`medshare bench:fabric-profile — ${new Date().toISOString()}`);
  console.log(machineLine());
  const bench = await openFabricBench({ patients: PATIENTS, networkEnv: { FABRIC_PROFILE: '1' } });
  const results = {};
  try {
    await checkProfiling(bench.ports);
    console.log(
      `Fabric ${fabricVersion()}; ${goVersion.stdout.trim()}; BatchTimeout ${batch.batchTimeout}, MaxMessageCount ${batch.maxMessageCount}; 2 orgs × 2 peers, endorsement AND(Org1, Org2), LevelDB`,
    );
    console.log(
      `load: concurrency ${CONCURRENCY}, ${WARMUP} s warm-up then ${SECONDS} s profiled per case; idle, then ${CASES.join(', ')}; ${PATIENTS} patients / keys in rotation`,
    );
    console.log(`raw profiles: ${outDir}/<case>/<node>.pb.gz`);
    for (const note of bench.notes) console.log(note);
    const pids = processIds(bench);
    for (const c of [IDLE, ...CASES]) results[c] = await profileCase(bench, c, pids, outDir);
  } finally {
    await bench.close();
  }
  console.log(`load after the run: ${loadAverages()}`);
  const idle = results[IDLE];
  idle.analysis = analyse(idle, idle.load.elapsed);
  printIdle(idle);
  for (const c of CASES) {
    const r = results[c];
    const txs = Math.max(1, windowTxs(r));
    r.analysis = analyse(r, txs);
    const factor = r.load.elapsed / txs;
    r.net = Object.fromEntries(PEERS.map((p) => [p, minusScaled(r.analysis.nodes[p], idle.analysis.nodes[p], factor)]));
    printCase(r, txs);
  }
  printComparison(results);
  console.log(`\nraw profiles and pprof outputs: ${outDir}`);
  console.log(`whole run: ${fmt((clock() - started) / 1000, 0)} s`);
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
