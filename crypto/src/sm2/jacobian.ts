// SPDX-License-Identifier: Apache-2.0
/**
 * Variable-time point arithmetic for signature verification on a short Weierstrass curve
 * y² = x³ − 3x + b over a prime field (SM2's a is p − 3). Only public values ever pass through
 * here: scalars derived from a signature and public keys. Signing and decryption, whose scalars
 * are secret, stay on @noble/curves' constant-time `multiply`.
 *
 * Points are Jacobian (X, Y, Z) with x = X/Z², y = Y/Z³; Z = 0 is the point at infinity.
 * Tables hold affine points, so the additions in a multiplication are mixed (Z₂ = 1).
 */

export interface FieldCurve {
  /** The field prime. */
  readonly p: bigint;
  /** The group order, for scalar bounds. */
  readonly n: bigint;
  /** Bit length of n: the number of scalar bits a table covers. */
  readonly bits: number;
}

/** An affine point (never infinity) for tables. */
export interface Affine {
  readonly x: bigint;
  readonly y: bigint;
}

/** A Jacobian point (X, Y, Z); Z = 0 is infinity. */
export type Jac = [x: bigint, y: bigint, z: bigint];

/**
 * A fixed-window table of affine points: window j holds [d·2^(w·j)]Q for d = 1 … 2^(w−1), so a
 * multiplication with signed digits in (−2^(w−1), 2^(w−1)] is one mixed addition per non-zero
 * digit and no doubling (the layout of @noble/curves' wNAF precomputes). Point i is at index i of
 * `xs`/`ys` (the BigInt arithmetic's tables) or at words 16i … 16i + 15 of `words` (x then y, 8
 * little-endian 32-bit words each, Montgomery form: the WebAssembly arithmetic's, field-wasm.ts).
 * A table is used by the arithmetic that built it.
 */
export interface FixedTable {
  readonly window: number;
  /** Points held: {@link tablePoints}. */
  readonly size: number;
  readonly xs?: readonly bigint[];
  readonly ys?: readonly bigint[];
  readonly words?: Uint32Array;
}

/** P, 3P, 5P, … as affine coordinates with the NAF digits of one scalar: a term of {@link Arithmetic.straus}. */
export interface NafTerm {
  readonly xs: readonly bigint[];
  readonly ys: readonly bigint[];
  /** Least significant first, odd digits d use point (|d| − 1)/2. */
  readonly digits: readonly number[];
  /** The point is taken as −P. */
  readonly negated: boolean;
}

/** V8 keeps a 256-bit BigInt in about 48 bytes, plus an 8-byte array slot: two per point. */
export const TABLE_BYTES_PER_POINT = 2 * (48 + 8);

export function tablePoints(curve: Pick<FieldCurve, 'bits'>, window: number): number {
  return (Math.ceil(curve.bits / window) + 1) * 2 ** (window - 1);
}

const INFINITY: Jac = [1n, 1n, 0n];

/**
 * The BigInt arithmetic: the reference and the fallback of field-wasm.ts's WebAssembly one, which
 * overrides the bulk operations (multiplications, tables, normalization) and keeps these
 * single-point ones.
 */
export class Arithmetic {
  protected readonly p: bigint;
  /** Which field implementation runs the bulk operations. */
  readonly kind: 'bigint' | 'wasm' = 'bigint';

  constructor(readonly curve: FieldCurve) {
    this.p = curve.p;
  }

  /** Estimated bytes a table point takes (the table caches' budgets count in these). */
  get tableBytesPerPoint(): number {
    return TABLE_BYTES_PER_POINT;
  }

  /** Point i of a table this arithmetic built (tests, diagnostics). */
  tablePoint(table: FixedTable, i: number): Affine {
    const { xs, ys } = bigintTable(table);
    if (i < 0 || i >= table.size) throw new RangeError(`table point ${i} out of range`);
    return { x: xs[i] as bigint, y: ys[i] as bigint };
  }

  private mul(a: bigint, b: bigint): bigint {
    return (a * b) % this.p;
  }

  private add(a: bigint, b: bigint): bigint {
    const r = a + b;
    return r >= this.p ? r - this.p : r;
  }

