// SPDX-License-Identifier: Apache-2.0
import { fromHex } from '@medshare/crypto/bytes';
import { decodePoint } from '@medshare/crypto/zk';
import { fail, keywordAttestationStatement, verifyFor, type KeywordAttestation } from '@medshare/protocol';
import type { LedgerState } from '../../state/state';
import { users } from '../registry/tables';

/**
 * A doctor's keyword attestation for a patient's record (docs/protocol.md §21.2), checked at
 * upload and again at every join: its doctor a registered, active doctor (NOT_REGISTERED_DOCTOR),
 * the commitment a point of the curve and the doctor's signature (purpose `keyword-attestation`)
 * valid over the patient's key id and the commitment (KEYWORD_ATTESTATION_INVALID).
 */
export async function assertKeywordAttestation(
  state: LedgerState,
  patientKeyId: string,
  attestation: KeywordAttestation,
  name: string,
): Promise<void> {
  const doctor = await users.get(state, { keyId: attestation.doctorKeyId });
  if (!doctor || doctor.role !== 'doctor' || doctor.status !== 'active')
    throw fail('NOT_REGISTERED_DOCTOR', `${name}.doctorKeyId is not a registered, active doctor`);
  try {
    decodePoint(fromHex(attestation.commitment), `${name}.commitment`);
  } catch (cause) {
    if (!(cause instanceof RangeError)) throw cause;
    throw fail(
      'KEYWORD_ATTESTATION_INVALID',
      `${name}.commitment is not a point of the curve: ${cause.message}`,
      cause,
    );
  }
  const statement = keywordAttestationStatement(patientKeyId, attestation.commitment);
  if (!verifyFor('keyword-attestation', doctor.publicKey, statement, attestation.signature))
    throw fail('KEYWORD_ATTESTATION_INVALID', `${name}.signature does not verify against its doctor's key`);
}
