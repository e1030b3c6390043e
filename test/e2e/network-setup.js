// SPDX-License-Identifier: Apache-2.0
// Jest globalSetup of the e2e project: `npm run network:up`'s script, which returns only when
// the two-org network takes a transaction endorsed by both organizations (building or reusing
// the Fabric binaries, starting what is not running, deploying the chaincode). Idempotent and
// quick when the network is already up. If this run had to start the nodes, the teardown
// stops them again (and deletes the network it created); a network that was up before is left up.
// The local SeaweedFS (the S3 backend's tests) is handled the same way (storage-setup.js).
// MEDSHARE_E2E_STORAGE_ONLY=1 brings up only the storage, for the storage suites alone
// (`npm run jest -- test/e2e/s3-blob-store.test.ts --selectProjects e2e`).
const { execFileSync } = require('node:child_process');
const { existsSync, readFileSync } = require('node:fs');
const { join, resolve } = require('node:path');
const { storageDown, storageUp } = require('./storage-setup');

const ROOT = resolve(__dirname, '..', '..');

function nodesRunning(networkHome) {
  const pids = join(networkHome, 'pids');
  return [
    'orderer.example.com',
    'peer0.org1.example.com',
    'peer0.org2.example.com',
    'peer1.org1.example.com',
    'peer1.org2.example.com',
  ].every((node) => {
    try {
      process.kill(Number(readFileSync(join(pids, `${node}.pid`), 'utf8').trim()), 0);
      return true;
    } catch {
      return false;
    }
  });
}

module.exports = async function networkSetup() {
  globalThis.__MEDSHARE_STORAGE__ = storageUp();
  if (process.env.MEDSHARE_E2E_STORAGE_ONLY === '1') return;
  try {
    networkUp();
  } catch (error) {
    // jest runs no globalTeardown after a failed globalSetup.
    storageDown(globalThis.__MEDSHARE_STORAGE__);
    throw error;
  }
};

function networkUp() {
  const networkHome = process.env.NETWORK_HOME ?? join(ROOT, '.network');
  const existed = existsSync(join(networkHome, '.medshare-network'));
  const wasUp = existed && nodesRunning(networkHome);
  const started = Date.now();
  try {
    execFileSync('bash', [join(ROOT, 'scripts', 'network', 'network-up.sh')], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 15 * 60_000,
    });
  } catch (error) {
    const out = `${error.stdout ?? ''}${error.stderr ?? ''}`;
    throw new Error(`the e2e suites need the Fabric network and network:up failed:\n${out.slice(-6000)}`);
  }
  process.stdout.write(
    `\ne2e: Fabric network ready in ${((Date.now() - started) / 1000).toFixed(1)}s (${wasUp ? 'was already up' : 'started by this run'})\n`,
  );
  globalThis.__MEDSHARE_NETWORK__ = { networkHome, stopAfter: !wasUp, wipeAfter: !existed };
}
