// SPDX-License-Identifier: Apache-2.0
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import { Point, SM2_GX, SM2_GY, SM2_N, SM2_P } from './curve';
import { sm2FieldArithmetic, WasmArithmetic, wnafFromWords } from './field-wasm';
import * as generated from './field-wasm.generated';
import { Arithmetic, wnafDigits, type Affine, type Jac, type NafTerm } from './jacobian';

const CURVE = { p: SM2_P, n: SM2_N, bits: 256 };
const big = new Arithmetic(CURVE);
const wasm = new WasmArithmetic(CURVE);
const R = (1n << 256n) % SM2_P;
const mod = (a: bigint): bigint => ((a % SM2_P) + SM2_P) % SM2_P;
const element = fc.bigInt({ min: 0n, max: SM2_P - 1n });
const scalar = fc.bigInt({ min: 0n, max: SM2_N - 1n });
const EDGE_ELEMENTS = [0n, 1n, 2n, 3n, SM2_P - 1n, SM2_P - 2n, 2n ** 255n, 2n ** 224n, R, R - 1n, (1n << 32n) - 1n];
const EDGE_SCALARS = [0n, 1n, 2n, 3n, 15n, 16n, 17n, 2n ** 128n, 2n ** 255n, SM2_N - 1n, SM2_N - 2n, SM2_N >> 1n];
const G: Affine = { x: SM2_GX, y: SM2_GY };
const root = resolve(__dirname, '../../..');

/** One field operation of the module on plain (non-Montgomery) inputs and output. */
function field(op: 'fe_mul' | 'fe_sqr' | 'fe_inv', a: bigint, b = 0n): bigint {
  const [x, y, r] = [wasm.auxPtr, wasm.auxPtr + 32, wasm.auxPtr + 64];
  wasm.put(x, a);
  wasm.put(y, b);
  wasm.exports.to_mont(x, 2);
  if (op === 'fe_mul') wasm.exports.fe_mul(r, x, y);
  else wasm.exports[op](r, x);
  wasm.exports.from_mont(r, 1);
  return wasm.get(r);
}

/** Affine coordinates of a Jacobian point by the BigInt arithmetic, or undefined for infinity. */
function affine(p: Jac): Affine | undefined {
  return p[2] === 0n ? undefined : big.normalize([p])[0];
}

function nobleMul(q: Affine, k: bigint): Affine | undefined {
  const r =
    k % SM2_N === 0n
      ? undefined
      : Point.fromAffine(q)
          .multiply(k % SM2_N)
          .toAffine();
  return r && { x: r.x, y: r.y };
}

/** The same point in other Jacobian coordinates (X·λ², Y·λ³, λZ). */
function rescale([x, y, z]: Jac, lambda: bigint): Jac {
  const l2 = mod(lambda * lambda);
  return [mod(x * l2), mod(y * l2 * lambda), mod(z * lambda)];
}

describe('the WebAssembly field (crypto/wasm/sm2-field.c) against BigInt', () => {
  const check = (a: bigint, b: bigint): void => {
    expect(field('fe_mul', a, b)).toBe(mod(a * b));
    expect(field('fe_sqr', a)).toBe(mod(a * a));
    expect(field('fe_inv', a)).toBe(a === 0n ? 0n : big.invert(a));
  };

  it('multiplies, squares and inverts edge values: 0, 1, p − 1, p − 2, 2^255, R, words of all ones', () => {
    for (const a of EDGE_ELEMENTS) for (const b of EDGE_ELEMENTS) check(a, b);
  });

  it('multiplies, squares and inverts random elements', () => {
    fc.assert(fc.property(element, element, check), { numRuns: 300 });
  });

  it('enters and leaves Montgomery form unchanged, 0 and p − 1 included', () => {
    for (const a of [...EDGE_ELEMENTS, 0x1234567890abcdefn]) {
      wasm.put(wasm.auxPtr, a);
      wasm.exports.to_mont(wasm.auxPtr, 1);
      expect(wasm.get(wasm.auxPtr)).toBe(mod(a * R));
      wasm.exports.from_mont(wasm.auxPtr, 1);
      expect(wasm.get(wasm.auxPtr)).toBe(a);
    }
  });
});

