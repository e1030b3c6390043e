// SPDX-License-Identifier: Apache-2.0
import { utf8 } from '@medshare/crypto/bytes';
import { generateKeyPair } from '@medshare/crypto/sm2';
/**
 * Faults under load on the real Fabric network (issue 12 §3, "Faults under load" and "Outcomes
 * the client can trust"). Two gateways (Org1MSP, Org2MSP), each knowing both peers of its org
 * (peer0 preferred, then peer1), take a bounded write load: 8
 * uploaders, 4 per gateway, over 4 patients (each patient uploaded to through both gateways at
 * once). In the middle of it one node is killed with SIGKILL, kept down DOWN_MS, restarted
 * (scripts/network/up.sh, or scripts/network/chaincode-server.sh start medshare org1 for org1's
 * chaincode server, which start only what is
 * not running) and waited for, bounded, with scripts/network/wait-ready.mjs (endorsement by both
 * orgs; up.sh itself waits for the orderer's Raft leader, not only /healthz). The load runs on
 * for LOAD_AFTER_READY_MS, then stops; the calls in flight finish. Then each gateway is waited
 * for, bounded, until it answers a read (its own gRPC connection to its peer may still be backing
 * off after readiness; the wait is reported), and takes one upload.
 *
 * Every upload carries its own metadata kind (`f-<fault>-<worker>-<seq>`), so each record listed
 * on the ledger names the one call that wrote it. The checks, per fault:
 * - every call ends before its bound plus HANG_MARGIN_MS (no hang): SDK_TIMEOUT_MS for reads,
 *   UPLOAD_DEADLINE_MS for uploads, which the SDK may retry with the same idempotency key;
 * - every failure is a coded MedshareError with a code of protocol/src/errors/codes.ts, one that
 *   says "not written" or "outcome unknown" (LEDGER_UNAVAILABLE, OUTCOME_UNKNOWN, CONFLICT), never
 *   INTERNAL;
 * - after the node is back, each gateway serves again and takes an upload, every acknowledged
 *   upload is on the ledger exactly once, no call wrote twice, and the records that exist
 *   although their call failed ("committed but reported failed") are counted and reported, not
 *   failed on (yet);
 * - all four peers reach the same height with the same block hash;
 * - when the killed node is a gateway's own preferred peer (peer0.org1 for org1's gateway, the
 *   fault's `failover`), that gateway goes on through the other peer of its org: every upload it
 *   started FAILOVER_GRACE_MS after the kill succeeds, and it logged the change of peer. (Killing
 *   peer0.org2 exercises the same for org2's gateway, but its verdict is the general one.)
 * One summary line per fault goes to stdout.
 *
 * The suite kills nodes, so it must not share the network with another suite at the same time
 * (jest runs the e2e files one after another on a 2-core machine; on a larger one use
 * `--runInBand`). It takes about 110 s on 2 cores (four faults of about 25 s each).
 */
