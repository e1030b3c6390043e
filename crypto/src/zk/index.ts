// SPDX-License-Identifier: Apache-2.0
/**
 * Zero-knowledge proofs and homomorphic encryption for daily indicators (docs/protocol.md §20):
 * Pedersen commitments with an opening proof, keyword-set membership (CDS OR proof), twisted
 * ElGamal with a validity proof, and aggregated Bulletproofs range proofs on its ciphertexts.
 * Verifiers take bytes, return a boolean and throw RangeError (TypeError for a wrong type) on a
 * malformed encoding; they are deterministic (no RNG), as the chaincode needs.
 */
export { POINT_BYTES, SCALAR_BYTES } from './encoding';
export { ZK_DST_PREFIX, ZK_GENERATORS_DST, ZK_MAX_VECTOR } from './generators';
export { ZK_CHALLENGE_DST } from './transcript';
export {
  COMMITMENT_BYTES,
  KEYWORD_MAX_BYTES,
  OPENING_PROOF_BYTES,
  ZK_KEYWORD_DST,
  checkOpening,
  commit,
  decodeOpeningProof,
  encodeOpeningProof,
  keywordScalar,
  proveOpening,
  verifyOpening,
  type Commitment,
  type OpeningProof,
  type ProveOpeningArgs,
  type VerifyOpeningArgs,
} from './pedersen';
export {
  MEMBERSHIP_MAX_SET,
  decodeMembershipProof,
  encodeMembershipProof,
  membershipProofLength,
  proveMembership,
  verifyMembership,
  type MembershipProof,
  type ProveMembershipArgs,
  type VerifyMembershipArgs,
} from './membership';
export { DLOG_DEFAULT_BITS, DLOG_MAX_BITS } from './discrete-log';
export {
  CIPHERTEXT_BYTES,
  ELGAMAL_PUBLIC_KEY_BYTES,
  ELGAMAL_SECRET_KEY_BYTES,
  EMPTY_AGGREGATE,
  PLAINTEXT_MAX,
  decodeAggregate,
  decodeCiphertext,
  encodeAggregate,
  encodeCiphertext,
  twistedAdd,
  twistedDecrypt,
  twistedEncrypt,
  twistedKeyGen,
  twistedPublicKey,
  type Ciphertext,
  type Encryption,
  type Opening,
  type TwistedKeyPair,
} from './twisted-elgamal';
export {
  VALIDITY_MAX_CIPHERTEXTS,
  VALIDITY_PROOF_BYTES,
  decodeValidityProof,
  encodeValidityProof,
  proveValid,
  verifyValid,
  type ProveValidArgs,
  type ValidityProof,
  type VerifyValidArgs,
} from './validity';
export {
  RANGE_BIT_LENGTHS,
  RANGE_MAX_CIPHERTEXTS,
  RANGE_MAX_VALUES,
  decodeRangeProof,
  encodeRangeProof,
  proveRange,
  rangeProofLength,
  verifyRange,
  type ProveRangeArgs,
  type RangeProof,
  type ValueRange,
  type VerifyRangeArgs,
} from './range-proof';
export type { IpaProof } from './inner-product';
/** A compressed point as §20.1 decodes it (33 bytes, 02/03 ‖ x, on the curve; never the identity), named in its RangeError. */
export { pointArg as decodePoint } from './encoding';