describe('WebAssembly point arithmetic (field-wasm.ts) against BigInt (jacobian.ts) and noble', () => {
  const q = Point.BASE.multiply(0xfeedfacecafebeefn).toAffine();
  const Q: Affine = { x: q.x, y: q.y };
  const tables = [4, 6].map((w) => [big.fixedTable(Q, w), wasm.fixedTable(Q, w)] as const);
  const [bigTable4, wasmTable4] = tables[0] as (typeof tables)[number];
  const [, wasmTable6] = tables[1] as (typeof tables)[number];

  it('[k]Q by fixed tables, wNAF and Straus equals BigInt and noble, k = 0, 1, n − 1 and random', () => {
    const check = (k: bigint): void => {
      const want = nobleMul(Q, k);
      for (const [bt, wt] of tables) {
        expect(affine(wasm.multiplyFixed(wt, k))).toEqual(want);
        expect(affine(big.multiplyFixed(bt, k))).toEqual(want);
      }
      expect(affine(wasm.multiplyWnaf(Q, k))).toEqual(want);
      const term = (): NafTerm => ({ xs: [Q.x], ys: [Q.y], digits: wnafDigits(k, 2), negated: false });
      expect(affine(wasm.straus([term()]))).toEqual(want);
    };
    EDGE_SCALARS.forEach(check);
    fc.assert(fc.property(scalar, check), { numRuns: 30 });
  });

  it('adds into an accumulator: infinity, a random point, the same point (doubling) and its negation (infinity)', () => {
    const check = (k: bigint, j: bigint, lambda: bigint): void => {
      const kq = big.multiplyWnaf(Q, k);
      const others: Jac[] = [
        [1n, 1n, 0n],
        rescale(big.multiplyWnaf(G, j), lambda),
        rescale(kq, lambda), // + kQ: the last addition doubles
        rescale([kq[0], mod(-kq[1]), kq[2]], lambda), // − kQ: the sum is infinity
      ];
      for (const acc of others) {
        const want = affine(big.addJacobian(acc, big.multiplyWnaf(Q, k)));
        expect(affine(wasm.multiplyWnaf(Q, k, acc))).toEqual(want);
        expect(affine(wasm.multiplyFixed(wasmTable6, k, acc))).toEqual(want);
      }
    };
    check(1n, 5n, 7n);
    check(SM2_N - 1n, 2n, SM2_P - 1n);
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: SM2_N - 1n }), scalar, fc.bigInt({ min: 1n, max: SM2_P - 1n }), check),
      { numRuns: 15 },
    );
  });

  it('mixed addition handles P + P (doubling via add) and P + (−P) (infinity) as the BigInt one does', () => {
    const term = (negated: boolean): NafTerm => ({ xs: [Q.x], ys: [Q.y], digits: [1], negated });
    expect(affine(wasm.straus([term(false), term(false)]))).toEqual(nobleMul(Q, 2n));
    expect(wasm.straus([term(false), term(true)])[2]).toBe(0n);
    expect(big.straus([term(false), term(true)])[2]).toBe(0n);
    expect(affine(wasm.straus([term(false), term(false), term(false)]))).toEqual(nobleMul(Q, 3n));
  });

  it('Straus over many terms (the module memory grows) equals the BigInt one', () => {
    const points = Array.from({ length: 48 }, (_, i) => affine(big.multiplyWnaf(G, BigInt(i + 2) ** 20n)) as Affine);
    const odd = points.map((p) => {
      const multiples = big.normalize([1, 3, 5, 7].map((m) => big.multiplyWnaf(p, BigInt(m))));
      return { xs: multiples.map((m) => m.x), ys: multiples.map((m) => m.y) };
    });
    fc.assert(
      fc.property(
        fc.array(scalar, { minLength: 48, maxLength: 48 }),
        fc.array(fc.boolean(), { minLength: 48, maxLength: 48 }),
        (ks, negs) => {
          const terms = odd.map((o, i) => ({
            ...o,
            digits: wnafDigits(ks[i] as bigint, 4),
            negated: negs[i] as boolean,
          }));
          expect(affine(wasm.straus(terms))).toEqual(affine(big.straus(terms)));
        },
      ),
      { numRuns: 4 },
    );
  });

  it('normalizes Jacobian points as BigInt does, and refuses the point at infinity', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(scalar, fc.bigInt({ min: 1n, max: SM2_P - 1n })), { minLength: 1, maxLength: 9 }),
        (pairs) => {
          const jac = pairs.map(([k, l]) => rescale(big.multiplyWnaf(G, k === 0n ? 1n : k), l));
          expect(wasm.normalize(jac)).toEqual(big.normalize(jac));
          for (const p of jac) expect(wasm.affineX(p)).toBe(big.affineX(p));
        },
      ),
      { numRuns: 20 },
    );
    expect(wasm.normalize([])).toEqual([]);
    expect(wasm.affineX([1n, 1n, 0n])).toBeUndefined();
    expect(() => wasm.normalize([[1n, 1n, 0n]])).toThrow(RangeError);
  });

  it('tells whether a Jacobian point has a given affine x without inverting (SM2 verify B7), x ≥ n included', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: SM2_N - 1n }), fc.bigInt({ min: 1n, max: SM2_P - 1n }), (k, l) => {
        const p = rescale(big.multiplyWnaf(G, k), l);
        const x = big.affineX(p) as bigint;
        for (const a of [big, wasm]) {
          expect(a.hasAffineX(p, x)).toBe(true);
          expect(a.hasAffineX(p, (x + 1n) % SM2_P)).toBe(false);
        }
      }),
      { numRuns: 20 },
    );
    expect(big.hasAffineX([1n, 1n, 0n], 1n)).toBe(false);
    // A curve point whose x lies in [n, p): x' = c + n with c = x − n is the second candidate.
    let x = SM2_N + 5n;
    let y: bigint | undefined;
    for (; y === undefined; x++) {
      try {
        y = Point.fromHex('02' + x.toString(16).padStart(64, '0')).toAffine().y;
      } catch {
        y = undefined;
      }
    }
    x--;
    const high = rescale([x, y, 1n], 12345n);
    expect(big.hasAffineX(high, x)).toBe(true);
    expect(big.hasAffineX(high, x - SM2_N)).toBe(false);
  });

  it('builds the same tables as BigInt (widths 1, 2, 5, 10)', () => {
    for (const w of [1, 2, 5, 10]) {
      const [bt, wt] = [big.fixedTable(G, w), wasm.fixedTable(G, w)];
      expect(wt.size).toBe(bt.size);
      expect(wt.words).toHaveLength(16 * bt.size);
      for (let i = 0; i < bt.size; i += w >= 10 ? 37 : 1) expect(wasm.tablePoint(wt, i)).toEqual(big.tablePoint(bt, i));
    }
  });

  it('refuses a scalar outside 0 … 2^256 − 1, a window out of range, and a table built by the other arithmetic', () => {
    expect(() => wasm.multiplyFixed(wasmTable4, -1n)).toThrow(RangeError);
    expect(() => wasm.multiplyWnaf(Q, 1n << 256n)).toThrow(RangeError);
    expect(() => wasm.fixedTable(Q, 0)).toThrow(RangeError);
    expect(() => wasm.fixedTable(Q, 17)).toThrow(RangeError);
    expect(() => wasm.multiplyFixed(bigTable4, 1n)).toThrow(TypeError);
    expect(() => big.multiplyFixed(wasmTable4, 1n)).toThrow(TypeError);
    expect(() => wasm.tablePoint(wasmTable4, -1)).toThrow(RangeError);
  });

  it('recodes scalars from words into the same wNAF digits as the BigInt recoding', () => {
    const check = (k: bigint, width: number): void => {
      const words = new Uint32Array(12);
      for (let i = 0; i < 8; i++) words[i] = Number((k >> BigInt(32 * i)) & 0xffffffffn);
      expect(wnafFromWords(words, 8, width)).toEqual(wnafDigits(k, width));
    };
    for (const k of [...EDGE_SCALARS, 2n ** 256n - 1n]) for (const w of [2, 4, 5, 8]) check(k, w);
    fc.assert(fc.property(fc.bigInt({ min: 0n, max: 2n ** 256n - 1n }), fc.integer({ min: 2, max: 8 }), check));
  });
});

