#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// Writes a gateway + app layout for one hospital against the native Fabric network
// (scripts/network/up.sh + scripts/admin/deploy.sh):
//
//   node test/e2e/fabric-layout.mjs org1|org2 DIR PORT
//
// Starts from npm start's development layout (gateway/dist/dev/first-run.js: K2, K3, TLS
// certificate, keys.json, app.json), then: the ledger becomes {type: fabric} against the
// org's two peers (ledger.peers: peer0 first, then peer1, on the ports in .network/ports.env)
// with its User1 client identity from .network/crypto, the K4 in keys.json becomes
// the chaincode server's (.network/chaincode/k4.pem or MEDSHARE_K4_KEY_FILE), the embedded K4
// and admin token are removed, and the app id is hospital-N.app. Prints one JSON line with
// {gatewayConfig, appConfig, k3PublicKey, k4PublicKey, peers, notBefore, notAfter}: register
// the K3 on the ledger with scripts/admin/register-access-key.sh ORG k3PublicKey notBefore
// notAfter.
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
  } = {},
) {
  const org = ORGS[orgName];
  if (!org) throw new Error(`unknown org ${orgName} (org1|org2)`);
  const { ensureDevLayout } = require(join(ROOT, 'gateway', 'dist', 'dev', 'first-run.js'));
  const { privateKeyFromPem, publicKeyFromPrivate } = require(join(ROOT, 'crypto', 'dist', 'sm2', 'index.js'));
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
  writeFileSync(layout.gatewayConfig, `${JSON.stringify(config, null, 2)}\n`);
  rmSync(join(gwDir, 'k4.pem'), { force: true });
  rmSync(join(gwDir, 'admin-token'), { force: true });
  rmSync(join(layout.dataDir, 'ledger'), { recursive: true, force: true });

  const app = JSON.parse(readFileSync(layout.appConfig, 'utf8'));
  app.appId = org.appId;
  app.gatewayUrl = `https://127.0.0.1:${port}`;
  delete app.adminTokenFile;
  writeFileSync(layout.appConfig, `${JSON.stringify(app, null, 2)}\n`);
  const k3PublicKey = publicKeyFromPrivate(privateKeyFromPem(readFileSync(join(gwDir, 'k3.pem'), 'utf8')));
  return {
    gatewayConfig: layout.gatewayConfig,
    appConfig: layout.appConfig,
    k3PublicKey,
    k4PublicKey,
    peers: peers.map((p) => p.hostAlias),
    ...window,
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [orgName, dir, port] = process.argv.slice(2);
  if (!orgName || !dir || !/^[0-9]+$/.test(port ?? '')) {
    process.stderr.write('usage: node test/e2e/fabric-layout.mjs org1|org2 DIR PORT\n');
    process.exit(2);
  }
  process.stdout.write(`${JSON.stringify(fabricLayout(orgName, dir, Number(port)))}\n`);
}
