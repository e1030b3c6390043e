// SPDX-License-Identifier: Apache-2.0
/**
 * Signing's [k]G in WebAssembly, constant time (issue 11): crypto/wasm/sm2-field.c's
 * `ct_base_x` — a signed 4-bit fixed window over a table of G's multiples, every window's entry
 * chosen by scanning all 8 under masks, complete projective additions, one inversion by a fixed
 * chain — so the module's instructions and memory addresses do not depend on k
 * (docs/decisions.md, "SM2 signing's [k]G"). Its own instance, apart from verification's
 * (field-wasm.ts, variable time, public scalars only): the table sits at a fixed offset, built
 * once (public data, by the variable-time table builder) on the first signature.
 *
 * k crosses into the module as 8 words written from a BigInt, as noble's path also handles k.
 */
import { SM2_GX, SM2_GY, SM2_N } from './curve';
import { readWords, sm2FieldModule, wasmApi, writeWords, type Exports } from './field-wasm';

const WINDOW = 4;
const WINDOWS = 65; // ⌈256 / 4⌉ + 1, the last for the recoding's carry
const ENTRIES = 8; // |digit| = 1 … 8
const ELEMENT = 32; // bytes

export class WasmBaseMultiplier {
  private readonly exports: Exports;
  private readonly xPtr: number;
  private readonly kPtr: number;
  private readonly tablePtr: number;

  constructor() {
    this.exports = new (wasmApi().Instance)(sm2FieldModule(), {}).exports as Exports;
    const ex = this.exports;
    ex.init();
    const base = Math.ceil(ex.__heap_base.value / 64) * 64;
    this.xPtr = base;
    this.kPtr = base + ELEMENT;
    const gPtr = base + 2 * ELEMENT;
    this.tablePtr = base + 4 * ELEMENT;
    const tableBytes = WINDOWS * ENTRIES * 2 * ELEMENT;
    const scratch = this.tablePtr + tableBytes;
    const end = scratch + 4 * ex.fixed_table_scratch_words(WINDOW, WINDOWS);
    const short = end - ex.memory.buffer.byteLength;
    if (short > 0) ex.memory.grow(Math.ceil(short / 65536));
    const view = new DataView(ex.memory.buffer);
    writeWords(view, gPtr, SM2_GX);
    writeWords(view, gPtr + ELEMENT, SM2_GY);
    ex.to_mont(gPtr, 2);
    if (!ex.fixed_table(gPtr, WINDOW, WINDOWS, this.tablePtr, scratch)) throw new Error("G's table failed");
  }

  /** The affine x of [k]G, 1 ≤ k < n. */
  baseX(k: bigint): bigint {
    if (k < 1n || k >= SM2_N) throw new RangeError('k must be in [1, n-1]');
    const ex = this.exports;
    const view = new DataView(ex.memory.buffer);
    writeWords(view, this.kPtr, k);
    const ok = ex.ct_base_x(this.xPtr, this.kPtr, this.tablePtr);
    // k's words are not left behind in the module's memory.
    writeWords(view, this.kPtr, 0n);
    if (!ok) throw new Error('[k]G is the point at infinity');
    ex.from_mont(this.xPtr, 1);
    return readWords(view, this.xPtr);
  }
}
