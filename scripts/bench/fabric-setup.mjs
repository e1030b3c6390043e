// SPDX-License-Identifier: Apache-2.0
// The real network's side of the Fabric benchmarks (bench:fabric, bench:fabric-profile): the
// network brought up (scripts/network/network-up.sh, idempotent) and the baseline chaincode
// (scripts/bench/baseline-chaincode/, medshare-baseline, same endorsement policy) deployed and
// served beside medshare; both orgs' medshare gateways started, each with a fresh K3; patients
// registered with one record each uploaded and viewed; and the five cases, each as
// make(i) (prepared before a timed window) and send(item):
//
//   upload (sealed, submit)  view (sealed, submit: audit entry)  read (sealed, evaluate)
//   put (baseline submit: one blind write, as large as an upload's body)  get (baseline evaluate)
//
// close() undoes what open started: gateways stopped and their K3s retired, the baseline's
// server stopped if it was not running before, the network stopped (down.sh, data kept) if it
// was not up before.

import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createRequire } from 'node:module';
import { networkPorts } from '../network/ports.mjs';
import { connectOrg } from '../network/org-gateway.mjs';
import { fabricLayout } from '../../test/e2e/fabric-layout.mjs';
import { pidOf as networkPid, repoScript, retrying } from './fabric-network.mjs';
import { freePort, runLoad } from './load.mjs';
import { sealedSession, startGateway, stopProcess, uploadBody } from './sealed-requests.mjs';
import { medshareDist } from './medshare-dist.mjs';

const require = createRequire(import.meta.url);
export const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const p = medshareDist(root);
const { MedshareClient, loadAppConfig } = require(join(root, 'app/dist/index.js'));
const run = promisify(execFile);

export const NETWORK_HOME = process.env.NETWORK_HOME ?? join(root, '.network');
export const FABRIC_HOME = process.env.FABRIC_HOME ?? join(root, '.fabric');
export const BASELINE = 'medshare-baseline';
const BASELINE_MODULE = join(root, 'scripts/bench/baseline-chaincode');
const ORGS = ['org1', 'org2'];
const NODES = ['orderer.example.com', 'peer0.org1.example.com', 'peer0.org2.example.com'];

export const log = (line) => process.stderr.write(`${line}\n`);
const scriptEnv = { ...process.env, FABRIC_HOME, NETWORK_HOME, NO_COLOR: '1' };

/** The pid in NETWORK_HOME/pids/NAME.pid if that process lives. */
export const pidOf = (name) => networkPid(NETWORK_HOME, name);

const networkRunning = () =>
  existsSync(join(NETWORK_HOME, '.medshare-network')) &&
  [...NODES, 'chaincode-medshare-org1', 'chaincode-medshare-org2'].every((n) => pidOf(n) !== undefined);

/** Runs a repository script; its output goes to stderr only when it fails. */
const script = (args, env = {}) => repoScript(root, { ...scriptEnv, ...env }, args);

