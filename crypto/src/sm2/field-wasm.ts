// SPDX-License-Identifier: Apache-2.0
/**
 * SM2's verification arithmetic in WebAssembly (issues 8 and 11): the bulk operations of
 * jacobian.ts's {@link Arithmetic} — fixed-window and wNAF multiplications, Straus's
 * interleaving, tables, normalization — run in crypto/wasm/sm2-field.c (32-bit limbs, Montgomery
 * form, p's special form in the reduction), compiled by scripts/wasm/build-sm2-field.sh into
 * field-wasm.generated.ts. The single-point operations (double, addAffine, addJacobian, invert)
 * stay on BigInt, inherited: a call into the module only pays off over a whole loop.
 *
 * Values cross the boundary as field elements (8 little-endian words) at a few points per
 * multiplication; tables live in JS as Uint32Arrays in Montgomery form (64 bytes a point against
 * ~112 for BigInt), the entries a multiplication needs copied into the module's memory per call.
 * Public data only, variable time, no randomness: the same result as the BigInt arithmetic on
 * every input (field-wasm.test.ts), so verifiers stay deterministic whichever runs.
 */
import { SM2_P } from './curve';
import { SM2_FIELD_WASM } from './field-wasm.generated';
import {
  Arithmetic,
  tablePoints,
  type Affine,
  type FieldCurve,
  type FixedTable,
  type Jac,
  type NafTerm,
} from './jacobian';

// The WebAssembly API in the few shapes used here (the project's lib is ES2023 without DOM,
// which is where TypeScript declares it).
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
type WasmModule = object;
interface WasmApi {
  readonly Module: new (bytes: Uint8Array) => WasmModule;
  readonly Instance: new (module: WasmModule, imports: object) => { readonly exports: unknown };
}

/** The runtime's WebAssembly API (throws where there is none). */
export function wasmApi(): WasmApi {
  const api = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
  if (!api) throw new Error('WebAssembly is not available in this runtime');
  return api;
}

/** The module's exports (crypto/wasm/sm2-field.c). */
export interface Exports {
  readonly memory: WasmMemory;
  readonly __heap_base: { readonly value: number };
  init(): void;
  fe_mul(r: number, a: number, b: number): void;
  fe_sqr(r: number, a: number): void;
  fe_inv(r: number, a: number): void;
  to_mont(ptr: number, n: number): void;
  from_mont(ptr: number, n: number): void;
  point_double(ptr: number): void;
  point_add(p1: number, p2: number): void;
  run(acc: number, ops: number, count: number, pts: number): void;
  normalize(jac: number, n: number, out: number, tmp: number): void;
  odd_multiples(q: number, count: number, out: number, jac: number, tmp: number): number;
  fixed_table_scratch_words(window: number, windows: number): number;
  fixed_table(q: number, window: number, windows: number, out: number, scratch: number): number;
  bench_mul(a: number, b: number, n: number): void;
  bench_add_affine(acc: number, q: number, n: number): void;
  ct_base_x(x: number, k: number, table: number): number;
}

/** Bytes a table point takes here: x and y, 32 bytes each, in a Uint32Array. */
export const WASM_TABLE_BYTES_PER_POINT = 64;

const INFINITY: Jac = [1n, 1n, 0n];
const WNAF_WIDTH = 5;
const WNAF_POINTS = 2 ** (WNAF_WIDTH - 2);
const ELEMENT = 32; // bytes
const POINT = 2 * ELEMENT;
const JACOBIAN = 3 * ELEMENT;
const SCALAR_WORDS = 12; // 256 bits and the windows reading past them
const MAX_WINDOW = 16;

let compiled: WasmModule | undefined;

/** The module (compiled once per process). */
export function sm2FieldModule(): WasmModule {
  compiled ??= new (wasmApi().Module)(Buffer.from(SM2_FIELD_WASM, 'base64'));
  return compiled;
}

/** The bits pos … pos + width − 1 of a little-endian word array (width ≤ 16). */
function bitsAt(words: Uint32Array, pos: number, width: number): number {
  const i = pos >>> 5;
  const s = pos & 31;
  let v = (words[i] as number) >>> s;
  if (s + width > 32) v |= (words[i + 1] as number) << (32 - s);
  return v & ((1 << width) - 1);
}

