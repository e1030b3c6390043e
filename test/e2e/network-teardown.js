// SPDX-License-Identifier: Apache-2.0
// Jest globalTeardown of the e2e project: stops the network if network-setup.js started it, and
// deletes it if that run also created it; the same for the local SeaweedFS (data kept).
// KEEP_NETWORK=1 leaves both running.
const { execFileSync } = require('node:child_process');
const { join, resolve } = require('node:path');
const { storageDown } = require('./storage-setup');

const ROOT = resolve(__dirname, '..', '..');

module.exports = async function networkTeardown() {
  try {
    stopNetwork();
  } finally {
    storageDown(globalThis.__MEDSHARE_STORAGE__);
  }
};

function stopNetwork() {
  const state = globalThis.__MEDSHARE_NETWORK__;
  if (!state || !state.stopAfter || process.env.KEEP_NETWORK === '1') return;
  const script = state.wipeAfter ? 'reset.sh' : 'down.sh';
  execFileSync('bash', [join(ROOT, 'scripts', 'network', script)], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: '1' },
    stdio: 'ignore',
    timeout: 120_000,
  });
}
