// SPDX-License-Identifier: Apache-2.0
// The local SeaweedFS of the e2e project (scripts/storage/up.sh), used by network-setup.js and
// network-teardown.js the way they use the Fabric network: brought up (or found up and ready)
// before the suites, stopped after them if this run started it.
const { execFileSync } = require('node:child_process');
const { readFileSync, readlinkSync } = require('node:fs');
const { basename, join, resolve } = require('node:path');

const ROOT = resolve(__dirname, '..', '..');

/** Whether the server up.sh started runs now (lib.sh's weed_pid: the pid file's process, and its executable is weed). */
function storageRunning(storageHome) {
  try {
    const pid = Number(readFileSync(join(storageHome, 'weed.pid'), 'utf8').trim());
    process.kill(pid, 0);
    return basename(readlinkSync(`/proc/${pid}/exe`).replace(/ \(deleted\)$/, '')) === 'weed';
  } catch {
    return false;
  }
}

function storageUp() {
  const storageHome = process.env.STORAGE_HOME ?? join(ROOT, '.storage');
  const wasUp = storageRunning(storageHome);
  const started = Date.now();
  try {
    execFileSync('bash', [join(ROOT, 'scripts', 'storage', 'up.sh')], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
      // A machine without a weed build builds it first (7-18 min on two cores).
      timeout: 30 * 60_000,
    });
  } catch (error) {
    const out = `${error.stdout ?? ''}${error.stderr ?? ''}`;
    throw new Error(`the e2e suites need the local SeaweedFS and storage:up failed:\n${out.slice(-6000)}`);
  }
  process.stdout.write(
    `\ne2e: SeaweedFS ready in ${((Date.now() - started) / 1000).toFixed(1)}s (${wasUp ? 'was already up' : 'started by this run'})\n`,
  );
  return { storageHome, stopAfter: !wasUp };
}

function storageDown(state) {
  if (!state || !state.stopAfter || process.env.KEEP_NETWORK === '1') return;
  execFileSync('bash', [join(ROOT, 'scripts', 'storage', 'down.sh')], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: '1' },
    stdio: 'ignore',
    timeout: 60_000,
  });
}

module.exports = { storageUp, storageDown };
