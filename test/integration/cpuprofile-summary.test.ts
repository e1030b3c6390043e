// SPDX-License-Identifier: Apache-2.0
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from './support/gateway-process';

/**
 * scripts/bench/cpuprofile-summary.mjs on canned profiles: which bucket each sample's self time
 * goes to (a weak frame takes its nearest strong caller's), inclusive time, idle left out, the
 * per-operation division and the rescaling to a measured CPU time; and on a chaincode process's
 * profile (--buckets chaincode): the shim's buckets, --within, --windows/--op/--n (the windows
 * chaincode-patients.mjs writes), --callers, --inclusive and --per.
 */

const run = promisify(execFile);
const SCRIPT = join(ROOT, 'scripts', 'bench', 'cpuprofile-summary.mjs');

const frame = (functionName: string, url: string, lineNumber = 0): object => ({
  functionName,
  url,
  lineNumber,
  columnNumber: 0,
  scriptId: '0',
});
const NM = 'file:///srv/medshare/node_modules';
/** A profile of `nodes` sampled once a millisecond (at t = 0, 1000, … µs) at `samples`. */
const profileOf = (nodes: object[], samples: number[]): object => ({
  nodes,
  startTime: 0,
  endTime: samples.length * 1000,
  samples,
  timeDeltas: samples.map((_, i) => (i === 0 ? 0 : 1000)),
});
const NODES = [
  { id: 1, callFrame: frame('(root)', ''), children: [2, 3, 4, 6, 8, 9] },
  { id: 2, callFrame: frame('evaluate', `${NM}/@hyperledger/fabric-gateway/dist/proposal.js`, 34), children: [5] },
  { id: 5, callFrame: frame('mod', `${NM}/@noble/curves/abstract/modular.js`, 31) },
  {
    id: 3,
    callFrame: frame('handle', 'file:///srv/medshare/gateway/dist/pipeline/access-layer.js', 144),
    children: [7, 10],
  },
  { id: 7, callFrame: frame('sign', 'file:///srv/medshare/crypto/dist/sm2/sign.js', 76), children: [11] },
  { id: 11, callFrame: frame('mod', `${NM}/@noble/curves/abstract/modular.js`, 31) },
  { id: 10, callFrame: frame('parse', '') },
  { id: 4, callFrame: frame('TLSSocket._write', 'node:_tls_wrap', 10) },
  { id: 6, callFrame: frame('(garbage collector)', '') },
  { id: 8, callFrame: frame('(idle)', '') },
  { id: 9, callFrame: frame('(program)', '') },
];
// One sample a millisecond: fabric's P-256 (2), our SM2 (3), TLS (1), GC (1), idle (2), program (1), JSON (1).
const PROFILE = profileOf(NODES, [5, 5, 11, 11, 11, 4, 6, 8, 8, 9, 10]);

// A chaincode process: the shim's handler → the contract → authenticate → SM3 (its native
// `update` weak), canonical JSON and a native JSON.parse under the contract, winston and grpc-js
// (a Buffer copy in node:buffer under it) under the shim, the event loop with nothing above it.
const CC_NODES = [
  { id: 1, callFrame: frame('(root)', ''), children: [2, 20, 30, 40, 41] },
  { id: 2, callFrame: frame('handleTransaction', `${NM}/fabric-shim/lib/handler.js`, 9), children: [3, 10, 12] },
  {
    id: 3,
    callFrame: frame('Upload', 'file:///srv/medshare/chaincode/dist/contracts/records/contract.js', 44),
    children: [4, 6, 8],
  },
  {
    id: 4,
    callFrame: frame('authenticate', 'file:///srv/medshare/chaincode/dist/signature-chain/authenticate.js', 21),
    children: [5],
  },
  { id: 5, callFrame: frame('digest', 'file:///srv/medshare/crypto/dist/sm3/index.js', 7), children: [11] },
  { id: 11, callFrame: frame('update', '') },
  { id: 6, callFrame: frame('canonicalize', 'file:///srv/medshare/protocol/dist/encoding/canonical.js', 3) },
  { id: 8, callFrame: frame('parse', '') },
  { id: 10, callFrame: frame('log', `${NM}/winston/lib/winston/logger.js`, 5) },
  { id: 12, callFrame: frame('write', `${NM}/@grpc/grpc-js/build/src/call.js`, 2), children: [13] },
  { id: 13, callFrame: frame('copy', 'node:buffer', 1) },
  { id: 20, callFrame: frame('processTicksAndRejections', 'node:internal/process/task_queues', 71) },
  { id: 30, callFrame: frame('(garbage collector)', '') },
  { id: 40, callFrame: frame('(idle)', '') },
  { id: 41, callFrame: frame('(program)', '') },
];
// One sample a millisecond at t = 0, 1000, … µs: SM3 (2), canonical JSON, JSON.parse | winston,
// grpc-js, the event loop, GC | idle, program, the contract's own.
const CC_PROFILE = profileOf(CC_NODES, [11, 11, 6, 8, 10, 13, 20, 30, 40, 41, 4]);
// As chaincode-patients.mjs BENCH_WINDOWS writes them: the first four samples, then the next four.
const WINDOWS = [
  { fcn: 'records:Upload', n: 1, ops: 2, start: 0, end: 3500 },
  { fcn: 'records:Read', n: 10, ops: 4, start: 4000, end: 7000 },
];

