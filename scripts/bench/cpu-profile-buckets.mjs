#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// Self time of a V8 CPU profile (node --cpu-prof, or the chaincode server's profile hook) by
// bucket: fabric-shim and its gRPC / protobuf / logging / x509 / Ajv, JSON, SM2, SM3, SM4,
// canonical JSON, the contracts, the simulator, GC, Node's internals. Used to read the
// chaincode's profiles for issue 11 (docs/benchmarks.md, "Chaincode CPU per operation").
//
//   node scripts/bench/cpu-profile-buckets.mjs PROFILE.cpuprofile [--within FUNCTION] [--top N] [--per OPS]
//
// --within keeps only the samples with FUNCTION on their stack (a bench's timed window); --top
// lists the N functions with the most self time; --per divides the busy ms by OPS (ms per op).

import { readFileSync } from 'node:fs';

const options = {};
let file;
for (let i = 2; i < process.argv.length; i++) {
  const arg = process.argv[i];
  if (arg.startsWith('--')) options[arg.slice(2)] = process.argv[++i];
  else file = arg;
}
if (!file) {
  console.error('usage: cpu-profile-buckets.mjs PROFILE.cpuprofile [--within FUNCTION] [--top N] [--per OPS]');
  process.exit(2);
}
const within = options.within;
const top = Number(options.top ?? 25);
let per = Number(options.per ?? 0);
const callers = options.callers;
// --windows FILE [--op FCN] [--n N]: only the samples inside those timed windows (chaincode-patients.mjs BENCH_WINDOWS).
const windowList = options.windows
  ? JSON.parse(readFileSync(options.windows, 'utf8')).filter(
      (w) => (!options.op || w.fcn === options.op) && (!options.n || w.n === Number(options.n)),
    )
  : undefined;
const inWindow = (t) => !windowList || windowList.some((w) => t >= w.start && t <= w.end);
const windowOps = windowList ? windowList.reduce((a, w) => a + w.ops, 0) : 0;
const inclusive = (options.inclusive ?? '').split(',').filter(Boolean);

const profile = JSON.parse(readFileSync(file, 'utf8'));
const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

