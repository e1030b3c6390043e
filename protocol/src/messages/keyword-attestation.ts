// SPDX-License-Identifier: Apache-2.0
import { COMPRESSED_POINT } from '../indicators/study';
import { expectObject, expectString, HEX64, HEX_SIGNATURE } from '../validation/assert';

// ---- the doctor's keyword attestation (a member of the upload body, §21.2) -------------------

export type KeywordAttestation = {
  /** The Pedersen commitment `k·G + r·H` to the keyword's scalar (§20.3), compressed. */
  readonly commitment: string;
  /** The attesting doctor's K1 key id. */
  readonly doctorKeyId: string;
  /** The doctor's SM2 signature (purpose `keyword-attestation`) over `{patientKeyId, commitment}`. */
  readonly signature: string;
};

export function parseKeywordAttestation(value: unknown, name: string): KeywordAttestation {
  const o = expectObject(value, name, ['commitment', 'doctorKeyId', 'signature']);
  return {
    commitment: expectString(o.commitment, `${name}.commitment`, { pattern: COMPRESSED_POINT }),
    doctorKeyId: expectString(o.doctorKeyId, `${name}.doctorKeyId`, { pattern: HEX64 }),
    signature: expectString(o.signature, `${name}.signature`, { pattern: HEX_SIGNATURE }),
  };
}