export class WasmArithmetic extends Arithmetic {
  override readonly kind = 'wasm';
  /** The instance's exports (tests and the micro-benchmark call the field operations directly). */
  readonly exports: Exports;
  private u32: Uint32Array;
  private i32: Int32Array;
  /** BigInts cross as 64-bit words (hex strings cost ~10× more). */
  private view: DataView;
  /** Byte offsets: the accumulator, a second point, the growable region above them. */
  readonly accPtr: number;
  readonly auxPtr: number;
  private readonly region: number;
  private readonly scalar = new Uint32Array(SCALAR_WORDS);
  private readonly scalarView = new DataView(this.scalar.buffer);
  private readonly termCache = new WeakMap<readonly bigint[], Uint32Array>();

  constructor(curve: FieldCurve) {
    super(curve);
    if (curve.p !== SM2_P) throw new RangeError("the WebAssembly field is SM2's prime only");
    this.exports = new (wasmApi().Instance)(sm2FieldModule(), {}).exports as Exports;
    this.exports.init();
    const base = Math.ceil(this.exports.__heap_base.value / 64) * 64;
    this.accPtr = base;
    this.auxPtr = base + 2 * JACOBIAN;
    this.region = base + 4 * JACOBIAN;
    this.u32 = new Uint32Array(this.exports.memory.buffer);
    this.i32 = new Int32Array(this.exports.memory.buffer);
    this.view = new DataView(this.exports.memory.buffer);
    this.reserve(0);
  }

  override get tableBytesPerPoint(): number {
    return WASM_TABLE_BYTES_PER_POINT;
  }

  /** The growable region, at least `bytes` long; returns its byte offset. */
  private reserve(bytes: number): number {
    const { memory } = this.exports;
    const short = this.region + bytes - memory.buffer.byteLength;
    if (short > 0) memory.grow(Math.ceil(short / 65536));
    if (this.u32.buffer !== memory.buffer) {
      this.u32 = new Uint32Array(memory.buffer);
      this.i32 = new Int32Array(memory.buffer);
      this.view = new DataView(memory.buffer);
    }
    return this.region;
  }

  /** Writes 0 ≤ v < 2^256 at a byte offset as 8 little-endian words (not yet Montgomery form). */
  put(ptr: number, v: bigint): void {
    writeWords(this.view, ptr, v);
  }

  /** Reads 8 little-endian words at a byte offset. */
  get(ptr: number): bigint {
    return readWords(this.view, ptr);
  }

  private putJac(ptr: number, [x, y, z]: Jac): void {
    this.put(ptr, x);
    this.put(ptr + ELEMENT, y);
    this.put(ptr + 2 * ELEMENT, z);
    this.exports.to_mont(ptr, 3);
  }

  private getJac(ptr: number): Jac {
    this.exports.from_mont(ptr, 3);
    return [this.get(ptr), this.get(ptr + ELEMENT), this.get(ptr + 2 * ELEMENT)];
  }

  private putAffine(ptr: number, { x, y }: Affine): void {
    this.put(ptr, x);
    this.put(ptr + ELEMENT, y);
    this.exports.to_mont(ptr, 2);
  }

  /** k's words in this.scalar (0 ≤ k < 2^256). */
  private loadScalar(k: bigint): Uint32Array {
    if (k < 0n || k >= 1n << 256n) throw new RangeError('scalar out of range for a 256-bit multiplication');
    writeWords(this.scalarView, 0, k);
    return this.scalar;
  }

  override tablePoint(table: FixedTable, i: number): Affine {
    const words = wasmTable(table);
    if (i < 0 || i >= table.size) throw new RangeError(`table point ${i} out of range`);
    const region = this.reserve(POINT);
    this.u32.set(words.subarray(16 * i, 16 * i + 16), region >> 2);
    this.exports.from_mont(region, 2);
    return { x: this.get(region), y: this.get(region + ELEMENT) };
  }

  override fixedTable(q: Affine, window: number): FixedTable {
    if (!Number.isInteger(window) || window < 1 || window > MAX_WINDOW)
      throw new RangeError('table window out of range');
    const windows = Math.ceil(this.curve.bits / window) + 1;
    const size = tablePoints(this.curve, window);
    const scratch = this.exports.fixed_table_scratch_words(window, windows) * 4;
    const region = this.reserve(size * POINT + scratch);
    this.putAffine(this.auxPtr, q);
    if (!this.exports.fixed_table(this.auxPtr, window, windows, region, region + size * POINT))
      throw new RangeError('the point has small order');
    return { window, size, words: this.u32.slice(region >> 2, (region >> 2) + 16 * size) };
  }

