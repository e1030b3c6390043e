// SPDX-License-Identifier: Apache-2.0
// Reading what Fabric's nodes report about themselves (bench:fabric-profile): Prometheus text
// from their operations endpoint (/metrics), and Go CPU profiles as `go tool pprof` prints them
// (-traces: every sample's stack; -top: the flat list), bucketed into the categories below.
// Pure functions of the text, so that they are tested on canned output (test/integration).

/** The samples of Prometheus text exposition: [{ name, labels, value }] (comments and blank lines skipped). */
export function parsePrometheus(text) {
  const out = [];
  for (const line of text.split('\n')) {
    const l = line.trim();
    if (!l || l.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/.exec(l);
    if (!m) throw new Error(`not a Prometheus sample line: ${l}`);
    const labels = {};
    for (const [, k, v] of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[k] = v.replace(/\\(.)/g, (_, c) => (c === 'n' ? '\n' : c));
    }
    out.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return out;
}

/**
 * Sums of metric `name` over the samples whose labels match `where` (label → value), grouped
 * by the values of the labels `by` (joined with '/'): { key: sum }.
 */
export function sumBy(samples, name, by = [], where = {}) {
  const sums = {};
  for (const s of samples) {
    if (s.name !== name) continue;
    if (!Object.entries(where).every(([k, v]) => s.labels[k] === v)) continue;
    const key = by.map((b) => s.labels[b] ?? '').join('/');
    sums[key] = (sums[key] ?? 0) + s.value;
  }
  return sums;
}

/** after − before of sumBy(…), keys of either side; zero differences dropped. */
export function deltaBy(before, after, name, by = [], where = {}) {
  const a = sumBy(after, name, by, where);
  const b = sumBy(before, name, by, where);
  const out = {};
  for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const d = (a[k] ?? 0) - (b[k] ?? 0);
    if (d !== 0) out[k] = d;
  }
  return out;
}

const UNITS = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, min: 60000, hrs: 3600000 };

/** A pprof value such as "10ms", "1.25s", "300us" in milliseconds. */
export function pprofMs(value) {
  const m = /^([0-9.]+)([a-zµ]+)$/.exec(value);
  if (!m || UNITS[m[2]] === undefined) throw new Error(`not a pprof time value: ${value}`);
  return Number(m[1]) * UNITS[m[2]];
}

/**
 * The samples of `go tool pprof -traces` output: [{ ms, frames }] with frames leaf first
 * (" (inline)" dropped). Label lines ("key: value" before a sample's value) are skipped.
 */
export function parseTraces(text) {
  const samples = [];
  let current;
  for (const line of text.split('\n')) {
    if (/^-+\+-+$/.test(line.trim())) {
      current = undefined;
      continue;
    }
    const first = /^\s*([0-9.]+[a-zµ]+)\s{3}(\S.*)$/.exec(line);
    if (first && !current) {
      current = { ms: pprofMs(first[1]), frames: [first[2].replace(/ \(inline\)$/, '')] };
      samples.push(current);
      continue;
    }
    if (current && /^\s{6,}\S/.test(line)) current.frames.push(line.trim().replace(/ \(inline\)$/, ''));
  }
  return samples;
}

/** The rows of `go tool pprof -top` output: [{ flatMs, flatPct, cumMs, cumPct, name }]. */
export function parseTop(text) {
  const rows = [];
  for (const line of text.split('\n')) {
    const m = /^\s*([0-9.]+[a-zµ]*)\s+([0-9.]+)%\s+[0-9.]+%\s+([0-9.]+[a-zµ]*)\s+([0-9.]+)%\s+(\S.*)$/.exec(line);
    if (!m) continue;
    const ms = (v) => (v === '0' ? 0 : pprofMs(v));
    rows.push({ flatMs: ms(m[1]), flatPct: Number(m[2]), cumMs: ms(m[3]), cumPct: Number(m[4]), name: m[5] });
  }
  return rows;
}

const F = 'github.com/hyperledger/fabric/';
const fabric = (packages) => new RegExp(`^${F}(${packages})`);
const any = (re) => (frames) => frames.some((f) => re.test(f));
const leafward = (re, depth) => (frames) => frames.slice(0, depth).some((f) => re.test(f));

/**
 * What part of Fabric's path a sample belongs to, in priority order: a sample goes to the first
 * phase one of whose frames matches. The more specific come first (validation and commit run
 * under gossip's block delivery, the chaincode's execution under the endorser, the endorser under
 * the gateway service), so that each phase counts what is left once the phases above it are out.
 */
