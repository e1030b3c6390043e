// SPDX-License-Identifier: Apache-2.0
/**
 * Signing's constant-time [k]G (sign-wasm.ts, crypto/wasm/sm2-field.c's ct_base_x) against
 * noble's Point.BASE.multiply: edge scalars, every signed-window carry pattern, long runs of
 * zero and one bits, and a few hundred random k. The signature vectors themselves (GB/T 32918,
 * deterministic sig4, openssl, sm-crypto) run in sm2.test.ts on this path and, through
 * field-bigint.test.ts, on noble's.
 */
import { randomBytes } from 'node:crypto';
import { bytesToBigInt } from '../bytes';
import { Point, SM2_N } from './curve';
import { baseMultiplyX } from './sign';
import { WasmBaseMultiplier } from './sign-wasm';
import { sm2Arithmetic } from './verify-keys';

const ct = new WasmBaseMultiplier();
const noble = (k: bigint): bigint => Point.BASE.multiply(k).toAffine().x;

function randomScalar(): bigint {
  for (;;) {
    const k = bytesToBigInt(new Uint8Array(randomBytes(32)));
    if (k >= 1n && k < SM2_N) return k;
  }
}

describe("signing's constant-time [k]G in WebAssembly", () => {
  it('matches noble on the edge scalars', () => {
    const edges = [1n, 2n, 3n, 7n, 8n, 9n, 15n, 16n, 17n, 255n, 256n, SM2_N - 1n, SM2_N - 2n, SM2_N - 3n, SM2_N >> 1n];
    for (const k of edges) expect(ct.baseX(k)).toBe(noble(k));
  });

  it('matches noble on long runs of zero and one bits, and every window digit', () => {
    const ks: bigint[] = [];
    for (let bits = 1; bits < 256; bits += 7) {
      ks.push((1n << BigInt(bits)) - 1n); // a run of ones
      ks.push(1n << BigInt(bits)); // a one, then a run of zeros
      ks.push((((1n << 256n) - 1n) ^ ((1n << BigInt(bits)) - 1n)) % SM2_N); // ones above zeros
    }
    // Every 4-bit digit in every window position pattern: 0x…dddd for d = 0 … 15, and 8/9 runs
    // (the recoding's carry boundary).
    for (let d = 0n; d < 16n; d++) {
      let k = 0n;
      for (let w = 0n; w < 64n; w++) k |= d << (4n * w);
      ks.push(k % SM2_N);
    }
    ks.push(BigInt('0x' + '89'.repeat(32)) % SM2_N, BigInt('0x' + '98'.repeat(32)) % SM2_N);
    for (const k of ks) if (k !== 0n) expect(ct.baseX(k)).toBe(noble(k));
  });

  it('matches noble on small, large and 300 random scalars', () => {
    const ks = [...Array.from({ length: 300 }, randomScalar)];
    for (let i = 0; i < 20; i++) ks.push(BigInt(1 + i * 97), SM2_N - BigInt(1 + i * 131));
    for (const k of ks) expect(ct.baseX(k)).toBe(noble(k));
  });

  it('refuses k outside [1, n−1] and changes nothing', () => {
    for (const k of [0n, -1n, SM2_N, SM2_N + 1n, 1n << 256n])
      expect(() => ct.baseX(k)).toThrow(/k must be in \[1, n-1\]/);
    expect(ct.baseX(5n)).toBe(noble(5n));
  });

  it('is what signing uses with the WebAssembly field', () => {
    expect(sm2Arithmetic.kind).toBe('wasm');
    const k = randomScalar();
    expect(baseMultiplyX(k)).toBe(noble(k));
  });
});