  private sub(a: bigint, b: bigint): bigint {
    const r = a - b;
    return r < 0n ? r + this.p : r;
  }

  /** Inverse mod p (p prime, a ≠ 0) by the extended Euclidean algorithm. */
  invert(a: bigint): bigint {
    let [t, newT, r, newR] = [0n, 1n, this.p, a % this.p];
    while (newR !== 0n) {
      const q = r / newR;
      [t, newT] = [newT, t - q * newT];
      [r, newR] = [newR, r - q * newR];
    }
    if (r !== 1n) throw new RangeError('value has no inverse mod p');
    return t < 0n ? t + this.p : t;
  }

  /** dbl-2001-b (a = −3): 3M + 5S. Infinity doubles to infinity (Z₃ = 0). */
  double([x, y, z]: Jac): Jac {
    const delta = this.mul(z, z);
    const gamma = this.mul(y, y);
    const beta = this.mul(x, gamma);
    const t = this.mul(this.sub(x, delta), this.add(x, delta));
    const alpha = this.add(this.add(t, t), t);
    const beta4 = this.add(this.add(beta, beta), this.add(beta, beta));
    const x3 = this.sub(this.mul(alpha, alpha), this.add(beta4, beta4));
    const yz = this.add(y, z);
    const z3 = this.sub(this.sub(this.mul(yz, yz), gamma), delta);
    const gamma8 = this.mul(8n, this.mul(gamma, gamma));
    const y3 = this.sub(this.mul(alpha, this.sub(beta4, x3)), gamma8);
    return [x3, y3, z3];
  }

  /**
   * Jacobian + affine (add-1998-cmo-2 with Z₂ = 1): 8M + 3S. The incomplete formula's
   * exceptions are handled: P = Q doubles, P = −Q gives infinity, P = ∞ gives Q.
   */
  addAffine(p1: Jac, qx: bigint, qy: bigint): Jac {
    const [x1, y1, z1] = p1;
    if (z1 === 0n) return [qx, qy, 1n];
    const z1z1 = this.mul(z1, z1);
    const u2 = this.mul(qx, z1z1);
    const s2 = this.mul(qy, this.mul(z1, z1z1));
    const h = this.sub(u2, x1);
    const r = this.sub(s2, y1);
    if (h === 0n) return r === 0n ? this.double(p1) : [1n, 1n, 0n];
    const hh = this.mul(h, h);
    const hhh = this.mul(h, hh);
    const v = this.mul(x1, hh);
    const x3 = this.sub(this.sub(this.mul(r, r), hhh), this.add(v, v));
    const y3 = this.sub(this.mul(r, this.sub(v, x3)), this.mul(y1, hhh));
    return [x3, y3, this.mul(z1, h)];
  }

  /** Jacobian + Jacobian (add-1998-cmo-2): 12M + 4S, with the same exceptions handled. */
  addJacobian(p1: Jac, p2: Jac): Jac {
    const [x1, y1, z1] = p1;
    const [x2, y2, z2] = p2;
    if (z1 === 0n) return p2;
    if (z2 === 0n) return p1;
    const z1z1 = this.mul(z1, z1);
    const z2z2 = this.mul(z2, z2);
    const u1 = this.mul(x1, z2z2);
    const u2 = this.mul(x2, z1z1);
    const s1 = this.mul(y1, this.mul(z2, z2z2));
    const s2 = this.mul(y2, this.mul(z1, z1z1));
    const h = this.sub(u2, u1);
    const r = this.sub(s2, s1);
    if (h === 0n) return r === 0n ? this.double(p1) : [1n, 1n, 0n];
    const hh = this.mul(h, h);
    const hhh = this.mul(h, hh);
    const v = this.mul(u1, hh);
    const x3 = this.sub(this.sub(this.mul(r, r), hhh), this.add(v, v));
    const y3 = this.sub(this.mul(r, this.sub(v, x3)), this.mul(s1, hhh));
    return [x3, y3, this.mul(this.mul(z1, z2), h)];
  }

