// SPDX-License-Identifier: Apache-2.0
import { FILE_LABEL } from '@medshare/crypto/chunked-file';
import { SEALED_BOX_LABELS } from '@medshare/crypto/sealed-box';
import { TPRE_DST_PREFIX } from '@medshare/crypto/tpre';
import { PROTOCOL_VERSION } from './version';

/**
 * Every domain-separation label of medshare, in one place (docs/protocol.md §4, §5, §8, §12,
 * §14). A label is prefixed to the bytes it separates so that a value made for one purpose can
 * never pass for another: a sig1 as a sig2, a request ciphertext as a response, a record of one
 * patient as another's. Changing one changes the wire format; test/vectors/protocol.json pins
 * them all (computed by scripts/vectors/generate-protocol-vectors.mjs, which spells them out on
 * purpose, independently of this file).
 */
const PREFIX = `medshare/v${PROTOCOL_VERSION}/`;

/** Which link of the signature chain a signature is; each signs under its own label. */
export type Purpose =
  | 'sig1'
  | 'sig2'
  | 'sig3'
  | 'sig4'
  | 'sig5'
  | 'session-request'
  | 'session'
  | 'directory'
  // A gateway asks a peer gateway's proxy to re-encrypt (docs/protocol.md §17), signed with its K3.
  | 'proxy-request'
  // A user's login (docs/protocol.md §7.7): their K1 over the gateway's challenge, and the
  // gateway's K3 over the assertion it answers.
  | 'login'
  | 'login-assertion'
  // A doctor attests a keyword commitment for a patient's record (docs/protocol.md §21.2), with their K1.
  | 'keyword-attestation';

/** `"medshare/v1/<purpose>\n"`: the prefix of the bytes a signature covers (signed.ts). */
export function signatureLabel(purpose: Purpose): string {
  return `${PREFIX}${purpose}\n`;
}

/** `"medshare/v1/request\n"` / `"medshare/v1/response\n"`, then the session id: a sealed message's AAD. */
export function sessionLabel(direction: 'request' | 'response'): string {
  return `${PREFIX}${direction}\n`;
}

/** `"medshare/v1/event\n"`, then `sessionId ‖ "\n" ‖ id`: a sealed access notification's AAD. */
export const EVENT_LABEL = `${PREFIX}event\n`;

/**
 * `"medshare/v1/record\n"`, used twice: record id = SM3(label ‖ txId) in the contract, and the
 * AAD a record is sealed with, label ‖ patientId, in the app.
 */
export const RECORD_LABEL = `${PREFIX}record\n`;

/** `"medshare/v1/file-id\n"`: a file id = SM3(label ‖ txId) of its upload (the files contract). */
export const FILE_ID_LABEL = `${PREFIX}file-id\n`;

/** `"medshare/v1/file-reencrypt\n"`: the prefix of a share's re-encryption context (docs/protocol.md §17). */
export const FILE_REENCRYPT_LABEL = `${PREFIX}file-reencrypt\n`;

/** `"medshare/v1/study-id\n"`: a study id = SM3(label ‖ txId) of its publication (the access-lists contract, §19). */
export const STUDY_ID_LABEL = `${PREFIX}study-id\n`;

/**
 * `"medshare/v1/extract\n"`: a research extract is sealed for its institution with the AAD
 * label ‖ studyId ‖ "\n" ‖ institution key id (§19), so it cannot pass for another study's.
 */
export const EXTRACT_LABEL = `${PREFIX}extract\n`;

/** `"medshare/v1/profile\n"`: a patient's sealed profile has the AAD label ‖ the patient's key id (§19). */
export const PROFILE_LABEL = `${PREFIX}profile\n`;

/** `"medshare/v1/ring-scope\n"`: the scope of an anonymous request is label ‖ studyId (§18, §19). */
export const RING_SCOPE_LABEL = `${PREFIX}ring-scope\n`;

/**
 * `"medshare/v1/access-entry\n"`: an access-list entry's id (§19), SM3(label ‖ recordId ‖ "\n" ‖ studyId)
 * for a warrant, SM3(label ‖ keyImage ‖ "\n" ‖ studyId) for an anonymous contribution.
 */
export const ACCESS_ENTRY_LABEL = `${PREFIX}access-entry\n`;

/**
 * `"medshare/v1/ring-choice\n"`: the app's ring choice for a study ranks the active patients by
 * HMAC-SM3(HMAC-SM3(author's private key, label ‖ studyId), key id) (§19.4), so a withdrawal or
 * replacement draws the same ring again.
 */
export const RING_CHOICE_LABEL = `${PREFIX}ring-choice\n`;

/** `"medshare/v1/pseudonym\n"`: a key's default pseudonym is SM3(label ‖ keyId bytes) (the app). */
export const PSEUDONYM_LABEL = `${PREFIX}pseudonym\n`;

/** `"medshare/v1/indicator-study-id\n"`: an indicator study's id = SM3(label ‖ txId) of its publication (§21). */
export const INDICATOR_STUDY_ID_LABEL = `${PREFIX}indicator-study-id\n`;

/**
 * `"medshare/v1/indicator-pseudonym\n"`: a participant's per-study pseudonym is the first 16 bytes of
 * SM3(label ‖ studyId ‖ "\n" ‖ txId of the join) (§21.3): fixed by the contract, unlinkable to the
 * patient's key and to any other study for whoever sees only the institution's output.
 */
export const INDICATOR_PSEUDONYM_LABEL = `${PREFIX}indicator-pseudonym\n`;

/** `"medshare/v1/indicator-join\n"`: a join's membership proof context is label ‖ studyId ‖ "\n" ‖ recordId (§21.3). */
export const INDICATOR_JOIN_LABEL = `${PREFIX}indicator-join\n`;

/**
 * `"medshare/v1/indicator-submit\n"`: a submission's validity and range proofs' context is
 * label ‖ studyId ‖ "\n" ‖ pseudonym ‖ "\n" ‖ the days in decimal joined by "," (§21.4).
 */
export const INDICATOR_SUBMIT_LABEL = `${PREFIX}indicator-submit\n`;

/**
 * The labels @medshare/crypto defines, listed here so that this file names every label. They
 * belong to the formats, not to {@link PROTOCOL_VERSION}:
 * - `SEALED_BOX_LABELS`, `medshare/v1/sm4-ctr` and `medshare/v1/hmac-sm3`: the sealed box's
 *   subkeys (format byte 0x01, §8);
 * - `FILE_LABEL`, `medshare/v1/file`: the chunked file's leaf (`…/chunk`) and key-check
 *   (`…/key-check`) prefixes (§16);
 * - `TPRE_DST_PREFIX`, `medshare/v1/tpre/`: the threshold PRE's hash domain tags and its generator U (§15).
 */
export { FILE_LABEL, SEALED_BOX_LABELS, TPRE_DST_PREFIX };
