// SPDX-License-Identifier: Apache-2.0
/**
 * Test and benchmark knobs: fixed nonces for the standards' known answers, and the SM2 key
 * caches' controls. Nothing in production imports this subpath (the gateway, app and chaincode
 * sources never do; `npm run lint` keeps them out: eslint.config.mjs, no-restricted-imports).
 */
export { sealWithIv } from '../sealed-box';
export { encryptWithK } from '../sm2/encrypt';
export { clearPointCache } from '../sm2/point-cache';
export { buildQueuedScopeTables, clearScopePoints } from '../ring/ring';
export { signWithK } from '../sm2/sign';
export {
  buildQueuedTables,
  setVerifyKeyLimits,
  sm2Arithmetic,
  verifyKeyStats,
  type VerifyKeyStats,
} from '../sm2/verify-keys';
export {
  encapsulateWith,
  generateKeyFragmentsWith,
  reEncryptWith,
  type EncapsulateNonces,
  type KeyFragmentNonces,
} from '../tpre/tpre';
export {
  Transcript,
  labelScalar,
  labelScalars,
  proveMembershipWith,
  proveOpeningWith,
  proveRangeWith,
  proveValidWith,
  twistedKeyGenWith,
  type ScalarSource,
  type ZkProtocol,
} from './zk';
