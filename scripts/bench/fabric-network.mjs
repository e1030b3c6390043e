// SPDX-License-Identifier: Apache-2.0
// What the Fabric benchmarks (bench:fabric, bench:fabric-profile, bench:fabric-scale,
// bench:gateway-cpu) need of the native network: its processes' pids, its scripts, retries of the
// calls that meet a peer a block behind.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The pid of network process `name` (NETWORK_HOME/pids/NAME.pid) if it is alive. */
export function pidOf(networkHome, name) {
  try {
    const pid = Number(readFileSync(join(networkHome, 'pids', `${name}.pid`), 'utf8').trim());
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}

/** Runs a repository script with bash in `root` and `env`; its output goes to stderr only when it fails. */
export function repoScript(root, env, args) {
  const r = spawnSync('bash', args, { cwd: root, env, encoding: 'utf8' });
  if (r.status !== 0) {
    process.stderr.write(`${r.stdout}${r.stderr}`);
    throw new Error(`${args.join(' ')} failed (exit ${r.status})`);
  }
  return r.stdout;
}

/**
 * Retries fn (at most 20 times) while its error message contains one of `transient`, 100 ms
 * apart; `counter.n`, when given, counts the calls that needed a retry.
 */
export async function retrying(transient, fn, counter = undefined) {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      if (attempt >= 20 || !transient.some((t) => String(error?.message).includes(t))) throw error;
      if (attempt === 0 && counter) counter.n++;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