// The bucket of a frame, from its script's path (first match wins).
const RULES = [
  [/node_modules\/@grpc\//, 'shim: @grpc/grpc-js'],
  [/node_modules\/(protobufjs|google-protobuf|@hyperledger\/fabric-protos|@protobufjs)\//, 'shim: protobuf'],
  [
    /node_modules\/(winston|logform|@colors|triple-beam|readable-stream|fast-safe-stringify|safe-stable-stringify)/,
    'shim: logging (winston)',
  ],
  [/node_modules\/@fidm\//, 'shim: x509 (ClientIdentity)'],
  [/node_modules\/ajv\//, 'shim: Ajv (parameter schemas)'],
  [/node_modules\/(fabric-shim|fabric-contract-api|fabric-shim-api)\//, 'shim: fabric-shim / contract-api'],
  [/node_modules\/(long|reflect-metadata|class-transformer)\//, 'shim: other'],
  [/crypto\/(dist|src)\/sm2\//, 'SM2'],
  [/crypto\/(dist|src)\/sm3/, 'SM3'],
  [/crypto\/(dist|src)\/(sm4|sealed-box)/, 'SM4'],
  [/crypto\/(dist|src)\/(zk|ring|tpre)/, 'crypto: zk / ring / tpre'],
  [/crypto\/(dist|src)\//, 'crypto: other (bytes, hex, base64)'],
  [/node_modules\/@noble\//, 'crypto: @noble'],
  [/protocol\/(dist|src)\/canonical/, 'canonical JSON (protocol)'],
  [/protocol\/(dist|src)\//, 'protocol: parsers, signed bytes'],
  [/chaincode\/(dist|src)\//, 'contracts (chaincode/)'],
  [/fabric-sim\/(dist|src)\//, 'simulator (fabric-sim/)'],
  [/scripts\/bench\//, 'bench driver'],
];
// Node's own modules and native frames are charged to the nearest caller above them that is
// neither (a Buffer copy inside protobuf is protobuf's); with none, they are the event loop's.
const INTERNAL = /^node:/;

function bucketOf(node) {
  const { functionName, url } = node.callFrame;
  if (functionName === '(garbage collector)') return 'GC';
  if (functionName === '(idle)') return 'idle';
  if (functionName === '(program)') return '(program)';
  if (url.startsWith('wasm://')) return 'SM2'; // the only WebAssembly: SM2's field (crypto/src/sm2/field-wasm.ts)
  if (url === '' && /^(parse|stringify)$/.test(functionName)) return 'JSON.parse / stringify';
  if (url === '' || INTERNAL.test(url)) {
    const up = parent.get(node.id);
    const caller = up === undefined ? undefined : nodes.get(up);
    if (!caller || caller.callFrame.functionName === '(root)') return 'Node internals (event loop, streams)';
    return bucketOf(caller);
  }
  for (const [pattern, name] of RULES) if (pattern.test(url)) return name;
  return 'other JavaScript';
}

function onStack(id, name) {
  for (let at = id; at !== undefined; at = parent.get(at))
    if (nodes.get(at).callFrame.functionName === name) return true;
  return false;
}

const sampleTime = [];
{
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) sampleTime.push((t += profile.timeDeltas[i]));
}
const selfUs = new Map();
const fnUs = new Map();
let total = 0;
const { samples, timeDeltas } = profile;
for (let i = 0; i < samples.length; i++) {
  // A sample's time is the delta to the next sample (V8's own convention in DevTools).
  const dt = timeDeltas[i + 1] ?? 0;
  const id = samples[i];
  const node = nodes.get(id);
  if (within && !onStack(id, within)) continue;
  if (!inWindow(sampleTime[i])) continue;
  const bucket = bucketOf(node);
  if (bucket === 'idle') continue;
  total += dt;
  selfUs.set(bucket, (selfUs.get(bucket) ?? 0) + dt);
  const { functionName, url, lineNumber } = node.callFrame;
  const name = `${functionName || '(anonymous)'} ${url.replace(/^.*node_modules\//, '').replace(/^.*\/(dist|src)\//, '$1/')}:${lineNumber + 1}`;
  fnUs.set(name, (fnUs.get(name) ?? 0) + dt);
}

const paths = new Map();
if (callers) {
  for (let i = 0; i < samples.length; i++) {
    const dt = timeDeltas[i + 1] ?? 0;
    if (!inWindow(sampleTime[i])) continue;
    const chain = [];
    let hit = false;
    for (let at = samples[i]; at !== undefined; at = parent.get(at)) {
      const frame = nodes.get(at).callFrame;
      if (!hit && frame.functionName === callers) hit = true;
      if (hit && chain.length < 8)
        chain.push(
          `${frame.functionName || '(anonymous)'}@${frame.url.split('/').slice(-2).join('/')}:${frame.lineNumber + 1}`,
        );
    }
    if (hit) paths.set(chain.join(' < '), (paths.get(chain.join(' < ')) ?? 0) + dt);
  }
}
const inclusiveUs = new Map(inclusive.map((f) => [f, 0]));
if (inclusive.length > 0) {
  for (let i = 0; i < samples.length; i++) {
    const dt = timeDeltas[i + 1] ?? 0;
    if (!inWindow(sampleTime[i])) continue;
    const seen = new Set();
    for (let at = samples[i]; at !== undefined; at = parent.get(at)) seen.add(nodes.get(at).callFrame.functionName);
    if (seen.has('(idle)')) continue;
    for (const f of inclusive) if (seen.has(f)) inclusiveUs.set(f, inclusiveUs.get(f) + dt);
  }
}
if (windowList && !per) per = windowOps;
const ms = (us) => (us / 1000).toFixed(0);
console.log(
  `${file}: ${ms(total)} ms busy${within ? ` within ${within}` : ''}${per ? `, ${(total / 1000 / per).toFixed(3)} ms per op over ${per}` : ''}`,
);
console.log('\n| bucket | self ms | share |' + (per ? ' ms/op |' : ''));
console.log('| --- | ---: | ---: |' + (per ? ' ---: |' : ''));
for (const [bucket, us] of [...selfUs].sort((a, b) => b[1] - a[1]))
  console.log(
    `| ${bucket} | ${ms(us)} | ${((us / total) * 100).toFixed(1)} % |${per ? ` ${(us / 1000 / per).toFixed(3)} |` : ''}`,
  );
console.log(`\ntop ${top} functions by self time:`);
for (const [name, us] of [...fnUs].sort((a, b) => b[1] - a[1]).slice(0, top))
  console.log(`  ${ms(us).padStart(6)} ms  ${((us / total) * 100).toFixed(1).padStart(5)} %  ${name}`);
if (callers) {
  console.log(`\ninclusive time of ${callers} by caller chain:`);
  for (const [chain, us] of [...paths].sort((a, b) => b[1] - a[1]).slice(0, top))
    console.log(`  ${ms(us).padStart(6)} ms  ${chain}`);
}
if (inclusive.length > 0) {
  console.log('\ninclusive time (the function anywhere on the stack):');
  for (const [f, us] of inclusiveUs)
    console.log(
      `  ${ms(us).padStart(6)} ms  ${((us / total) * 100).toFixed(1).padStart(5)} %${per ? `  ${(us / 1000 / per).toFixed(3)} ms/op` : ''}  ${f}`,
    );
}
