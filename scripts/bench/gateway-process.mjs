// Helpers shared by the gateway benchmarks: a real gateway process (embedded runtime, as
// `npm start` runs it) on a free loopback port, and what /proc says about it.

import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export const clock = () => Number(process.hrtime.bigint()) / 1e6;
export const fmt = (n, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
export const pct = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

export function freePort() {
  return new Promise((done) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => done(port));
    });
  });
}

export function peakRssMiB(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kb / 1024;
}

/** CPU time (user + system) of a process so far, in ms (/proc/<pid>/stat fields 14 and 15, in 10 ms ticks). */
export function cpuMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** Starts `gateway/dist/dev/start.js` with a fresh data directory; resolves once it listens. */
export async function startGateway(dataDir, port, env = {}) {
  const child = spawn(process.execPath, [join(root, 'gateway/dist/dev/start.js')], {
    cwd: root,
    env: { ...process.env, MEDSHARE_DATA_DIR: dataDir, MEDSHARE_PORT: String(port), MEDSHARE_LOG_LEVEL: 'warn', MEDSHARE_CONFIG: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (c) => (out += c));
  child.stderr.on('data', (c) => (out += c));
  await new Promise((ok, fail) => {
    const t = setTimeout(() => fail(new Error(`gateway did not start:\n${out}`)), 30000);
    child.stdout.on('data', () => out.includes('listening on') && (clearTimeout(t), ok()));
    child.once('exit', (code) => fail(new Error(`gateway exited ${code}:\n${out}`)));
  });
  return child;
}

export async function stopGateway(child) {
  if (child.exitCode !== null) return;
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
}
