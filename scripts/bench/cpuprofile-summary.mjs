#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// Summarises V8 CPU profiles (.cpuprofile, as `node --cpu-prof` or the inspector's
// Profiler.stop write them) into buckets of where the time went: self time and inclusive time
// per bucket, and the top functions by self time. Several profiles (one per gateway process)
// add up; --ops N divides every figure by N (ms per operation).
//
//   node scripts/bench/cpuprofile-summary.mjs [--ops N] [--cpu-ms MS] [--top 20] [--json] A.cpuprofile [B.cpuprofile …]
//
// Bucketing: every frame of a sample's stack gets a tag from its URL and function name
// (BUCKET_RULES, first match). A sample's self time goes to the bucket of the frame nearest the
// leaf that has a *strong* tag (a library or a module of ours); frames with a *weak* tag (Node's
// own tls/net/stream/timers, V8 builtins, @noble/curves, which both fabric-gateway and our SM2
// call) take the bucket of their nearest strongly tagged caller, or their own when there is none.
// So P-256 signing inside fabric-gateway counts as the Fabric client, a JSON.parse inside
// grpc-js as the Fabric client, and one inside the gateway's pipeline as JSON. Inclusive time of
// a bucket: the samples with that bucket anywhere on the stack (each sample counted once per
// bucket), so inclusive figures overlap and do not add up. (idle) is left out of every total.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const BUCKETS = Object.freeze([
  'fabric client (fabric-gateway, grpc-js, protobuf, http2)',
  'TLS/HTTP/Fastify',
  'SM2',
  'SM4/SM3',
  'JSON/encoding (JCS, hex, base64)',
  'pipeline (gateway, protocol)',
  'GC',
  'node internals',
  'other (program, native)',
]);
const [FABRIC, HTTP, SM2, SM4, JSON_, PIPELINE, GC, NODE, OTHER] = BUCKETS;

const has = (...parts) => {
  const re = new RegExp(parts.join('|'));
  return (f) => re.test(f.url);
};
const named = (...names) => {
  const set = new Set(names);
  return (f) => f.url === '' && set.has(f.functionName);
};

/** First match wins. `strong: false` rules are weak (see the header). */
export const BUCKET_RULES = Object.freeze([
  { bucket: GC, strong: true, test: (f) => f.functionName === '(garbage collector)' },
  { bucket: OTHER, strong: true, test: (f) => f.functionName === '(program)' },
  { bucket: OTHER, strong: false, test: (f) => f.functionName === '(root)' },
  {
    bucket: FABRIC,
    strong: true,
    test: has(
      '@hyperledger/fabric-gateway',
      '@hyperledger/fabric-protos',
      '@grpc/',
      'google-protobuf',
      'protobufjs',
      'node:internal/http2',
      'node:http2',
    ),
  },
  {
    bucket: HTTP,
    strong: true,
    test: has(
      '/fastify/',
      '/@fastify/',
      '/avvio/',
      '/find-my-way/',
      '/light-my-request/',
      '/pino/',
      '/pino-std-serializers/',
      '/fast-json-stringify/',
      '/fast-uri/',
      '/ajv/',
      '/secure-json-parse/',
      'node:_http_',
      'node:http$',
      'node:https$',
      'node:internal/http$',
    ),
  },
  // The WebAssembly field is SM2's (crypto/wasm/): the only WebAssembly module we load.
  { bucket: SM2, strong: true, test: has('crypto/(dist|src)/sm2/', '^wasm://') },
  { bucket: SM4, strong: true, test: has('crypto/(dist|src)/(sm3|sm4|sealed-box)') },
  {
    bucket: JSON_,
    strong: true,
    test: (f) =>
      has('crypto/(dist|src)/bytes', 'protocol/(dist|src)/.*canonical')(f) ||
      named('parse', 'stringify', 'JSONParse', 'JSONStringify')(f),
  },
  // The gateway's signer of its Fabric client identity stands in for fabric-gateway's own.
  { bucket: FABRIC, strong: true, test: has('gateway/(dist|src)/ledger/fabric-signer') },
  { bucket: PIPELINE, strong: true, test: has('gateway/(dist|src)/', 'protocol/(dist|src)/', 'crypto/(dist|src)/') },
  {
    bucket: HTTP,
    strong: false,
    test: has('node:_tls', 'node:tls', 'node:internal/tls', 'node:net', 'node:internal/net'),
  },
  { bucket: NODE, strong: false, test: has('^node:', '@noble/') },
  { bucket: OTHER, strong: false, test: () => true },
]);

function tagOf(frame) {
  return BUCKET_RULES.find((r) => r.test(frame));
}

