// SPDX-License-Identifier: Apache-2.0
import fc from 'fast-check';
import { sm2 as smCrypto } from 'sm-crypto';
import vectors from '../../../test/vectors/sm2.json';
import { fromHex, toHex, utf8 } from '../bytes';
import { Point, SM2_N, SM2_P } from './curve';
import { WasmArithmetic } from './field-wasm';
import { Arithmetic, tablePoints } from './jacobian';
import { generateKeyPair } from './keys';
import { clearPointCache } from './point-cache';
import { sign, signatureFromDer, verify } from './sign';
import { buildQueuedTables, setVerifyKeyLimits, sm2Arithmetic, verifyKeyStats } from './verify-keys';
import { openssl } from '../testing/openssl';
import { privateKeyToPem } from './pem';

const sig = vectors.signature;
const ONE_TABLE = tablePoints(sm2Arithmetic.curve, 6) * sm2Arithmetic.tableBytesPerPoint;
const CURVE = { p: SM2_P, n: SM2_N, bits: 256 };

afterEach(() => {
  setVerifyKeyLimits();
  clearPointCache();
});

describe.each([
  ['BigInt (jacobian.ts)', new Arithmetic(CURVE)],
  ['WebAssembly (field-wasm.ts)', new WasmArithmetic(CURVE)],
])('verification arithmetic, %s, against @noble/curves', (_name, arith) => {
  const q = Point.BASE.multiply(0x1234567890abcdefn).toAffine();
  const table = arith.fixedTable(q, 6);
  const scalar = fc.bigInt({ min: 0n, max: SM2_N - 1n });

  it('[k]Q by wNAF and by fixed table equals noble, including k = 0, 1, n − 1', () => {
    const check = (k: bigint): void => {
      const want = k === 0n ? undefined : Point.fromAffine(q).multiply(k).toAffine().x;
      expect(arith.affineX(arith.multiplyWnaf(q, k))).toBe(want);
      expect(arith.affineX(arith.multiplyFixed(table, k))).toBe(want);
    };
    [0n, 1n, 2n, 3n, 2n ** 255n, SM2_N - 1n, SM2_N - 2n].forEach(check);
    fc.assert(fc.property(scalar, check), { numRuns: 25 });
  });

  it('a fixed table holds d·2^(w·j)·Q (both coordinates) for every d and window j, widths 2 … 6 and 10', () => {
    for (const w of [2, 3, 4, 5, 6, 10]) {
      const t = arith.fixedTable(q, w);
      const half = 2 ** (w - 1);
      expect(t.size).toBe(tablePoints(arith.curve, w));
      const windows = t.size / half;
      for (const j of [0, 1, windows >> 1, windows - 1])
        for (const d of w <= 6 ? Array.from({ length: half }, (_, i) => i + 1) : [1, 2, 3, half]) {
          const want = Point.fromAffine(q)
            .multiply((BigInt(d) * 2n ** BigInt(w * j)) % SM2_N)
            .toAffine();
          expect(arith.tablePoint(t, j * half + d - 1)).toEqual({ x: want.x, y: want.y });
        }
    }
  });

  it('handles the exceptional additions: P + P doubles, P + (−P) is infinity', () => {
    const p = arith.multiplyWnaf(q, 5n);
    const x5 = arith.affineX(p) as bigint;
    const p5 = Point.fromAffine(q).multiply(5n).toAffine();
    expect(x5).toBe(p5.x);
    expect(arith.affineX(arith.addAffine(p, p5.x, p5.y))).toBe(Point.fromAffine(q).multiply(10n).toAffine().x);
    expect(arith.affineX(arith.addAffine(p, p5.x, arith.curve.p - p5.y))).toBeUndefined();
  });
});

/**
 * Runs `check` with the key cold (no table: wNAF), with its table, after its table was evicted
 * by another key's, and after it was rebuilt: every state must give the same answers.
 */
