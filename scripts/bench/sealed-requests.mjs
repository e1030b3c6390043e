// SPDX-License-Identifier: Apache-2.0
// The gateway side of the benchmarks (bench:gateway, bench:fabric): a gateway process started
// from the `npm start` entry point, and the raw driver, which opens a session and signs (sig1,
// sig2) and seals requests ahead of the timed window, so the window measures the gateway and
// what is behind it, not the client's SM2 work. Answers are checked for status, not verified.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Agent, request } from 'node:https';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { medshareDist } from './medshare-dist.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const p = medshareDist(root);

/**
 * Starts gateway/dist/dev/start.js (or `entry`: another build's, e.g. a commit's to compare
 * against, with NODE_PATH in `env` for its dependencies) with `env` added to this process's
 * environment; resolves once it listens. `inspect: true` opens its inspector on a free loopback
 * port (the child's `inspectorUrl`, for cpu-profiler.mjs's remoteProfiler).
 * BENCH_GATEWAY_CPU_PROF=DIR in this process's environment runs every gateway under
 * `node --cpu-prof`: one whole-life .cpuprofile per gateway thread (the embedded ledger's worker
 * has its own) in DIR, written when it exits (stopProcess).
 */
export async function startGateway(
  env,
  label = 'gateway',
  { inspect = false, entry = join(root, 'gateway/dist/dev/start.js') } = {},
) {
  const profileDir = process.env.BENCH_GATEWAY_CPU_PROF;
  const nodeArgs = [
    ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []),
    ...(inspect ? ['--inspect=127.0.0.1:0'] : []),
  ];
  const child = spawn(process.execPath, [...nodeArgs, entry], {
    cwd: root,
    env: { ...process.env, MEDSHARE_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (c) => (out += c));
  child.stderr.on('data', (c) => (out += c));
  await new Promise((ok, fail) => {
    const t = setTimeout(() => fail(new Error(`${label} did not start:\n${out}`)), 30000);
    child.stdout.on('data', () => out.includes('listening on') && (clearTimeout(t), ok()));
    child.once('exit', (code) => (clearTimeout(t), fail(new Error(`${label} exited ${code}:\n${out}`))));
  });
  if (inspect) {
    child.inspectorUrl = /Debugger listening on (ws:\/\/\S+)/.exec(out)?.[1];
    if (!child.inspectorUrl) throw new Error(`${label}: no inspector address in its output:\n${out}`);
  }
  return child;
}

/** SIGTERM, and resolves when the process has exited. */
export async function stopProcess(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

/**
 * Opens a session on the gateway at 127.0.0.1:port as the app of `client` (an app config's
 * `client` part: appId, appKey, ca). Returns post(path, body), sealedFor(op, user, body) (a
 * signed, sealed /v1/requests body, valid for 4 minutes), sealedSigned(request, sig1) (the same
 * for a request signed by its author already), result(answer) and close().
 */
export async function sealedSession(client, port) {
  // timeout: idle sockets are closed after 4 s, before the gateway's keepAliveTimeout (5 s)
  // closes them under a request (socket hang up / ECONNRESET between cases).
  const agent = new Agent({ keepAlive: true, maxSockets: 64, timeout: 4000, ca: client.ca });
  const post = (path, body) =>
    new Promise((ok, fail) => {
      const payload = Buffer.from(JSON.stringify(body));
      const req = request(
        {
          host: '127.0.0.1',
          port,
          path,
          method: 'POST',
          agent,
          // A sealed request names its session in the header too (docs/protocol.md §7).
          headers: {
            'content-type': 'application/json',
            'content-length': payload.length,
            ...(body.sessionId ? { [p.SESSION_HEADER]: body.sessionId } : {}),
          },
        },
        (res) => {
          const chunks = [];
          res.on('data', (c) => chunks.push(c));
          res.on('end', () =>
            res.statusCode === 200
              ? ok(JSON.parse(Buffer.concat(chunks).toString()))
              : fail(new Error(`${res.statusCode} ${Buffer.concat(chunks)}`)),
          );
        },
      );
      req.on('error', fail);
      req.end(payload);
    });
  const k2Id = p.keyIdOf(client.appKey.publicKey);
  const eph = p.generateKeyPair();
  const sreq = {
    v: 1,
    appId: client.appId,
    k2Id,
    ephemeralPublicKey: eph.publicKey,
    issuedAt: Date.now(),
    nonce: randomBytes(16).toString('hex'),
  };
  const answer = await post('/v1/sessions', { ...sreq, sig2: p.signFor('session-request', client.appKey, sreq) });
  const key = p.decrypt(eph.privateKey, p.fromHex(answer.encryptedKey));
  const sessionId = answer.sessionId;
  const seal = (envelope) => ({
    sessionId,
    ciphertext: p.toBase64(p.seal(key, p.utf8(p.canonicalize(envelope)), p.sessionAad('request', sessionId))),
  });
  // A request its author already signed (an anonymous one, sig1 a ring signature): sig2, sealed.
  const sealedSigned = (request, sig1) =>
    seal({ request, sig1, sig2: p.signFor('sig2', client.appKey, p.chainPayload(request, sig1)), k2Id });
  const sealedFor = (op, user, body) => {
    const request = p.newRequest({
      op,
      body,
      appId: client.appId,
      keyId: p.keyIdOf(user.publicKey),
      now: Date.now(),
      lifetimeMs: 240000,
    });
    const sig1 = p.signFor('sig1', user, request);
    return sealedSigned(request, sig1);
  };
  const result = (answer) =>
    JSON.parse(
      Buffer.from(p.open(key, p.fromBase64(answer.ciphertext), p.sessionAad('response', sessionId))).toString(),
    ).response.result;
  return { post, sealedFor, sealedSigned, result, close: () => agent.destroy() };
}

/** An upload body for `patient` as the SDK builds it: the content sealed under a fresh data key, wrapped for the owner. */
export function uploadBody(patient, content) {
  const box = p.seal(p.randomKey(), content);
  return {
    patientId: p.toHex(
      p.sm3(new Uint8Array([...p.utf8(p.PSEUDONYM_LABEL), ...p.fromHex(p.keyIdOf(patient.publicKey))])),
    ),
    ciphertext: p.toBase64(box),
    contentHash: p.toHex(p.sm3(box)),
    ownerKeyWrap: p.toHex(p.encrypt(patient.publicKey, p.randomKey())),
    metadata: { kind: 'clinical-note', createdAt: Date.now() },
  };
}
