// SPDX-License-Identifier: Apache-2.0
/**
 * A hospital on the native Fabric network, for the e2e suites: its gateway (Fabric backend over
 * both peers of its org, peer0 preferred; the org's User1 client identity) started as a child
 * process from the layout of test/e2e/fabric-layout.mjs, its K3 and its re-encryption proxies
 * (one by default: each org's gateway is a proxy) registered on the ledger by the org's admin
 * (scripts/admin/register-access-key.sh, register-proxy.sh; stopHospital retires the proxies
 * with retire-proxy.sh), and an SDK client that also checks sig4 against the chaincode server's
 * K4. `startAlliance` starts both orgs' gateways as one alliance: each names the other's proxies
 * as peers and both keep their files in one S3 bucket. The e2e project's globalSetup
 * (test/e2e/network-setup.js) has made the network ready before any suite runs;
 * `assertNetworkReady()` turns anything missing into a failure, never a skip.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { MedshareClient, loadAppConfig, type Transport } from '@medshare/app';
import { MedshareError } from '@medshare/protocol';
import { freePort } from '../../integration/support/gateway-process';

export const run = promisify(execFile);
export const ROOT = resolve(__dirname, '..', '..', '..');
export const NETWORK_HOME = process.env.NETWORK_HOME ?? join(ROOT, '.network');
export const CC_NAME = process.env.CC_NAME ?? 'medshare';
export const FABRIC_HOME = process.env.FABRIC_HOME ?? join(ROOT, '.fabric');
export const NODES = [
  'orderer.example.com',
  'peer0.org1.example.com',
  'peer0.org2.example.com',
  'peer1.org1.example.com',
  'peer1.org2.example.com',
] as const;

/** The environment of the network and admin scripts. */
export const scriptEnv = { ...process.env, FABRIC_HOME, NETWORK_HOME, CC_NAME, NO_COLOR: '1' };

export function pidFile(name: string): string {
  return join(NETWORK_HOME, 'pids', `${name}.pid`);
}

export function logFile(name: string): string {
  return join(NETWORK_HOME, 'logs', `${name}.log`);
}

export function alive(file: string): boolean {
  try {
    process.kill(Number(readFileSync(file, 'utf8').trim()), 0);
    return true;
  } catch {
    return false;
  }
}

/** Why the e2e suites cannot run here, or undefined when the network looks up. */
function notReady(): string | undefined {
  if (!existsSync(join(NETWORK_HOME, '.medshare-network')))
    return `no network in ${NETWORK_HOME} (scripts/network/up.sh)`;
  for (const node of NODES) {
    if (!alive(pidFile(node))) return `${node} is not running (scripts/network/up.sh)`;
  }
  // One chaincode server per organization (scripts/admin/deploy.sh), both with the same K4.
  for (const org of ['org1', 'org2']) {
    if (!existsSync(join(NETWORK_HOME, 'chaincode', `${CC_NAME}.${org}.id`)))
      return `chaincode ${CC_NAME} is not deployed for ${org} (scripts/admin/deploy.sh)`;
    if (!alive(pidFile(`chaincode-${CC_NAME}-${org}`)))
      return `${org}'s ${CC_NAME} chaincode server is not running (scripts/network/chaincode-server.sh start)`;
  }
  if (!existsSync(join(FABRIC_HOME, 'bin', 'peer'))) return `no peer CLI in ${FABRIC_HOME}/bin (set FABRIC_HOME)`;
  return undefined;
}

/** The globalSetup made the network ready; anything missing now is a failure, not a skip. */
export function assertNetworkReady(): void {
  const reason = notReady();
  if (reason) throw new Error(`the Fabric network is not ready: ${reason}`);
}

/** The code a call is refused with (it must be refused with a coded error). */
export async function refusal(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof MedshareError) return error.code;
    throw error;
  }
  throw new Error('expected a refusal');
}