/** BatchTimeout and MaxMessageCount of the channel's orderer section (the configtx the channel was made from). */
export function batchSettings() {
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

export function fabricVersion() {
  const r = spawnSync(join(FABRIC_HOME, 'bin/peer'), ['version'], { encoding: 'utf8' });
  const version = /Version:\s*(\S+)/.exec(r.stdout ?? '')?.[1] ?? '?';
  const commit = /Commit SHA:\s*(\S+)/.exec(r.stdout ?? '')?.[1] ?? '?';
  return `${version} (commit ${commit})`;
}

async function startHospital(org, index) {
  const dir = mkdtempSync(join(os.tmpdir(), `medshare-bench-fabric-${org}-`));
  const port = await freePort();
  // No re-encryption proxy: the benchmark moves records, not files (and registers no proxy keys).
  const layout = fabricLayout(org, dir, port, { networkHome: NETWORK_HOME, proxies: 0 });
  await run(
    join(root, 'scripts/admin/register-access-key.sh'),
    [org, layout.k3PublicKey, String(layout.notBefore), String(layout.notAfter)],
    { env: scriptEnv, timeout: 60_000 },
  );
  const h = { org, index, dir, layout };
  try {
    h.child = await startGateway({ MEDSHARE_CONFIG: layout.gatewayConfig }, `gateway ${org}`);
    const app = loadAppConfig(layout.appConfig).client;
    h.client = new MedshareClient({ ...app, trustedContractKeys: [layout.k4PublicKey] });
    h.session = await sealedSession(app, port);
    return h;
  } catch (error) {
    await stopHospital(h);
    throw error;
  }
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

/** The baseline's contract through each org's peer0, as the org's User1 (the identity the gateways use). */
function connectBaseline() {
  return ORGS.map((org) => {
    // The same deadlines as the medshare gateways' defaults (gateway/src/config/config.ts).
    const c = connectOrg({
      networkHome: NETWORK_HOME,
      org,
      user: 'User1',
      deadlines: { evaluate: 5000, endorse: 8000, submit: 4000, commitStatus: 12000 },
    });
    const network = c.gateway.getNetwork('medshare');
    return { mspId: c.mspId, network, contract: network.getContract(BASELINE), close: c.close };
  });
}

/** Registers `patients`, uploads and views one record each; puts as many baseline keys. Returns the cases. */
async function prepareCases(hospitals, baseline, patientCount, notes) {
  const pick = (i) => hospitals[i % hospitals.length];
  const pickBaseline = (i) => baseline[i % baseline.length];
  log(
    `setup: ${patientCount} patients registered, one record each uploaded and viewed (SDK and raw driver), ${patientCount} baseline keys put`,
  );
  const content = p.utf8(JSON.stringify({ diagnosis: 'J45.909', note: 'x'.repeat(200) }));
  const patients = Array.from({ length: patientCount }, () => p.generateKeyPair());
  const records = [];
  const hangUps = { n: 0 };
  const lagging = { n: 0 };
  const HANG_UP = ['socket hang up', 'ECONNRESET'];
  const setup = await runLoad({
    concurrency: 32,
    maxOps: patientCount,
    op: async (i) => {
      const h = pick(i);
      const patient = patients[i];
      await retrying(
        HANG_UP,
        () =>
          h.client
            .register(patient, 'patient')
            .catch((e) => (e.code === 'ALREADY_REGISTERED' ? undefined : Promise.reject(e))),
        hangUps,
      );
      // A write is acknowledged once committed on the submitting org's peer; the next call is
      // endorsed by both peers, and the other org's may not have committed that block yet.
      const upload = () => h.client.upload(patient, { content, kind: 'clinical-note' });
      const { recordId } = await retrying(['NOT_REGISTERED', ...HANG_UP], upload, lagging);
      const view = () => h.session.post('/v1/requests', h.session.sealedFor('view', patient, { recordId }));
      records[i] = {
        recordId,
        accessId: h.session.result(await retrying(['RECORD_NOT_FOUND', ...HANG_UP], view, lagging)).accessId,
      };
    },
  });
  if (setup.errors)
    throw new Error(`setup failed for ${setup.errors} of ${patientCount} patients: ${setup.firstError}`);
  if (lagging.n || hangUps.n)
    notes.push(
      `setup: ${lagging.n} uploads or views right after an acknowledged registration or upload were refused at first (NOT_REGISTERED_PATIENT, RECORD_NOT_FOUND: the other org's peer had not committed that block yet, or a socket hang up); ${hangUps.n} registrations hit a socket hang up; all retried`,
    );
  const value = JSON.stringify(uploadBody(patients[0], content)); // a Put as large as an upload's body
  await runLoad({
    concurrency: 32,
    maxOps: patientCount,
    op: (i) => pickBaseline(i).contract.submitTransaction('Put', `key-${i}`, value),
  });
  const uploads = patients.map((patient) => uploadBody(patient, content));
  const sealed = (op, body) => (i) => ({
    h: pick(i),
    body: pick(i).session.sealedFor(op, patients[i % patientCount], body(i % patientCount)),
  });
  const sendSealed = ({ h, body }) => h.session.post('/v1/requests', body);
  const keyed = (i) => ({ contract: pickBaseline(i).contract, key: `key-${i % patientCount}` });
  return {
    put: { make: keyed, send: ({ contract, key }) => contract.submitTransaction('Put', key, value) },
    upload: { make: sealed('upload', (k) => uploads[k]), send: sendSealed },
    view: { make: sealed('view', (k) => ({ recordId: records[k].recordId })), send: sendSealed },
    get: { make: keyed, send: ({ contract, key }) => contract.evaluateTransaction('Get', key) },
    read: { make: sealed('read', (k) => records[k]), send: sendSealed },
  };
}

/**
 * Brings the network up (with `networkEnv` added to network-up.sh's environment), deploys and
 * serves the baseline, starts both gateways and prepares `patients` patients. Returns
 * { wasUp, ports, hospitals, baseline, cases, notes, close }; on a failure, what was started is
 * undone before the error is thrown.
 */
export async function openFabricBench({ patients, networkEnv = {} }) {
  const wasUp = networkRunning();
  log(
    wasUp
      ? 'network: running; bringing it to ready (network-up.sh)'
      : 'network: not running; starting it (network-up.sh)',
  );
  const bench = { wasUp, hospitals: [], baseline: [], notes: [], baselineWasRunning: true };
  bench.close = async () => {
    for (const b of bench.baseline) b.close();
    await Promise.all(bench.hospitals.map(stopHospital));
    if (!bench.baselineWasRunning) script(['scripts/network/chaincode-server.sh', 'stop', BASELINE]);
    if (!wasUp) {
      log('network: stopping it again (down.sh; data kept)');
      script(['scripts/network/down.sh'], networkEnv);
    }
  };
  try {
    script(['scripts/network/network-up.sh'], networkEnv);
    bench.ports = { ...networkPorts(NETWORK_HOME) };
    const ccaasPort = Number(process.env.CCAAS_PORT ?? bench.ports.CCAAS_PORT ?? 9999);
    bench.baselineAddress = process.env.BENCH_BASELINE_ADDRESS ?? `127.0.0.1:${ccaasPort + 1}`;
    bench.baselineWasRunning = pidOf(`chaincode-${BASELINE}`) !== undefined;
    log(`baseline: deploying ${BASELINE} at ${bench.baselineAddress} (deploy-chaincode.sh, chaincode-server.sh)`);
    script(['scripts/network/deploy-chaincode.sh', BASELINE, '1.0', '1', bench.baselineAddress]);
    script(['scripts/network/chaincode-server.sh', 'start', BASELINE, '--module-path', BASELINE_MODULE], {
      CHAINCODE_SERVER_ADDRESS: bench.baselineAddress,
    });
    const started = await Promise.allSettled(ORGS.map((org, i) => startHospital(org, i)));
    for (const r of started) if (r.status === 'fulfilled') bench.hospitals.push(r.value);
    const failed = started.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
    bench.baseline.push(...connectBaseline());
    bench.cases = await prepareCases(bench.hospitals, bench.baseline, patients, bench.notes);
    return bench;
  } catch (error) {
    await bench.close().catch((e) => log(`warning: cleaning up after a failed setup: ${e.message}`));
    throw error;
  }
}