/** The samples of one profile as [node id, duration ms] pairs (the delta to the next sample; the last: to endTime). */
function sampleDurations(profile) {
  const { samples = [], timeDeltas = [], startTime, endTime } = profile;
  const out = [];
  let t = startTime;
  const times = samples.map((_, i) => (t += timeDeltas[i] ?? 0));
  for (let i = 0; i < samples.length; i++) {
    const next = i + 1 < samples.length ? times[i + 1] : endTime;
    out.push([samples[i], Math.max(0, (next - times[i]) / 1000)]);
  }
  return out;
}

/** For every node: its self bucket, the buckets on its stack, its function key. Memoised along parents. */
function nodeInfo(profile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const info = new Map();
  const resolve = (id) => {
    if (info.has(id)) return info.get(id);
    const node = byId.get(id);
    const up = parent.has(id) ? resolve(parent.get(id)) : undefined;
    const tag = tagOf(node.callFrame);
    const f = node.callFrame;
    const key = `${f.functionName || '(anonymous)'} ${shortUrl(f.url)}:${f.lineNumber + 1}`;
    // Nearest strong caller, for the weak frames below this one.
    const strongAbove = tag.strong ? tag.bucket : up?.strongAbove;
    const self = tag.strong ? tag.bucket : (up?.strongAbove ?? tag.bucket);
    const onStack = new Set(up?.onStack ?? []);
    onStack.add(self);
    const keys = new Set(up?.keys ?? []);
    keys.add(key);
    const value = {
      self,
      strongAbove,
      onStack,
      key,
      keys,
      library: libraryOf(f.url),
      idle: f.functionName === '(idle)',
    };
    info.set(id, value);
    return value;
  };
  for (const n of profile.nodes) resolve(n.id);
  return info;
}

/** The package (node_modules), Node module, or folder of ours a frame's code is in; `(native)` for V8 builtins. */
export function libraryOf(url) {
  if (!url) return '(native)';
  if (url.startsWith('wasm://')) return 'wasm';
  if (url.startsWith('node:')) return url.replace(/^(node:(?:internal\/)?[^/]+).*$/, '$1');
  const path = shortUrl(url);
  const scoped = /^(@[^/]+\/[^/]+|[^/]+)\//.exec(path);
  const ours = /^((?:crypto|protocol|gateway|app|chaincode|fabric-sim)\/(?:dist|src)\/[^/]+)/.exec(path);
  return ours ? ours[1].replace(/\.js$/, '') : (scoped?.[1] ?? path);
}

function shortUrl(url) {
  if (!url) return '';
  const path = url.startsWith('file://') ? fileURLToPath(url) : url;
  const nm = path.lastIndexOf('node_modules/');
  if (nm >= 0) return path.slice(nm + 'node_modules/'.length);
  const m = /(?:^|\/)((?:crypto|protocol|gateway|app|chaincode|fabric-sim)\/(?:dist|src)\/.*)$/.exec(path);
  return m ? m[1] : path;
}

/**
 * Self and inclusive ms per bucket and per function over all `profiles`, divided by `ops`. A
 * sample lasts until the next one (wall time): on a loaded machine that is more than the CPU the
 * thread got, so `cpuMs` (the processes' CPU over the same window, from /proc) rescales every
 * figure to it; `sampledMs` keeps the unscaled total. Returns { ops, totalMs, sampledMs, idleMs,
 * self: {bucket: ms}, inclusive: {bucket: ms}, topSelf: [{fn, bucket, ms}], topInclusive: [{fn, ms}],
 * libraries: [{bucket, library, ms}] } (self time by the leaf frame's library within its bucket).
 */
