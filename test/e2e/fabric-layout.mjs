#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// Writes a gateway + app layout for one hospital against the native Fabric network
// (scripts/network/up.sh + scripts/admin/deploy.sh):
//
//   node test/e2e/fabric-layout.mjs org1|org2 DIR PORT [--proxies N] [--s3-env FILE]
//   node test/e2e/fabric-layout.mjs peers GATEWAY_CONFIG PEERS_JSON    (setProxyPeers)
//
// Starts from npm start's development layout (gateway/dist/dev/first-run.js: K2, K3, TLS
// certificate, keys.json, app.json, proxy keys), then: the ledger becomes {type: fabric} against
// the org's two peers (ledger.peers: peer0 first, then peer1, on the ports in .network/ports.env)
// with its User1 client identity from .network/crypto, the K4 in keys.json becomes
// the chaincode server's (.network/chaincode/k4.pem or MEDSHARE_K4_KEY_FILE), the embedded K4
// and admin token are removed, and the app id is hospital-N.app. The gateway hosts N
// re-encryption proxies (default 1: each org's gateway is one proxy; proxy-1.pem …, the
// development layout's other keys removed), with no peers yet (setProxyPeers). With --s3-env
// (scripts/storage/up.sh's .storage/s3.env) its storage is that S3 bucket, the secret copied to
// s3-secret (mode 0600) beside the config; otherwise the embedded store. Prints one JSON line with
// {gatewayConfig, appConfig, gatewayUrl, tlsCertFile, k3PublicKey, k4PublicKey, peers, notBefore,
// notAfter, proxies: [{proxyId, publicKey}]}: an org admin registers the K3 with
// scripts/admin/register-access-key.sh ORG k3PublicKey notBefore notAfter, and each proxy with
// scripts/admin/register-proxy.sh ORG publicKey.
import { readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';
import { networkPorts } from '../../scripts/network/ports.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(import.meta.url);

const ORGS = {
  org1: {
    msp: 'Org1MSP',
    domain: 'org1.example.com',
    portVars: ['PEER0_ORG1_PORT', 'PEER1_ORG1_PORT'],
    appId: 'hospital-1.app',
  },
  org2: {
    msp: 'Org2MSP',
    domain: 'org2.example.com',
    portVars: ['PEER0_ORG2_PORT', 'PEER1_ORG2_PORT'],
    appId: 'hospital-2.app',
  },
};

export function fabricLayout(
  orgName,
  dataDir,
  port,
  {
    networkHome = process.env.NETWORK_HOME ?? join(ROOT, '.network'),
    k4KeyFile = process.env.MEDSHARE_K4_KEY_FILE,
    proxies = 1,
    s3EnvFile,
  } = {},
) {
  const org = ORGS[orgName];
  if (!org) throw new Error(`unknown org ${orgName} (org1|org2)`);
  const { ensureDevLayout, DEV_PROXIES } = require(join(ROOT, 'gateway', 'dist', 'dev', 'first-run.js'));
  const { privateKeyFromPem, publicKeyFromPrivate } = require(join(ROOT, 'crypto', 'dist', 'sm2', 'index.js'));
  const { keyIdOf } = require(join(ROOT, 'protocol', 'dist', 'index.js'));
  if (!Number.isInteger(proxies) || proxies < 0 || proxies > DEV_PROXIES)
    throw new Error(`proxies must be an integer from 0 to ${DEV_PROXIES}, got ${proxies}`);
  const layout = ensureDevLayout(dataDir, port);
  const gwDir = dirname(layout.gatewayConfig);
  const orgDir = join(networkHome, 'crypto', 'peerOrganizations', org.domain);
  const user = join(orgDir, 'users', `User1@${org.domain}`, 'msp');
  const keystore = join(user, 'keystore');
  const signcerts = join(user, 'signcerts');
  const k4Pem = readFileSync(k4KeyFile ?? join(networkHome, 'chaincode', 'k4.pem'), 'utf8');
  const k4PublicKey = publicKeyFromPrivate(privateKeyFromPem(k4Pem));

  const keys = JSON.parse(readFileSync(join(gwDir, 'keys.json'), 'utf8'));
  const window = { notBefore: keys.k3[0].notBefore, notAfter: keys.k3[0].notAfter };
  keys.apps[0].appId = org.appId;
  keys.k4 = [{ publicKey: k4PublicKey, ...window }];
  writeFileSync(join(gwDir, 'keys.json'), `${JSON.stringify(keys, null, 2)}\n`);

  const config = JSON.parse(readFileSync(layout.gatewayConfig, 'utf8'));
  delete config.adminTokenFile;
  config.org = org.msp;
  config.listen = { host: '127.0.0.1', port };
  const ports = networkPorts(networkHome);
  const peers = org.portVars.map((portVar, i) => {
    if (!ports[portVar]) throw new Error(`${portVar} missing in ${join(networkHome, 'ports.env')}`);
    const hostAlias = `peer${i}.${org.domain}`;
    return {
      endpoint: `127.0.0.1:${ports[portVar]}`,
      hostAlias,
      tlsCaFile: join(orgDir, 'peers', hostAlias, 'tls', 'ca.crt'),
    };
  });
  config.ledger = {
    type: 'fabric',
    peers,
    certFile: join(signcerts, readdirSync(signcerts)[0]),
    keyFile: join(keystore, readdirSync(keystore)[0]),
    channel: 'medshare',
    chaincode: process.env.CC_NAME ?? 'medshare',
  };
  // Each org's gateway is one re-encryption proxy (more by configuration); peers: setProxyPeers.
  const hosted = Array.from({ length: proxies }, (_, i) => ({ keyFile: `proxy-${i + 1}.pem` }));
  for (let i = proxies + 1; i <= DEV_PROXIES; i++) rmSync(join(gwDir, `proxy-${i}.pem`), { force: true });
  config.proxies = { hosted, peers: [] };
  config.storage = s3EnvFile ? s3Storage(s3EnvFile, gwDir) : { kind: 'embedded', dir: '../blobs' };
  writeFileSync(layout.gatewayConfig, `${JSON.stringify(config, null, 2)}\n`);
  rmSync(join(gwDir, 'k4.pem'), { force: true });
  rmSync(join(gwDir, 'admin-token'), { force: true });
  rmSync(join(layout.dataDir, 'ledger'), { recursive: true, force: true });

  const app = JSON.parse(readFileSync(layout.appConfig, 'utf8'));
  app.appId = org.appId;
  app.gatewayUrl = `https://127.0.0.1:${port}`;
  delete app.adminTokenFile;
  writeFileSync(layout.appConfig, `${JSON.stringify(app, null, 2)}\n`);
  const publicKeyOf = (file) => publicKeyFromPrivate(privateKeyFromPem(readFileSync(join(gwDir, file), 'utf8')));
  const k3PublicKey = publicKeyOf('k3.pem');
  return {
    gatewayConfig: layout.gatewayConfig,
    appConfig: layout.appConfig,
    gatewayUrl: app.gatewayUrl,
    tlsCertFile: join(gwDir, 'tls', 'cert.pem'),
    proxies: hosted.map(({ keyFile }) => {
      const publicKey = publicKeyOf(keyFile);
      return { proxyId: keyIdOf(publicKey), publicKey };
    }),
    k3PublicKey,
    k4PublicKey,
    peers: peers.map((p) => p.hostAlias),
    ...window,
  };
}

/** scripts/storage/up.sh's s3.env (KEY=value lines) as an object. */
export function readS3Env(file) {
  const env = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m) env[m[1]] = m[2];
  }
  for (const name of ['S3_ENDPOINT', 'S3_REGION', 'S3_BUCKET', 'S3_ACCESS_KEY_ID', 'S3_SECRET_ACCESS_KEY'])
    if (!env[name]) throw new Error(`${name} missing in ${file}`);
  return env;
}

