// SPDX-License-Identifier: Apache-2.0
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from './support/gateway-process';

/**
 * scripts/bench/cpuprofile-summary.mjs on a canned profile: which bucket each sample's self time
 * goes to (a weak frame takes its nearest strong caller's), inclusive time, idle left out, the
 * per-operation division and the rescaling to a measured CPU time.
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
const SAMPLES = [5, 5, 11, 11, 11, 4, 6, 8, 8, 9, 10];
const PROFILE = {
  nodes: NODES,
  startTime: 0,
  endTime: SAMPLES.length * 1000,
  samples: SAMPLES,
  timeDeltas: SAMPLES.map((_, i) => (i === 0 ? 0 : 1000)),
};

interface Summary {
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
});