export function summarise(profiles, { ops = 1, top = 20, cpuMs } = {}) {
  const self = Object.fromEntries(BUCKETS.map((b) => [b, 0]));
  const inclusive = Object.fromEntries(BUCKETS.map((b) => [b, 0]));
  const fnSelf = new Map();
  const fnInclusive = new Map();
  const libraries = new Map();
  let totalMs = 0;
  let idleMs = 0;
  for (const profile of profiles) {
    const info = nodeInfo(profile);
    for (const [id, ms] of sampleDurations(profile)) {
      const i = info.get(id);
      if (!i || i.idle) {
        idleMs += ms;
        continue;
      }
      totalMs += ms;
      self[i.self] += ms;
      for (const b of i.onStack) inclusive[b] += ms;
      // A native function (`run`, `update`) serves several buckets: one row per function and bucket.
      const fnKey = `${i.key}\n${i.self}`;
      const s = fnSelf.get(fnKey) ?? { fn: i.key, bucket: i.self, ms: 0 };
      s.ms += ms;
      fnSelf.set(fnKey, s);
      for (const k of i.keys) fnInclusive.set(k, (fnInclusive.get(k) ?? 0) + ms);
      const lib = `${i.self}\n${i.library}`;
      libraries.set(lib, (libraries.get(lib) ?? 0) + ms);
    }
  }
  const scale = cpuMs === undefined || totalMs === 0 ? 1 : cpuMs / totalMs;
  const per = (ms) => (ms * scale) / ops;
  const perBucket = (o) => Object.fromEntries(Object.entries(o).map(([b, ms]) => [b, per(ms)]));
  return {
    ops,
    totalMs: per(totalMs),
    sampledMs: totalMs / ops,
    idleMs: idleMs / ops,
    self: perBucket(self),
    inclusive: perBucket(inclusive),
    topSelf: [...fnSelf.values()]
      .sort((a, b) => b.ms - a.ms)
      .slice(0, top)
      .map((f) => ({ ...f, ms: per(f.ms) })),
    topInclusive: [...fnInclusive.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([fn, ms]) => ({ fn, ms: per(ms) })),
    libraries: [...libraries.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, ms]) => {
        const [bucket, library] = k.split('\n');
        return { bucket, library, ms: per(ms) };
      }),
  };
}

const f3 = (n) => n.toFixed(3);

/** The summary as markdown tables (bucket table, then the top functions by self time). */
export function formatSummary(summary, title = 'profile') {
  const unit = summary.ops === 1 ? 'ms' : 'ms/op';
  const scaled = summary.totalMs === summary.sampledMs ? '' : `, scaled from ${f3(summary.sampledMs)} ${unit} sampled`;
  const lines = [
    `${title}: ${f3(summary.totalMs)} ${unit} on CPU (${summary.ops} ops${scaled}; idle ${f3(summary.idleMs)} ${unit} left out)`,
    '',
    `| bucket | self ${unit} | self % | inclusive ${unit} |`,
    '| --- | ---: | ---: | ---: |',
  ];
  for (const b of BUCKETS) {
    const pct = summary.totalMs ? (100 * summary.self[b]) / summary.totalMs : 0;
    lines.push(`| ${b} | ${f3(summary.self[b])} | ${pct.toFixed(1)} % | ${f3(summary.inclusive[b])} |`);
  }
  lines.push('', `| top functions by self time | bucket | self ${unit} |`, '| --- | --- | ---: |');
  for (const f of summary.topSelf) lines.push(`| \`${f.fn}\` | ${f.bucket} | ${f3(f.ms)} |`);
  lines.push('', `| bucket | library of the leaf frame | self ${unit} |`, '| --- | --- | ---: |');
  for (const l of summary.libraries) lines.push(`| ${l.bucket} | ${l.library} | ${f3(l.ms)} |`);
  return lines.join('\n');
}

function main(argv) {
  const files = [];
  let ops = 1;
  let top = 20;
  let json = false;
  let cpuMs;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--ops') ops = Number(argv[++i]);
    else if (a === '--top') top = Number(argv[++i]);
    else if (a === '--json') json = true;
    else if (a === '--cpu-ms') cpuMs = Number(argv[++i]);
    else if (a === '--help' || a === '-h') return usage(0);
    else if (a.startsWith('-')) return usage(2, `unknown option ${a}`);
    else files.push(a);
  }
  if (files.length === 0) return usage(2, 'no .cpuprofile given');
  if (!(ops > 0) || !(top > 0)) return usage(2, '--ops and --top take a positive number');
  const summary = summarise(
    files.map((f) => JSON.parse(readFileSync(f, 'utf8'))),
    { ops, top, cpuMs },
  );
  process.stdout.write(`${json ? JSON.stringify(summary, null, 2) : formatSummary(summary, files.join(' + '))}\n`);
}

function usage(code, error) {
  if (error) process.stderr.write(`cpuprofile-summary: ${error}\n`);
  (code ? process.stderr : process.stdout).write(
    `usage: node scripts/bench/cpuprofile-summary.mjs [--ops N] [--cpu-ms MS] [--top 20] [--json] A.cpuprofile [B.cpuprofile …]
Self and inclusive CPU ms per bucket (${BUCKETS.join('; ')}), the top functions by self time
and the libraries within each bucket, summed over the profiles, rescaled to --cpu-ms (the
processes' CPU over the profiled window, e.g. from /proc) when given, divided by --ops.
`,
  );
  process.exitCode = code;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main(process.argv.slice(2));
