// SPDX-License-Identifier: Apache-2.0
import { toHex, utf8 } from '@medshare/crypto/bytes';
import { sm3 } from '@medshare/crypto/sm3';
import { INDICATOR_JOIN_LABEL, INDICATOR_PSEUDONYM_LABEL, INDICATOR_SUBMIT_LABEL } from '../labels';

/**
 * The byte strings that bind an indicator proof to its place (docs/protocol.md §21): the
 * `context` of §20.2's transcript. A proof made for one study, record, participant or set of days
 * fails for any other.
 */

/** The membership proof of a join: the study and the record whose attested commitment it opens. */
export function joinContext(studyId: string, recordId: string): Uint8Array {
  return utf8(`${INDICATOR_JOIN_LABEL}${studyId}\n${recordId}`);
}

/** The validity and range proofs of a submission: the study, the participant's pseudonym and the days. */
export function submitContext(studyId: string, pseudonym: string, days: readonly number[]): Uint8Array {
  return utf8(`${INDICATOR_SUBMIT_LABEL}${studyId}\n${pseudonym}\n${days.map((d) => String(d)).join(',')}`);
}

/** A participant's pseudonym in a study: 32 hex characters fixed by the join's transaction id. */
export function participantPseudonym(studyId: string, txId: string): string {
  return toHex(sm3(utf8(`${INDICATOR_PSEUDONYM_LABEL}${studyId}\n${txId}`))).slice(0, 32);
}

/** What a doctor's keyword attestation signs (purpose `keyword-attestation`, JCS): the patient and the commitment. */
export function keywordAttestationStatement(
  patientKeyId: string,
  commitment: string,
): {
  patientKeyId: string;
  commitment: string;
} {
  return { patientKeyId, commitment };
}