import { execFile } from 'node:child_process';
import { readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { UserKey } from '@medshare/app';
import { MedshareError, isErrorCode } from '@medshare/protocol';
import {
  CC_NAME,
  ROOT,
  assertNetworkReady,
  chainInfo,
  logFile,
  pidFile,
  scriptEnv,
  startHospital,
  stopHospital,
  type ChainInfo,
  type Hospital,
} from './support/hospital';

assertNetworkReady();

const exec = promisify(execFile);

/** The SDK's per-request timeout, passed explicitly so the hang check follows it. */
const SDK_TIMEOUT_MS = 35_000; // the SDK's default, above the gateway's 30 s request timeout
/** An upload call may resolve an unknown outcome by retrying (same idempotency key) until this. */
const UPLOAD_DEADLINE_MS = 60_000;
/** A call still pending this long after the SDK's timeout hangs. */
const HANG_MARGIN_MS = 3_000;
const WORKERS_PER_GATEWAY = 4;
const PATIENTS = 4;
const KILL_AFTER_MS = 4_000;
const DOWN_MS = 10_000;
const LOAD_AFTER_READY_MS = 3_000;
/** A failed call's worker pauses this long before its next upload (a user does not hammer a dead service). */
const PAUSE_AFTER_FAILURE_MS = 250;
const RESTART_TIMEOUT_MS = 90_000;
const READY_TIMEOUT_S = 60;
const CONVERGE_TIMEOUT_MS = 30_000;
const GATEWAY_BACK_TIMEOUT_MS = 30_000;
/** After the kill of a gateway's own preferred peer, how long its calls may still fail (calls in flight on it). */
const FAILOVER_GRACE_MS = 3_000;
/** Failure codes that say "not written" or "outcome unknown"; OUTCOME_UNKNOWN may not exist yet. */
const FAILURE_CODES: ReadonlySet<string> = new Set(['LEDGER_UNAVAILABLE', 'OUTCOME_UNKNOWN', 'CONFLICT']);

const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));
const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)}s`;

interface Attempt {
  readonly kind: string;
  readonly gateway: Hospital['org'];
  readonly patient: number;
  readonly startedMs: number;
  endedMs?: number;
  recordId?: string;
  /** The MedshareError's code; 'UNCODED' for anything else. */
  code?: string;
  message?: string;
  txId?: string;
  hung?: true;
}

interface Timeline {
  readonly startMs: number;
  killMs?: number;
  restartMs?: number;
  readyMs?: number;
  stopMs?: number;
}

interface Outcome {
  readonly attempts: Attempt[];
  readonly timeline: Timeline;
  /** recordId → kind, for every record listed on the ledger for the run's patients. */
  readonly listed: { recordId: string; kind: string }[];
  /** Per gateway, after the load: how long it took to answer a read again, or the last error. */
  readonly back: { gateway: Hospital['org']; ms?: number; last?: string }[];
  /** One upload through each gateway after that. */
  readonly probes: { gateway: Hospital['org']; code?: string; message?: string }[];
  /** The errors each gateway logged during the run (the causes behind INTERNAL). */
  readonly gatewayErrors: { gateway: Hospital['org']; lines: string[] }[];
  /** The changes of peer each gateway logged during the run (ledger/peer-order.ts). */
  readonly peerChanges: { gateway: Hospital['org']; lines: string[] }[];
  readonly heights?: { peers: Record<string, ChainInfo>; convergedMs: number };
  readonly convergeError?: string;
}

/** Rejects when `promise` is still pending after `ms`; never leaves a timer behind. */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new HangError(`${what} still pending after ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

class HangError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HangError';
  }
}