/** The config's storage section for the bucket in `s3EnvFile`; the secret goes to its own file, never into the config. */
function s3Storage(s3EnvFile, gwDir) {
  const env = readS3Env(s3EnvFile);
  writeFileSync(join(gwDir, 's3-secret'), env.S3_SECRET_ACCESS_KEY, { mode: 0o600 });
  return {
    kind: 's3',
    endpoint: env.S3_ENDPOINT,
    region: env.S3_REGION,
    bucket: env.S3_BUCKET,
    accessKeyId: env.S3_ACCESS_KEY_ID,
    secretAccessKeyFile: 's3-secret',
  };
}

/**
 * Names the proxies other gateways host (`[{proxyId, url, caFile}]`, url their https origin,
 * caFile their TLS certificate) in a layout's `proxies.peers`: this gateway asks them over
 * POST <url>/v1/proxy/reencrypt for the shares that name them.
 */
export function setProxyPeers(gatewayConfig, peers) {
  const config = JSON.parse(readFileSync(gatewayConfig, 'utf8'));
  config.proxies = { ...config.proxies, peers: peers.map(({ proxyId, url, caFile }) => ({ proxyId, url, caFile })) };
  writeFileSync(gatewayConfig, `${JSON.stringify(config, null, 2)}\n`);
}

/** `node fabric-layout.mjs ORG DIR PORT [--proxies N] [--s3-env FILE]`: the arguments, or undefined. */
function cliArguments(argv) {
  const [orgName, dir, port, ...rest] = argv;
  if (!orgName || !dir || !/^[0-9]+$/.test(port ?? '')) return undefined;
  const options = {};
  for (let i = 0; i < rest.length; i += 2) {
    const value = rest[i + 1];
    if (rest[i] === '--proxies' && /^[0-9]+$/.test(value ?? '')) options.proxies = Number(value);
    else if (rest[i] === '--s3-env' && value) options.s3EnvFile = resolve(value);
    else return undefined;
  }
  return { orgName, dir, port: Number(port), options };
}

const USAGE = `usage: node test/e2e/fabric-layout.mjs org1|org2 DIR PORT [--proxies N] [--s3-env FILE]
       node test/e2e/fabric-layout.mjs peers GATEWAY_CONFIG '[{"proxyId","url","caFile"}, ...]'
`;

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const argv = process.argv.slice(2);
  if (argv[0] === 'peers' && argv.length === 3) {
    setProxyPeers(argv[1], JSON.parse(argv[2]));
  } else {
    const args = cliArguments(argv);
    if (!args) {
      process.stderr.write(USAGE);
      process.exit(2);
    }
    process.stdout.write(`${JSON.stringify(fabricLayout(args.orgName, args.dir, args.port, args.options))}\n`);
  }
}
