// SPDX-License-Identifier: Apache-2.0
import { fromHex } from '../bytes';
import { decodePoint, type Point } from './curve';
import { clearVerifyKeys } from './verify-keys';

/**
 * Decoded public keys for SM2 encryption (the recipient's point, multiplied by a secret k with
 * noble's constant-time `multiply`), with noble wNAF tables for the hot ones (an app's own key,
 * a doctor it grants to often). A width-8 table costs ~34 ms and ~680 KiB, so a key earns one
 * on its third use; at most 64 tables (~44 MiB). Both maps are bounded LRUs (Map keeps
 * insertion order). Verification has its own key cache and table policy: verify-keys.ts.
 */
const TABLE_WINDOW = 8;
const TABLE_AFTER_USES = 3;
const MAX_TABLES = 64;
const MAX_POINTS = 4096;

const points = new Map<string, { point: Point; uses: number }>();
let tables = 0;

export function cachedPublicPoint(publicKeyHex: string): Point {
  const hit = points.get(publicKeyHex);
  if (hit) {
    points.delete(publicKeyHex);
    points.set(publicKeyHex, hit);
    hit.uses += 1;
    if (hit.uses === TABLE_AFTER_USES) addTable(publicKeyHex, hit);
    return hit.point;
  }
  const point = decodePoint(fromHex(publicKeyHex, 'public key'), 'public key');
  points.set(publicKeyHex, { point, uses: 1 });
  if (points.size > MAX_POINTS) evictOldest();
  return point;
}

function addTable(key: string, entry: { point: Point; uses: number }): void {
  if (tables >= MAX_TABLES) {
    // Drop the least recently used key that owns a table; it re-enters as a plain point.
    for (const [oldKey, old] of points) {
      if (old.uses >= TABLE_AFTER_USES && oldKey !== key) {
        points.delete(oldKey);
        tables -= 1;
        break;
      }
    }
  }
  entry.point = entry.point.precompute(TABLE_WINDOW, false);
  tables += 1;
}

function evictOldest(): void {
  const first = points.entries().next();
  if (first.done) return;
  const [key, entry] = first.value;
  points.delete(key);
  if (entry.uses >= TABLE_AFTER_USES) tables -= 1;
}

/** For tests and benchmarks that need a cold cache: both the encryption and verification keys. */
export function clearPointCache(): void {
  points.clear();
  tables = 0;
  clearVerifyKeys();
}
