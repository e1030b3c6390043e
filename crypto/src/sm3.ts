// SPDX-License-Identifier: Apache-2.0
import { createHash, createHmac, createSecretKey } from 'node:crypto';
import { assertBytes } from './bytes';

// The HMAC key goes to node:crypto as a KeyObject: Node 24 takes one ~10 µs faster per HMAC than
// raw key bytes, even counting createSecretKey (docs/benchmarks.md, "Gateway CPU profile").

/** GB/T 32905-2016 SM3, 32-byte digest, computed by Node's OpenSSL. */
export function sm3(data: Uint8Array): Uint8Array {
  assertBytes(data, 'data');
  return new Uint8Array(createHash('sm3').update(data).digest());
}

/** Incremental SM3 over several parts, without concatenating them first. */
export function sm3Parts(parts: readonly Uint8Array[]): Uint8Array {
  const hash = createHash('sm3');
  for (const part of parts) hash.update(part);
  return new Uint8Array(hash.digest());
}

/** RFC 2104 HMAC instantiated with SM3 (block size 64 bytes), as GB/T 15852.2 does. */
export function hmacSm3(key: Uint8Array, data: Uint8Array): Uint8Array {
  assertBytes(key, 'key');
  assertBytes(data, 'data');
  return new Uint8Array(createHmac('sm3', createSecretKey(key)).update(data).digest());
}

/** Incremental HMAC-SM3 over several parts. */
export function hmacSm3Parts(key: Uint8Array, parts: readonly Uint8Array[]): Uint8Array {
  assertBytes(key, 'key');
  const mac = createHmac('sm3', createSecretKey(key));
  for (const part of parts) mac.update(part);
  return new Uint8Array(mac.digest());
}