function tail(file: string, lines = 20): string {
  try {
    // the nodes log in colour
    // eslint-disable-next-line no-control-regex
    const text = readFileSync(file, 'utf8').replace(/\x1b\[[0-9;]*m/g, '');
    return text.trimEnd().split('\n').slice(-lines).join('\n');
  } catch (error) {
    return `(cannot read ${file}: ${(error as Error).message})`;
  }
}

// ---- the nodes ----------------------------------------------------------------------------

interface Fault {
  /** The process name: its pid file is .network/pids/<node>.pid, its log .network/logs/<node>.log. */
  readonly node: string;
  /**
   * The gateway whose own preferred peer this is, and the other peer of its org it must go on
   * through: its uploads started FAILOVER_GRACE_MS after the kill must all succeed.
   */
  readonly failover?: { readonly gateway: Hospital['org']; readonly through: string };
  /** Short tag for the records' kinds. */
  readonly tag: string;
  /** The executable the pid file must name (the end of /proc/PID/exe). */
  readonly exe: RegExp;
  /** The script that starts it again (idempotent: it starts only what is not running). */
  readonly restart: readonly string[];
}

const FAULTS: readonly Fault[] = [
  { node: 'peer0.org2.example.com', tag: 'peer', exe: /\/peer$/, restart: [join(ROOT, 'scripts', 'network', 'up.sh')] },
  {
    node: 'peer0.org1.example.com',
    tag: 'peer-o1',
    exe: /\/peer$/,
    restart: [join(ROOT, 'scripts', 'network', 'up.sh')],
    failover: { gateway: 'org1', through: 'peer1.org1.example.com' },
  },
  { node: 'orderer.example.com', tag: 'ord', exe: /\/orderer$/, restart: [join(ROOT, 'scripts', 'network', 'up.sh')] },
  // One chaincode server per organization: the policy needs both orgs' endorsements, so while
  // org1's server is down every write is refused (coded, nothing written) and resumes after.
  {
    node: `chaincode-${CC_NAME}-org1`,
    tag: 'cc',
    exe: /\/node$/,
    restart: [join(ROOT, 'scripts', 'network', 'chaincode-server.sh'), 'start', CC_NAME, 'org1'],
  },
];

function gone(pid: number): boolean {
  try {
    // a killed process whose parent has not reaped it yet is a zombie: as good as gone
    return /^\d+ \(.*\) Z/.test(readFileSync(`/proc/${String(pid)}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

/** SIGKILL the node this network's pid file names (checked to be that node's executable). */
async function kill9(fault: Fault): Promise<void> {
  const pid = Number(readFileSync(pidFile(fault.node), 'utf8').trim());
  let exe: string;
  try {
    exe = readlinkSync(`/proc/${String(pid)}/exe`).replace(/ \(deleted\)$/, '');
  } catch {
    throw new Error(`${fault.node} (pid ${String(pid)} in ${pidFile(fault.node)}) is not running before the fault`);
  }
  if (!fault.exe.test(exe))
    throw new Error(`${pidFile(fault.node)} names pid ${String(pid)} (${exe}), not ${fault.node}`);
  process.kill(pid, 'SIGKILL');
  const deadline = Date.now() + 5_000;
  while (!gone(pid)) {
    if (Date.now() > deadline) throw new Error(`${fault.node} (pid ${String(pid)}) still alive 5 s after SIGKILL`);
    await sleep(50);
  }
}

/** Restarts the node and waits, bounded, for endorsement by both orgs; fails naming the node and its log. */
async function restart(fault: Fault): Promise<void> {
  const step = async (file: string, args: readonly string[], timeout: number): Promise<void> => {
    try {
      await exec(file, [...args], { cwd: ROOT, env: scriptEnv, timeout, killSignal: 'SIGTERM' });
    } catch (error) {
      const e = error as { code?: number | string; signal?: string; stdout?: string; stderr?: string };
      const how = e.signal ? `killed by ${e.signal} after ${String(timeout)} ms` : `exit ${String(e.code)}`;
      const out = `${e.stdout ?? ''}${e.stderr ?? ''}`.trimEnd().split('\n').slice(-15).join('\n');
      throw new Error(
        `${fault.node} did not come back: ${[file, ...args].map((a) => a.replace(`${ROOT}/`, '')).join(' ')} failed (${how}):\n${out}\n` +
          `--- last lines of ${logFile(fault.node)} ---\n${tail(logFile(fault.node))}`,
      );
    }
  };
  const [script, ...args] = fault.restart as [string, ...string[]];
  await step('bash', [script, ...args], RESTART_TIMEOUT_MS);
  await step(
    process.execPath,
    [join(ROOT, 'scripts', 'network', 'wait-ready.mjs'), String(READY_TIMEOUT_S)],
    (READY_TIMEOUT_S + 10) * 1000,
  );
}

/** Every peer of the network: ORG and peer index, as scripts/network/env.sh takes them. */
const PEERS = [
  ['org1', 0],
  ['org2', 0],
  ['org1', 1],
  ['org2', 1],
] as const;
const peerName = ([org, i]: (typeof PEERS)[number]): string => `peer${String(i)}.${org}.example.com`;

/** `peer channel getinfo` on one peer (support/hospital.ts). */
const peerInfo = ([org, i]: (typeof PEERS)[number]): Promise<ChainInfo> => chainInfo(org, i);

/** Bounded wait until all four peers report the same height and block hash. */
async function converge(): Promise<{ peers: Record<string, ChainInfo>; convergedMs: number }> {
  const start = performance.now();
  let last = '';
  while (performance.now() - start < CONVERGE_TIMEOUT_MS) {
    const infos = await Promise.all(PEERS.map(peerInfo));
    const [first] = infos as [ChainInfo, ...ChainInfo[]];
    const peers = Object.fromEntries(PEERS.map((p, k) => [peerName(p), infos[k] as ChainInfo]));
    if (infos.every((c) => c.height === first.height && c.currentBlockHash === first.currentBlockHash))
      return { peers, convergedMs: performance.now() - start };
    last = Object.entries(peers)
      .map(([name, c]) => `${name} ${String(c.height)} ${c.currentBlockHash}`)
      .join(', ');
    await sleep(500);
  }
  throw new Error(`the peers did not converge within ${String(CONVERGE_TIMEOUT_MS)} ms: ${last}`);
}

// ---- the load -----------------------------------------------------------------------------

function record(attempt: Attempt, error: unknown): void {
  if (error instanceof HangError) {
    attempt.hung = true;
    attempt.code = 'HANG';
    attempt.message = error.message;
  } else if (error instanceof MedshareError) {
    attempt.code = isErrorCode(error.code) ? error.code : `UNLISTED:${String(error.code)}`;
    attempt.message = error.detail;
    const txId = error.context.txId;
    if (typeof txId === 'string') attempt.txId = txId;
  } else {
    attempt.code = 'UNCODED';
    attempt.message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  }
}

async function uploader(
  h: Hospital,
  patients: readonly UserKey[],
  p: number,
  kindPrefix: string,
  startMs: number,
  stopped: () => boolean,
  attempts: Attempt[],
): Promise<void> {
  for (let seq = 0; !stopped(); seq++) {
    const attempt: Attempt = {
      kind: `${kindPrefix}-${String(seq)}`,
      gateway: h.org,
      patient: p,
      startedMs: performance.now() - startMs,
    };
    attempts.push(attempt);
    try {
      const call = h.client.upload(patients[p] as UserKey, {
        content: utf8(JSON.stringify({ kind: attempt.kind })),
        kind: attempt.kind,
      });
      attempt.recordId = (await within(call, UPLOAD_DEADLINE_MS + HANG_MARGIN_MS, `upload ${attempt.kind}`)).recordId;
    } catch (error) {
      record(attempt, error);
      if (attempt.hung) return; // the call is still pending: this uploader is stuck
      await sleep(PAUSE_AFTER_FAILURE_MS);
    } finally {
      attempt.endedMs = performance.now() - startMs;
    }
  }
}

async function listAll(h: Hospital, patient: UserKey): Promise<{ recordId: string; kind: string }[]> {
  const out: { recordId: string; kind: string }[] = [];
  let bookmark = '';
  for (let pages = 0; pages < 1000; pages++) {
    const page = await within(
      h.client.listRecords(patient, { pageSize: 100, bookmark }),
      SDK_TIMEOUT_MS + HANG_MARGIN_MS,
      'listRecords',
    );
    out.push(...page.items.map((r) => ({ recordId: r.recordId, kind: r.kind })));
    bookmark = page.bookmark;
    if (!bookmark || page.items.length === 0) break;
  }
  return out;
}

async function faultUnderLoad(fault: Fault, h1: Hospital, h2: Hospital): Promise<Outcome> {
  const patients = Array.from({ length: PATIENTS }, () => generateKeyPair());
  await Promise.all(patients.map((p, i) => (i % 2 === 0 ? h1 : h2).client.register(p, 'patient')));
  const attempts: Attempt[] = [];
  const logFrom = [h1.output().length, h2.output().length];
  const startMs = performance.now();
  const timeline: Timeline = { startMs: 0 };
  const at = (): number => performance.now() - startMs;
  let stop = false;
  const workers = [h1, h2].flatMap((h) =>
    Array.from({ length: WORKERS_PER_GATEWAY }, (_, i) => {
      const w = h === h1 ? i : WORKERS_PER_GATEWAY + i;
      return uploader(h, patients, w % PATIENTS, `f-${fault.tag}-${String(w)}`, startMs, () => stop, attempts);
    }),
  );
  try {
    await sleep(KILL_AFTER_MS);
    timeline.killMs = at();
    await kill9(fault);
    await sleep(DOWN_MS);
    timeline.restartMs = at();
    await restart(fault);
    timeline.readyMs = at();
    await sleep(LOAD_AFTER_READY_MS);
  } finally {
    stop = true;
    timeline.stopMs = at();
    await Promise.all(workers);
  }

  // Each gateway's own gRPC connection to its peer may still be backing off after readiness
  // (wait-ready.mjs dials afresh): wait, bounded, until each answers a read, and report how long
  // that wait took. Then one upload through each.
  const back = await Promise.all([h1, h2].map((h) => servesAgain(h, patients[0] as UserKey)));
  const probes = await Promise.all(
    [h1, h2].map(async (h) => {
      const a: Attempt = { kind: `f-${fault.tag}-probe-${h.org}`, gateway: h.org, patient: 0, startedMs: 0 };
      try {
        await within(
          h.client.upload(patients[0] as UserKey, { content: utf8('{}'), kind: a.kind }),
          UPLOAD_DEADLINE_MS + HANG_MARGIN_MS,
          'probe',
        );
        return { gateway: h.org };
      } catch (error) {
        record(a, error);
        return { gateway: h.org, code: a.code ?? 'UNCODED', message: a.message ?? '' };
      }
    }),
  );
  const listed = (await Promise.all(patients.map((p) => listAll(h1, p))))
    .flat()
    .filter((r) => !r.kind.includes('-probe-'));
  let heights: Outcome['heights'];
  let convergeError: string | undefined;
  try {
    heights = await converge();
  } catch (error) {
    convergeError = (error as Error).message;
  }
  const gatewayErrors = [h1, h2].map((h, i) => ({ gateway: h.org, lines: loggedErrors(h.output().slice(logFrom[i])) }));
  const peerChanges = [h1, h2].map((h, i) => ({
    gateway: h.org,
    lines: loggedPeerChanges(h.output().slice(logFrom[i])),
  }));
  return {
    attempts,
    timeline,
    listed,
    back,
    probes,
    gatewayErrors,
    peerChanges,
    ...(heights ? { heights } : {}),
    ...(convergeError ? { convergeError } : {}),
  };
}

/** Bounded wait until the gateway answers a read (list-records, an evaluation) again. */
async function servesAgain(h: Hospital, patient: UserKey): Promise<Outcome['back'][number]> {
  const since = performance.now();
  const deadline = since + GATEWAY_BACK_TIMEOUT_MS;
  for (;;) {
    const a: Attempt = { kind: 'read', gateway: h.org, patient: 0, startedMs: 0 };
    try {
      await within(h.client.listRecords(patient, { pageSize: 1 }), SDK_TIMEOUT_MS + HANG_MARGIN_MS, 'listRecords');
      return { gateway: h.org, ms: performance.now() - since };
    } catch (error) {
      record(a, error);
    }
    if (performance.now() > deadline) return { gateway: h.org, last: `${a.code ?? '?'}: ${a.message ?? ''}` };
    await sleep(250);
  }
}

/** The distinct errors a gateway logged (pino JSON, level ≥ 50), with counts. */
function loggedErrors(output: string): string[] {
  const counts = new Map<string, number>();
  for (const line of output.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const entry = JSON.parse(line) as { level?: number; err?: { message?: string }; msg?: string };
      if ((entry.level ?? 0) < 50) continue;
      const text = (entry.err?.message ?? entry.msg ?? '').slice(0, 240);
      counts.set(text, (counts.get(text) ?? 0) + 1);
    } catch {
      // not a log entry
    }
  }
  return [...counts].map(([text, n]) => `${String(n)}× ${text}`);
}

/** The gateway's changes of peer (pino JSON, `ledger: …` messages of ledger/peer-order.ts): "message → peer". */
function loggedPeerChanges(output: string): string[] {
  const lines: string[] = [];
  for (const line of output.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const entry = JSON.parse(line) as { msg?: string; peer?: string; unreachable?: string };
      if (entry.msg?.startsWith('ledger: '))
        lines.push(`${entry.msg} → ${entry.peer ?? '?'}${entry.unreachable ? ` (from ${entry.unreachable})` : ''}`);
    } catch {
      // not a log entry
    }
  }
  return lines;
}

// ---- what the outcome says ----------------------------------------------------------------

interface Verdict {
  readonly acked: Attempt[];
  readonly failed: Attempt[];
  readonly missing: Attempt[];
  /** Acknowledged record ids listed more than once, and kinds (calls) with more than one record. */
  readonly duplicates: string[];
  /** Records whose call failed: committed but reported failed. */
  readonly extra: Attempt[];
  /** Records that no call of this run wrote. */
  readonly strangers: string[];
}

function verdict(o: Outcome): Verdict {
  const byKind = new Map(o.attempts.map((a) => [a.kind, a]));
  const idCount = new Map<string, number>();
  const kindCount = new Map<string, number>();
  for (const r of o.listed) {
    idCount.set(r.recordId, (idCount.get(r.recordId) ?? 0) + 1);
    kindCount.set(r.kind, (kindCount.get(r.kind) ?? 0) + 1);
  }
  const acked = o.attempts.filter((a) => a.recordId !== undefined);
  const failed = o.attempts.filter((a) => a.recordId === undefined);
  return {
    acked,
    failed,
    missing: acked.filter((a) => !idCount.has(a.recordId as string)),
    duplicates: [
      ...[...idCount].filter(([, n]) => n > 1).map(([id, n]) => `record ${id} listed ${String(n)}×`),
      ...[...kindCount].filter(([, n]) => n > 1).map(([kind, n]) => `call ${kind} wrote ${String(n)} records`),
    ],
    extra: failed.filter((a) => kindCount.has(a.kind)),
    strangers: o.listed.filter((r) => !byKind.has(r.kind)).map((r) => `${r.recordId} (${r.kind})`),
  };
}

function countBy(items: readonly Attempt[], key: (a: Attempt) => string): string {
  const counts = new Map<string, number>();
  for (const a of items) counts.set(key(a), (counts.get(key(a)) ?? 0) + 1);
  return [...counts].map(([k, n]) => `${k} ${String(n)}`).join(', ') || 'none';
}

/** When a gateway acknowledged its first upload sent after the kill, relative to readiness. */
function recovered(o: Outcome, gateway: Hospital['org']): string {
  const t = o.timeline;
  const ends = o.attempts
    .filter((a) => a.gateway === gateway && a.recordId && a.startedMs >= (t.killMs ?? 0))
    .map((a) => a.endedMs ?? 0);
  if (ends.length === 0 || t.readyMs === undefined) return 'never';
  const ms = Math.min(...ends) - t.readyMs;
  return `ready${ms < 0 ? '-' : '+'}${seconds(Math.abs(ms))}`;
}

function summary(fault: Fault, o: Outcome, v: Verdict): string {
  const t = o.timeline;
  const slowest = Math.max(0, ...o.attempts.map((a) => (a.endedMs ?? t.stopMs ?? 0) - a.startedMs));
  const afterReady = o.attempts.filter((a) => t.readyMs !== undefined && a.startedMs >= t.readyMs);
  const h = o.heights;
  return [
    `fault kill -9 ${fault.node}: ${String(o.attempts.length)} uploads, ${String(v.acked.length)} acked, ${String(v.failed.length)} failed (${countBy(v.failed, (a) => `${a.code ?? '?'}@${a.gateway}`)})`,
    `${String(v.extra.length)} extra (committed but reported failed: ${countBy(v.extra, (a) => `${a.code ?? '?'}@${a.gateway}`)})`,
    `${String(v.missing.length)} acked missing, ${String(v.duplicates.length)} duplicates, ${String(o.attempts.filter((a) => a.hung).length)} hung`,
    `slowest call ${seconds(slowest)}`,
    `down ${seconds((t.restartMs ?? 0) - (t.killMs ?? 0))}, ready ${seconds((t.readyMs ?? 0) - (t.restartMs ?? 0))} after restart (${seconds((t.readyMs ?? 0) - (t.killMs ?? 0))} after kill)`,
    `after ready ${String(afterReady.filter((a) => a.recordId).length)} acked / ${String(afterReady.filter((a) => !a.recordId).length)} failed`,
    `first ack after the kill ${(['org1', 'org2'] as const).map((g) => `${g} ${recovered(o, g)}`).join(', ')}`,
    `after the load the gateways answered a read after ${o.back.map((b) => `${b.gateway} ${b.ms === undefined ? `never (${b.last ?? '?'})` : seconds(b.ms)}`).join(', ')}`,
    h
      ? `all four peers at height ${String(Object.values(h.peers)[0]?.height)}, same hash, ${seconds(h.convergedMs)} after the load`
      : `peers: ${o.convergeError ?? '?'}`,
    ...(fault.failover ? [failoverLine(fault.failover, o)] : []),
  ].join('; ');
}

/** A failover gateway's uploads started after the kill: in the grace window, and after it. */
function failoverWindows(f: NonNullable<Fault['failover']>, o: Outcome): { grace: Attempt[]; after: Attempt[] } {
  const kill = o.timeline.killMs ?? Infinity;
  const mine = o.attempts.filter((a) => a.gateway === f.gateway && a.startedMs >= kill);
  return {
    grace: mine.filter((a) => a.startedMs < kill + FAILOVER_GRACE_MS),
    after: mine.filter((a) => a.startedMs >= kill + FAILOVER_GRACE_MS),
  };
}

function failoverLine(f: NonNullable<Fault['failover']>, o: Outcome): string {
  const { grace, after } = failoverWindows(f, o);
  const part = (as: Attempt[]): string =>
    `${String(as.filter((a) => a.recordId).length)} acked / ${String(as.filter((a) => !a.recordId).length)} failed (${countBy(
      as.filter((a) => !a.recordId),
      (a) => a.code ?? '?',
    )})`;
  const changes = o.peerChanges.find((c) => c.gateway === f.gateway)?.lines ?? [];
  return (
    `${f.gateway} after the kill: first ${seconds(FAILOVER_GRACE_MS)} ${part(grace)}, later ${part(after)}; ` +
    `${f.gateway} logged ${changes.length ? changes.join(' | ') : 'no change of peer'}`
  );
}

/** The distinct failure messages, with counts and when they happened (for the report). */
function details(o: Outcome): string {
  const t = o.timeline;
  const phase = (a: Attempt): string =>
    t.killMs === undefined || a.startedMs < t.killMs
      ? 'before-kill'
      : t.restartMs === undefined || a.startedMs < t.restartMs
        ? 'down'
        : t.readyMs === undefined || a.startedMs < t.readyMs
          ? 'restarting'
          : 'after-ready';
  const failed = o.attempts.filter((a) => !a.recordId);
  const lines = new Map<string, { n: number; maxMs: number }>();
  for (const a of failed) {
    const key = `${a.code ?? '?'}@${a.gateway} [${phase(a)}] ${a.message ?? ''}${a.txId ? ' (txId given)' : ''}`;
    const e = lines.get(key) ?? { n: 0, maxMs: 0 };
    lines.set(key, { n: e.n + 1, maxMs: Math.max(e.maxMs, (a.endedMs ?? 0) - a.startedMs) });
  }
  return [
    ...[...lines].map(([k, e]) => `  ${String(e.n)}× ${k} (slowest ${seconds(e.maxMs)})`),
    ...o.gatewayErrors.flatMap((g) => g.lines.map((l) => `  gateway ${g.gateway} logged ${l}`)),
  ].join('\n');
}

// ---- the suite ----------------------------------------------------------------------------

describe('faults under a bounded write load through both gateways (kill -9, restart, readiness)', () => {
  let h1: Hospital | undefined;
  let h2: Hospital | undefined;

  beforeAll(async () => {
    const sdk = { timeoutMs: SDK_TIMEOUT_MS, uploadRetry: { attempts: 3, deadlineMs: UPLOAD_DEADLINE_MS } };
    [h1, h2] = await Promise.all([startHospital('org1', sdk), startHospital('org2', sdk)]);
  }, 120_000);

  afterAll(async () => {
    await Promise.all([stopHospital(h1), stopHospital(h2)]);
  }, 60_000);

  describe.each(FAULTS)('kill -9 $node under load', (fault) => {
    let outcome: Outcome | undefined;
    let v: Verdict | undefined;
    const got = (): { o: Outcome; v: Verdict } => {
      if (!outcome || !v) throw new Error(`the fault run of ${fault.node} did not complete`);
      return { o: outcome, v };
    };

    it(`${fault.node} is killed mid-load, restarted and ready again (bounded), and the load ends`, async () => {
      outcome = await faultUnderLoad(fault, h1 as Hospital, h2 as Hospital);
      v = verdict(outcome);
      process.stdout.write(`${summary(fault, outcome, v)}\n${details(outcome)}\n`);
      expect(outcome.timeline.readyMs).toBeDefined();
    }, 150_000);

    it('every call ends within the SDK timeout plus a margin (no hang)', () => {
      const { o } = got();
      expect(o.attempts.filter((a) => a.hung).map((a) => `${a.gateway} ${a.kind}`)).toEqual([]);
    });

    it('every failed call is a coded MedshareError saying "not written" or "outcome unknown", never INTERNAL', () => {
      const { v } = got();
      const uncoded = v.failed.filter((a) => !FAILURE_CODES.has(a.code ?? ''));
      expect(uncoded.map((a) => `${a.code ?? '?'}@${a.gateway}: ${a.message ?? ''}`)).toEqual([]);
    });

    it('after the restart each gateway serves again (bounded wait) and takes an upload', () => {
      const { o } = got();
      expect(o.back.filter((b) => b.ms === undefined)).toEqual([]);
      expect(o.probes).toEqual([{ gateway: 'org1' }, { gateway: 'org2' }]);
    });

    it('every acknowledged upload is on the ledger exactly once; a failed upload that committed said OUTCOME_UNKNOWN', () => {
      const { v } = got();
      expect(v.acked.length).toBeGreaterThan(0);
      expect(v.missing.map((a) => `${a.gateway} ${a.kind} ${a.recordId ?? ''}`)).toEqual([]);
      expect(v.duplicates).toEqual([]);
      expect(v.strangers).toEqual([]);
      // LEDGER_UNAVAILABLE and CONFLICT mean "not written": a call that said so must have left nothing.
      expect(
        v.extra
          .filter((a) => a.code !== 'OUTCOME_UNKNOWN')
          .map((a) => `${a.code ?? '?'}@${a.gateway}: ${a.message ?? ''}`),
      ).toEqual([]);
    });

    it('all four peers reach the same height and the same block hash', () => {
      const { o } = got();
      expect(o.convergeError).toBeUndefined();
      const infos = Object.values(o.heights?.peers ?? {});
      expect(infos).toHaveLength(PEERS.length);
      expect(new Set(infos.map((c) => `${String(c.height)} ${c.currentBlockHash}`)).size).toBe(1);
    });

    const failover = fault.failover;
    if (failover) {
      it(`${failover.gateway}'s gateway keeps serving through ${failover.through} while ${fault.node} is down`, () => {
        const { o } = got();
        const { after } = failoverWindows(failover, o);
        expect(after.length).toBeGreaterThan(0);
        expect(after.filter((a) => !a.recordId).map((a) => `${a.kind} ${a.code ?? '?'}: ${a.message ?? ''}`)).toEqual(
          [],
        );
        // it went on through the other peer of its org, and said so
        expect(o.peerChanges.find((c) => c.gateway === failover.gateway)?.lines).toContainEqual(
          expect.stringContaining(`→ ${failover.through}`),
        );
      });
    }
  });
});
