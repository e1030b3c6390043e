#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// Summarises V8 CPU profiles (.cpuprofile, as `node --cpu-prof` or the inspector's
// Profiler.stop write them) into buckets of where the time went: self time and inclusive time
// per bucket, and the top functions by self time. Several profiles (one per gateway process)
// add up; --ops N (or --per N) divides every figure by N (ms per operation).
//
//   node scripts/bench/cpuprofile-summary.mjs [--buckets gateway|chaincode] [--ops N] [--cpu-ms MS] [--top 20] [--json]
//     [--within FUNCTION] [--windows FILE [--op FCN] [--n N]] [--callers FUNCTION] [--inclusive F1,F2]
//     A.cpuprofile [B.cpuprofile …]
//
// Two sets of buckets: `gateway` (the default: a gateway process, its Fabric client, HTTP, SM2…)
// and `chaincode` (a chaincode process: fabric-shim and its gRPC / protobuf / logging / x509 /
// Ajv, SM2, SM3, SM4, canonical JSON, the contracts, the simulator; docs/benchmarks.md,
// "Chaincode CPU per operation"). --within keeps only the samples with FUNCTION on their stack;
// --windows keeps only those inside the timed windows that chaincode-patients.mjs writes
// (BENCH_WINDOWS: [{fcn, n, ops, start, end}], µs of the profile's clock), of operation --op and
// size --n when given, and divides by their operations unless --ops is given; --callers lists
// FUNCTION's inclusive time by caller chain; --inclusive the time with each function anywhere
// on the stack.
//
// Bucketing: every frame of a sample's stack gets a tag from its URL and function name
// (GATEWAY_RULES or CHAINCODE_RULES, first match). A sample's self time goes to the bucket of the
// frame nearest the leaf that has a *strong* tag (a library or a module of ours); frames with a
// *weak* tag (Node's own modules and V8 builtins; on the gateway side also @noble/curves, which
// both fabric-gateway and our SM2 call) take the bucket of their nearest strongly tagged caller,
// or their own when there is none. So P-256 signing inside fabric-gateway counts as the Fabric
// client, a Buffer copy inside the shim's protobuf as protobuf. Inclusive time of a bucket: the
// samples with that bucket anywhere on the stack (each sample counted once per bucket), so
// inclusive figures overlap and do not add up. (idle) is left out of every total.

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
export const GATEWAY_RULES = Object.freeze([
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

/** The gateway's rules, under their first name. */
export const BUCKET_RULES = GATEWAY_RULES;

/** The buckets of a chaincode process (the shim's side of a transaction). */
export const CHAINCODE_BUCKETS = Object.freeze([
  'shim: @grpc/grpc-js',
  'shim: protobuf',
  'shim: logging (winston)',
  'shim: x509 (ClientIdentity)',
  'shim: Ajv (parameter schemas)',
  'shim: fabric-shim / contract-api',
  'shim: other',
  'SM2',
  'SM3',
  'SM4',
  'crypto: zk / ring / tpre',
  'crypto: other (bytes, hex, base64)',
  'crypto: @noble',
  'canonical JSON (protocol)',
  'protocol: parsers, signed bytes',
  'contracts (chaincode/)',
  'simulator (fabric-sim/)',
  'bench driver',
  'JSON.parse / stringify',
  'GC',
  '(program)',
  'Node internals (event loop, streams)',
  'other JavaScript',
]);
const CC_NODE = 'Node internals (event loop, streams)';
const urlIs = (re) => (f) => re.test(f.url);
const strong = (bucket, test) => ({ bucket, strong: true, test });

/** First match wins; Node's modules and native frames are weak (charged to their JavaScript caller). */
export const CHAINCODE_RULES = Object.freeze([
  strong('GC', (f) => f.functionName === '(garbage collector)'),
  strong('(program)', (f) => f.functionName === '(program)'),
  { bucket: CC_NODE, strong: false, test: (f) => f.functionName === '(root)' },
  // The only WebAssembly: SM2's field (crypto/src/sm2/field-wasm.ts).
  strong('SM2', urlIs(/^wasm:\/\//)),
  strong('JSON.parse / stringify', named('parse', 'stringify')),
  { bucket: CC_NODE, strong: false, test: (f) => f.url === '' || f.url.startsWith('node:') },
  strong('shim: @grpc/grpc-js', urlIs(/node_modules\/@grpc\//)),
  strong(
    'shim: protobuf',
    urlIs(/node_modules\/(protobufjs|google-protobuf|@hyperledger\/fabric-protos|@protobufjs)\//),
  ),
  strong(
    'shim: logging (winston)',
    urlIs(
      /node_modules\/(winston|logform|@colors|triple-beam|readable-stream|fast-safe-stringify|safe-stable-stringify)/,
    ),
  ),
  strong('shim: x509 (ClientIdentity)', urlIs(/node_modules\/@fidm\//)),
  strong('shim: Ajv (parameter schemas)', urlIs(/node_modules\/ajv\//)),
  strong(
    'shim: fabric-shim / contract-api',
    urlIs(/node_modules\/(fabric-shim|fabric-contract-api|fabric-shim-api)\//),
  ),
  strong('shim: other', urlIs(/node_modules\/(long|reflect-metadata|class-transformer)\//)),
  strong('SM2', urlIs(/crypto\/(dist|src)\/sm2\//)),
  strong('SM3', urlIs(/crypto\/(dist|src)\/sm3/)),
  strong('SM4', urlIs(/crypto\/(dist|src)\/(sm4|sealed-box)/)),
  strong('crypto: zk / ring / tpre', urlIs(/crypto\/(dist|src)\/(zk|ring|tpre)/)),
  strong('crypto: other (bytes, hex, base64)', urlIs(/crypto\/(dist|src)\//)),
  strong('crypto: @noble', urlIs(/node_modules\/@noble\//)),
  strong('canonical JSON (protocol)', urlIs(/protocol\/(dist|src)\/(.*\/)?canonical/)),
  strong('protocol: parsers, signed bytes', urlIs(/protocol\/(dist|src)\//)),
  strong('contracts (chaincode/)', urlIs(/chaincode\/(dist|src)\//)),
  strong('simulator (fabric-sim/)', urlIs(/fabric-sim\/(dist|src)\//)),
  strong('bench driver', urlIs(/scripts\/bench\//)),
  strong('other JavaScript', () => true),
]);

/** The sets of buckets --buckets chooses from: their bucket names (in print order) and rules. */
export const BUCKET_SETS = Object.freeze({
  gateway: Object.freeze({ buckets: BUCKETS, rules: GATEWAY_RULES }),
  chaincode: Object.freeze({ buckets: CHAINCODE_BUCKETS, rules: CHAINCODE_RULES }),
});

/**
 * The samples of one profile as [node id, duration ms, time µs] triples (the duration: the delta
 * to the next sample; the last's: to endTime; the time: on the profile's clock, as the windows).
 */
function sampleDurations(profile) {
  const { samples = [], timeDeltas = [], startTime, endTime } = profile;
  const out = [];
  let t = startTime;
  const times = samples.map((_, i) => (t += timeDeltas[i] ?? 0));
  for (let i = 0; i < samples.length; i++) {
    const next = i + 1 < samples.length ? times[i + 1] : endTime;
    out.push([samples[i], Math.max(0, (next - times[i]) / 1000), times[i]]);
  }
  return out;
}

const frameKey = (f) => `${f.functionName || '(anonymous)'} ${shortUrl(f.url)}:${f.lineNumber + 1}`;

/**
 * For every node: its self bucket, the buckets on its stack, its function key, whether `within`
 * is on its stack, which of the `inclusiveOf` functions are. Memoised along parents.
 */
function nodeInfo(profile, rules, { within, inclusiveOf = [] } = {}) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const wanted = new Set(inclusiveOf);
  const info = new Map();
  const resolve = (id) => {
    if (info.has(id)) return info.get(id);
    const node = byId.get(id);
    const up = parent.has(id) ? resolve(parent.get(id)) : undefined;
    const f = node.callFrame;
    const tag = rules.find((r) => r.test(f));
    const key = frameKey(f);
    // Nearest strong caller, for the weak frames below this one.
    const strongAbove = tag.strong ? tag.bucket : up?.strongAbove;
    const self = tag.strong ? tag.bucket : (up?.strongAbove ?? tag.bucket);
    const onStack = new Set(up?.onStack ?? []);
    onStack.add(self);
    const keys = new Set(up?.keys ?? []);
    keys.add(key);
    const functions = new Set(up?.functions ?? []);
    if (wanted.has(f.functionName)) functions.add(f.functionName);
    const value = {
      self,
      strongAbove,
      onStack,
      key,
      keys,
      functions,
      within: within === undefined || up?.within === true || f.functionName === within,
      library: libraryOf(f.url),
      idle: f.functionName === '(idle)',
    };
    info.set(id, value);
    return value;
  };
  for (const n of profile.nodes) resolve(n.id);
  return { info, byId, parent };
}

/** The caller chain of the frame nearest the leaf named `name` (it first, then up to 7 callers), or undefined. */
function callerChain({ byId, parent }, id, name) {
  let at = id;
  while (at !== undefined && byId.get(at).callFrame.functionName !== name) at = parent.get(at);
  const chain = [];
  for (; at !== undefined && chain.length < 8; at = parent.get(at)) chain.push(frameKey(byId.get(at).callFrame));
  return chain.length ? chain.join(' < ') : undefined;
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
 * figure to it; `sampledMs` keeps the unscaled total. `buckets` names the set (BUCKET_SETS);
 * `within` keeps the samples with that function on their stack, `windows` ([{start, end, ops}],
 * µs of the profiles' clock) those inside one of them, and `ops` defaults to the windows'
 * operations. Returns { bucketSet, buckets, ops, totalMs, sampledMs, idleMs, self: {bucket: ms},
 * inclusive: {bucket: ms}, topSelf: [{fn, bucket, ms}], topInclusive: [{fn, ms}], libraries:
 * [{bucket, library, ms}] (self time by the leaf frame's library within its bucket), callers:
 * [{chain, ms}] (`callers`' inclusive time by caller chain), functions: [{fn, ms}] (the inclusive
 * time of each function named in `inclusiveOf`) }.
 */
export function summarise(profiles, options = {}) {
  const { top = 20, cpuMs, buckets: bucketSet = 'gateway', within, windows, callers, inclusiveOf = [] } = options;
  const set = BUCKET_SETS[bucketSet];
  if (!set) throw new Error(`unknown bucket set ${bucketSet} (${Object.keys(BUCKET_SETS).join(', ')})`);
  const ops = options.ops ?? (windows ? windows.reduce((a, w) => a + w.ops, 0) : 1);
  const t = {
    self: Object.fromEntries(set.buckets.map((b) => [b, 0])),
    inclusive: Object.fromEntries(set.buckets.map((b) => [b, 0])),
    fnSelf: new Map(),
    fnInclusive: new Map(),
    libraries: new Map(),
    chains: new Map(),
    functions: new Map(inclusiveOf.map((f) => [f, 0])),
    totalMs: 0,
    idleMs: 0,
  };
  const inWindow = (time) => !windows || windows.some((w) => time >= w.start && time <= w.end);
  for (const profile of profiles) {
    const tree = nodeInfo(profile, set.rules, { within, inclusiveOf });
    for (const [id, ms, time] of sampleDurations(profile)) {
      const i = tree.info.get(id);
      if (i && (!i.within || !inWindow(time))) continue;
      if (!i || i.idle) t.idleMs += ms;
      else tally(t, i, ms, callers && callerChain(tree, id, callers));
    }
  }
  return perOperation(t, { bucketSet, buckets: set.buckets, ops, top, cpuMs });
}

const add = (map, key, ms) => map.set(key, (map.get(key) ?? 0) + ms);

/** One sample of `ms` into the totals `t`. */
function tally(t, i, ms, chain) {
  t.totalMs += ms;
  t.self[i.self] += ms;
  for (const b of i.onStack) t.inclusive[b] += ms;
  // A native function (`run`, `update`) serves several buckets: one row per function and bucket.
  const fnKey = `${i.key}\n${i.self}`;
  const s = t.fnSelf.get(fnKey) ?? { fn: i.key, bucket: i.self, ms: 0 };
  s.ms += ms;
  t.fnSelf.set(fnKey, s);
  for (const k of i.keys) add(t.fnInclusive, k, ms);
  add(t.libraries, `${i.self}\n${i.library}`, ms);
  if (chain) add(t.chains, chain, ms);
  for (const f of i.functions) add(t.functions, f, ms);
}

/** The totals `t` rescaled to `cpuMs` and divided by `ops`, the lists cut to `top`. */
function perOperation(t, { bucketSet, buckets, ops, top, cpuMs }) {
  const scale = cpuMs === undefined || t.totalMs === 0 ? 1 : cpuMs / t.totalMs;
  const per = (ms) => (ms * scale) / ops;
  const perBucket = (o) => Object.fromEntries(Object.entries(o).map(([b, ms]) => [b, per(ms)]));
  const ranked = (map) => [...map.entries()].sort((a, b) => b[1] - a[1]).slice(0, top);
  return {
    bucketSet,
    buckets: [...buckets],
    ops,
    totalMs: per(t.totalMs),
    sampledMs: t.totalMs / ops,
    idleMs: t.idleMs / ops,
    self: perBucket(t.self),
    inclusive: perBucket(t.inclusive),
    topSelf: [...t.fnSelf.values()]
      .sort((a, b) => b.ms - a.ms)
      .slice(0, top)
      .map((f) => ({ ...f, ms: per(f.ms) })),
    topInclusive: ranked(t.fnInclusive).map(([fn, ms]) => ({ fn, ms: per(ms) })),
    libraries: ranked(t.libraries).map(([k, ms]) => {
      const [bucket, library] = k.split('\n');
      return { bucket, library, ms: per(ms) };
    }),
    callers: ranked(t.chains).map(([chain, ms]) => ({ chain, ms: per(ms) })),
    functions: [...t.functions.entries()].map(([fn, ms]) => ({ fn, ms: per(ms) })),
  };
}

const f3 = (n) => n.toFixed(3);

/**
 * The summary as markdown tables (bucket table, the top functions by self time, the libraries
 * within each bucket; then the caller chains and the functions' inclusive times when asked for).
 */
export function formatSummary(summary, title = 'profile') {
  const unit = summary.ops === 1 ? 'ms' : 'ms/op';
  const pct = (ms) => `${(summary.totalMs ? (100 * ms) / summary.totalMs : 0).toFixed(1)} %`;
  const scaled = summary.totalMs === summary.sampledMs ? '' : `, scaled from ${f3(summary.sampledMs)} ${unit} sampled`;
  const lines = [
    `${title}: ${f3(summary.totalMs)} ${unit} on CPU (${summary.ops} ops${scaled}; idle ${f3(summary.idleMs)} ${unit} left out)`,
    '',
    `| bucket | self ${unit} | self % | inclusive ${unit} |`,
    '| --- | ---: | ---: | ---: |',
  ];
  for (const b of summary.buckets ?? BUCKETS)
    lines.push(`| ${b} | ${f3(summary.self[b])} | ${pct(summary.self[b])} | ${f3(summary.inclusive[b])} |`);
  lines.push('', `| top functions by self time | bucket | self ${unit} |`, '| --- | --- | ---: |');
  for (const f of summary.topSelf) lines.push(`| \`${f.fn}\` | ${f.bucket} | ${f3(f.ms)} |`);
  lines.push('', `| bucket | library of the leaf frame | self ${unit} |`, '| --- | --- | ---: |');
  for (const l of summary.libraries) lines.push(`| ${l.bucket} | ${l.library} | ${f3(l.ms)} |`);
  if (summary.callers?.length) {
    lines.push('', `| caller chain (the function first) | inclusive ${unit} |`, '| --- | ---: |');
    for (const c of summary.callers) lines.push(`| \`${c.chain}\` | ${f3(c.ms)} |`);
  }
  if (summary.functions?.length) {
    lines.push('', `| function anywhere on the stack | inclusive ${unit} | share |`, '| --- | ---: | ---: |');
    for (const f of summary.functions) lines.push(`| \`${f.fn}\` | ${f3(f.ms)} | ${pct(f.ms)} |`);
  }
  return lines.join('\n');
}

// Options taking a value, and the name they have in parseArgs's result (--per: the old tool's --ops).
const VALUE_OPTIONS = {
  '--ops': 'ops',
  '--per': 'ops',
  '--top': 'top',
  '--cpu-ms': 'cpuMs',
  '--buckets': 'buckets',
  '--within': 'within',
  '--windows': 'windows',
  '--op': 'op',
  '--n': 'n',
  '--callers': 'callers',
  '--inclusive': 'inclusive',
};
const NUMERIC = new Set(['ops', 'top', 'cpuMs', 'n']);

/** The command line as { files, json, help, …VALUE_OPTIONS }; throws on an unknown option or a missing value. */
export function parseArgs(argv) {
  const out = { files: [], json: false, help: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const name = VALUE_OPTIONS[a];
    if (name) {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      const v = argv[++i];
      out[name] = NUMERIC.has(name) ? Number(v) : v;
    } else if (a === '--json') out.json = true;
    else if (a === '--help' || a === '-h') out.help = true;
    else if (a.startsWith('-')) throw new Error(`unknown option ${a}`);
    else out.files.push(a);
  }
  return out;
}

/** The windows of `file` (chaincode-patients.mjs BENCH_WINDOWS) of operation `op` and size `n` when given. */
function readWindows(file, op, n) {
  const all = JSON.parse(readFileSync(file, 'utf8'));
  const valid = (w) => [w?.start, w?.end, w?.ops].every(Number.isFinite);
  if (!Array.isArray(all) || !all.every(valid)) throw new Error(`${file}: not a list of {fcn, n, ops, start, end}`);
  const chosen = all.filter((w) => (op === undefined || w.fcn === op) && (n === undefined || w.n === n));
  if (chosen.length === 0) throw new Error(`${file}: no window${op ? ` of ${op}` : ''}${n ? ` at n = ${n}` : ''}`);
  return chosen;
}

/** The summarise options of a parsed command line; throws naming the failed check. */
function optionsOf(a) {
  if (a.files.length === 0) throw new Error('no .cpuprofile given');
  if (a.buckets !== undefined && !BUCKET_SETS[a.buckets]) throw new Error('--buckets takes gateway or chaincode');
  for (const k of ['ops', 'top', 'cpuMs', 'n'])
    if (a[k] !== undefined && !(a[k] > 0))
      throw new Error('--ops, --per, --top, --cpu-ms and --n take a positive number');
  if ((a.op !== undefined || a.n !== undefined) && a.windows === undefined)
    throw new Error('--op and --n need --windows');
  return {
    ops: a.ops,
    top: a.top ?? 20,
    cpuMs: a.cpuMs,
    buckets: a.buckets,
    within: a.within,
    windows: a.windows === undefined ? undefined : readWindows(a.windows, a.op, a.n),
    callers: a.callers,
    inclusiveOf: (a.inclusive ?? '').split(',').filter(Boolean),
  };
}

function main(argv) {
  let args;
  let options;
  try {
    args = parseArgs(argv);
    if (args.help) return usage(0);
    options = optionsOf(args);
  } catch (e) {
    return usage(2, e.message);
  }
  const summary = summarise(
    args.files.map((f) => JSON.parse(readFileSync(f, 'utf8'))),
    options,
  );
  const title = `${args.files.join(' + ')}${options.within ? ` within ${options.within}` : ''}`;
  process.stdout.write(`${args.json ? JSON.stringify(summary, null, 2) : formatSummary(summary, title)}\n`);
}

function usage(code, error) {
  if (error) process.stderr.write(`cpuprofile-summary: ${error}\n`);
  (code ? process.stderr : process.stdout).write(
    `usage: node scripts/bench/cpuprofile-summary.mjs [--buckets gateway|chaincode] [--ops N | --per N] [--cpu-ms MS]
         [--top 20] [--json] [--within FUNCTION] [--windows FILE [--op FCN] [--n N]] [--callers FUNCTION]
         [--inclusive F1,F2] A.cpuprofile [B.cpuprofile …]
Self and inclusive CPU ms per bucket (gateway: ${BUCKETS.join('; ')}; chaincode: the shim's
libraries, SM2/SM3/SM4, canonical JSON, the contracts, the simulator…), the top functions by
self time and the libraries within each bucket, summed over the profiles, rescaled to --cpu-ms
(the processes' CPU over the profiled window, e.g. from /proc) when given, divided by --ops.
--within and --windows keep only the samples with FUNCTION on the stack / inside the timed
windows (chaincode-patients.mjs BENCH_WINDOWS; --ops defaults to their operations); --callers
lists FUNCTION's time by caller chain, --inclusive each function's time anywhere on the stack.
`,
  );
  process.exitCode = code;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main(process.argv.slice(2));