  /**
   * Whether the affine x of a Jacobian point is x (0 ≤ x < p): X = x·Z² (mod p), no inversion.
   * False for infinity.
   */
  hasAffineX([px, , z]: Jac, x: bigint): boolean {
    return z !== 0n && this.mul(x, this.mul(z, z)) === px;
  }

  /** Affine x of a Jacobian point, or undefined for infinity. */
  affineX([x, , z]: Jac): bigint | undefined {
    if (z === 0n) return undefined;
    const zi = this.invert(z);
    return this.mul(x, this.mul(zi, zi));
  }

  /** Montgomery's trick: all points to affine with one inversion (none may be infinity). */
  normalize(points: readonly Jac[]): Affine[] {
    const prefix: bigint[] = [];
    let acc = 1n;
    for (const [, , z] of points) {
      if (z === 0n) throw new RangeError('cannot normalize the point at infinity');
      prefix.push(acc);
      acc = this.mul(acc, z);
    }
    let inv = this.invert(acc);
    const out: Affine[] = new Array<Affine>(points.length);
    for (let i = points.length - 1; i >= 0; i--) {
      const [x, y, z] = points[i] as Jac;
      const zi = this.mul(inv, prefix[i] as bigint);
      inv = this.mul(inv, z);
      const zi2 = this.mul(zi, zi);
      out[i] = { x: this.mul(x, zi2), y: this.mul(y, this.mul(zi2, zi)) };
    }
    return out;
  }

  /**
   * Builds the fixed-window table of `q` (see {@link FixedTable}) with the inversions shared
   * across windows: the window bases Q, 2^w·Q, 2^(2w)·Q, … come from
   * Jacobian doublings and one inversion; then row d = 2 … 2^(w−1) of every window at once in
   * affine coordinates (d·B = B + (d−1)·B, a doubling for d = 2), the rows' denominators
   * inverted together: about 7 multiplications a point and 2^(w−1) inversions, where a row at a
   * time (a mixed addition and a normalization a point, an inversion a row) took ~16 and a
   * Jacobian batch ~22 (width 6: 11 → 5.5 ms; width 10: 64 → 40 ms; width 4: 2.9 → 2.2 ms).
   */
  fixedTable(q: Affine, window: number): FixedTable {
    const windows = Math.ceil(this.curve.bits / window) + 1;
    const half = 2 ** (window - 1);
    const jacobian: Jac[] = [[q.x, q.y, 1n]];
    for (let w = 1; w < windows; w++) {
      let b = jacobian[w - 1] as Jac;
      for (let i = 0; i < window; i++) b = this.double(b);
      jacobian.push(b);
    }
    const bases = this.normalize(jacobian);
    const xs = new Array<bigint>(windows * half);
    const ys = new Array<bigint>(windows * half);
    let row = bases;
    for (let w = 0; w < windows; w++) [xs[w * half], ys[w * half]] = [(bases[w] as Affine).x, (bases[w] as Affine).y];
    for (let d = 2; d <= half; d++) {
      row = this.affineStep(row, bases, d === 2);
      for (let w = 0; w < windows; w++)
        [xs[w * half + d - 1], ys[w * half + d - 1]] = [(row[w] as Affine).x, (row[w] as Affine).y];
    }
    return { window, size: xs.length, xs, ys };
  }

  /** a_j + b_j for every j (a_j = b_j doubles), affine, the denominators inverted together. */
  private affineStep(as: readonly Affine[], bs: readonly Affine[], double: boolean): Affine[] {
    const dens = as.map((a, j) => (double ? this.add(a.y, a.y) : this.sub((bs[j] as Affine).x, a.x)));
    const invs = this.invertAll(dens);
    return as.map((a, j) => {
      const b = bs[j] as Affine;
      const x2 = this.mul(a.x, a.x);
      const num = double ? this.sub(this.add(this.add(x2, x2), x2), 3n) : this.sub(b.y, a.y);
      const lambda = this.mul(num, invs[j] as bigint);
      const x = this.sub(this.sub(this.mul(lambda, lambda), a.x), b.x);
      return { x, y: this.sub(this.mul(lambda, this.sub(a.x, x)), a.y) };
    });
  }