interface Summary {
  bucketSet: string;
  ops: number;
  callers: Array<{ chain: string; ms: number }>;
  functions: Array<{ fn: string; ms: number }>;
  totalMs: number;
  sampledMs: number;
  idleMs: number;
  self: Record<string, number>;
  inclusive: Record<string, number>;
  topSelf: Array<{ fn: string; bucket: string; ms: number }>;
  libraries: Array<{ bucket: string; library: string; ms: number }>;
}

const FABRIC = 'fabric client (fabric-gateway, grpc-js, protobuf, http2)';
const PIPELINE = 'pipeline (gateway, protocol)';
const JSON_ = 'JSON/encoding (JCS, hex, base64)';

describe('scripts/bench/cpuprofile-summary.mjs', () => {
  let dir: string;
  let file: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'medshare-cpuprofile-'));
    file = join(dir, 'canned.cpuprofile');
    writeFileSync(file, JSON.stringify(PROFILE));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const summary = async (...args: string[]): Promise<Summary> =>
    JSON.parse((await run(process.execPath, [SCRIPT, '--json', ...args, file])).stdout) as Summary;

  it('gives each sample`s self time to the nearest strongly tagged frame, idle left out', async () => {
    const s = await summary();
    expect(s.self).toEqual({
      [FABRIC]: 2,
      'TLS/HTTP/Fastify': 1,
      SM2: 3,
      'SM4/SM3': 0,
      [JSON_]: 1,
      [PIPELINE]: 0,
      GC: 1,
      'node internals': 0,
      'other (program, native)': 1,
    });
    expect([s.totalMs, s.sampledMs, s.idleMs]).toEqual([9, 9, 2]);
    // Inclusive: the pipeline's frame is on the stack of the SM2 and JSON samples.
    expect(s.inclusive).toMatchObject({ [PIPELINE]: 4, SM2: 3, [JSON_]: 1, [FABRIC]: 2 });
  });

  it('lists a function once per bucket it served, and the libraries within each bucket', async () => {
    const s = await summary();
    expect(s.topSelf.slice(0, 2)).toEqual([
      { fn: 'mod @noble/curves/abstract/modular.js:32', bucket: 'SM2', ms: 3 },
      { fn: 'mod @noble/curves/abstract/modular.js:32', bucket: FABRIC, ms: 2 },
    ]);
    expect(s.libraries.slice(0, 2)).toEqual([
      { bucket: 'SM2', library: '@noble/curves', ms: 3 },
      { bucket: FABRIC, library: '@noble/curves', ms: 2 },
    ]);
  });

  it('divides by --ops and rescales to --cpu-ms', async () => {
    const s = await summary('--ops', '2', '--cpu-ms', '4.5');
    expect([s.totalMs, s.sampledMs, s.self.SM2, s.inclusive[PIPELINE]]).toEqual([2.25, 4.5, 0.75, 1]);
  });

  it('prints markdown tables by default, and refuses an unknown option', async () => {
    const { stdout } = await run(process.execPath, [SCRIPT, '--ops', '3', file]);
    expect(stdout).toContain('| SM2 | 1.000 | 33.3 % | 1.000 |');
    expect(stdout).toContain('| `mod @noble/curves/abstract/modular.js:32` | SM2 | 1.000 |');
    await expect(run(process.execPath, [SCRIPT, '--nope', file])).rejects.toMatchObject({ code: 2 });
  });

  describe('--buckets chaincode', () => {
    let ccFile: string;
    let windowsFile: string;
    beforeAll(() => {
      ccFile = join(dir, 'chaincode.cpuprofile');
      windowsFile = join(dir, 'windows.json');
      writeFileSync(ccFile, JSON.stringify(CC_PROFILE));
      writeFileSync(windowsFile, JSON.stringify(WINDOWS));
    });
    const cc = async (...args: string[]): Promise<Summary> =>
      JSON.parse(
        (await run(process.execPath, [SCRIPT, '--json', '--buckets', 'chaincode', ...args, ccFile])).stdout,
      ) as Summary;
    const nonZero = (o: Record<string, number>): Record<string, number> =>
      Object.fromEntries(Object.entries(o).filter(([, ms]) => ms !== 0));
    const CONTRACTS = 'contracts (chaincode/)';
    const SHIM = 'shim: fabric-shim / contract-api';

    it('gives the shim`s libraries, SM3, canonical JSON and the contracts their own buckets', async () => {
      const s = await cc();
      expect(s.bucketSet).toBe('chaincode');
      expect(nonZero(s.self)).toEqual({
        SM3: 2,
        'canonical JSON (protocol)': 1,
        'JSON.parse / stringify': 1,
        'shim: logging (winston)': 1,
        'shim: @grpc/grpc-js': 1,
        'Node internals (event loop, streams)': 1,
        GC: 1,
        '(program)': 1,
        [CONTRACTS]: 1,
      });
      expect([s.totalMs, s.idleMs]).toEqual([10, 1]);
      expect(s.inclusive).toMatchObject({ [CONTRACTS]: 5, [SHIM]: 7, SM3: 2 });
    });

    it('keeps only the samples with --within`s function on their stack', async () => {
      const s = await cc('--within', 'Upload');
      expect(nonZero(s.self)).toEqual({
        SM3: 2,
        'canonical JSON (protocol)': 1,
        'JSON.parse / stringify': 1,
        [CONTRACTS]: 1,
      });
      expect([s.totalMs, s.idleMs]).toEqual([5, 0]);
    });

    it('keeps only the samples inside the --windows, of --op and --n, divided by their operations', async () => {
      const all = await cc('--windows', windowsFile);
      expect([all.ops, all.sampledMs]).toEqual([6, 8 / 6]);
      const read = await cc('--windows', windowsFile, '--op', 'records:Read', '--n', '10');
      expect(read.ops).toBe(4);
      expect(nonZero(read.self)).toEqual({
        'shim: logging (winston)': 0.25,
        'shim: @grpc/grpc-js': 0.25,
        'Node internals (event loop, streams)': 0.25,
        GC: 0.25,
      });
      // --per (the old tool's name for --ops) overrides the windows' operations.
      const upload = await cc('--windows', windowsFile, '--op', 'records:Upload', '--per', '1');
      expect([upload.ops, upload.totalMs, upload.self.SM3]).toEqual([1, 4, 2]);
    });

    it('lists --callers` caller chains and the --inclusive functions` time anywhere on the stack', async () => {
      const s = await cc('--callers', 'authenticate', '--inclusive', 'Upload,authenticate,absent');
      expect(s.callers).toEqual([
        {
          chain:
            'authenticate chaincode/dist/signature-chain/authenticate.js:22 < Upload chaincode/dist/contracts/records/contract.js:45' +
            ' < handleTransaction fabric-shim/lib/handler.js:10 < (root) :1',
          // The two SM3 samples below authenticate and its own.
          ms: 3,
        },
      ]);
      expect(s.functions).toEqual([
        { fn: 'Upload', ms: 5 },
        { fn: 'authenticate', ms: 3 },
        { fn: 'absent', ms: 0 },
      ]);
      const { stdout } = await run(process.execPath, [
        SCRIPT,
        '--buckets',
        'chaincode',
        '--inclusive',
        'Upload',
        ccFile,
      ]);
      expect(stdout).toContain('| `Upload` | 5.000 | 50.0 % |');
      expect(stdout).toContain('| shim: logging (winston) | 1.000 | 10.0 % | 1.000 |');
    });

    it('refuses an unknown bucket set, --op without --windows, and windows that match nothing', async () => {
      const refused = async (...args: string[]): Promise<string> => {
        const e = (await run(process.execPath, [SCRIPT, ...args]).catch((err: unknown) => err)) as {
          code: number;
          stderr: string;
        };
        expect(e.code).toBe(2);
        return e.stderr;
      };
      expect(await refused('--buckets', 'peer', ccFile)).toContain('--buckets takes gateway or chaincode');
      expect(await refused('--op', 'records:Read', ccFile)).toContain('--op and --n need --windows');
      expect(await refused('--windows', windowsFile, '--op', 'records:Nope', ccFile)).toContain(
        'no window of records:Nope',
      );
      expect(await refused('--windows', ccFile, ccFile)).toContain('not a list of {fcn, n, ops, start, end}');
      expect(await refused(ccFile, '--within')).toContain('--within needs a value');
    });
  });
});
