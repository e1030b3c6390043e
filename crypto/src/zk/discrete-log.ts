// SPDX-License-Identifier: Apache-2.0
/**
 * The bounded discrete logarithm of twisted ElGamal decryption (docs/protocol.md §20.5): v with
 * v·G = D for v ∈ [0, 2^b), by baby-step giant-step with M = 2^⌈b/2⌉: a table of the affine x of
 * j·G, 1 ≤ j < M (built once per M and kept: M = 2^16 for the default b = 32, ~6 MiB), then giant
 * steps D − i·M·G, normalized 512 at a time with one inversion. At most 2^⌊b/2⌋ giant steps.
 *
 * This runs for the key holder on its own aggregate (the value's size shows in the time it takes,
 * to the holder alone); it is variable time and uses no randomness.
 */
import { Point, SM2_GX, SM2_GY, SM2_P } from '../sm2/curve';
import type { Affine, Jac } from '../sm2/jacobian';
import { sm2Arithmetic as arith } from '../sm2/verify-keys';

export const DLOG_DEFAULT_BITS = 32;
export const DLOG_MAX_BITS = 36;
const BATCH = 512;

interface BabySteps {
  readonly m: number;
  /** x(j·G) → j, 1 ≤ j < m. */
  readonly byX: Map<bigint, number>;
  readonly ys: bigint[];
  /** −m·G. */
  readonly giant: Affine;
}

const tables = new Map<number, BabySteps>();

function babySteps(m: number): BabySteps {
  const hit = tables.get(m);
  if (hit) return hit;
  const byX = new Map<bigint, number>();
  const ys: bigint[] = [0n];
  let acc: Jac = [SM2_GX, SM2_GY, 1n];
  for (let start = 1; start < m; start += BATCH) {
    const chunk: Jac[] = [];
    for (let j = start; j < Math.min(m, start + BATCH); j++) {
      chunk.push(acc);
      acc = arith.addAffine(acc, SM2_GX, SM2_GY);
    }
    arith.normalize(chunk).forEach((p, k) => {
      byX.set(p.x, start + k);
      ys[start + k] = p.y;
    });
  }
  // acc is now m·G.
  const [mg] = arith.normalize([acc]) as [Affine];
  const table = { m, byX, ys, giant: { x: mg.x, y: SM2_P - mg.y } };
  tables.set(m, table);
  return table;
}

function assertBits(bits: number): void {
  if (!Number.isInteger(bits) || bits < 1 || bits > DLOG_MAX_BITS)
    throw new RangeError(`the decryption bound must be 2^b with b an integer in [1, ${DLOG_MAX_BITS}]`);
}

/** v ∈ [0, 2^bits) with v·G = point; RangeError if there is none. */
export function boundedLog(point: Point, bits = DLOG_DEFAULT_BITS): bigint {
  assertBits(bits);
  if (point.is0()) return 0n;
  const { m, byX, ys, giant } = babySteps(2 ** Math.ceil(bits / 2));
  const steps = 2 ** Math.floor(bits / 2);
  const { x, y } = point.toAffine();
  let acc: Jac = [x, y, 1n];
  for (let i0 = 0; i0 < steps; i0 += BATCH) {
    const chunk: Jac[] = [];
    for (let i = i0; i < Math.min(steps, i0 + BATCH); i++) {
      chunk.push(acc);
      acc = arith.addAffine(acc, giant.x, giant.y);
    }
    // D − i·m·G = O means v = i·m (never for i = 0: D is not the identity here).
    const zero = chunk.findIndex((p) => p[2] === 0n);
    const live = zero < 0 ? chunk : chunk.slice(0, zero);
    const normalized = arith.normalize(live);
    for (let k = 0; k < normalized.length; k++) {
      const p = normalized[k] as Affine;
      const j = byX.get(p.x);
      if (j !== undefined && ys[j] === p.y) return BigInt(i0 + k) * BigInt(m) + BigInt(j);
    }
    if (zero >= 0) return BigInt(i0 + zero) * BigInt(m);
  }
  throw new RangeError(`the plaintext is not in [0, 2^${bits})`);
}