  /** Every value's inverse mod p with one inversion (Montgomery's trick); none may be 0. */
  invertAll(values: readonly bigint[]): bigint[] {
    const prefix: bigint[] = new Array<bigint>(values.length);
    let acc = 1n;
    for (let i = 0; i < values.length; i++) {
      prefix[i] = acc;
      acc = this.mul(acc, values[i] as bigint);
    }
    let inv = this.invert(acc);
    const out: bigint[] = new Array<bigint>(values.length);
    for (let i = values.length - 1; i >= 0; i--) {
      out[i] = this.mul(inv, prefix[i] as bigint);
      inv = this.mul(inv, values[i] as bigint);
    }
    return out;
  }

  /** [k]Q from Q's fixed table, 0 ≤ k < n: one mixed addition per non-zero signed digit. */
  multiplyFixed(table: FixedTable, k: bigint, acc: Jac = INFINITY): Jac {
    const { window } = table;
    const { xs, ys } = bigintTable(table);
    const half = 2 ** (window - 1);
    const mask = BigInt(2 ** window - 1);
    const shift = BigInt(window);
    const full = 2 ** window;
    for (let w = 0; k > 0n; w++) {
      let digit = Number(k & mask);
      k >>= shift;
      if (digit > half) {
        digit -= full;
        k += 1n;
      }
      if (digit === 0) continue;
      const offset = w * half + Math.abs(digit) - 1;
      const x = xs[offset] as bigint;
      const y = ys[offset] as bigint;
      acc = this.addAffine(acc, x, digit < 0 ? this.p - y : y);
    }
    return acc;
  }

  /**
   * acc + [k]Q without a table, 0 ≤ k < n: width-5 wNAF over the odd multiples Q, 3Q, …, 15Q
   * (computed here, one inversion to make them affine), one doubling per bit and a mixed
   * addition per non-zero digit (about bits/6).
   */
  multiplyWnaf(q: Affine, k: bigint, acc: Jac = INFINITY): Jac {
    const width = 5;
    const count = 2 ** (width - 2);
    const odd: Jac[] = [[q.x, q.y, 1n]];
    const twice = this.double([q.x, q.y, 1n]);
    for (let i = 1; i < count; i++) odd.push(this.addJacobian(odd[i - 1] as Jac, twice));
    const table = this.normalize(odd);
    const term: NafTerm = {
      xs: table.map((t) => t.x),
      ys: table.map((t) => t.y),
      digits: wnafDigits(k, width),
      negated: false,
    };
    return this.addJacobian(acc, this.straus([term]));
  }

  /**
   * Σ ±[k_i]P_i by Straus's interleaving: one run of doublings shared by every term, a mixed
   * addition per non-zero digit (zk/msm.ts's multi-scalar multiplication).
   */
  straus(terms: readonly NafTerm[]): Jac {
    const length = terms.reduce((max, t) => Math.max(max, t.digits.length), 0);
    let acc = INFINITY;
    for (let i = length - 1; i >= 0; i--) {
      if (acc[2] !== 0n) acc = this.double(acc);
      for (const { xs, ys, digits, negated } of terms) {
        const d = digits[i];
        if (d === undefined || d === 0) continue;
        const index = (Math.abs(d) - 1) >> 1;
        const y = ys[index] as bigint;
        acc = this.addAffine(acc, xs[index] as bigint, d < 0 !== negated ? this.p - y : y);
      }
    }
    return acc;
  }
}

function bigintTable(table: FixedTable): { xs: readonly bigint[]; ys: readonly bigint[] } {
  const { xs, ys } = table;
  if (!xs || !ys) throw new TypeError('a WebAssembly table passed to the BigInt arithmetic');
  return { xs, ys };
}

/** Width-w NAF of k ≥ 0, least significant digit first; digits odd in (−2^(w−1), 2^(w−1)) or 0. */
export function wnafDigits(k: bigint, width: number): number[] {
  const full = 2 ** width;
  const mask = BigInt(full - 1);
  const digits: number[] = [];
  while (k > 0n) {
    let d = 0;
    if (k & 1n) {
      d = Number(k & mask);
      if (d >= full / 2) d -= full;
      k -= BigInt(d);
    }
    digits.push(d);
    k >>= 1n;
  }
  return digits;
}
