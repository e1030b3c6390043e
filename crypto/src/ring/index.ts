// SPDX-License-Identifier: Apache-2.0
/**
 * Linkable ring signatures on SM2/SM3 (docs/protocol.md §18): bLSAG with the key image
 * x·Hp(scope), so a key links to itself within a scope and is unlinkable across scopes.
 */
export {
  RING_CHALLENGE_DST,
  RING_DST_PREFIX,
  RING_HASH_TO_CURVE_DST,
  RING_KEY_IMAGE_BYTES,
  RING_MAX_SIZE,
  RING_MEMBER_BYTES,
  RING_MIN_SIZE,
  RING_NONCE_DST,
  RING_SCALAR_BYTES,
  ringKeyImage,
  ringSign,
  ringSignatureKeyImage,
  ringSignatureLength,
  ringVerify,
  type RingSignArgs,
  type RingVerifyArgs,
} from './ring';
