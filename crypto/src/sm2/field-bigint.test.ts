// SPDX-License-Identifier: Apache-2.0
/**
 * The BigInt fallback (MEDSHARE_SM2_FIELD=bigint) through the whole verification path: this file
 * runs the SM2 suite (GB/T 32918 vectors, sm-crypto and openssl cross-checks), the key-cache
 * suite, and the ring and zero-knowledge vectors again with the BigInt arithmetic selected; the
 * other files run them with the default, WebAssembly.
 */
import '../testing/bigint-field';
import { sm2Arithmetic } from './verify-keys';
import './sm2.test';
import './verify-keys.test';
import '../ring/ring-vectors.test';
import '../zk/zk-vectors.test';

it('selects the BigInt arithmetic for the suites above', () => {
  expect(sm2Arithmetic.kind).toBe('bigint');
});