describe('choosing the field (MEDSHARE_SM2_FIELD)', () => {
  it('is WebAssembly by default and on "wasm", BigInt on "bigint", and refuses anything else naming the variable', () => {
    expect(sm2FieldArithmetic(CURVE, undefined).kind).toBe('wasm');
    expect(sm2FieldArithmetic(CURVE, '').kind).toBe('wasm');
    expect(sm2FieldArithmetic(CURVE, 'wasm').kind).toBe('wasm');
    expect(sm2FieldArithmetic(CURVE, 'bigint').kind).toBe('bigint');
    expect(() => sm2FieldArithmetic(CURVE, 'fast')).toThrow(/MEDSHARE_SM2_FIELD must be "wasm" or "bigint"/);
  });

  it('refuses a curve over another prime for the WebAssembly field', () => {
    expect(() => new WasmArithmetic({ p: 2n ** 255n - 19n, n: SM2_N, bits: 256 })).toThrow(RangeError);
  });
});

describe('the committed module (field-wasm.generated.ts)', () => {
  const source = readFileSync(join(root, 'crypto/wasm/sm2-field.c'));
  const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

  it('was built from the committed source, and its bytes are the recorded ones', () => {
    expect(generated.SM2_FIELD_WASM_SOURCE_SHA256).toBe(sha256(source));
    expect(sha256(Buffer.from(generated.SM2_FIELD_WASM, 'base64'))).toBe(generated.SM2_FIELD_WASM_SHA256);
  });

  const clang = spawnSync('clang', ['--version'], { encoding: 'utf8' });
  const compiler = clang.status === 0 ? clang.stdout.split('\n')[0] : undefined;
  const rebuild = compiler === generated.SM2_FIELD_WASM_COMPILER ? it : it.skip;
  // Skipped (reported as skipped) where the recorded compiler is absent, e.g. CI without clang.
  rebuild(`is what scripts/wasm/build-sm2-field.sh makes with ${generated.SM2_FIELD_WASM_COMPILER}`, () => {
    const dir = mkdtempSync(join(tmpdir(), 'sm2-field-'));
    try {
      const out = join(dir, 'field-wasm.generated.ts');
      const run = spawnSync('bash', [join(root, 'scripts/wasm/build-sm2-field.sh'), out], { encoding: 'utf8' });
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
      // The module's bytes (by their digest; the committed file is prettier-formatted).
      const rebuilt = /SM2_FIELD_WASM =\s*'([A-Za-z0-9+/=]+)'/.exec(readFileSync(out, 'utf8'))?.[1] ?? '';
      expect(sha256(Buffer.from(rebuilt, 'base64'))).toBe(generated.SM2_FIELD_WASM_SHA256);
      expect(rebuilt).toBe(generated.SM2_FIELD_WASM);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
