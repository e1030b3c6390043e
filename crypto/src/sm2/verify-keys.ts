// SPDX-License-Identifier: Apache-2.0
import { randomBytes } from 'node:crypto';
import { fromHex } from '../bytes';
import { decodePoint, SM2_GX, SM2_GY, SM2_N, SM2_P } from './curve';
import { sm2FieldArithmetic } from './field-wasm';
import { tablePoints, type Affine, type Arithmetic, type FixedTable } from './jacobian';

/**
 * Public keys for verification, and the policy for their tables (issue 11: a cache that
 * rebuilt a width-8 table, ~40 ms, on a request whenever more than 64 keys were active).
 *
 * - A key without a table verifies by width-5 wNAF (256 doublings), [s]G always from the
 *   shared width-10 table of G. Nothing is built on the request path but G's table, once per
 *   process on its first verification (~60 ms; 26 additions a product instead of width 8's 32).
 * - Uses are counted in a count-min sketch (4 × 16,384 counters, halved every 8,192 uses, so
 *   counts are recent). A key that reaches {@link HOT_USES} earns a width-6 table (~1,400
 *   affine points, ~150 KiB, a few ms), built later in a `setImmediate`, i.e. between requests.
 * - Tables live in an LRU bounded in bytes (32 MiB: ~360 keys with the WebAssembly field's
 *   64-byte points, ~210 with BigInt's ~112). When it is full, a key gets a
 *   table only if the sketch counts it more often than the least recently used table's key
 *   (TinyLFU admission), and at most one such replacement per 256 verifications: a rotation
 *   over more keys than fit cannot turn into a build per request.
 * - Decoded points are an LRU of 4,096 keys. Stated memory: tables ≤ 32 MiB, G's table
 *   ~0.9 MiB (13,824 points; 1.5 MiB on BigInt), decoded keys ~1.5 MiB, sketch 64 KiB.
 *
 * The arithmetic is field-wasm.ts's WebAssembly one unless `MEDSHARE_SM2_FIELD=bigint` (or the
 * runtime has no WebAssembly): the same results, BigInt being the reference and fallback.
 */
export const sm2Arithmetic: Arithmetic = sm2FieldArithmetic(
  { p: SM2_P, n: SM2_N, bits: 256 },
  process.env.MEDSHARE_SM2_FIELD,
);

const G_WINDOW = 10;
const KEY_WINDOW = 6;
const KEY_TABLE_BYTES = tablePoints(sm2Arithmetic.curve, KEY_WINDOW) * sm2Arithmetic.tableBytesPerPoint;
const MAX_KEYS = 4096;
const SKETCH_ROWS = 4;
const SKETCH_WIDTH = 16384;
const SKETCH_WINDOW = 8192;
const MAX_QUEUED = 8;

interface Limits {
  tableBudgetBytes: number;
  hotUses: number;
  replaceEvery: number;
}
const DEFAULT_LIMITS: Limits = { tableBudgetBytes: 32 * 1024 * 1024, hotUses: 4, replaceEvery: 256 };
let limits: Limits = { ...DEFAULT_LIMITS };

export interface VerifyKey {
  readonly hex: string;
  readonly point: Affine;
  table: FixedTable | undefined;
  queued: boolean;
}

const keys = new Map<string, VerifyKey>();
const tabled = new Map<string, VerifyKey>(); // LRU order: first = least recently used
const queue: VerifyKey[] = [];
let scheduled = false;
let tablesBuilt = 0;
let sinceReplacement = 0;
let gTable: FixedTable | undefined;

// Count-min sketch with per-process seeds, so chosen keys cannot aim at one counter everywhere.
const sketch = new Uint8Array(SKETCH_ROWS * SKETCH_WIDTH);
const seeds = new Uint32Array(new Uint8Array(randomBytes(4 * SKETCH_ROWS)).buffer);
let sketchAdds = 0;

function slot(hex: string, row: number): number {
  let h = (seeds[row] as number) ^ 0x811c9dc5;
  for (let i = 0; i < hex.length; i++) h = Math.imul(h ^ hex.charCodeAt(i), 0x01000193);
  return row * SKETCH_WIDTH + ((h >>> 0) % SKETCH_WIDTH);
}

function estimate(hex: string): number {
  let min = 255;
  for (let row = 0; row < SKETCH_ROWS; row++) min = Math.min(min, sketch[slot(hex, row)] as number);
  return min;
}

