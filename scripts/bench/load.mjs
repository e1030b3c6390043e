// SPDX-License-Identifier: Apache-2.0
// Bounded load loops and what the benchmark scripts print about them (bench:gateway,
// bench:fabric): latency percentiles, the machine, and the processes' own CPU and memory
// counters from /proc. Timings are printed, never asserted.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';

export const clock = () => Number(process.hrtime.bigint()) / 1e6;
export const fmt = (n, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
export const pct = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

/**
 * Runs op(i) for i = 0, 1, … from `concurrency` workers until maxOps operations have started or
 * `seconds` have passed. Returns completed operations per second, p50/p99 latency (ms), errors
 * and the first error's message.
 */
export async function runLoad({ concurrency, op, maxOps, seconds = Infinity }) {
  const latencies = [];
  let next = 0;
  let errors = 0;
  let firstError;
  const deadline = clock() + seconds * 1000;
  const worker = async () => {
    while (next < maxOps && clock() < deadline) {
      const i = next++;
      const t0 = clock();
      try {
        await op(i);
        latencies.push(clock() - t0);
      } catch (error) {
        errors++;
        firstError ??= error instanceof Error ? error.message : String(error);
      }
    }
  };
  const start = clock();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsed = (clock() - start) / 1000;
  latencies.sort((a, b) => a - b);
  return { ...summary(latencies, elapsed, errors), firstError, latencies };
}

/**
 * Sustained load around a measurement: runs op(i) for i = 0, 1, … < maxOps from `concurrency`
 * workers; after `warmupSeconds` calls during() and, once it has settled, stops the workers.
 * Returns the operations completed (and failed) while during() ran, as runLoad does, with
 * `during` (what it returned) and `ranOut` (the maxOps operations were all started before
 * during() settled: the window's end saw less load).
 */
export async function runLoadDuring({ concurrency, op, maxOps, warmupSeconds, during }) {
  const window = { active: false, latencies: [], errors: 0, firstError: undefined };
  let next = 0;
  let stop = false;
  const worker = async () => {
    while (!stop && next < maxOps) {
      const i = next++;
      const t0 = clock();
      try {
        await op(i);
        if (window.active) window.latencies.push(clock() - t0);
      } catch (error) {
        if (!window.active) continue;
        window.errors++;
        window.firstError ??= error instanceof Error ? error.message : String(error);
      }
    }
  };
  const workers = Promise.all(Array.from({ length: concurrency }, worker));
  await new Promise((r) => setTimeout(r, warmupSeconds * 1000));
  window.active = true;
  const start = clock();
  let result;
  let elapsed;
  let ranOut;
  try {
    result = await during();
  } finally {
    window.active = false;
    elapsed = (clock() - start) / 1000;
    ranOut = next >= maxOps;
    stop = true;
    await workers;
  }
  window.latencies.sort((a, b) => a - b);
  return {
    ...summary(window.latencies, elapsed, window.errors),
    firstError: window.firstError,
    during: result,
    ranOut,
  };
}

function summary(sorted, elapsed, errors) {
  return {
    perSecond: sorted.length / elapsed,
    p50: pct(sorted, 0.5),
    p99: pct(sorted, 0.99),
    errors,
    n: sorted.length,
    elapsed,
  };
}

/** Several runLoad results of the same case (rounds) as one: operations over total time, percentiles of all latencies. */
export function mergeLoads(results) {
  const latencies = results.flatMap((r) => r.latencies).sort((a, b) => a - b);
  const elapsed = results.reduce((s, r) => s + r.elapsed, 0);
  const errors = results.reduce((s, r) => s + r.errors, 0);
  return {
    ...summary(latencies, elapsed, errors),
    firstError: results.find((r) => r.firstError)?.firstError,
    latencies,
  };
}

export function freePort() {
  return new Promise((done) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => done(port));
    });
  });
}

/** The 1-, 5- and 15-minute load averages, as `uptime` prints them. */
export const loadAverages = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

/** One line: CPU model, cores, Node version, load averages. */
export function machineLine() {
  return `machine: ${os.cpus()[0]?.model ?? '?'}, ${os.cpus().length} cores, ${os.type()} ${os.release()}, Node ${process.version}, load ${loadAverages()}`;
}

/** Peak resident set (VmHWM) of a process, MiB. */
export function peakRssMiB(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kb / 1024;
}

let ticksPerSecond;
/** User + system CPU time a process has used so far (ms), from /proc/PID/stat; NaN when gone. */
export function cpuMs(pid) {
  ticksPerSecond ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // fields after "pid (comm)": state is field 3, utime 14, stime 15 (proc(5))
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond;
  } catch {
    return Number.NaN;
  }
}