function inEveryCacheState(publicKey: string, check: () => void): void {
  setVerifyKeyLimits({ tableBudgetBytes: ONE_TABLE, hotUses: 2, replaceEvery: 0 });
  clearPointCache();
  check(); // cold: decoded, no table
  const state = (): number => verifyKeyStats().tables;
  const valid = (key: string): void => {
    for (let i = 0; i < 3; i++) verify(key, utf8('warm'), new Uint8Array(64).fill(1));
  };
  valid(publicKey);
  buildQueuedTables();
  expect(state()).toBe(1);
  check(); // its table
  const other = generateKeyPair().publicKey;
  for (let i = 0; i < 3; i++) valid(other); // counted more often than publicKey: takes the only table
  buildQueuedTables();
  expect(verifyKeyStats().tables).toBe(1);
  check(); // evicted: back to wNAF
  for (let i = 0; i < 5; i++) valid(publicKey);
  buildQueuedTables();
  expect(verifyKeyStats().tablesBuilt).toBeGreaterThanOrEqual(3);
  check(); // rebuilt
}

describe('SM2 verification gives the same answers whatever the key cache holds', () => {
  it('the GB/T 32918.5 Appendix A signature (its own user id) verifies, a wrong one fails', () => {
    const signature = fromHex(sig.r + sig.s);
    inEveryCacheState(sig.publicKey, () => {
      expect(verify(sig.publicKey, utf8(sig.messageUtf8), signature, { userId: utf8(sig.userIdUtf8) })).toBe(true);
      expect(verify(sig.publicKey, utf8('message digesT'), signature, { userId: utf8(sig.userIdUtf8) })).toBe(false);
    });
  });

  it('ours, sm-crypto and openssl signatures verify; a flipped bit and another key fail', () => {
    const keys = generateKeyPair();
    const message = 'verified in every cache state';
    const ours = sign(keys.privateKey, keys.publicKey, utf8(message));
    const theirs = fromHex(
      smCrypto.doSignature(message, keys.privateKey, { hash: true, der: false, publicKey: keys.publicKey }),
    );
    const der = openssl(
      [
        'pkeyutl',
        '-sign',
        '-inkey',
        'key.pem',
        '-rawin',
        '-digest',
        'sm3',
        '-pkeyopt',
        'distid:1234567812345678',
        '-in',
        'msg.bin',
        '-out',
        'sig.der',
      ],
      { 'key.pem': privateKeyToPem(keys.privateKey), 'msg.bin': utf8(message) },
      'sig.der',
    );
    const fromOpenssl = signatureFromDer(der);
    const flipped = ours.slice();
    flipped[40] = (flipped[40] ?? 0) ^ 0x04;
    const stranger = generateKeyPair().publicKey;
    inEveryCacheState(keys.publicKey, () => {
      for (const good of [ours, theirs, fromOpenssl]) expect(verify(keys.publicKey, utf8(message), good)).toBe(true);
      expect(verify(keys.publicKey, utf8(message), flipped)).toBe(false);
      expect(verify(stranger, utf8(message), ours)).toBe(false);
      expect(toHex(ours)).not.toBe(toHex(flipped));
    });
  });

  it('never builds a table on the request path, and keeps tables within the byte budget', () => {
    setVerifyKeyLimits({ tableBudgetBytes: 3 * ONE_TABLE, hotUses: 2, replaceEvery: 0 });
    const message = utf8('rotation');
    const signed = Array.from({ length: 8 }, () => {
      const keys = generateKeyPair();
      return { publicKey: keys.publicKey, signature: sign(keys.privateKey, keys.publicKey, message) };
    });
    for (let round = 0; round < 4; round++) {
      for (const { publicKey, signature } of signed) {
        const built = verifyKeyStats().tablesBuilt;
        expect(verify(publicKey, message, signature)).toBe(true);
        expect(verifyKeyStats().tablesBuilt).toBe(built); // only buildQueuedTables (or setImmediate) builds
      }
      buildQueuedTables();
      expect(verifyKeyStats().tableBytes).toBeLessThanOrEqual(3 * ONE_TABLE);
    }
  });
});