function count(hex: string): number {
  let min = 255;
  for (let row = 0; row < SKETCH_ROWS; row++) {
    const i = slot(hex, row);
    const v = Math.min(255, (sketch[i] as number) + 1);
    sketch[i] = v;
    min = Math.min(min, v);
  }
  if (++sketchAdds >= SKETCH_WINDOW) {
    sketchAdds = 0;
    for (let i = 0; i < sketch.length; i++) sketch[i] = (sketch[i] as number) >> 1;
  }
  return min;
}

/** The shared table of G, built on the first verification. */
export function baseTable(): FixedTable {
  gTable ??= sm2Arithmetic.fixedTable({ x: SM2_GX, y: SM2_GY }, G_WINDOW);
  return gTable;
}

/** The decoded key (throws RangeError if it is not a valid SM2 public key), counted as a use. */
export function verifyKey(publicKeyHex: string): VerifyKey {
  let entry = keys.get(publicKeyHex);
  if (entry) {
    keys.delete(publicKeyHex);
    keys.set(publicKeyHex, entry);
    if (entry.table) {
      tabled.delete(publicKeyHex);
      tabled.set(publicKeyHex, entry);
    }
  } else {
    const { x, y } = decodePoint(fromHex(publicKeyHex, 'public key'), 'public key').toAffine();
    entry = { hex: publicKeyHex, point: { x, y }, table: undefined, queued: false };
    keys.set(publicKeyHex, entry);
    if (keys.size > MAX_KEYS) forget(keys.keys().next().value as string);
  }
  sinceReplacement++;
  const uses = count(publicKeyHex);
  if (!entry.table && !entry.queued && uses >= limits.hotUses && admit(uses)) enqueue(entry);
  return entry;
}

function admit(uses: number): boolean {
  if ((tabled.size + queue.length + 1) * KEY_TABLE_BYTES <= limits.tableBudgetBytes) return true;
  const victim = tabled.keys().next().value;
  if (victim === undefined || sinceReplacement < limits.replaceEvery || uses <= estimate(victim)) return false;
  sinceReplacement = 0;
  return true;
}

function enqueue(entry: VerifyKey): void {
  if (queue.length >= MAX_QUEUED) return;
  entry.queued = true;
  queue.push(entry);
  if (!scheduled) {
    scheduled = true;
    setImmediate(drainOne).unref();
  }
}

function drainOne(): void {
  scheduled = false;
  const entry = queue.shift();
  if (entry) build(entry);
  if (queue.length > 0) {
    scheduled = true;
    setImmediate(drainOne).unref();
  }
}

function build(entry: VerifyKey): void {
  entry.queued = false;
  if (entry.table || keys.get(entry.hex) !== entry) return;
  while (tabled.size > 0 && (tabled.size + 1) * KEY_TABLE_BYTES > limits.tableBudgetBytes)
    dropTable(tabled.keys().next().value as string);
  if (KEY_TABLE_BYTES > limits.tableBudgetBytes) return;
  entry.table = sm2Arithmetic.fixedTable(entry.point, KEY_WINDOW);
  tabled.set(entry.hex, entry);
  tablesBuilt++;
}

function dropTable(hex: string): void {
  const entry = tabled.get(hex);
  tabled.delete(hex);
  if (entry) entry.table = undefined;
}

function forget(hex: string): void {
  dropTable(hex);
  keys.delete(hex);
}

/** Builds every queued table now (tests and benchmarks; the servers let setImmediate do it). */
export function buildQueuedTables(): number {
  let n = 0;
  for (let entry = queue.shift(); entry; entry = queue.shift()) {
    build(entry);
    n++;
  }
  return n;
}

/** Overrides the policy's limits (tests); no argument restores the defaults. */
export function setVerifyKeyLimits(overrides: Partial<Limits> = {}): void {
  limits = { ...DEFAULT_LIMITS, ...overrides };
  while (tabled.size > 0 && tabled.size * KEY_TABLE_BYTES > limits.tableBudgetBytes)
    dropTable(tabled.keys().next().value as string);
}

export function clearVerifyKeys(): void {
  for (const entry of queue) entry.queued = false;
  queue.length = 0;
  keys.clear();
  tabled.clear();
  sketch.fill(0);
  sketchAdds = 0;
  sinceReplacement = 0;
}

export interface VerifyKeyStats {
  /** Decoded keys held. */
  readonly keys: number;
  /** Keys with a table, and the tables' estimated size. */
  readonly tables: number;
  readonly tableBytes: number;
  readonly tableBudgetBytes: number;
  /** Tables built since the process started. */
  readonly tablesBuilt: number;
}

export function verifyKeyStats(): VerifyKeyStats {
  return {
    keys: keys.size,
    tables: tabled.size,
    tableBytes: tabled.size * KEY_TABLE_BYTES,
    tableBudgetBytes: limits.tableBudgetBytes,
    tablesBuilt,
  };
}