  override multiplyFixed(table: FixedTable, k: bigint, acc: Jac = INFINITY): Jac {
    const words = wasmTable(table);
    const { window } = table;
    const windows = Math.ceil(this.curve.bits / window) + 1;
    const half = 2 ** (window - 1);
    const scalar = this.loadScalar(k);
    const region = this.reserve(windows * (POINT + 4));
    const pts = region >> 2;
    const opsPtr = region + windows * POINT;
    const ops = opsPtr >> 2;
    const u32 = this.u32;
    let n = 0;
    let carry = 0;
    for (let w = 0; w < windows; w++) {
      let digit = bitsAt(scalar, w * window, window) + carry;
      carry = digit > half ? 1 : 0;
      if (carry) digit -= 2 * half;
      if (digit === 0) continue;
      const src = (w * half + Math.abs(digit) - 1) * 16;
      const dst = pts + n * 16;
      for (let i = 0; i < 16; i++) u32[dst + i] = words[src + i] as number;
      this.i32[ops + n] = 2 * n + (digit < 0 ? 1 : 0);
      n++;
    }
    this.putJac(this.accPtr, acc);
    this.exports.run(this.accPtr, opsPtr, n, region);
    return this.getJac(this.accPtr);
  }

  override multiplyWnaf(q: Affine, k: bigint, acc: Jac = INFINITY): Jac {
    const digits = wnafFromWords(this.loadScalar(k), 8, WNAF_WIDTH);
    const ptsBytes = WNAF_POINTS * POINT;
    const region = this.reserve(ptsBytes + WNAF_POINTS * (JACOBIAN + ELEMENT) + 4 * 2 * digits.length);
    const jac = region + ptsBytes;
    const opsPtr = jac + WNAF_POINTS * (JACOBIAN + ELEMENT);
    this.putAffine(this.auxPtr, q);
    if (!this.exports.odd_multiples(this.auxPtr, WNAF_POINTS, region, jac, jac + WNAF_POINTS * JACOBIAN))
      throw new RangeError('the point has small order');
    let n = 0;
    const ops = opsPtr >> 2;
    for (let i = digits.length - 1; i >= 0; i--) {
      this.i32[ops + n++] = -1;
      const d = digits[i] as number;
      if (d !== 0) this.i32[ops + n++] = 2 * ((Math.abs(d) - 1) >> 1) + (d < 0 ? 1 : 0);
    }
    this.putJac(this.accPtr, INFINITY);
    this.exports.run(this.accPtr, opsPtr, n, region);
    if (acc[2] !== 0n) {
      this.putJac(this.auxPtr, acc);
      this.exports.point_add(this.accPtr, this.auxPtr);
    }
    return this.getJac(this.accPtr);
  }

  override straus(terms: readonly NafTerm[]): Jac {
    const length = terms.reduce((max, t) => Math.max(max, t.digits.length), 0);
    const points = terms.reduce((sum, t) => sum + t.xs.length, 0);
    const widest = terms.reduce((max, t) => Math.max(max, t.xs.length), 0);
    const opsBytes = 4 * length * (terms.length + 1);
    const region = this.reserve(points * POINT + opsBytes + widest * POINT);
    const opsPtr = region + points * POINT;
    const scratch = opsPtr + opsBytes;
    const bases: number[] = [];
    let at = 0;
    for (const term of terms) {
      bases.push(at);
      this.u32.set(this.termWords(term, scratch), (region + at * POINT) >> 2);
      at += term.xs.length;
    }
    const ops = opsPtr >> 2;
    let n = 0;
    for (let i = length - 1; i >= 0; i--) {
      this.i32[ops + n++] = -1;
      for (let t = 0; t < terms.length; t++) {
        const { digits, negated } = terms[t] as NafTerm;
        const d = digits[i];
        if (d === undefined || d === 0) continue;
        this.i32[ops + n++] = 2 * ((bases[t] as number) + ((Math.abs(d) - 1) >> 1)) + (d < 0 !== negated ? 1 : 0);
      }
    }
    this.putJac(this.accPtr, INFINITY);
    this.exports.run(this.accPtr, opsPtr, n, region);
    return this.getJac(this.accPtr);
  }

  /**
   * A term's points as Montgomery words, converted (at `scratch`, reserved by the caller) once
   * per points array, which the cache keys (with its `ys`, never changed): the ZK verifiers'
   * cached generator tables serve every verification. A WeakMap: fresh ones go with their arrays.
   */
  private termWords({ xs, ys }: NafTerm, scratch: number): Uint32Array {
    let words = this.termCache.get(xs);
    if (words === undefined) {
      for (let i = 0; i < xs.length; i++) {
        this.put(scratch + i * POINT, xs[i] as bigint);
        this.put(scratch + i * POINT + ELEMENT, ys[i] as bigint);
      }
      this.exports.to_mont(scratch, 2 * xs.length);
      words = this.u32.slice(scratch >> 2, (scratch >> 2) + 16 * xs.length);
      this.termCache.set(xs, words);
    }
    return words;
  }

