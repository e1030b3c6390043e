// SPDX-License-Identifier: Apache-2.0
import { generateKeyPair, privateKeyToPem, type Sm2KeyPair } from '@medshare/crypto/sm2';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseAppConfigFile, type AppConfigFile } from '@medshare/protocol';

const DEV_APP_ID = 'hospital-1.app';
const DEV_ORG = 'Org1MSP';

export interface DevLayout {
  readonly dataDir: string;
  readonly gatewayConfig: string;
  readonly appConfig: string;
  readonly adminTokenFile: string;
}

/** The app's config, in the one type the app reads it with (protocol's AppConfigFile). */
function writeAppConfig(path: string, config: AppConfigFile): void {
  writeFileSync(path, `${JSON.stringify(config, null, 2)}\n`);
}

function secret(path: string, content: string): void {
  writeFileSync(path, content, { mode: 0o600 });
}

/**
 * A self-signed TLS certificate for 127.0.0.1 and localhost (P-256, standard TLS; SM crypto
 * runs above it), written as `cert.pem` and `key.pem` in `dir`.
 */
export function selfSignedCertificate(dir: string): void {
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-days',
      '825',
      '-subj',
      '/CN=medshare-dev-gateway',
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
    ],
    { stdio: 'ignore' },
  );
}

/** How many re-encryption proxies the development gateway hosts: 2-of-3 shares out of the box. */
export const DEV_PROXIES = 3;

/**
 * Proxy keys `proxy-1.pem` … in `gw` and the config's `proxies` and `storage` sections, for a
 * layout made before large files (or a new one): the gateway hosts all of them.
 */
function ensureDevProxies(gw: string, configFile: string): void {
  const config = JSON.parse(readFileSync(configFile, 'utf8')) as Record<string, unknown>;
  if (config.proxies !== undefined) return;
  const hosted = [];
  for (let i = 1; i <= DEV_PROXIES; i++) {
    const keyFile = `proxy-${i}.pem`;
    if (!existsSync(join(gw, keyFile))) secret(join(gw, keyFile), privateKeyToPem(generateKeyPair().privateKey));
    hosted.push({ keyFile });
  }
  const next = { ...config, proxies: { hosted }, storage: config.storage ?? { kind: 'embedded', dir: '../blobs' } };
  writeFileSync(configFile, `${JSON.stringify(next, null, 2)}\n`);
}

/**
 * First run of the embedded runtime: development keys (K2 for one app, K3, K4, three proxies), a self-signed
 * certificate, an admin token, the gateway's config and the app's config, all in `dataDir`
 * (ignored by git), private keys mode 0600. Idempotent: an existing layout is left as it is,
 * except that an explicit `port` (MEDSHARE_PORT) other than the one the app config names is
 * written into the app config's gatewayUrl, so the CLI and the demo follow the gateway there.
 */
export function ensureDevLayout(dataDirArg: string, explicitPort?: number): DevLayout & { created: boolean } {
  const port = explicitPort ?? 8443;
  const dataDir = resolve(dataDirArg);
  const layout: DevLayout = {
    dataDir,
    gatewayConfig: join(dataDir, 'gateway', 'config.json'),
    appConfig: join(dataDir, 'app', 'app.json'),
    adminTokenFile: join(dataDir, 'gateway', 'admin-token'),
  };
  if (existsSync(layout.gatewayConfig) && existsSync(layout.appConfig)) {
    if (explicitPort !== undefined) {
      const app = parseAppConfigFile(JSON.parse(readFileSync(layout.appConfig, 'utf8')), layout.appConfig);
      const url = `https://127.0.0.1:${explicitPort}`;
      if (app.gatewayUrl !== url) writeAppConfig(layout.appConfig, { ...app, gatewayUrl: url });
    }
    ensureDevProxies(join(dataDir, 'gateway'), layout.gatewayConfig);
    return { ...layout, created: false };
  }
  const gw = join(dataDir, 'gateway');
  const app = join(dataDir, 'app');
  for (const dir of [gw, app, join(gw, 'tls'), join(dataDir, 'ledger')])
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  const now = Date.now();
  const year = 365 * 86_400_000;
  const k2: Sm2KeyPair = generateKeyPair();
  const k3: Sm2KeyPair = generateKeyPair();
  const k4: Sm2KeyPair = generateKeyPair();
  secret(join(gw, 'k3.pem'), privateKeyToPem(k3.privateKey));
  secret(join(gw, 'k4.pem'), privateKeyToPem(k4.privateKey));
  secret(join(app, 'k2.pem'), privateKeyToPem(k2.privateKey));
  secret(layout.adminTokenFile, randomBytes(32).toString('hex'));
  selfSignedCertificate(join(gw, 'tls'));
  const window = { notBefore: now - 60_000, notAfter: now + year };
  writeFileSync(
    join(gw, 'keys.json'),
    `${JSON.stringify({ apps: [{ appId: DEV_APP_ID, allow: ['127.0.0.1/32', '::1/128'], keys: [{ publicKey: k2.publicKey, ...window }] }], k3: [{ keyFile: 'k3.pem', ...window }], k4: [{ publicKey: k4.publicKey, ...window }] }, null, 2)}\n`,
  );
  writeFileSync(
    layout.gatewayConfig,
    `${JSON.stringify({ listen: { host: '127.0.0.1', port }, tls: { certFile: 'tls/cert.pem', keyFile: 'tls/key.pem' }, org: DEV_ORG, keysFile: 'keys.json', adminTokenFile: 'admin-token', ledger: { type: 'embedded', dir: '../ledger', k4KeyFile: 'k4.pem' } }, null, 2)}\n`,
  );
  ensureDevProxies(gw, layout.gatewayConfig);
  writeAppConfig(layout.appConfig, {
    gatewayUrl: `https://127.0.0.1:${port}`,
    appId: DEV_APP_ID,
    appKeyFile: 'k2.pem',
    caFile: '../gateway/tls/cert.pem',
    trustedAccessKeys: [k3.publicKey],
    adminTokenFile: '../gateway/admin-token',
  });
  return { ...layout, created: true };
}