export const PHASES = [
  {
    name: 'validation (VSCC: creator and endorsement signatures, policy)',
    test: any(fabric('core/committer/txvalidator|core/handlers/validation|core/common/validation')),
  },
  { name: 'blocks: deliver service (orderer to peers, peer to clients)', test: any(fabric('common/deliver\\.')) },
  {
    name: 'chaincode: simulation (state reads, rwset)',
    test: any(
      fabric('core/ledger/kvledger/txmgmt/(txmgr\\.\\(\\*(queryExecutor|txSimulator)|rwsetutil\\.\\(\\*RWSetBuilder)'),
    ),
  },
  {
    name: 'commit (MVCC, block store, state and history DB)',
    test: any(
      fabric(
        'core/committer\\.|core/ledger/|common/ledger/|gossip/privdata|orderer/common/multichannel\\.\\(\\*BlockWriter\\)',
      ),
    ),
  },
  { name: 'chaincode: shim messages (peer side)', test: any(fabric('core/chaincode\\.')) },
  {
    name: 'endorser (proposal checks, ACL, endorsement signing)',
    test: any(fabric('core/endorser|core/handlers/|core/aclmgmt')),
  },
  { name: 'gateway service (Endorse, Submit, CommitStatus)', test: any(fabric('internal/pkg/gateway')) },
  {
    name: 'blocks: gossip, deliver client, block signature checks',
    test: any(fabric('gossip/|core/deliverservice|internal/pkg/peer/blocksprovider|internal/peer/gossip')),
  },
  { name: 'orderer: broadcast (envelope checks)', test: any(fabric('orderer/common/(broadcast|msgprocessor)')) },
  {
    name: 'orderer: consensus (etcdraft)',
    test: any(/^github\.com\/hyperledger\/fabric\/orderer\/consensus|^go\.etcd\.io\//),
  },
  { name: 'gRPC transport goroutines', test: any(/^google\.golang\.org\/grpc[./]|^golang\.org\/x\/net\/http2/) },
  { name: 'GC (background)', test: any(/^runtime\.(gcBgMarkWorker|bgsweep|bgscavenge)/) },
  { name: 'runtime (scheduler, stacks)', test: any(/^runtime\./) },
];

/**
 * What kind of work a sample is, in priority order, whatever the phase: the system call or the
 * scheduler at its leaf first, then the libraries anywhere in its stack.
 */
export const KINDS = [
  { name: 'syscalls', test: leafward(/^(internal\/runtime\/syscall|syscall)\./, 3) },
  { name: 'GC', test: any(/^runtime\.(gcBgMarkWorker|bgsweep|bgscavenge|gcAssistAlloc|gcDrain|scanobject|markroot)/) },
  { name: 'ECDSA verify', test: any(/^crypto\/ecdsa\.(Verify|VerifyASN1)$|bccsp\/sw\.verifyECDSA/) },
  {
    name: 'ECDSA sign',
    test: any(/^crypto\/ecdsa\.(Sign|SignASN1)$|^crypto\/ecdsa\.\(\*PrivateKey\)\.Sign|bccsp\/sw\.signECDSA/),
  },
  {
    name: 'x509 / identities',
    test: any(/^crypto\/x509\.|^encoding\/(pem|asn1)\.|msp\.\(\*bccspmsp\)\.DeserializeIdentity/),
  },
  { name: 'SHA-256', test: any(/^crypto\/(sha256|internal\/fips140\/sha256)\./) },
  { name: 'protobuf', test: any(/^google\.golang\.org\/protobuf\/|^github\.com\/golang\/protobuf\//) },
  { name: 'TLS', test: any(/^crypto\/tls\.|^crypto\/(aes|cipher|internal\/fips140\/aes)/) },
  { name: 'gRPC / HTTP2', test: any(/^google\.golang\.org\/grpc[./]|^golang\.org\/x\/net\/http2/) },
  { name: 'LevelDB', test: any(/^github\.com\/syndtr\/goleveldb\//) },
  {
    name: 'fmt, logging, metrics',
    test: any(
      /^fmt\.|^github\.com\/hyperledger\/fabric\/common\/(flogging|metrics)|^go\.uber\.org\/zap|^github\.com\/prometheus\//,
    ),
  },
  {
    name: 'allocation',
    test: leafward(
      /^runtime\.(mallocgc|newobject|makeslice|growslice|memclrNoHeapPointers|nextFreeFast|\(\*mcache\)|\(\*mheap\)|\(\*mspan\))/,
      6,
    ),
  },
  {
    name: 'scheduler, locks',
    test: leafward(
      /^runtime\.(futex|schedule|findRunnable|park_m|lock|unlock|ready|chansend|chanrecv|selectgo|notewakeup|goready|runqgrab|stealWork)/,
      6,
    ),
  },
];
export const OTHER = 'other';

const first = (list, frames) => list.find((c) => c.test(frames))?.name ?? OTHER;

/** The phase and kind of a sample's stack (frames leaf first). */
export function classify(frames) {
  return { phase: first(PHASES, frames), kind: first(KINDS, frames) };
}

/** { totalMs, byPhase, byKind, cross: { phase: { kind: ms } } } of parsed -traces samples. */
export function bucketize(samples) {
  const out = { totalMs: 0, byPhase: {}, byKind: {}, cross: {} };
  for (const s of samples) {
    const { phase, kind } = classify(s.frames);
    out.totalMs += s.ms;
    out.byPhase[phase] = (out.byPhase[phase] ?? 0) + s.ms;
    out.byKind[kind] = (out.byKind[kind] ?? 0) + s.ms;
    out.cross[phase] ??= {};
    out.cross[phase][kind] = (out.cross[phase][kind] ?? 0) + s.ms;
  }
  return out;
}

/** A bucketize result with every figure divided by `n` (per transaction). */
export function perUnit(b, n) {
  const div = (o) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, v / n]));
  return {
    totalMs: b.totalMs / n,
    byPhase: div(b.byPhase),
    byKind: div(b.byKind),
    cross: Object.fromEntries(Object.entries(b.cross).map(([k, v]) => [k, div(v)])),
  };
}

/** a − b × factor, figure by figure (a per-transaction profile net of a background measured per second). */
export function minusScaled(a, b, factor) {
  const sub = (x, y) => {
    const out = { ...x };
    for (const [k, v] of Object.entries(y)) out[k] = (out[k] ?? 0) - v * factor;
    return out;
  };
  const cross = { ...a.cross };
  for (const [k, v] of Object.entries(b.cross)) cross[k] = sub(cross[k] ?? {}, v);
  return {
    totalMs: a.totalMs - b.totalMs * factor,
    byPhase: sub(a.byPhase, b.byPhase),
    byKind: sub(a.byKind, b.byKind),
    cross,
  };
}

/** Phase and kind names in print order (the lists' order, then "other"). */
export const phaseNames = () => [...PHASES.map((c) => c.name), OTHER];
export const kindNames = () => [...KINDS.map((c) => c.name), OTHER];