  override normalize(points: readonly Jac[]): Affine[] {
    const count = points.length;
    if (count === 0) return [];
    const region = this.reserve(count * (JACOBIAN + POINT + ELEMENT));
    const out = region + count * JACOBIAN;
    points.forEach((p, i) => {
      if (p[2] === 0n) throw new RangeError('cannot normalize the point at infinity');
      this.put(region + i * JACOBIAN, p[0]);
      this.put(region + i * JACOBIAN + ELEMENT, p[1]);
      this.put(region + i * JACOBIAN + 2 * ELEMENT, p[2]);
    });
    this.exports.to_mont(region, 3 * count);
    this.exports.normalize(region, count, out, out + count * POINT);
    this.exports.from_mont(out, 2 * count);
    return points.map((_, i) => ({ x: this.get(out + i * POINT), y: this.get(out + i * POINT + ELEMENT) }));
  }

  override affineX(point: Jac): bigint | undefined {
    if (point[2] === 0n) return undefined;
    this.putJac(this.accPtr, point);
    this.exports.normalize(this.accPtr, 1, this.auxPtr, this.auxPtr + POINT);
    this.exports.from_mont(this.auxPtr, 1);
    return this.get(this.auxPtr);
  }
}

/** v mod 2^256 as 4 little-endian 64-bit words at a byte offset. */
export function writeWords(view: DataView, ptr: number, v: bigint): void {
  view.setBigUint64(ptr, BigInt.asUintN(64, v), true);
  view.setBigUint64(ptr + 8, BigInt.asUintN(64, v >> 64n), true);
  view.setBigUint64(ptr + 16, BigInt.asUintN(64, v >> 128n), true);
  view.setBigUint64(ptr + 24, BigInt.asUintN(64, v >> 192n), true);
}

/** 8 little-endian 32-bit words at a byte offset, as a number below 2^256. */
export function readWords(view: DataView, ptr: number): bigint {
  return (
    (view.getBigUint64(ptr + 24, true) << 192n) |
    (view.getBigUint64(ptr + 16, true) << 128n) |
    (view.getBigUint64(ptr + 8, true) << 64n) |
    view.getBigUint64(ptr, true)
  );
}

function wasmTable(table: FixedTable): Uint32Array {
  if (!table.words) throw new TypeError('a BigInt table passed to the WebAssembly arithmetic');
  return table.words;
}

/**
 * The width-w NAF of the number in `words` (little-endian, `count` words), least significant
 * digit first, trailing zeros trimmed: odd digits in (−2^(w−1), 2^(w−1)), each followed by at
 * least w − 1 zeros — the same digits as jacobian.ts's BigInt {@link wnafDigits}.
 */
export function wnafFromWords(words: Uint32Array, count: number, width: number): number[] {
  const bits = 32 * count + 1;
  const digits: number[] = [];
  let carry = 0;
  let last = -1;
  for (let bit = 0; bit < bits;) {
    if (((bit >>> 5 < count ? (words[bit >>> 5] as number) >>> (bit & 31) : 0) & 1) === carry) {
      digits.push(0);
      bit++;
      continue;
    }
    let d = (bit >>> 5 < count ? bitsAt(words, bit, width) : 0) + carry;
    carry = d >> (width - 1);
    d -= carry << width;
    digits.push(d);
    last = digits.length - 1;
    for (let i = 1; i < width && digits.length < bits; i++) digits.push(0);
    bit += width;
  }
  digits.length = last + 1;
  return digits;
}

export type FieldKind = 'bigint' | 'wasm';

/**
 * SM2's verification arithmetic: `wasm` (the default) unless `kind` is `bigint`, or WebAssembly
 * cannot be instantiated here (then BigInt). `MEDSHARE_SM2_FIELD` names the kind at process start
 * (verify-keys.ts); any other value is refused.
 */
export function sm2FieldArithmetic(curve: FieldCurve, kind: string | undefined): Arithmetic {
  if (kind !== undefined && kind !== '' && kind !== 'bigint' && kind !== 'wasm')
    throw new RangeError(`MEDSHARE_SM2_FIELD must be "wasm" or "bigint", not ${JSON.stringify(kind)}`);
  if (kind === 'bigint') return new Arithmetic(curve);
  try {
    return new WasmArithmetic(curve);
  } catch (cause) {
    if (kind === 'wasm') throw new Error('MEDSHARE_SM2_FIELD=wasm but WebAssembly is unavailable', { cause });
    return new Arithmetic(curve);
  }
}
