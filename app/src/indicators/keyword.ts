// SPDX-License-Identifier: Apache-2.0
/**
 * The doctor's keyword attestation (docs/protocol.md §21.2) and the patient's side of it: the
 * doctor's app commits to the diagnosis keyword's scalar and signs the commitment for the patient;
 * the patient receives the opening `(keyword, blinding)` with the attestation, checks it, puts the
 * attestation (never the keyword) in the record's upload and keeps the opening on their side.
 */
import { fromHex, toHex, utf8 } from '@medshare/crypto/bytes';
import { checkOpening, commit, keywordScalar } from '@medshare/crypto/zk';
import {
  expectObject,
  expectString,
  fail,
  HEX64,
  keyIdOf,
  keywordAttestationStatement,
  parseKeywordAttestation,
  signFor,
  verifyFor,
  KEYWORD_CODE,
  type KeywordAttestation,
} from '@medshare/protocol';
import type { UserKey } from '../client/medshare-client';

/** What the doctor hands the patient: the opening of the commitment and the signed attestation. */
export interface KeywordHandoff {
  /** The patient the attestation names (their K1 key id). */
  readonly patientKeyId: string;
  /** The normalized diagnosis code (upper case): patient data, never sent or logged. */
  readonly keyword: string;
  /** The commitment's blinding r, 64 hex: whoever holds it can prove things about the commitment. */
  readonly blinding: string;
  readonly attestation: KeywordAttestation;
}

const BLINDING = /^[0-9a-f]{64}$/;

/** A diagnosis code as a study names it (§21.1): trimmed, upper case, `^[A-Z0-9][A-Z0-9.-]{0,19}$`. */
export function normalizeKeyword(code: string): string {
  const keyword = typeof code === 'string' ? code.trim().toUpperCase() : '';
  if (!KEYWORD_CODE.test(keyword))
    throw fail('INVALID_INPUT', 'keyword must be a diagnosis code of 1…20 letters, digits, dots or dashes');
  return keyword;
}

/** The keyword's scalar (§20.1) over its UTF-8 bytes. */
export function keywordScalarOf(keyword: string): bigint {
  return keywordScalar(utf8(keyword));
}

/**
 * The doctor's app: commits to the keyword with a fresh blinding and signs the commitment for the
 * patient with the doctor's K1 (purpose `keyword-attestation`, over `{patientKeyId, commitment}`).
 */
export function attestKeyword(doctor: UserKey, input: { patientKeyId: string; keyword: string }): KeywordHandoff {
  const patientKeyId = expectString(input.patientKeyId, 'patientKeyId', { pattern: HEX64 });
  const keyword = normalizeKeyword(input.keyword);
  const { commitment, blinding } = commit(keywordScalarOf(keyword));
  const commitmentHex = toHex(commitment);
  const signature = signFor('keyword-attestation', doctor, keywordAttestationStatement(patientKeyId, commitmentHex));
  return {
    patientKeyId,
    keyword,
    blinding: blinding.toString(16).padStart(64, '0'),
    attestation: { commitment: commitmentHex, doctorKeyId: keyIdOf(doctor.publicKey), signature },
  };
}

/** A handoff as read from a file: its shape checked (unknown members refused). */
export function parseKeywordHandoff(value: unknown, name = 'handoff'): KeywordHandoff {
  const o = expectObject(value, name, ['patientKeyId', 'keyword', 'blinding', 'attestation']);
  return {
    patientKeyId: expectString(o.patientKeyId, `${name}.patientKeyId`, { pattern: HEX64 }),
    keyword: expectString(o.keyword, `${name}.keyword`, { pattern: KEYWORD_CODE }),
    blinding: expectString(o.blinding, `${name}.blinding`, { pattern: BLINDING }),
    attestation: parseKeywordAttestation(o.attestation, `${name}.attestation`),
  };
}

/**
 * The patient's app checks a handoff before using it: it names this patient, its commitment opens
 * to the keyword with the blinding, and (given the doctor's public key, from the K3-signed
 * directory) the doctor's signature verifies. KEYWORD_ATTESTATION_INVALID otherwise.
 */
export function checkKeywordHandoff(handoff: KeywordHandoff, patientKeyId: string, doctorPublicKey: string): void {
  const { attestation } = handoff;
  if (handoff.patientKeyId !== patientKeyId)
    throw fail('KEYWORD_ATTESTATION_INVALID', 'the attestation names another patient');
  if (keyIdOf(doctorPublicKey) !== attestation.doctorKeyId)
    throw fail('KEYWORD_ATTESTATION_INVALID', "the doctor's public key is not the attestation's doctorKeyId");
  let opens = false;
  try {
    opens = checkOpening(
      fromHex(attestation.commitment),
      keywordScalarOf(handoff.keyword),
      BigInt(`0x${handoff.blinding}`),
    );
  } catch {
    opens = false;
  }
  if (!opens)
    throw fail('KEYWORD_ATTESTATION_INVALID', 'the commitment does not open to the keyword with the blinding');
  const statement = keywordAttestationStatement(patientKeyId, attestation.commitment);
  if (!verifyFor('keyword-attestation', doctorPublicKey, statement, attestation.signature))
    throw fail('KEYWORD_ATTESTATION_INVALID', "the doctor's signature over the commitment does not verify");
}
