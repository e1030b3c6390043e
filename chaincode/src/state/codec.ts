// SPDX-License-Identifier: Apache-2.0
import { canonicalBytes, fail } from '@medshare/protocol';

/** The one way state is written: canonical JSON (sorted keys), so every endorser writes identical bytes. */
export function marshal(value: unknown): Uint8Array {
  return canonicalBytes(value);
}

/**
 * The one way state is read: parse and validate with `parse`. Empty bytes (a missing key)
 * give undefined; bytes that fail validation are a corrupted ledger, reported as INTERNAL.
 */
export function fromBytes<T>(bytes: Uint8Array, parse: (value: unknown) => T, what: string): T | undefined {
  if (bytes.length === 0) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (cause) {
    throw fail('INTERNAL', `stored ${what} is not JSON`, cause);
  }
  try {
    return parse(value);
  } catch (cause) {
    throw fail('INTERNAL', `stored ${what} failed validation`, cause);
  }
}
