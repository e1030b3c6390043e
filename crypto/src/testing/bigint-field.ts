// SPDX-License-Identifier: Apache-2.0
/**
 * Imported first by field-bigint.test.ts: selects the BigInt field before anything loads
 * sm2/verify-keys.ts (the arithmetic is chosen once, when that module loads).
 */
process.env.MEDSHARE_SM2_FIELD = 'bigint';