/** Runs a scripts/admin script; resolves with its exit code and output (never rejects on exit 1). */
export async function admin(
  script: string,
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(join(ROOT, 'scripts', 'admin', script), args, {
      env: scriptEnv,
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    if (typeof e.code !== 'number') throw error;
    return { code: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

export interface Hospital {
  readonly org: 'org1' | 'org2';
  readonly dir: string;
  readonly layout: {
    gatewayConfig: string;
    appConfig: string;
    /** The gateway's https origin and its TLS certificate (what a peer gateway trusts). */
    gatewayUrl: string;
    tlsCertFile: string;
    /** The re-encryption proxies the gateway hosts, registered for its org. */
    proxies: { proxyId: string; publicKey: string }[];
    k3PublicKey: string;
    k4PublicKey: string;
    /** The org's peers the gateway knows (ledger.peers), preferred first: peer0, then peer1. */
    peers: string[];
    notBefore: number;
    notAfter: number;
  };
  readonly child: ChildProcess;
  readonly client: MedshareClient;
  /** The gateway process's stdout and stderr so far. */
  output(): string;
}

export interface HospitalOptions {
  /** The SDK's per-request timeout (TransportOptions.timeoutMs); the SDK's default when absent. */
  readonly timeoutMs?: number;
  /** The SDK's bound on resolving an upload whose outcome is unknown (ClientOptions.uploadRetry). */
  readonly uploadRetry?: { readonly attempts?: number; readonly deadlineMs?: number };
  /** A transport of the test's own for the SDK (to record or replay what it sends); the SDK's HTTPS transport when absent. */
  readonly transport?: (client: ReturnType<typeof loadAppConfig>['client']) => Transport;
}

export interface LayoutOptions {
  /** Re-encryption proxies the gateway hosts (default 1). */
  readonly proxies?: number;
  /** scripts/storage/up.sh's s3.env: the gateway keeps its files in that bucket (else its embedded store). */
  readonly s3EnvFile?: string;
  /** The org's peer the gateway prefers (first in ledger.peers): 0 (default) or 1. */
  readonly preferredPeer?: 0 | 1;
}

/** One peer's view of the channel (`peer channel getinfo`). */
export interface ChainInfo {
  height: number;
  currentBlockHash: string;
}

/** `peer channel getinfo` on one peer, as its org's admin (scripts/network/env.sh ORG INDEX). */
export async function chainInfo(org: 'org1' | 'org2', index: 0 | 1): Promise<ChainInfo> {
  const { stdout } = await run(
    'bash',
    ['-c', `source scripts/network/env.sh ${org} ${String(index)} >/dev/null && peer channel getinfo -c medshare`],
    {
      cwd: ROOT,
      env: scriptEnv,
      timeout: 15_000,
    },
  );
  const line = stdout.split('\n').find((l) => l.startsWith('Blockchain info: '));
  if (!line)
    throw new Error(
      `peer channel getinfo on peer${String(index)}.${org} printed no "Blockchain info:" line: ${stdout}`,
    );
  return JSON.parse(line.slice('Blockchain info: '.length)) as ChainInfo;
}

const LAYOUT_SCRIPT = join(ROOT, 'test', 'e2e', 'fabric-layout.mjs');

/** A hospital's layout (test/e2e/fabric-layout.mjs), its K3 and its proxies registered by its org's admin. */
async function prepareHospital(
  org: 'org1' | 'org2',
  options: LayoutOptions,
): Promise<{ dir: string; layout: Hospital['layout'] }> {
  const dir = mkdtempSync(join(tmpdir(), `medshare-fabric-${org}-`));
  const port = await freePort();
  const flags = [
    ...(options.proxies === undefined ? [] : ['--proxies', String(options.proxies)]),
    ...(options.s3EnvFile === undefined ? [] : ['--s3-env', options.s3EnvFile]),
  ];
  const { stdout } = await run(process.execPath, [LAYOUT_SCRIPT, org, dir, String(port), ...flags], {
    env: scriptEnv,
  });
  const layout = JSON.parse(stdout) as Hospital['layout'];
  if (options.preferredPeer === 1) {
    const config = JSON.parse(readFileSync(layout.gatewayConfig, 'utf8')) as { ledger: { peers: unknown[] } };
    config.ledger.peers.reverse();
    writeFileSync(layout.gatewayConfig, `${JSON.stringify(config, null, 2)}\n`);
    layout.peers.reverse();
  }
  const reg = await admin(
    'register-access-key.sh',
    org,
    layout.k3PublicKey,
    String(layout.notBefore),
    String(layout.notAfter),
  );
  if (reg.code !== 0) throw new Error(`register-access-key.sh ${org} failed: ${reg.stderr}`);
  for (const proxy of layout.proxies) {
    const p = await admin('register-proxy.sh', org, proxy.publicKey);
    if (p.code !== 0) throw new Error(`register-proxy.sh ${org} failed: ${p.stderr}`);
  }
  return { dir, layout };
}

export async function startHospital(
  org: 'org1' | 'org2',
  options: HospitalOptions & LayoutOptions = {},
): Promise<Hospital> {
  const { dir, layout } = await prepareHospital(org, options);
  return spawnGateway(org, dir, layout, options);
}

export interface Alliance {
  readonly h1: Hospital;
  readonly h2: Hospital;
}

/**
 * Both orgs' gateways as one alliance: org1's hosts `org1Proxies` re-encryption proxies (default
 * 2: its own and one more by configuration), org2's one, all registered by their org's admin;
 * each gateway names the other's proxies in `proxies.peers` (its https origin and TLS
 * certificate), and with `s3EnvFile` both keep their files in that one bucket.
 */
export async function startAlliance(
  options: HospitalOptions & { readonly s3EnvFile?: string; readonly org1Proxies?: number } = {},
): Promise<Alliance> {
  const { org1Proxies = 2, s3EnvFile, ...hospital } = options;
  const storage = s3EnvFile === undefined ? {} : { s3EnvFile };
  const [one, two] = await Promise.all([
    prepareHospital('org1', { proxies: org1Proxies, ...storage }),
    prepareHospital('org2', { proxies: 1, ...storage }),
  ]);
  const peersOf = (l: Hospital['layout']): { proxyId: string; url: string; caFile: string }[] =>
    l.proxies.map((p) => ({ proxyId: p.proxyId, url: l.gatewayUrl, caFile: l.tlsCertFile }));
  await run(process.execPath, [LAYOUT_SCRIPT, 'peers', one.layout.gatewayConfig, JSON.stringify(peersOf(two.layout))]);
  await run(process.execPath, [LAYOUT_SCRIPT, 'peers', two.layout.gatewayConfig, JSON.stringify(peersOf(one.layout))]);
  const [h1, h2] = await Promise.all([
    spawnGateway('org1', one.dir, one.layout, hospital),
    spawnGateway('org2', two.dir, two.layout, hospital),
  ]);
  return { h1, h2 };
}

/** Stops the hospital's gateway (SIGTERM, or SIGKILL) and starts it again on the same layout, data and port. */
export async function restartHospital(
  h: Hospital,
  options: HospitalOptions & { signal?: NodeJS.Signals } = {},
): Promise<Hospital> {
  h.client.close();
  if (h.child.exitCode === null && h.child.signalCode === null) {
    const exited = new Promise((done) => h.child.once('exit', done));
    h.child.kill(options.signal ?? 'SIGTERM');
    await exited;
  }
  return spawnGateway(h.org, h.dir, h.layout, options);
}

async function spawnGateway(
  org: 'org1' | 'org2',
  dir: string,
  layout: Hospital['layout'],
  options: HospitalOptions,
): Promise<Hospital> {
  const child = spawn(process.execPath, [join(ROOT, 'gateway', 'dist', 'dev', 'start.js')], {
    cwd: ROOT,
    env: { ...process.env, MEDSHARE_CONFIG: layout.gatewayConfig, MEDSHARE_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  await new Promise<void>((ready, fail) => {
    const timer = setTimeout(() => fail(new Error(`gateway ${org} did not start:\n${out}`)), 30_000);
    child.stdout.on('data', () => {
      if (out.includes('listening on')) {
        clearTimeout(timer);
        ready();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`gateway ${org} exited ${String(code)}:\n${out}`));
    });
  });
  const app = loadAppConfig(layout.appConfig);
  // sig4 is checked too: the chaincode server's K4 must have signed every answer.
  const client = new MedshareClient(
    {
      ...app.client,
      trustedContractKeys: [layout.k4PublicKey],
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      ...(options.uploadRetry === undefined ? {} : { uploadRetry: options.uploadRetry }),
    },
    options.transport?.(app.client),
  );
  return { org, dir, layout, child, client, output: () => out };
}

/** Stops the gateway, retires its proxies on the ledger (their keys go with its folder), removes its folder. */
export async function stopHospital(h: Hospital | undefined): Promise<void> {
  if (!h) return;
  h.client.close();
  if (h.child.exitCode === null && h.child.signalCode === null) {
    const exited = new Promise((done) => h.child.once('exit', done));
    h.child.kill('SIGTERM');
    await exited;
  }
  try {
    for (const proxy of h.layout.proxies) {
      const retired = await admin('retire-proxy.sh', h.org, proxy.proxyId);
      if (retired.code !== 0) throw new Error(`retire-proxy.sh ${h.org} failed: ${retired.stderr}`);
    }
  } finally {
    rmSync(h.dir, { recursive: true, force: true });
  }
}
